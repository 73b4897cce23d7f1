"""Hypothesis strategies: random small worlds (VPCs, groups, rules, prefix lists, interfaces,
instances) and random flows over them.

Address pools are deliberately tiny so rules, references and flows collide often: the
interesting cases (a reference matching a member, a /32 inside a /24, overlapping VPCs,
a public IP addressed from inside) come up in most examples.
"""

from __future__ import annotations

from hypothesis import strategies as st

from stockade.domain.instance import InstanceState
from stockade.domain.peering import PeeringStatus
from stockade.domain.routing import NatGatewayState
from stockade.policy.flow import Flow

from .conftest import World

V4_PEERS = [
    "0.0.0.0/0",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "10.0.1.5/32",
    "10.1.0.0/16",
    "203.0.113.0/24",
    "203.0.113.10/32",
    "198.51.100.0/24",
    "100.64.0.0/10",
    "192.0.2.0/25",
    "8.0.0.0/7",
    "198.51.100.20/32",
]
V6_PEERS = [
    "::/0",
    "2001:db8::/32",
    "2001:db8:0:1::/64",
    "2001:db8:0:1::5/128",
    "fd00::/8",
    "2001:db8:ffff::/48",
]
VPC_CIDRS = ["10.0.0.0/16", "10.1.0.0/16"]
PRIVATE = {
    "10.0.0.0/16": ["10.0.1.5", "10.0.1.6", "10.0.2.7"],
    "10.1.0.0/16": ["10.1.1.5", "10.1.2.6"],
}
V6_ADDRESSES = ["2001:db8:0:1::5", "2001:db8:0:1::6", "fd00::5", "2001:db8:ffff::9"]
PUBLIC = ["198.51.100.20", "198.51.100.21", "203.0.113.10", "192.0.2.50"]
EXTERNAL_V4 = [
    "203.0.113.10",
    "203.0.113.99",
    "198.51.100.7",
    "8.8.8.8",
    "10.0.1.99",
    "10.9.9.9",
    "100.64.1.1",
    "192.0.2.1",
    "172.16.0.1",
]
EXTERNAL_V6 = ["2001:db8::1", "2001:db8:0:1::99", "fd00::99", "2001:db8:ffff::1"]
PORTS = [0, 22, 53, 80, 123, 443, 1024, 65535]
PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "-1", "47", "132"]
STALE_GROUP = "sg-0000000000000dead"
ROUTE_DESTINATIONS = [
    "0.0.0.0/0",
    "::/0",
    "10.0.0.0/16",
    "10.1.0.0/16",
    "10.0.1.0/24",
    "203.0.113.0/24",
    "198.51.100.0/25",
    "8.0.0.0/7",
    "2001:db8::/32",
    "2001:db8:0:1::/64",
]
#: targets no resource of the snapshot holds: a deleted peering, an unmodelled gateway
GHOST_TARGETS = ["pcx-0000000000000dead", "vgw-00000000000000001", "eni-0000000000000dead"]


@st.composite
def rules_for(draw, group_ids, list_ids, refs: bool = False):
    """One rule's arguments for World.rule (direction, protocol, from, to, peer);
    ``refs`` makes group references and prefix lists the usual peers."""
    protocol = draw(st.sampled_from(PROTOCOLS))
    if protocol in ("tcp", "udp"):
        a, b = sorted(draw(st.lists(st.sampled_from(PORTS), min_size=2, max_size=2)))
        ports = (a, b) if draw(st.booleans()) else (a, a)
    elif protocol in ("icmp", "icmpv6"):
        icmp_type = draw(st.sampled_from([-1, 0, 3, 8, 128]))
        ports = (-1, -1) if icmp_type == -1 else (icmp_type, draw(st.sampled_from([-1, 0, 4])))
    else:
        ports = (None, None)
    peers = V4_PEERS + V6_PEERS + list(group_ids) + list(list_ids) + [STALE_GROUP]
    if refs and draw(st.integers(0, 3)):
        peers = list(group_ids) + list(list_ids)
    peer = draw(st.sampled_from(peers))
    return draw(st.sampled_from(["in", "out"])), protocol, ports[0], ports[1], peer


@st.composite
def worlds(
    draw,
    max_interfaces: int = 5,
    simple: bool = False,
    refs: bool = False,
    routes: bool = False,
    acls: bool = False,
):
    """A random World (not yet frozen).

    ``simple``: one VPC with an internet gateway and only running instances, so nearly
    every flow reaches the security groups (the matching semantics get the examples).
    ``routes``: further subnets, NAT and egress-only gateways, peerings (active or not)
    and random route tables (main or not, explicit associations, every kind of target,
    blackholes included); without it every VPC has its implied main table.
    ``acls``: random network ACLs (allow and deny entries of every kind, both families)
    on random subnets; without it every subnet has the implied allow-all default.
    """
    w = World()
    vpcs = []
    for n in range(1 if simple else draw(st.integers(1, 3))):
        # with routes, the first two VPCs do not overlap (so that they can peer)
        cidr = VPC_CIDRS[n % 2] if routes else draw(st.sampled_from(VPC_CIDRS))
        v6 = draw(st.sampled_from([None, "2001:db8:0:1::/64", "2001:db8::/32"]))
        vpcs.append((w.vpc(cidr, v6, igw=simple or draw(st.booleans())), cidr))
    if routes:
        draw(network(w, vpcs))
    lists = []
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            pool = V4_PEERS + [f"{a}/32" for a in PRIVATE["10.0.0.0/16"]]
            lists.append(
                w.prefix_list(draw(st.lists(st.sampled_from(pool), max_size=3, unique=True)))
            )
        else:
            lists.append(
                w.prefix_list(
                    draw(st.lists(st.sampled_from(V6_PEERS), max_size=3, unique=True)),
                    family="IPv6",
                )
            )
    groups = [
        w.group(draw(st.sampled_from(vpcs))[0], f"g{i}", egress_all=draw(st.booleans()))
        for i in range(draw(st.integers(1, 4)))
    ]
    for group_id in groups:
        for _ in range(draw(st.integers(0, 5))):
            w.rule(group_id, *draw(rules_for(groups, lists, refs)))
    publics = list(PUBLIC)
    for _ in range(draw(st.integers(2 if refs else 1, max_interfaces))):
        vpc_id, cidr = draw(st.sampled_from(vpcs))
        mine = draw(st.lists(st.sampled_from(groups), min_size=1, max_size=3, unique=True))
        private = draw(st.sampled_from(PRIVATE[cidr]))
        public = (
            publics.pop(draw(st.integers(0, len(publics) - 1)))
            if (publics and draw(st.booleans()))
            else None
        )
        ipv6 = draw(st.lists(st.sampled_from(V6_ADDRESSES), max_size=2, unique=True))
        how = (
            "running"
            if simple
            else draw(st.sampled_from(["running", "running", "stopped", "secondary", "unattached"]))
        )
        if routes:
            choices = [x.subnet_id for x in w.subnets if x.vpc_id == vpc_id]
            w._subnet_of[vpc_id] = draw(st.sampled_from(choices))
        instances = [i.instance_id for i in w.instances if i.vpc_id == vpc_id]
        if how == "secondary" and instances:
            instance_id = draw(st.sampled_from(instances))
            w.interface(vpc_id, mine, private, public, ipv6, instance_id, 1)
        elif how == "unattached":
            w.interface(vpc_id, mine, private, public, ipv6)
        else:
            state = InstanceState.STOPPED if how == "stopped" else InstanceState.RUNNING
            w.instance(vpc_id, mine, private, public, ipv6, state)
    if routes:
        draw(route_tables(w, lists))
    if acls:
        draw(network_acls(w))
    return w


ACL_CIDRS = [
    "0.0.0.0/0",
    "0.0.0.0/0",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "203.0.113.0/24",
    "198.51.100.0/24",
    "::/0",
    "::/0",
    "2001:db8::/32",
    "2001:db8:0:1::/64",
]
ACL_PORTS = [(22, 22), (80, 80), (0, 1023), (1024, 65535), (32768, 60999), (40000, 40010)]


@st.composite
def acl_entries(draw):
    """Up to 8 random numbered entries, allow and deny, every protocol kind."""
    out = []
    numbers = draw(st.lists(st.integers(1, 200), max_size=8, unique=True))
    for number in numbers:
        protocol = draw(st.sampled_from(["-1", "-1", "tcp", "tcp", "udp", "icmp", "icmpv6", "47"]))
        ports = draw(st.sampled_from(ACL_PORTS)) if protocol in ("tcp", "udp") else None
        icmp = (
            draw(st.sampled_from([(-1, -1), (8, -1), (0, -1), (3, 4), (128, -1), (129, 0)]))
            if protocol in ("icmp", "icmpv6")
            else None
        )
        direction = draw(st.sampled_from(["in", "out"]))
        action = draw(st.sampled_from(["allow", "allow", "deny"]))
        out.append(
            (number, direction, action, protocol, draw(st.sampled_from(ACL_CIDRS)), ports, icmp)
        )
    return out


@st.composite
def network_acls(draw, w):
    """A custom ACL on some subnets of each VPC (the rest keep the implied default)."""
    for vpc in list(w.vpcs):
        subnets = [x.subnet_id for x in w.subnets if x.vpc_id == vpc.vpc_id]
        for _ in range(draw(st.integers(0, 2))):
            mine = draw(st.lists(st.sampled_from(subnets), unique=True))
            taken = {s for a in w.network_acls for s in a.subnet_ids}
            w.acl(vpc.vpc_id, [s for s in mine if s not in taken], draw(acl_entries()))


@st.composite
def network(draw, w, vpcs):
    """Further subnets, NAT and egress-only gateways and peerings for ``vpcs``."""
    for vpc_id, cidr in vpcs:
        if draw(st.booleans()):
            w.subnet(vpc_id, cidr)
    for _ in range(draw(st.integers(0, 2))):
        subnet = draw(st.sampled_from(w.subnets))
        public_ip = draw(st.sampled_from(["203.0.113.200", "192.0.2.200", None]))
        state = draw(st.sampled_from([NatGatewayState.AVAILABLE] * 3 + [NatGatewayState.FAILED]))
        w.nat(subnet.subnet_id, public_ip, state)
    for _ in range(draw(st.integers(0, 1))):
        w.egress_only_gateway(draw(st.sampled_from([v for v, _ in vpcs] + [None])))
    if len(vpcs) > 1:
        for _ in range(draw(st.integers(0, 2))):
            a, b = draw(st.lists(st.sampled_from([v for v, _ in vpcs]), min_size=2, max_size=2))
            status = draw(
                st.sampled_from([PeeringStatus.ACTIVE] * 3 + [PeeringStatus.PENDING_ACCEPTANCE])
            )
            w.peering(a, b, status)


@st.composite
def route_tables(draw, w, lists):
    """Random tables over the world's VPCs (some VPCs keep their implied main table)."""
    targets = (
        [g.igw_id for g in w.gateways]
        + [n.nat_gateway_id for n in w.nat_gateways]
        + [g.egress_only_internet_gateway_id for g in w.egress_only]
        + [p.vpc_peering_connection_id for p in w.peerings]
        + [e.eni_id for e in w.interfaces[:1]]
        + GHOST_TARGETS
    )
    for vpc in list(w.vpcs):
        subnets = [x.subnet_id for x in w.subnets if x.vpc_id == vpc.vpc_id]
        for main in (True, False):
            if not draw(st.booleans()):
                continue
            mine = [g for g in targets if g != "local"]
            own_igw = w.igw_of(vpc.vpc_id)
            if own_igw:
                mine += [own_igw] * 3  # the usual route, more often
            rows = draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(ROUTE_DESTINATIONS + list(lists)), st.sampled_from(mine)
                    ),
                    max_size=3,
                )
            )
            # the usual shapes, often: the default route to a NAT gateway or the internet
            # gateway, the peer's block over each peering of the VPC
            defaults = [n.nat_gateway_id for n in w.nat_gateways if n.vpc_id == vpc.vpc_id]
            defaults += [own_igw] if own_igw else []
            if defaults and draw(st.booleans()):
                rows.insert(0, ("0.0.0.0/0", draw(st.sampled_from(defaults))))
            for peering in w.peerings:
                peer = peering.peer_of(vpc.vpc_id)
                if peer is not None and peer.cidr_blocks and draw(st.integers(0, 3)):
                    rows.insert(0, (peer.cidr_blocks[0], peering.vpc_peering_connection_id))
            rows = list({destination: (destination, t) for destination, t in rows}.values())
            explicit = [] if main else draw(st.lists(st.sampled_from(subnets), unique=True))
            w.route_table(vpc.vpc_id, rows, explicit, main=main, local=draw(st.booleans()) or main)


def addresses_of(snapshot, family: int) -> list[str]:
    """Every interface address of a family in the snapshot (private, public, IPv6)."""
    out = []
    for eni in snapshot.interfaces:
        if family == 4:
            out.append(eni.private_ip)
            if eni.public_ip:
                out.append(eni.public_ip)
        else:
            out.extend(eni.ipv6_addresses)
    return out


@st.composite
def flows(
    draw, snapshot, ids_allowed: bool = True, all_traffic: bool = True, internal: bool = False
):
    """A random flow over the snapshot's endpoints (and a few unknown ones);
    ``internal``: between interface addresses only."""
    family = draw(st.sampled_from([4, 4, 6]))
    pool = addresses_of(snapshot, family)
    if not internal or not pool:
        pool = pool + (EXTERNAL_V4 if family == 4 else EXTERNAL_V6)
    if ids_allowed:
        pool += [i.instance_id for i in snapshot.instances]
        pool += [e.eni_id for e in snapshot.interfaces]
        pool += ["i-00000000000000fff", "eni-00000000000000fff"]
    src = draw(st.sampled_from(pool))
    others = [a for a in pool if a != src] if internal else pool
    dst = draw(st.sampled_from(others or pool))
    mine = addresses_of(snapshot, family)
    if not ids_allowed and mine and src not in mine and dst not in mine:
        dst = draw(st.sampled_from(mine))  # mostly flows that reach a security group
    protocols = PROTOCOLS if all_traffic else [p for p in PROTOCOLS if p != "-1"]
    protocol = draw(st.sampled_from(protocols + ["tcp", "tcp", "udp", "icmp"]))
    given = {f for f in (_family(src), _family(dst)) if f}
    return Flow(
        src,
        dst,
        protocol,
        port=draw(st.sampled_from(PORTS)),
        icmp_type=draw(st.sampled_from([0, 3, 8, 128])),
        icmp_code=draw(st.sampled_from([0, 4])),
        address_family=None if given else family,
    )


def _family(end: str) -> int | None:
    if end.startswith(("i-", "eni-")):
        return None
    return 6 if ":" in end else 4
