"""Random worlds the data plane can realise, and random probes over them.

Unlike the policy tests' worlds (which collide addresses on purpose to exercise the
engine's tie-breaking), these are worlds the service layer could have made: private
addresses unique in their VPC, IPv6 only where the VPC has a block, public addresses from
the pool and internet hosts outside it — so real namespaces can hold them. Rules, groups,
references and prefix lists are drawn as freely as the policy tests draw them.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field

from hypothesis import strategies as st
from policy.conftest import World

from stockade.domain.instance import InstanceState
from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    deny_all_entries,
)
from stockade.domain.network_acl import entry as acl_entry
from stockade.domain.peering import PeeringStatus
from stockade.domain.routing import LOCAL, Route, RouteTable, RouteTableAssociation
from stockade.domain.state import Snapshot
from stockade.policy import Flow

from .routed import add_nat_gateway

VPCS = [
    ("10.0.0.0/16", "2001:db8:0:1::/64"),
    ("10.1.0.0/16", "2001:db8:0:2::/64"),
    ("10.0.0.0/16", None),
]
PUBLIC = ["192.0.2.10", "192.0.2.11", "198.51.100.130", "203.0.113.140"]
HOSTS_V4 = ["203.0.113.10", "198.51.100.7"]
HOSTS_V6 = ["2001:db8:ff00::10", "2001:db8:ff00::7"]
#: the NAT gateways' Elastic IPs (one per VPC): outside the instances' pool and the hosts
NAT_PUBLIC = ["203.0.113.200", "192.0.2.200"]
V4_PEERS = [
    "0.0.0.0/0",
    "10.0.0.0/16",
    "10.0.0.0/24",
    "10.0.0.5/32",
    "10.1.0.0/16",
    "203.0.113.0/24",
    "203.0.113.10/32",
    "198.51.100.0/24",
    "192.0.2.0/24",
]
V6_PEERS = [
    "::/0",
    "2001:db8::/32",
    "2001:db8:0:1::/64",
    "2001:db8:0:1::5/128",
    "2001:db8:ff00::/48",
]
PORTS = [22, 80, 123, 443, 8080]
#: ICMP (type, code) probes: queries conntrack tracks, and "errors" it calls invalid.
ICMP4 = [(8, 0), (13, 0), (0, 0), (3, 4), (11, 0)]
ICMP6 = [(128, 0), (129, 0), (1, 4), (2, 0)]
OTHER = 253  # an experimental protocol number: conntrack tracks it generically
PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "-1", str(OTHER)]


@st.composite
def rule_args(draw, groups: list[str], lists: list[str]):
    protocol = draw(st.sampled_from(PROTOCOLS))
    if protocol in ("tcp", "udp"):
        a, b = sorted(draw(st.lists(st.sampled_from(PORTS + [0, 65535]), min_size=2, max_size=2)))
        ports = (a, b) if draw(st.booleans()) else (a, a)
    elif protocol in ("icmp", "icmpv6"):
        pool = ICMP4 if protocol == "icmp" else ICMP6
        icmp_type, code = draw(st.sampled_from(pool + [(-1, -1)]))
        ports = (icmp_type, code if draw(st.booleans()) else -1) if icmp_type >= 0 else (-1, -1)
    else:
        ports = (None, None)
    wide = ["0.0.0.0/0", "::/0"]  # drawn more often, so that many probes are allowed
    peer = draw(st.sampled_from(V4_PEERS + V6_PEERS + groups * 2 + lists + wide * 2))
    return draw(st.sampled_from(["in", "in", "out"])), protocol, ports[0], ports[1], peer


#: Routes to ranges no probe uses, with targets that do not exist: blackholes that must not
#: disturb anything else.
NOISE = [("198.18.0.0/15", "igw-00000000000000dead"), ("100.64.0.0/10", "pcx-00000000000000dead")]


@dataclass
class RoutedWorld(World):
    """The policy tests' builder, with real route tables and network ACLs."""

    tables: list = field(default_factory=list)
    acls: list = field(default_factory=list)
    #: VPC id -> (its NAT gateway, the private subnet that routes the internet to it)
    nat_of: dict = field(default_factory=dict)

    def snapshot(self) -> Snapshot:
        return dataclasses.replace(
            super().snapshot(), route_tables=tuple(self.tables), network_acls=tuple(self.acls)
        )


#: Port ranges an ACL entry may have (per action): never a part of the ephemeral range
#: (32768–60999) — a real client's port is random, so a verdict on part of it is a coin toss.
ACL_PORTS = dict.fromkeys(
    ("allow", "deny"),
    [(p, p) for p in PORTS] + [(0, 65535), (1024, 65535), (32768, 60999), (0, 1023)],
)
#: With NAT gateways, a reply past a gateway comes back to one of its ports (1024–65535):
#: AWS's gateway may pick any (the engine asks that all be allowed), Linux's source NAT
#: keeps the client's ephemeral port (always free here: every probe has its own). So an
#: entry may split the gateway's ports only where that one port decides as the whole
#: range does: an *allow* that misses the ephemeral range (it admits the client's port
#: only through a later entry that admits them all) or a *deny* that holds all of it (it
#: refuses the client's port as it refuses the range).
NAT_ACL_PORTS = {
    "allow": [(p, p) for p in PORTS]
    + [(0, 65535), (1024, 65535), (0, 1023), (1024, 32767), (61000, 65535)],
    "deny": [(p, p) for p in PORTS if p < 1024]
    + [(0, 65535), (1024, 65535), (0, 1023), (32768, 60999), (32768, 65535), (1024, 60999)],
}
ACL_ICMP4 = [(-1, -1), (8, -1), (0, -1), (3, 4), (13, -1), (14, 0), (11, 0)]
ACL_ICMP6 = [(-1, -1), (128, -1), (129, 0), (1, 4)]


@st.composite
def acl_entries(draw, blocks: list[str], egress: bool, port_ranges: dict = ACL_PORTS):
    """A few entries of one direction: allow or deny, on the probes' services, ports and
    addresses; the ephemeral range whole or not at all (``port_ranges``: those to draw,
    per action)."""
    entries = []
    numbers = draw(st.lists(st.integers(1, 40), min_size=0, max_size=5, unique=True))
    for number in sorted(numbers):
        v6 = draw(st.integers(0, 3)) == 0
        pool = (V6_PEERS if v6 else V4_PEERS) + [b for b in blocks if (":" in b) == v6]
        cidr = draw(st.sampled_from(pool))
        protocol = draw(st.sampled_from(["-1", "-1", "6", "6", "17", "1", "58", str(OTHER)]))
        ports = icmp = None
        action = draw(st.sampled_from(["allow", "allow", "deny"]))
        if protocol in ("6", "17"):
            ports = draw(st.sampled_from(port_ranges[action]))
        elif protocol == "1" or (protocol == "58" and v6):
            icmp = draw(st.sampled_from(ACL_ICMP6 if protocol == "58" else ACL_ICMP4))
        entries.append(
            acl_entry(
                number * 10,
                egress,
                action,
                protocol,
                None if v6 else cidr,
                cidr if v6 else None,
                ports,
                icmp,
            )
        )
    if draw(st.integers(0, 3)) > 0:  # then allow the rest (mostly), as most real ACLs do
        for cidr in ("0.0.0.0/0", "::/0"):
            action = draw(st.sampled_from(["allow", "allow", "allow", "deny"]))
            v6 = ":" in cidr
            entries.append(
                acl_entry(
                    1000 + v6, egress, action, "-1", None if v6 else cidr, cidr if v6 else None
                )
            )
    return entries


@st.composite
def network_acls(draw, w: RoutedWorld) -> None:
    """Each subnet keeps its VPC's (implied) default ACL, or gets a custom one — alone or
    shared with the next subnet — of drawn entries in both directions (with NAT gateways,
    entries that split a gateway's ports only as ``NAT_ACL_PORTS`` says)."""
    subnets = list(w.subnets)
    shared: dict[str, NetworkAcl] = {}
    nat_subnets = {n.subnet_id for n in w.nat_gateways}
    for k, subnet in enumerate(subnets):
        # a NAT gateway's subnet mostly keeps the default: its flows cross 3 boundaries
        # both ways, and some should get through
        default = draw(st.integers(0, 3) if subnet.subnet_id in nat_subnets else st.booleans())
        if subnet.subnet_id in shared or default:
            continue
        blocks = [subnet.cidr_block] + ([subnet.ipv6_cidr_block] if subnet.ipv6_cidr_block else [])
        ranges = NAT_ACL_PORTS if w.nat_of else ACL_PORTS
        entries = draw(acl_entries(blocks, False, ranges)) + draw(acl_entries(blocks, True, ranges))
        members = [subnet.subnet_id]
        if k + 1 < len(subnets) and subnets[k + 1].vpc_id == subnet.vpc_id and draw(st.booleans()):
            members.append(subnets[k + 1].subnet_id)
        vpc = next(v for v in w.vpcs if v.vpc_id == subnet.vpc_id)
        acl = NetworkAcl(
            w.new_id("acl"),
            vpc.vpc_id,
            vpc.owner_id,
            vpc.region,
            entries=(*entries, *deny_all_entries(vpc.ipv6_cidr_block is not None)),
            associations=tuple(NetworkAclAssociation(w.new_id("aclassoc"), s) for s in members),
        )
        w.acls.append(acl)
        shared.update(dict.fromkeys(members, acl))


def _split_subnets(w: RoutedWorld) -> dict[str, tuple[str, str]]:
    """Two subnets per VPC instead of its VPC-wide one: the lower /25 (with the VPC's IPv6
    block) and the upper /25 (IPv4 only); by VPC id, (lower, upper)."""
    out = {}
    for vpc in w.vpcs:
        w.subnets = [s for s in w.subnets if s.vpc_id != vpc.vpc_id]
        base = vpc.cidr_block.replace(".0.0/16", ".0.")
        lower = w.subnet(vpc.vpc_id, f"{base}0/25", vpc.ipv6_cidr_block)
        upper = w.subnet(vpc.vpc_id, f"{base}128/25")
        out[vpc.vpc_id] = (lower, upper)
    return out


@st.composite
def route_tables(draw, w: RoutedWorld) -> None:
    """Each VPC's routing: no tables (the implied main table), a real main table, or a
    custom table associated with the subnet beside a main table without the default
    routes; the default routes to the gateway each kept or not (a private subnet: public
    IPs unreachable both ways, nothing out), a default route to a gateway that is not
    attached (a blackhole), and blackhole noise on ranges no probe uses. A VPC with a NAT
    gateway (``RoutedWorld.nat_of``) has its public subnet on the main table and its
    private subnet on a table routing ``0.0.0.0/0`` to the gateway (mostly)."""
    pcx = None
    if len(w.vpcs) == 2 and w.vpcs[0].cidr_block != w.vpcs[1].cidr_block and draw(st.booleans()):
        status = draw(
            st.sampled_from([PeeringStatus.ACTIVE] * 3 + [PeeringStatus.PENDING_ACCEPTANCE])
        )
        pcx = w.peering(w.vpcs[0].vpc_id, w.vpcs[1].vpc_id, status)
    for vpc in w.vpcs:
        nat = w.nat_of.get(vpc.vpc_id)
        style = "nat" if nat else draw(st.sampled_from(["implied", "main", "custom"]))
        if style == "implied" and pcx is None:
            continue
        style = "main" if style == "implied" else style
        local = [Route(vpc.cidr_block, LOCAL)]
        if vpc.ipv6_cidr_block:
            local.append(Route(vpc.ipv6_cidr_block, LOCAL))
        defaults = []
        gateway = next((g for g in w.gateways if g.vpc_id == vpc.vpc_id), None)
        keep = st.sampled_from([True, True, False])  # mostly public: more flows allowed
        if gateway is not None:
            if draw(keep):
                defaults.append(Route("0.0.0.0/0", gateway.igw_id))
            if vpc.ipv6_cidr_block and draw(keep):
                defaults.append(Route("::/0", gateway.igw_id))
        elif draw(st.integers(0, 3)) == 0:  # a route to a gateway that is not attached
            defaults.append(Route("0.0.0.0/0", "igw-0000000000000beef"))
        noise = [Route(d, t) for d, t in NOISE if draw(st.booleans())]
        if pcx is not None:  # the peer's blocks over the peering, each side maybe not
            peer = next(v for v in w.vpcs if v.vpc_id != vpc.vpc_id)
            if draw(keep):
                defaults.append(Route(peer.cidr_block, pcx))
            if vpc.ipv6_cidr_block and peer.ipv6_cidr_block and draw(keep):
                defaults.append(Route(peer.ipv6_cidr_block, pcx))
        main = RouteTableAssociation(w.new_id("rtbassoc"), main=True)
        if nat is not None:  # the private subnet: the internet through the NAT gateway
            nat_id, private = nat
            inner = [r for r in defaults if r.destination != "0.0.0.0/0"]
            if draw(keep):
                inner.append(Route("0.0.0.0/0", nat_id))
            explicit = RouteTableAssociation(w.new_id("rtbassoc"), subnet_id=private)
            w.tables.append(_table(w, vpc, (*local, *defaults, *noise), (main,)))
            w.tables.append(_table(w, vpc, (*local, *inner, *noise), (explicit,)))
            continue
        if style == "main":
            w.tables.append(_table(w, vpc, (*local, *defaults, *noise), (main,)))
            continue
        subnet = w._subnet_of[vpc.vpc_id]
        explicit = RouteTableAssociation(w.new_id("rtbassoc"), subnet_id=subnet)
        w.tables.append(_table(w, vpc, (*local, *noise), (main,)))
        w.tables.append(_table(w, vpc, (*local, *defaults), (explicit,)))


def _table(w: RoutedWorld, vpc, routes, associations) -> RouteTable:
    return RouteTable(
        w.new_id("rtb"), vpc.vpc_id, vpc.owner_id, vpc.region, tuple(routes), associations
    )


def _nat_gateway(w: RoutedWorld, subnet_id: str, public_ip: str) -> str:
    """An available public NAT gateway with an Elastic IP, at host 100 of its subnet."""
    subnet = next(s for s in w.subnets if s.subnet_id == subnet_id)
    private_ip = str(ipaddress.ip_network(subnet.cidr_block)[100])
    return add_nat_gateway(w, subnet_id, private_ip, public_ip)


@st.composite
def worlds(draw, max_instances: int = 4, acls: bool = False, nats: bool = False) -> World:
    """A random world; with ``acls`` each VPC has two subnets and each subnet maybe a
    custom network ACL; with ``nats`` too, a VPC with an internet gateway maybe has a NAT
    gateway (an Elastic IP) in its lower subnet, and its upper subnet routes the internet
    to it (``route_tables``): a private subnet, whose instances go out as the gateway."""
    w = RoutedWorld()
    specs = draw(st.lists(st.sampled_from(range(len(VPCS))), min_size=1, max_size=2, unique=True))
    vpcs = []
    for i in specs:
        cidr, v6 = VPCS[i]
        vpcs.append((w.vpc(cidr, v6, igw=draw(st.booleans()) or len(specs) == 1), cidr, v6))
    lists = [
        w.prefix_list(
            draw(st.lists(st.sampled_from(V4_PEERS), min_size=1, max_size=3, unique=True))
        )
        for _ in range(draw(st.integers(0, 1)))
    ]
    groups = [
        w.group(draw(st.sampled_from(vpcs))[0], f"g{i}", egress_all=draw(st.integers(0, 3)) > 0)
        for i in range(draw(st.integers(1, 3)))
    ]
    for group_id in groups:
        for _ in range(draw(st.integers(1, 6))):
            w.rule(group_id, *draw(rule_args(groups, lists)))
        if acls and draw(st.booleans()):  # groups open both ways: the ACLs decide alone
            for peer in ("0.0.0.0/0", "::/0"):
                w.rule(group_id, "in", "-1", None, None, peer)
                w.rule(group_id, "out", "-1", None, None, peer)
    halves = _split_subnets(w) if acls else {}
    if nats:
        for k, (vpc_id, _, _) in enumerate(vpcs):
            if vpc_id in halves and w.igw_of(vpc_id) and draw(st.booleans()):
                lower, upper = halves[vpc_id]
                w.nat_of[vpc_id] = (_nat_gateway(w, lower, NAT_PUBLIC[k]), upper)
    publics = list(PUBLIC)
    # Host numbers are unique across VPCs, so an address names one instance even when two
    # VPCs share a CIDR (the engine then knows which one a flow means).
    for n in range(5, 5 + draw(st.integers(2, max_instances))):
        vpc_id, cidr, v6 = draw(st.sampled_from(vpcs))
        private = cidr.replace("0.0/16", f"0.{n}")
        if vpc_id in halves:  # the lower subnet, or the upper one (no IPv6 there)
            upper = draw(st.booleans())
            w._subnet_of[vpc_id] = halves[vpc_id][upper]
            if upper:
                private, v6 = cidr.replace("0.0/16", f"0.{128 + n}"), None
        ipv6 = [v6.replace("::/64", f"::{n}")] if v6 and draw(st.booleans()) else []
        public = publics.pop(0) if publics and draw(st.booleans()) else None
        mine = draw(st.lists(st.sampled_from(groups), min_size=1, max_size=2, unique=True))
        state = InstanceState.STOPPED if draw(st.integers(0, 6)) == 0 else InstanceState.RUNNING
        w.instance(vpc_id, mine, private, public, ipv6, state)
    draw(route_tables(w))
    if acls:
        draw(network_acls(w))
    return w


@dataclass(frozen=True)
class Target:
    """A probe's end: an instance (by its namespace's interface) or an internet host."""

    address: str
    instance_id: str | None = None


def endpoints(snapshot, family: int) -> list[Target]:
    out: list[Target] = []
    for eni in snapshot.interfaces:
        if family == 4:
            out.append(Target(eni.private_ip, eni.instance_id))
            if eni.public_ip:
                out.append(Target(eni.public_ip, eni.instance_id))
        else:
            out.extend(Target(a, eni.instance_id) for a in eni.ipv6_addresses)
    out.extend(Target(h) for h in (HOSTS_V4 if family == 4 else HOSTS_V6))
    return out


@st.composite
def probes(draw, snapshot) -> tuple[Target, Target, Flow]:
    """A (source, destination, flow): the source is an instance or a host, never both ends
    hosts, never an instance to itself."""
    has_v6 = any(e.ipv6_addresses for e in snapshot.interfaces)
    family = draw(st.sampled_from([4, 4, 6] if has_v6 else [4]))
    pool = endpoints(snapshot, family)
    src = draw(st.sampled_from(pool))
    if src.instance_id is not None and family == 4:
        eni = next(e for e in snapshot.interfaces if e.instance_id == src.instance_id)
        src = Target(eni.private_ip, src.instance_id)  # an instance sends from its own
    others = [
        t for t in pool if t.instance_id != src.instance_id and (t.instance_id or src.instance_id)
    ]
    if not others:  # a host and no instance address of this family: send to a host
        src = draw(st.sampled_from([t for t in pool if t.instance_id]))
        others = [t for t in pool if not t.instance_id]
    dst = draw(st.sampled_from(others))
    protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "icmp", "other"]))
    if protocol == "icmp":
        protocol = "icmp" if family == 4 else "icmpv6"
        icmp_type, code = draw(st.sampled_from(ICMP4 if family == 4 else ICMP6))
        flow = Flow(src.address, dst.address, protocol, icmp_type=icmp_type, icmp_code=code)
    elif protocol == "other":
        flow = Flow(src.address, dst.address, str(OTHER))
    else:
        flow = Flow(src.address, dst.address, protocol, port=draw(st.sampled_from(PORTS)))
    return src, dst, flow


@st.composite
def changed_worlds(draw):
    """A random world's snapshot before and after a change: some rules dropped, up to four
    added, maybe an interface moved to another group, and maybe (with network ACLs) some
    of an ACL's entries dropped."""
    w = draw(worlds(acls=draw(st.booleans())))
    before = w.snapshot()
    if w.acls and draw(st.booleans()):
        k = draw(st.integers(0, len(w.acls) - 1))
        entries = w.acls[k].entries
        keep = draw(st.lists(st.booleans(), min_size=len(entries), max_size=len(entries)))
        kept = tuple(e for e, y in zip(entries, keep, strict=True) if y or e.is_default_deny)
        w.acls[k] = dataclasses.replace(w.acls[k], entries=kept)
    groups = [g.group_id for g in before.groups]
    keep = draw(st.lists(st.booleans(), min_size=len(w.rules), max_size=len(w.rules)))
    w.rules = [r for r, k in zip(w.rules, keep, strict=True) if k]
    for _ in range(draw(st.integers(0, 4))):
        w.rule(draw(st.sampled_from(groups)), *draw(rule_args(groups, [])))
    after = w.snapshot()
    if draw(st.booleans()):  # and move an interface to other groups
        eni = after.interfaces[0]
        moved = dataclasses.replace(eni, group_ids=(draw(st.sampled_from(groups)),))
        after = dataclasses.replace(after, interfaces=(moved, *after.interfaces[1:]))
    return before, after
