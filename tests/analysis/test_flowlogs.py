"""``stockade flowlogs analyze``: every matching rule per accepted flow, unused rules,
tightenings — DuckDB-streamed, checked record by record against a plain Python loop."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from stockade.analysis.flowlog_format import DEFAULT_FIELDS, FlowLogProblem, detect
from stockade.analysis.flowlog_reader import flow_batches
from stockade.analysis.flowlog_reference import analyze_lines
from stockade.analysis.flowlog_report import build_report
from stockade.analysis.flowlog_usage import FlowUsage
from stockade.analysis.flowlogs import analyze, merge_snapshots

from .conftest import ENI, FIXTURES, MAIN, PEER, rule_id, snapshot_of

LOGS = Path(__file__).parent / "fixtures" / "flowlogs"
CUSTOM = (*DEFAULT_FIELDS, "tcp-flags", "flow-direction", "vpc-id")


@pytest.fixture
def world(store):
    return merge_snapshots([snapshot_of(store, MAIN), snapshot_of(store, PEER)])


def _usage(report) -> dict[str, list[int]]:
    return {u.rule.rule_id: [u.records, u.packets, u.bytes, u.most_specific] for u in report.used}


def test_default_format(world):
    report = analyze(world, [LOGS / "v2-default.log"])
    t = report.totals
    assert (t["records"], t["accepted"], t["rejected"], t["no_data"]) == (11, 9, 1, 1)
    assert (t["requests_credited"], t["replies"], t["unexplained"]) == (7, 1, 0)
    assert t["unknown_interface"] == 1
    assert report.interfaces["unknown"] == {"eni-0ffffffffffffffff": 1}
    used = _usage(report)
    # HTTPS twice: every matching rule credited, the narrower 443 rule the most specific
    assert used[rule_id(5)] == [2, 20, 10000, 2] and used[rule_id(8)] == [3, 23, 10180, 1]
    # app -> db on 5432: the group reference (a /32) is more specific than 10.0.0.0/16
    assert used[rule_id(0x13)][3] == 1 and used[rule_id(0x14)][3] == 0
    assert used[rule_id(6)][0] == 1  # IPv6 443
    assert used[rule_id(9)][0] == 1  # ICMP (type unknown in flow logs): the ping rule
    unused = {r.rule_id for r, _ in report.unused}
    assert rule_id(0x15) in unused and rule_id(7) in unused  # 1433, HTTP never used
    assert {r.rule_id for r, _ in report.not_observed} >= {rule_id(0x23)}  # internal VPC
    text = {t.rule.rule_id: t.text for t in report.tightenings}
    assert "0.0.0.0/0 → 198.51.100.7/32, 203.0.113.9/32 (2 sources seen)" in text[rule_id(8)]
    assert "ports 0-1024 → 22, 443" in text[rule_id(8)]


def _random_lines(snap, n: int, seed: int, custom: bool) -> list[str]:
    rng = random.Random(seed)
    remotes = {
        4: [
            "198.51.100.7",
            "203.0.113.9",
            "10.0.1.10",
            "10.0.2.20",
            "52.216.1.1",
            "192.0.2.5",
            "10.0.9.9",
            "10.1.1.10",
        ],
        6: ["2001:db8:aaaa::1", "2001:db8:ffff::5", "2001:db8:1234:5601::10"],
    }
    lines = []
    for i in range(n):
        eni = rng.choice(snap.interfaces)
        family = 6 if eni.ipv6_addresses and rng.random() < 0.3 else 4
        local = eni.ipv6_addresses[0] if family == 6 else eni.private_ip
        remote = rng.choice(remotes[family])
        proto = rng.choice([6, 6, 6, 17, 1 if family == 4 else 58, 47])
        service = rng.choice([22, 80, 443, 5432, 3389, 161, 1433, 9200, 8080])
        ephemeral = rng.randint(1024, 65535)
        inbound, reply = rng.random() < 0.5, rng.random() < 0.3
        src, dst = (remote, local) if inbound else (local, remote)
        sport, dport = (service, ephemeral) if reply else (ephemeral, service)
        if proto not in (6, 17):
            sport = dport = 0
        action = "REJECT" if rng.random() < 0.15 else "ACCEPT"
        fields = [
            "2",
            "111122223333",
            eni.eni_id,
            src,
            dst,
            str(sport),
            str(dport),
            str(proto),
            str(rng.randint(1, 20)),
            str(rng.randint(40, 9000)),
            str(1700000000 + i),
            str(1700000060 + i),
            action,
            "OK",
        ]
        if custom:
            flags = rng.choice(["-", "0", "2", "18", "3", "19"]) if proto == 6 else "-"
            direction = rng.choice(["-", "ingress" if inbound else "egress"])
            fields += [flags, direction, eni.vpc_id]
        lines.append(" ".join(fields))
    return lines


@pytest.mark.parametrize("custom", [False, True])
def test_vectorised_path_equals_the_per_record_loop(world, tmp_path, custom):
    lines = _random_lines(world, 4000, seed=11 if custom else 7, custom=custom)
    fields = CUSTOM if custom else DEFAULT_FIELDS
    path = tmp_path / "flows.log"
    header = [" ".join(fields)] if custom else []
    path.write_text("\n".join(header + lines) + "\n")
    report = analyze(world, [path])
    loop = analyze_lines(world, lines, fields)
    assert _usage(report) == loop.rules
    assert {u.rule.rule_id: [u.first, u.last] for u in report.used} == loop.seen
    t = report.totals
    assert (t["requests_credited"], t["replies"], t["unexplained"]) == (
        loop.requests,
        loop.replies,
        loop.unexplained,
    )
    assert t["records"] == loop.records and t["rejected"] == loop.rejected


def test_batches_accumulate_like_one(world, tmp_path):
    path = tmp_path / "flows.log"
    path.write_text("\n".join(_random_lines(world, 1500, seed=3, custom=False)) + "\n")
    whole = analyze(world, [path])
    usage = FlowUsage(world)
    for batch in flow_batches([detect(path)], rows=17):
        usage.add(batch)
    assert _usage(build_report(usage, [str(path)])) == _usage(whole)


def test_custom_format_header_gzip_flags_and_packet_addresses(world, tmp_path):
    """An S3 file: header line, gzip without a .gz name, tcp-flags, flow-direction and
    pkt-srcaddr (the original client behind a middlebox)."""
    header = (
        "version interface-id srcaddr dstaddr pkt-srcaddr srcport dstport protocol "
        "tcp-flags flow-direction action log-status start end packets bytes"
    )
    rows = [
        # a SYN to 443 from a client seen behind 10.0.1.99: credited, client as source
        f"5 {ENI['web1']} 10.0.1.99 10.0.1.10 198.51.100.77 40000 443 6 2 ingress ACCEPT OK "
        "1700000000 1700000060 3 180",
        # SYN-ACK out of 443: a reply, even though the egress rules would also match
        f"5 {ENI['web1']} 10.0.1.10 10.0.1.99 - 443 40000 6 18 egress ACCEPT OK "
        "1700000000 1700000060 3 180",
    ]
    path = tmp_path / "s3-object"
    with gzip.open(path, "wt") as f:
        f.write(header + "\n" + "\n".join(rows) + "\n")
    fmt = detect(path)
    assert fmt.header and fmt.gzip and "pkt-srcaddr" in fmt.fields
    report = analyze(world, [path])
    assert (report.totals["requests_credited"], report.totals["replies"]) == (1, 1)
    https = next(u for u in report.used if u.rule.rule_id == rule_id(5))
    assert https.sources == {"198.51.100.77"}


def test_stockade_data_plane_logs(world, tmp_path):
    """The data plane writes version 2 with a header line, one record per connection."""
    from stockade.dataplane.flowlog import HEADER

    assert tuple(HEADER.split()) == DEFAULT_FIELDS
    path = tmp_path / "vpc-0a1b2c3d4e5f60001.log"
    path.write_text(
        HEADER + "\n" + f"2 111122223333 {ENI['db1']} 10.0.1.10 "
        "10.0.2.20 43210 5432 6 1 60 1700000000 1700000000 ACCEPT OK\n"
    )
    report = analyze(world, [path])
    assert [u.rule.rule_id for u in report.used] == [rule_id(0x13), rule_id(0x14)]


def test_unexplained_accepts_are_reported(world, tmp_path):
    path = tmp_path / "f.log"
    path.write_text(
        f"2 111122223333 {ENI['db1']} 10.0.1.10 10.0.2.20 43210 3306 6 1 60 "
        "1700000000 1700000060 ACCEPT OK\n"
    )
    report = analyze(world, [path])
    assert report.totals["unexplained"] == 1
    assert report.unexplained[0]["dstport"] == 3306


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "2 1 eni-0a1b2c3d4e5f66001 1.2.3.4\n",
            "line 1 has 4 fields, the default (version 2) format 14",
        ),
        ("version srcaddr dstaddr\n1 2 3\n", "the format lacks interface-id"),
        (
            "2 111122223333 eni-0a1b2c3d4e5f66001 1.2.3.4 10.0.1.10 x 22 6 1 1 1 1 ACCEPT OK\n",
            "bad.log",
        ),
    ],
)
def test_bad_files_get_one_line(world, tmp_path, content, message):
    path = tmp_path / "bad.log"
    path.write_text(content)
    with pytest.raises(FlowLogProblem) as caught:
        analyze(world, [path])
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_cli_analyze(cli, tmp_path):
    cli("import", "aws", FIXTURES)
    human = cli("flowlogs", "analyze", LOGS / "v2-default.log").stdout
    assert "Rules used (12)" in human and "Suggested tightenings" in human
    assert "eni-0ffffffffffffffff" in human
    data = json.loads(
        cli("flowlogs", "analyze", LOGS, "--json", "--flows", tmp_path / "flows.jsonl").stdout
    )
    assert data["totals"]["requests_credited"] == 7 and data["rules_unused"]
    flows = [json.loads(line) for line in (tmp_path / "flows.jsonl").read_text().splitlines()]
    first = next(
        f for f in flows if f["dstport"] == 443 and f["role"] == "request" and ":" not in f["src"]
    )
    assert first["most_specific"] == rule_id(5) and rule_id(8) in first["rules"]
    assert cli("flowlogs", "analyze", tmp_path / "missing.log", code=1).stderr.startswith("error:")
    custom = tmp_path / "cw.log"
    custom.write_text(f"{ENI['db1']} 10.0.1.10 10.0.2.20 5432 6 ACCEPT\n")
    out = json.loads(
        cli(
            "flowlogs",
            "analyze",
            custom,
            "--json",
            "--format",
            "${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${protocol} ${action}",
        ).stdout
    )
    assert out["totals"]["requests_credited"] == 1


def test_files_of_different_formats_together(world, tmp_path):
    plain = tmp_path / "a.log"
    plain.write_text((LOGS / "v2-default.log").read_text())
    zipped = tmp_path / "b.log.gz"
    with gzip.open(zipped, "wt") as f:
        f.write(" ".join(CUSTOM) + "\n")
        f.write(
            f"5 111122223333 {ENI['db1']} 10.0.1.10 10.0.2.20 43210 5432 6 1 60 1700000000 "
            "1700000060 ACCEPT OK 2 ingress vpc-0a1b2c3d4e5f60001\n"
        )
    both = analyze(world, [plain, zipped])
    alone = analyze(world, [plain])
    assert both.totals["records"] == alone.totals["records"] + 1
    assert _usage(both)[rule_id(0x13)][0] == _usage(alone)[rule_id(0x13)][0] + 1
