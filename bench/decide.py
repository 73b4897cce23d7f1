"""Benchmark: bulk decisions per second, compiled tables vs a per-rule Python loop.

Prints one JSON object per line: ``case``, ``unit``, ``stockade`` (compiled
``decide_many``), ``baseline`` (a straightforward loop over each interface's rules, in
the same run), ``ratio``, plus details. Cases: 1, 100 and 1,000 rules per interface and
direction. Every interface carries one group with N inbound and N outbound random rules
(mixed /8-/32 CIDRs, TCP/UDP single ports or ranges, ICMP, 5% all-traffic). Flows: 40%
internet -> instance (public IP), 40% instance -> internet, 20% instance -> instance
(both sides checked); half of them aimed at a rule. The baseline's verdicts are checked
against ``decide_many``'s on its sample. A last case checks both sides on every flow
(instance -> instance only). Bounded: well under a minute in all.

Route tables are evaluated on every flow: half the interfaces sit in a public subnet (its
table: local, ``0.0.0.0/0 → igw``, and a few /24s routed to a detached gateway —
blackholes), half in a private one (the main table: local, ``0.0.0.0/0 → nat-…``, the NAT
gateway living in the public subnet). So an inbound flow to a private instance's public IP
is refused (no route back), one whose source is in a blackholed /24 too, and the NAT
gateway's onward route is looked up for every outbound flow of a private instance. The
baseline loop follows the same routes. The 1,000-rule case also runs once with no tables
(every subnet on the VPC's implied main table) to show what routing costs. The last case
(``bench/decide_nacl.py``) puts every subnet on a custom network ACL of 20 entries per
direction, crossed by requests and replies.

Run: ``.venv/bin/python bench/decide.py [--flows N]``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import time

import numpy as np

from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.protocols import NUMBER
from stockade.domain.routing import (
    LOCAL,
    NatGateway,
    Route,
    RouteOrigin,
    RouteTable,
    RouteTableAssociation,
)
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.state import Snapshot
from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.compile import compile_policy

ACCOUNT, REGION = "123456789012", "us-east-1"
INTERFACES = 8
VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDRS = ("10.0.0.0/17", "10.0.128.0/17")  # public, private
BLACKHOLES = 5  # /24s the public table routes to a detached internet gateway
NAT_PUBLIC_IP = "192.0.2.99"


def route_tables(rng: random.Random, vpc: Vpc, subnets: tuple[Subnet, Subnet]) -> tuple:
    """The public table (explicit), the private main table, the NAT gateway, and the
    blackholed /24s as integer bounds (for the baseline)."""
    igw, detached = "igw-00000000000000001", "igw-00000000000000002"
    nat = NatGateway(
        "nat-00000000000000001",
        vpc.vpc_id,
        subnets[0].subnet_id,
        ACCOUNT,
        REGION,
        "10.0.0.250",
        "2024-01-01T00:00:00Z",
        public_ip=NAT_PUBLIC_IP,
    )
    holes = [rng.getrandbits(24) << 8 for _ in range(BLACKHOLES)]
    local = Route(VPC_CIDR, LOCAL, RouteOrigin.CREATE_ROUTE_TABLE)
    public = RouteTable(
        "rtb-00000000000000001",
        vpc.vpc_id,
        ACCOUNT,
        REGION,
        (
            local,
            Route("0.0.0.0/0", igw),
            *(Route(f"{ipaddress.IPv4Address(h)}/24", detached) for h in holes),
        ),
        (RouteTableAssociation("rtbassoc-00000000000000001", subnet_id=subnets[0].subnet_id),),
    )
    private = RouteTable(
        "rtb-00000000000000002",
        vpc.vpc_id,
        ACCOUNT,
        REGION,
        (local, Route("0.0.0.0/0", nat.nat_gateway_id)),
        (RouteTableAssociation("rtbassoc-00000000000000002", main=True),),
    )
    detached_igw = InternetGateway(igw_id=detached, owner_id=ACCOUNT, region=REGION)
    return (public, private), nat, detached_igw, [(h, h + 255) for h in holes]


def random_rule(rng: random.Random) -> tuple[str, int, int, str]:
    roll = rng.random()
    prefix = rng.randint(8, 32)
    base = rng.getrandbits(32)
    cidr = str(ipaddress.IPv4Network((base >> (32 - prefix) << (32 - prefix), prefix)))
    if roll < 0.05:
        return "-1", -1, -1, cidr
    if roll < 0.10:
        return "icmp", rng.choice([-1, 0, 3, 8]), -1, cidr
    proto = rng.choice(["tcp", "udp"])
    port = rng.randint(0, 65535)
    if roll < 0.75:
        return proto, port, port, cidr
    return proto, port, min(65535, port + rng.randint(1, 2000)), cidr


def build(rules_per_direction: int, seed: int, routes: bool = True) -> tuple[Snapshot, list]:
    """The snapshot and, per interface, (private, public, ingress rules, egress rules,
    public subnet?); the last element of the list is the blackholed /24s."""
    rng = random.Random(seed)
    vpc = Vpc(vpc_id="vpc-00000000000000001", owner_id=ACCOUNT, region=REGION, cidr_block=VPC_CIDR)
    subnets = tuple(
        Subnet(
            subnet_id=f"subnet-0000000000000000{n + 1}",
            vpc_id=vpc.vpc_id,
            owner_id=ACCOUNT,
            region=REGION,
            cidr_block=cidr if routes else VPC_CIDR,
            availability_zone="us-east-1a",
            availability_zone_id="use1-az1",
        )
        for n, cidr in enumerate(SUBNET_CIDRS)
    )
    igw = InternetGateway(
        igw_id="igw-00000000000000001", owner_id=ACCOUNT, region=REGION, vpc_id=vpc.vpc_id
    )
    groups, rules, enis, instances, hosts = [], [], [], [], []
    serial = 0
    for k in range(INTERFACES):
        group_id = f"sg-{k + 1:017x}"
        groups.append(
            SecurityGroup(
                group_id=group_id,
                name=f"g{k}",
                description="bench",
                vpc_id=vpc.vpc_id,
                owner_id=ACCOUNT,
                region=REGION,
            )
        )
        table = {True: [], False: []}
        for egress in (False, True):
            for _ in range(rules_per_direction):
                proto, lo, hi, cidr = random_rule(rng)
                serial += 1
                spec = RuleSpec(egress, proto, lo, hi, Peer(PeerKind.CIDR_V4, cidr))
                rules.append(
                    SecurityGroupRule(
                        rule_id=f"sgr-{serial:017x}", group_id=group_id, owner_id=ACCOUNT, spec=spec
                    )
                )
                table[egress].append((proto, lo, hi, cidr))
        in_public = k % 2 == 0 or not routes
        subnet = subnets[0] if in_public else subnets[1]
        third = k // 250 if in_public else 128 + k // 250
        private, public = f"10.0.{third}.{k % 250 + 4}", f"198.51.100.{k + 10}"
        eni_id, instance_id = f"eni-{k + 1:017x}", f"i-{k + 1:017x}"
        enis.append(
            NetworkInterface(
                eni_id=eni_id,
                owner_id=ACCOUNT,
                region=REGION,
                vpc_id=vpc.vpc_id,
                subnet_id=subnet.subnet_id,
                availability_zone="us-east-1a",
                private_ip=private,
                mac_address="02:00:00:00:00:01",
                group_ids=(group_id,),
                public_ip=public,
                instance_id=instance_id,
                device_index=0,
            )
        )
        instances.append(
            Instance(
                instance_id=instance_id,
                owner_id=ACCOUNT,
                region=REGION,
                reservation_id="r-1",
                vpc_id=vpc.vpc_id,
                subnet_id=subnet.subnet_id,
                availability_zone="us-east-1a",
                image_id="ami-1",
                instance_type="t3.micro",
                state=InstanceState.RUNNING,
                launch_time="2024-01-01T00:00:00Z",
                primary_eni_id=eni_id,
            )
        )
        hosts.append(
            (
                int(ipaddress.IPv4Address(private)),
                int(ipaddress.IPv4Address(public)),
                table[False],
                table[True],
                in_public,
            )
        )
    tables, nat, detached, holes = route_tables(rng, vpc, subnets)
    snapshot = Snapshot(
        revision=1,
        vpcs=(vpc,),
        subnets=subnets if routes else subnets[:1],
        internet_gateways=(igw, detached) if routes else (igw,),
        groups=tuple(groups),
        rules=tuple(rules),
        interfaces=tuple(enis),
        instances=tuple(instances),
        route_tables=tables if routes else (),
        nat_gateways=(nat,) if routes else (),
    )
    return snapshot, [*hosts, holes if routes else []]


def _rule_arrays(hosts: list, column: int) -> dict[str, np.ndarray]:
    """[interface, rule] arrays of one direction's rules: protocol, ports, block."""
    out = {k: [] for k in ("proto", "lo", "hi", "first", "size")}
    for host in hosts:
        for key in out:
            out[key].append([])
        for proto, lo, hi, cidr in host[column]:
            net = ipaddress.IPv4Network(cidr)
            out["proto"][-1].append(-1 if proto == "-1" else NUMBER[proto])
            out["lo"][-1].append(lo)
            out["hi"][-1].append(hi)
            out["first"][-1].append(int(net.network_address))
            out["size"][-1].append(net.num_addresses)
    return {k: np.array(v, np.int64) for k, v in out.items()}


def _aimed(rng: np.random.Generator, rules: dict, host: np.ndarray):
    """Per flow: (remote, protocol, port, icmp type, icmp code) inside a random rule of
    the given interface."""
    n = len(host)
    pick = rng.integers(0, rules["proto"].shape[1], n)
    proto, lo, hi = (rules[k][host, pick] for k in ("proto", "lo", "hi"))
    remote = rules["first"][host, pick] + (rng.random(n) * rules["size"][host, pick]).astype(
        np.int64
    )
    port = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    any_port = rng.integers(0, 65536, n)
    icmp_type = np.where(lo == -1, rng.integers(0, 256, n), lo)
    is_icmp, is_all = proto == 1, proto == -1
    port = np.where(is_all, any_port, np.where(is_icmp, 0, port))
    return (
        remote,
        np.where(is_all, 6, proto),
        port,
        np.where(is_icmp, icmp_type, 0),
        np.where(is_icmp, rng.integers(0, 16, n), 0),
    )


def flows(hosts: list, count: int, seed: int, internal: bool = False) -> FlowBatch:
    """The flow mix of the module docstring, generated with NumPy (vectorised)."""
    hosts = hosts[:-1]  # the blackholes
    rng = np.random.default_rng(seed)
    private = np.array([h[0] for h in hosts], np.int64)
    public = np.array([h[1] for h in hosts], np.int64)
    ingress, egress = _rule_arrays(hosts, 2), _rule_arrays(hosts, 3)
    roll = np.ones(count) if internal else rng.random(count)
    src_host, dst_host = rng.integers(0, len(hosts), count), rng.integers(0, len(hosts), count)
    aim = rng.random(count) < 0.5
    aimed_in, aimed_out = _aimed(rng, ingress, dst_host), _aimed(rng, egress, src_host)
    random_remote = rng.integers(0, 1 << 32, count)
    random_proto = rng.choice([6, 17], count)
    random_port = rng.integers(0, 65536, count)
    inbound, outbound = roll < 0.4, (roll >= 0.4) & (roll < 0.8)
    internal_flow = roll >= 0.8
    aimed_cols = [
        np.where(inbound | internal_flow, a, b) for a, b in zip(aimed_in, aimed_out, strict=True)
    ]
    remote = np.where(aim | internal_flow, aimed_cols[0], random_remote)
    proto = np.where(aim | internal_flow, aimed_cols[1], random_proto)
    port = np.where(aim | internal_flow, aimed_cols[2], random_port)
    icmp_type = np.where(aim | internal_flow, aimed_cols[3], 0)
    icmp_code = np.where(aim | internal_flow, aimed_cols[4], 0)
    src = np.where(inbound, remote, private[src_host])
    dst = np.where(inbound, public[dst_host], np.where(outbound, remote, private[dst_host]))
    return FlowBatch.ipv4(
        src.astype(np.uint64), dst.astype(np.uint64), proto, port, icmp_type, icmp_code
    )


# --- the baseline: a straightforward per-rule loop -----------------------------------------


def baseline_rules(rules: list) -> list[tuple[int, int, int, int, int]]:
    """One direction's rules as plain int tuples (proto, from, to, first, last)."""
    out = []
    for proto, lo, hi, cidr in rules:
        net = ipaddress.IPv4Network(cidr)
        out.append(
            (
                -1 if proto == "-1" else NUMBER[proto],
                lo,
                hi,
                int(net.network_address),
                int(net.broadcast_address),
            )
        )
    return out


def matches(rules, proto, port, icmp_type, icmp_code, remote) -> bool:
    for r_proto, lo, hi, first, last in rules:
        if not first <= remote <= last:
            continue
        if r_proto == -1:
            return True
        if r_proto != proto:
            continue
        if proto == 1:
            if (lo == -1 or icmp_type == lo) and (hi == -1 or icmp_code == hi):
                return True
        elif lo <= port <= hi:
            return True
    return False


def nat_carries(proto: int, icmp_type: int) -> bool:
    """A NAT gateway translates TCP, UDP and ICMP queries (echo, timestamp, information,
    address mask) only."""
    return proto in (6, 17) or (proto == 1 and icmp_type in (8, 13, 15, 17))


def baseline(hosts: list, batch: FlowBatch, count: int) -> tuple[list[bool], float]:
    hosts, holes = hosts[:-1], hosts[-1]
    private = {h[0]: (baseline_rules(h[2]), baseline_rules(h[3])) for h in hosts}
    in_public = {h[0]: h[4] for h in hosts}
    nat_ip = int(ipaddress.IPv4Address(NAT_PUBLIC_IP))
    public = {h[1]: h[0] for h in hosts}
    public_of = {h[0]: h[1] for h in hosts}
    vpc = ipaddress.IPv4Network(VPC_CIDR)
    vpc_lo, vpc_hi = int(vpc.network_address), int(vpc.broadcast_address)
    rfc1918 = [
        (int(n.network_address), int(n.broadcast_address))
        for n in map(
            ipaddress.IPv4Network,
            ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"),
        )
    ]
    rows = [
        (
            int(batch.src_lo[i]),
            int(batch.dst_lo[i]),
            int(batch.protocol[i]),
            int(batch.port[i]),
            int(batch.icmp_type[i]),
            int(batch.icmp_code[i]),
        )
        for i in range(count)
    ]
    verdicts = []
    start = time.perf_counter()
    for src, dst, proto, port, t, c in rows:
        s_host = src if src in private else public.get(src)
        d_public = dst in public
        d_host = public[dst] if d_public else (dst if dst in private else None)
        if s_host is not None and d_host is not None and s_host == d_host and not d_public:
            ok = True  # both ends on one instance: never leaves it
        elif s_host is not None and d_host is None:  # instance -> internet
            # out by the public table's default route (blackholes aside), or by the NAT
            # gateway, whose own subnet is the public one: the same blackholes apply
            ok = (
                not vpc_lo <= dst <= vpc_hi
                and not any(a <= dst <= b for a, b in rfc1918)
                and not any(a <= dst <= b for a, b in holes)
                and (in_public[s_host] or nat_carries(proto, t))
                and matches(private[s_host][1], proto, port, t, c, dst)
            )
        elif s_host is not None:  # instance -> instance (private, or public via the gateway)
            out_ok = in_public[s_host] and not any(a <= dst <= b for a, b in holes)
            seen_as = (public_of[s_host] if in_public[s_host] else nat_ip) if d_public else s_host
            back_ok = in_public[d_host] and not any(a <= seen_as <= b for a, b in holes)
            ok = (
                (not d_public or ((out_ok or not in_public[s_host]) and back_ok))
                and (not d_public or in_public[s_host] or nat_carries(proto, t))
                and matches(private[s_host][1], proto, port, t, c, dst)
                and matches(private[d_host][0], proto, port, t, c, seen_as)
            )
        else:  # internet -> instance: its public IP only, in a subnet routing back to the igw
            ok = (
                d_host is not None
                and d_public
                and in_public[d_host]
                and not any(a <= src <= b for a, b in holes)
                and not any(a <= src <= b for a, b in rfc1918)
                and not vpc_lo <= src <= vpc_hi
                and matches(private[d_host][0], proto, port, t, c, src)
            )
        verdicts.append(ok)
    return verdicts, time.perf_counter() - start


def run_case(
    rules: int, count: int, seed: int, internal: bool = False, routes: bool = True
) -> dict:
    snapshot, hosts = build(rules, seed, routes)
    batch = flows(hosts, count, seed + 1, internal)
    start = time.perf_counter()
    compiled = compile_policy(snapshot)
    compile_s = time.perf_counter() - start
    decide_many(compiled, batch)  # warm-up
    best = float("inf")
    for _ in range(5):  # best of 5: the machines are noisy
        start = time.perf_counter()
        result = decide_many(compiled, batch)
        best = min(best, time.perf_counter() - start)
    sample = min(count, 20_000_000 // (rules + 10))  # about half a second of baseline
    verdicts, base_s = baseline(hosts, batch, sample)
    base_s = min(base_s, baseline(hosts, batch, sample)[1])  # best of 2
    agree = bool(np.array_equal(np.array(verdicts), result.allowed[:sample]))
    if not agree:
        raise SystemExit(f"baseline and decide_many disagree at {rules} rules")
    ours, theirs = count / best, sample / base_s
    return {
        "case": f"decide_many/{rules}-rules-per-interface"
        + ("/instance-to-instance" if internal else "")
        + ("" if routes else "/no-route-tables"),
        "unit": "decisions/s",
        "stockade": round(ours),
        "baseline": round(theirs),
        "ratio": round(ours / theirs, 1),
        "flows": count,
        "mix": "both sides checked on every flow"
        if internal
        else "40% internet->instance, 40% instance->internet, 20% instance->instance",
        "baseline_flows": sample,
        "allowed_share": round(float(result.allowed.mean()), 3),
        "interfaces": INTERFACES,
        "route_tables": len(snapshot.route_tables),
        "compile_s": round(compile_s, 3),
        "address_runs": int(len(compiled.v4.narrow.labels) + len(compiled.v4.wide.labels)),
        "baseline_agrees": agree,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for rules in (1, 100, 1000):
        print(json.dumps(run_case(rules, args.flows, args.seed)), flush=True)
    print(json.dumps(run_case(1000, args.flows, args.seed, routes=False)), flush=True)
    print(json.dumps(run_case(1000, args.flows, args.seed, internal=True)), flush=True)
    from decide_nacl import run_case as run_nacl_case  # every subnet on a 20-entry ACL

    print(json.dumps(run_nacl_case(1000, args.flows, args.seed)), flush=True)


if __name__ == "__main__":
    main()
