"""Benchmark: VPC Flow Log rule usage, records per second, DuckDB + cells vs a Python loop.

Prints one JSON object per line: ``case``, ``unit``, ``stockade`` (``flowlogs analyze``
end to end: DuckDB parses and aggregates the text, every distinct flow is matched against
every rule of its interface, the report is built), ``baseline`` (the per-record Python
loop of :mod:`stockade.analysis.flowlog_reference`: split the line, find the interface, test
every rule, update counters — run in the same process on the *first* records of the same
file and extrapolated, since 10M records would take minutes), ``ratio``, plus details.

Two accounts, one case each: one VPC with an internet gateway, instances in four tiers (web,
app, db, admin), groups referencing each other and an office prefix list. *typical*: 60
instances and a 20-entry list, so an interface has tens of effective entries (32–91);
*large*: 300 instances and a 100-entry list, so hundreds (a reference to a 150-instance tier
is 150 entries). The log of each case (version 2, written under /tmp by DuckDB and deleted
afterwards): 10M records of 1M connections, each seen in ~5 one-minute windows, both
directions logged (requests and replies), 8% rejected, a few NODATA records — internet
clients on 80/443, app→db on 5432/6379, office SSH, outbound HTTPS. The loop's credits are
checked against stockade's on the sample. Each figure is the best of two runs. Bounded:
about a minute on 2 cores.

Run: ``.venv/bin/python bench/flowlogs.py [--records N]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

import duckdb

from stockade.analysis.flowlog_format import detect
from stockade.analysis.flowlog_reader import _scan
from stockade.analysis.flowlog_reference import analyze_lines, prepare
from stockade.analysis.flowlogs import analyze
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.state import Snapshot

ACCOUNT, REGION, VPC = "123456789012", "us-east-1", "vpc-0b000000000000001"
#: case -> (instances per tier, office prefix-list entries)
CASES = {
    "typical": ({"web": 20, "app": 20, "db": 10, "admin": 10}, 20),
    "large": ({"web": 100, "app": 150, "db": 30, "admin": 20}, 100),
}
SUBNET_OF = {"web": 1, "app": 16, "db": 32, "admin": 48}
SAMPLE = 200_000
#: each measurement is the best of this many runs (the machines are shared and noisy)
REPEAT = 2


def _sg(n: int) -> str:
    return f"sg-0b0000000000000{n:02d}"


def snapshot(tiers: dict[str, int], office_entries: int) -> Snapshot:
    """The benchmark account (domain objects, no store)."""
    office = PrefixList(
        "pl-0b000000000000001",
        "office",
        "IPv4",
        office_entries,
        1,
        ACCOUNT,
        REGION,
        tuple(
            PrefixListEntry(f"198.51.{100 + 8 * i // 256}.{8 * i % 256}/29")
            for i in range(office_entries)
        ),
    )
    groups = {
        name: SecurityGroup(_sg(i), name, name, VPC, ACCOUNT, REGION)
        for i, name in enumerate(["web", "app", "db", "admin", "monitoring"], 1)
    }
    rules: list[SecurityGroupRule] = []

    def rule(
        group: str, egress: bool, proto: str, lo: int, hi: int, kind: PeerKind, value: str
    ) -> None:
        owner = ACCOUNT if kind is PeerKind.GROUP else None
        spec = RuleSpec(egress, proto, lo, hi, Peer(kind, value, owner))
        rules.append(
            SecurityGroupRule(
                f"sgr-0b00000000000{len(rules):04d}", groups[group].group_id, ACCOUNT, spec
            )
        )

    g = {k: v.group_id for k, v in groups.items()}
    for port in (80, 443):
        rule("web", False, "tcp", port, port, PeerKind.CIDR_V4, "0.0.0.0/0")
        rule("web", False, "tcp", port, port, PeerKind.CIDR_V6, "::/0")
    rule("web", False, "tcp", 8000, 8999, PeerKind.CIDR_V4, "203.0.113.0/24")
    rule("app", False, "tcp", 8080, 8080, PeerKind.GROUP, g["web"])
    rule("app", False, "tcp", 9000, 9100, PeerKind.CIDR_V4, "10.0.0.0/16")
    rule("db", False, "tcp", 5432, 5432, PeerKind.GROUP, g["app"])
    rule("db", False, "tcp", 5432, 5432, PeerKind.CIDR_V4, "10.0.32.0/20")
    rule("db", False, "tcp", 6379, 6379, PeerKind.GROUP, g["app"])
    rule("admin", False, "tcp", 22, 22, PeerKind.PREFIX_LIST, office.prefix_list_id)
    rule("admin", False, "tcp", 3389, 3389, PeerKind.CIDR_V4, "192.0.2.0/24")
    rule("monitoring", False, "udp", 161, 162, PeerKind.CIDR_V4, "10.0.250.0/24")
    rule("monitoring", False, "icmp", -1, -1, PeerKind.CIDR_V4, "10.0.0.0/8")
    rule("monitoring", False, "tcp", 9100, 9100, PeerKind.GROUP, g["admin"])
    for name in groups:
        rule(name, True, "-1", -1, -1, PeerKind.CIDR_V4, "0.0.0.0/0")
    rule("db", True, "tcp", 443, 443, PeerKind.CIDR_V4, "0.0.0.0/0")
    enis, instances = [], []
    n = 0
    for tier, count in tiers.items():
        for k in range(count):
            n += 1
            ip = f"10.0.{SUBNET_OF[tier]}.{10 + k}"
            eni_id, instance_id = f"eni-0b00000000000{n:04d}", f"i-0b00000000000{n:04d}"
            public = f"203.0.113.{n}" if tier == "web" and n < 255 else None
            enis.append(
                NetworkInterface(
                    eni_id,
                    ACCOUNT,
                    REGION,
                    VPC,
                    "subnet-0b000000000000001",
                    "us-east-1a",
                    ip,
                    f"0e:00:00:00:00:{n:02x}",
                    (g[tier], g["monitoring"])
                    + ((g["admin"],) if tier != "admin" and k % 4 == 0 else ()),
                    public_ip=public,
                    instance_id=instance_id,
                    device_index=0,
                )
            )
            instances.append(
                Instance(
                    instance_id,
                    ACCOUNT,
                    REGION,
                    "r-0b000000000000001",
                    VPC,
                    "subnet-0b000000000000001",
                    "us-east-1a",
                    "ami-0",
                    "t3",
                    InstanceState.RUNNING,
                    "2024-01-01T00:00:00Z",
                    eni_id,
                )
            )
    return Snapshot(
        vpcs=(Vpc(VPC, ACCOUNT, REGION, "10.0.0.0/16", "2001:db8:1::/56"),),
        subnets=(
            Subnet(
                "subnet-0b000000000000001",
                VPC,
                ACCOUNT,
                REGION,
                "10.0.0.0/16",
                "us-east-1a",
                "use1-az1",
            ),
        ),
        internet_gateways=(InternetGateway("igw-0b000000000000001", ACCOUNT, REGION, VPC),),
        groups=tuple(groups.values()),
        rules=tuple(rules),
        prefix_lists=(office,),
        interfaces=tuple(enis),
        instances=tuple(instances),
    )


def write_log(
    path: Path, snap: Snapshot, tiers: dict[str, int], office_entries: int, records: int
) -> None:
    """10M realistic records with DuckDB (seconds, not minutes)."""
    first = {}
    at = 0
    for tier, count in tiers.items():
        first[tier] = at
        at += count
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    rows = [(i, e.eni_id, e.private_ip) for i, e in enumerate(snap.interfaces)]
    con.execute("CREATE TABLE enis(idx INTEGER, eni VARCHAR, ip VARCHAR)")
    con.executemany("INSERT INTO enis VALUES (?, ?, ?)", rows)
    connections = max(records // 10, 1)
    con.execute(f"""
    COPY (
      WITH base AS (
        SELECT i, (i // 2) % {connections} AS c, i % 2 AS back, i // (2 * {connections}) AS w,
               hash((i // 2) % {connections}) AS h
        FROM range({records}) t(i)
      ), shaped AS (
        SELECT i, back, w, h, c, h % 100 AS kind,
          CASE WHEN h % 100 < 45 THEN {first["web"]} + (h >> 8) % {tiers["web"]}
               WHEN h % 100 < 70 THEN {first["db"]} + (h >> 8) % {tiers["db"]}
               WHEN h % 100 < 80 THEN {first["admin"]} + (h >> 8) % {tiers["admin"]}
               ELSE (h >> 8) % {at} END AS target,
          CASE WHEN h % 100 < 45 THEN
                 '203.0.' || ((h >> 16) % 200)::VARCHAR || '.' || ((h >> 24) % 250 + 1)::VARCHAR
               WHEN h % 100 < 70 THEN '10.0.16.' || (10 + (h >> 16) % {tiers["app"]})::VARCHAR
               WHEN h % 100 < 80 THEN '198.51.' || (100 + (h >> 16) % {8 * office_entries}
                    // 256)::VARCHAR || '.' || ((h >> 16) % {8 * office_entries} % 256)::VARCHAR
               ELSE '52.94.' || ((h >> 16) % 8)::VARCHAR || '.' || ((h >> 24) % 250)::VARCHAR
               END AS remote,
          CASE WHEN h % 100 < 45 THEN [80, 443, 443, 8080][(1 + (h >> 40) % 4)::BIGINT]
               WHEN h % 100 < 70 THEN [5432, 6379][(1 + (h >> 40) % 2)::BIGINT]
               WHEN h % 100 < 80 THEN 22 ELSE 443 END AS service,
          32768 + (h >> 44) % 28000 AS ephemeral,
          (h >> 50) % 100 < 8 AS rejected
        FROM base
      )
      SELECT 2, '{ACCOUNT}', enis.eni,
        CASE WHEN (kind < 80) = (back = 0) THEN remote ELSE enis.ip END,
        CASE WHEN (kind < 80) = (back = 0) THEN enis.ip ELSE remote END,
        CASE WHEN back = 0 THEN ephemeral ELSE service END,
        CASE WHEN back = 0 THEN service ELSE ephemeral END,
        6, 1 + h % 40, 60 + h % 9000, 1700000000 + w * 60, 1700000060 + w * 60,
        CASE WHEN rejected AND back = 0 THEN 'REJECT' ELSE 'ACCEPT' END, 'OK'
      FROM shaped JOIN enis ON enis.idx = shaped.target::INTEGER
      WHERE NOT (rejected AND back = 1)
      UNION ALL
      SELECT 2, '{ACCOUNT}', eni, '-', '-', '-', '-', '-', '-', '-', 1700000000, 1700000060,
             '-', 'NODATA' FROM enis
    ) TO '{path}' (DELIMITER ' ', HEADER false, QUOTE '')
    """)
    con.close()


def scan_seconds(log: Path) -> float:
    """How long DuckDB takes just to parse the file (the floor for any text reader)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    con.sql(f"SELECT count(*), sum(dstport) FROM ({_scan([detect(log)])})").fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def run_case(name: str, records: int) -> dict:
    tiers, office_entries = CASES[name]
    snap = snapshot(tiers, office_entries)
    prepared = prepare(snap)
    entries = [len(i) + len(e) for _, i, e in prepared.values()]
    with tempfile.TemporaryDirectory(prefix="stockade-bench-flowlogs-", dir="/tmp") as tmp:
        log = Path(tmp) / "flows.log"
        started = time.perf_counter()
        write_log(log, snap, tiers, office_entries, records)
        generated = time.perf_counter() - started
        size = log.stat().st_size

        with log.open() as f:
            sample = list(itertools.islice(f, SAMPLE))
        loop_seconds = float("inf")
        for _ in range(REPEAT):
            started = time.perf_counter()
            loop = analyze_lines(snap, sample, prepared=prepared)
            loop_seconds = min(loop_seconds, time.perf_counter() - started)
        baseline = len(sample) / loop_seconds

        sample_log = Path(tmp) / "sample.log"
        sample_log.write_text("".join(sample))
        check = analyze(snap, [sample_log])
        agree = {
            u.rule.rule_id: [u.records, u.packets, u.bytes, u.most_specific] for u in check.used
        } == loop.rules

        seconds = float("inf")
        for _ in range(REPEAT):
            started = time.perf_counter()
            report = analyze(snap, [log])
            seconds = min(seconds, time.perf_counter() - started)
        scan = scan_seconds(log)
    total = report.totals["records"]
    stockade = total / seconds
    return {
        "case": f"flowlogs-analyze-{records / 1e6:g}M-{name}",
        "unit": "records/s",
        "stockade": round(stockade),
        "baseline": round(baseline),
        "ratio": round(stockade / baseline, 1),
        "records": total,
        "file_bytes": size,
        "stockade_seconds": round(seconds, 2),
        "baseline_sample_records": len(sample),
        "baseline_sample_seconds": round(loop_seconds, 2),
        "baseline_extrapolated_seconds": round(total / baseline, 1),
        "credits_agree_on_sample": agree,
        "duckdb_parse_only_records_per_s": round(total / scan),
        "ratio_ceiling_if_matching_were_free": round(total / scan / baseline, 1),
        "interfaces": len(entries),
        "entries_per_interface": [min(entries), max(entries)],
        "rules_used": len(report.used),
        "distinct_flows_note": "DuckDB aggregates identical flows before matching",
        "generated_seconds": round(generated, 1),
        "cores": os.cpu_count(),
        "note": "baseline = per-record Python loop (stockade.analysis.flowlog_reference) on the "
        "first 200k records of the same file, extrapolated; stockade = flowlogs "
        "analyze end to end on the whole file (parse, aggregate, match, report); "
        f"best of {REPEAT} runs each",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    args = parser.parse_args()
    for name in args.case or list(CASES):
        print(json.dumps(run_case(name, args.records)), flush=True)


if __name__ == "__main__":
    main()
