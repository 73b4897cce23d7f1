"""Benchmark: ``decide_many`` with network ACLs crossed both ways (the NACL case of decide.py).

The world of ``bench/decide.py`` (interfaces in a public and a private subnet, the NAT
gateway in the public one, N random rules per interface and direction), with every subnet
on a custom network ACL of 20 entries per direction (the quota, the ``*`` deny included):
random allow and deny entries (/8–/24 blocks, single ports, ranges, ICMP), the intra-VPC
allow, the reply entries for the ephemeral range (and the NAT gateway's ports) — so
requests and replies are both decided entry by entry, and some replies are denied by a
deny entry overlapping the ephemeral range.

The baseline is ``decide.py``'s per-rule loop plus, per flow, the crossings of this
topology written out by hand, each evaluated with the domain's ``first_match`` (a reply's
port range with ``decide_ports``, the same walk over a set of ports). Its verdicts are
checked against ``decide_many``'s on its sample.

``--source-ports`` gives every TCP/UDP flow a client port (random, 1024–65535), as flows
read from flow logs have: the reply's last hops are then judged on that one port. Before
``decide_many`` took that column such flows were ``decide``'s, one by one: the case also
reports that rate (``decide_per_flow``) and the ratio to it.

``--paired R`` measures instead what ACLs cost on a shared machine: the same flows decided
with and without the ACLs, alternately, R times in one process; it prints the medians
(wall clock and CPU time, which a loaded machine disturbs less) and their ratio, NACL over
no-ACL — the figure to scale a quiet machine's no-ACL rate by.

Run: ``.venv/bin/python bench/decide_nacl.py [--flows N] [--paired R]`` (or through
``decide.py``).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import statistics
import time
from dataclasses import replace

import numpy as np

from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    decide_ports,
    deny_all_entries,
    entry,
    first_match,
    reply_icmp_type,
)
from stockade.domain.state import Snapshot
from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.compile import compile_policy
from stockade.policy.decide import decide
from stockade.policy.flow import EPHEMERAL_PORTS, NAT_GATEWAY_PORTS
from stockade.policy.reasons import Reason

try:  # run as a script (bench/ on sys.path) or imported as bench.decide_nacl
    import decide as base  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from bench import decide as base  # type: ignore[no-redef]

ACL_FLAGS = np.uint64(Reason.ACL_REQUEST_DENIED | Reason.ACL_REPLY_DENIED)
RANDOM_ENTRIES = 13  # per direction; with the 6 fixed ones and the * deny: 20


def acl_entries(rng: random.Random, egress: bool) -> list:
    """19 numbered entries of one direction: random first, then the usual allows."""
    out = []
    numbers = sorted(rng.sample(range(1, 130), RANDOM_ENTRIES))
    for number in numbers:
        prefix = rng.randint(8, 24)
        cidr = str(
            ipaddress.IPv4Network((rng.getrandbits(32) >> (32 - prefix) << (32 - prefix), prefix))
        )
        roll = rng.random()
        action = "deny" if rng.random() < 0.5 else "allow"
        if roll < 0.15:
            out.append(
                entry(number, egress, action, "1", cidr, icmp=(rng.choice([-1, 0, 3, 8]), -1))
            )
            continue
        protocol = rng.choice(["6", "17"])
        low = rng.randint(0, 65535)
        high = low if roll < 0.6 else min(65535, low + rng.randint(1, 5000))
        out.append(entry(number, egress, action, protocol, cidr, port_range=(low, high)))
    fixed = [
        entry(140, egress, "allow", "-1", base.VPC_CIDR),
        entry(150, egress, "allow", "6", "0.0.0.0/0", port_range=NAT_GATEWAY_PORTS),
        entry(160, egress, "allow", "17", "0.0.0.0/0", port_range=EPHEMERAL_PORTS),
        entry(170, egress, "allow", "6", "0.0.0.0/0", port_range=(0, 1023)),
        entry(180, egress, "allow", "1", "0.0.0.0/0", icmp=(-1, -1)),
        entry(190, egress, "allow", "17", "0.0.0.0/0", port_range=(53, 53)),
    ]
    return out + fixed


def with_acls(snapshot: Snapshot, seed: int) -> Snapshot:
    rng = random.Random(seed)
    acls = []
    for n, subnet in enumerate(snapshot.subnets):
        entries = acl_entries(rng, False) + acl_entries(rng, True)
        acls.append(
            NetworkAcl(
                f"acl-{n + 1:017x}",
                subnet.vpc_id,
                base.ACCOUNT,
                base.REGION,
                entries=tuple(entries) + deny_all_entries(False),
                associations=(NetworkAclAssociation(f"aclassoc-{n + 1:017x}", subnet.subnet_id),),
            )
        )
    return replace(snapshot, network_acls=tuple(acls))


def baseline_acls(
    snapshot: Snapshot, hosts: list, batch: FlowBatch, count: int
) -> tuple[list[bool], float]:
    """The ACL verdict of each flow of the sample (True: every crossing allows it)."""
    acl_of = {a.subnet_ids[0]: a for a in snapshot.network_acls}
    public_subnet, private_subnet = (s.subnet_id for s in snapshot.subnets)
    nat = snapshot.nat_gateways[0]
    nat_ip = int(ipaddress.IPv4Address(nat.public_ip))
    hosts = hosts[:-1]
    private = {h[0]: h for h in hosts}
    public = {h[1]: h[0] for h in hosts}
    public_of = {h[0]: h[1] for h in hosts}
    subnet_of = {h[0]: public_subnet if h[4] else private_subnet for h in hosts}
    rows = [
        (int(batch.src_lo[i]), int(batch.dst_lo[i]), int(batch.protocol[i]), int(batch.port[i]),
         int(batch.icmp_type[i]), int(batch.icmp_code[i]), int(batch.source_port[i]))
        for i in range(count)
    ]  # fmt: skip
    verdicts = []
    start = time.perf_counter()
    for src, dst, proto, port, t, c, client_port in rows:
        client = EPHEMERAL_PORTS if client_port < 0 else (client_port, client_port)
        s_host = src if src in private else public.get(src)
        d_public = dst in public
        d_host = public[dst] if d_public else (dst if dst in private else None)
        # the request's hops: (from subnet or None = internet, to subnet or None, src, dst,
        # the request's source ports there: its reply's destination ports)
        hops: list[tuple[str | None, str | None, int, int, tuple[int, int]]] = []
        if s_host is None:
            if d_host is not None and d_public:
                hops.append((None, subnet_of[d_host], src, dst, client))
        elif s_host == d_host and not d_public:
            pass  # never leaves the instance
        elif d_host is not None and not d_public:
            hops.append((subnet_of[s_host], subnet_of[d_host], src, dst, client))
        else:
            via_nat = subnet_of[s_host] == private_subnet
            seen = nat_ip if via_nat else public_of[s_host]
            if via_nat:
                hops.append((private_subnet, public_subnet, src, dst, client))
                hops.append((public_subnet, None, seen, dst, NAT_GATEWAY_PORTS))
            else:
                hops.append((subnet_of[s_host], None, src, dst, client))
            if d_host is not None:
                ports = NAT_GATEWAY_PORTS if via_nat else client
                hops.append((None, subnet_of[d_host], seen, dst, ports))
        ok = True
        answer = reply_icmp_type(proto, t) if proto == 1 else None
        for start_at, end_at, s, d, ports in hops:
            if start_at == end_at:
                continue
            if start_at is not None:
                ok &= first_match(
                    acl_of[start_at], True, 4, ipaddress.IPv4Address(d), proto, port, (t, c)
                )[1]
                ok &= _reply(acl_of[start_at], False, d, proto, ports, answer)
            if end_at is not None:
                ok &= first_match(
                    acl_of[end_at], False, 4, ipaddress.IPv4Address(s), proto, port, (t, c)
                )[1]
                ok &= _reply(acl_of[end_at], True, s, proto, ports, answer)
            if not ok:
                break
        verdicts.append(ok)
    return verdicts, time.perf_counter() - start


def _reply(acl: NetworkAcl, egress: bool, remote: int, proto: int, ports, answer) -> bool:  # noqa: ANN001
    address = ipaddress.IPv4Address(remote)
    if proto in (6, 17):
        return decide_ports(acl, egress, 4, address, proto, ports)[1]
    if proto == 1:
        return answer is None or first_match(acl, egress, 4, address, 1, None, (answer, 0))[1]
    return first_match(acl, egress, 4, address, proto)[1]


def with_source_ports(batch: FlowBatch, seed: int) -> FlowBatch:
    """Every TCP/UDP flow with a random client port (others keep -1: none)."""
    ports = np.random.default_rng(seed).integers(1024, 65536, len(batch))
    ported = (batch.protocol == 6) | (batch.protocol == 17)
    return replace(batch, source_port=np.where(ported, ports, -1).astype(np.int32))


def decide_rate(snapshot: Snapshot, batch: FlowBatch, count: int) -> float:
    """``decide`` flow by flow on the first ``count`` flows: decisions per second."""
    flows = [batch.flow(i) for i in range(min(count, len(batch)))]
    start = time.perf_counter()
    for flow in flows:
        decide(snapshot, flow)
    return len(flows) / (time.perf_counter() - start)


def run_case(rules: int, count: int, seed: int, source_ports: bool = False) -> dict:
    snapshot, hosts = base.build(rules, seed)
    snapshot = with_acls(snapshot, seed + 2)
    batch = base.flows(hosts, count, seed + 1)
    if source_ports:
        batch = with_source_ports(batch, seed + 3)
    start = time.perf_counter()
    compiled = compile_policy(snapshot)
    compile_s = time.perf_counter() - start
    decide_many(compiled, batch)  # warm-up
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        result = decide_many(compiled, batch)
        best = min(best, time.perf_counter() - start)
    sample = min(count, 20_000_000 // (rules + 10))
    groups_ok, groups_s = base.baseline(hosts, batch, sample)
    acls_ok, acls_s = baseline_acls(snapshot, hosts, batch, sample)
    verdicts = np.array(groups_ok) & np.array(acls_ok)
    agree = bool(np.array_equal(verdicts, result.allowed[:sample]))
    if not agree:
        raise SystemExit(f"baseline and decide_many disagree with ACLs at {rules} rules")
    ours, theirs = count / best, sample / (groups_s + acls_s)
    extra = {}
    if source_ports:
        per_flow = decide_rate(snapshot, batch, 5000)
        extra = {"decide_per_flow": round(per_flow), "ratio_to_decide": round(ours / per_flow, 1)}
    return {
        "case": f"decide_many/{rules}-rules-per-interface/nacl-20-entries"
        + ("/source-ports" if source_ports else ""),
        "unit": "decisions/s",
        "stockade": round(ours),
        "baseline": round(theirs),
        "ratio": round(ours / theirs, 1),
        "flows": count,
        "mix": "40% internet->instance, 40% instance->internet, 20% instance->instance",
        "baseline_flows": sample,
        "allowed_share": round(float(result.allowed.mean()), 3),
        "acl_denied_share": round(float((result.reasons & ACL_FLAGS > 0).mean()), 3),
        "network_acls": len(snapshot.network_acls),
        "acl_entries_per_direction": 20,
        "compile_s": round(compile_s, 3),
        "baseline_agrees": agree,
        **extra,
    }


def paired(rules: int, count: int, seed: int, rounds: int) -> dict:
    """Medians of ``rounds`` alternate runs without and with the ACLs (same flows)."""
    snapshot, hosts = base.build(rules, seed)
    batch = base.flows(hosts, count, seed + 1)
    plain = compile_policy(snapshot)
    nacl = compile_policy(with_acls(snapshot, seed + 2))
    times: dict[str, list[float]] = {"plain": [], "nacl": [], "plain_cpu": [], "nacl_cpu": []}
    for compiled in (plain, nacl):
        decide_many(compiled, batch)  # warm-up
    for _ in range(rounds):
        for name, compiled in (("plain", plain), ("nacl", nacl)):
            wall, cpu = time.perf_counter(), time.process_time()
            decide_many(compiled, batch)
            times[f"{name}_cpu"].append(time.process_time() - cpu)
            times[name].append(time.perf_counter() - wall)
    rate = {k: count / statistics.median(v) for k, v in times.items()}
    return {
        "case": f"decide_many/{rules}-rules-per-interface/nacl-vs-no-acl-paired",
        "unit": "decisions/s (medians)",
        "no_acl": round(rate["plain"]),
        "nacl": round(rate["nacl"]),
        "ratio": round(rate["nacl"] / rate["plain"], 3),
        "no_acl_cpu": round(rate["plain_cpu"]),
        "nacl_cpu": round(rate["nacl_cpu"]),
        "ratio_cpu": round(rate["nacl_cpu"] / rate["plain_cpu"], 3),
        "rounds": rounds,
        "flows": count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rules", type=int, nargs="*", default=[1000])
    parser.add_argument("--paired", type=int, default=0, metavar="ROUNDS")
    parser.add_argument("--source-ports", action="store_true", help="flows name client ports")
    args = parser.parse_args()
    for rules in args.rules:
        if args.paired:
            print(json.dumps(paired(rules, args.flows, args.seed, args.paired)), flush=True)
        else:
            case = run_case(rules, args.flows, args.seed, args.source_ports)
            print(json.dumps(case), flush=True)


if __name__ == "__main__":
    main()
