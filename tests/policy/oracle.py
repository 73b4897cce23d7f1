"""An independent, brute-force oracle for ``decide``, written from the rules, not the code.

It works on the raw snapshot (groups' rules, prefix lists, member interfaces) with
``ipaddress`` objects, never touching stockade.policy's effective policies, tables or
matchers. The security-group semantics are AWS's (aws-security-groups.md §2.2-2.3):

- an interface allows a packet in a direction if ANY rule of ANY of its groups does;
- protocol -1 matches all; else equal protocol; TCP/UDP: destination port in [from, to];
  ICMP/ICMPv6: type == from unless from == -1, code == to unless to == -1;
- peer: a CIDR containing the remote address (same family), a prefix list's entry, or a
  private address (IPv4 or IPv6) of an interface carrying the referenced group;
- "all traffic" (-1 flows): every protocol, port and ICMP type/code must be allowed —
  checked here by brute force over every protocol and the critical points of every range.

The topology rules are the ones stockade documents for its model (policy/path.py's and
policy/topology.py's docstrings, after vpc-routing-acl-peering.md §1.5-1.6, §3.3, §6.1):
the local route inside a VPC (from another subnet, unless a more specific route takes the
flow elsewhere: then it leaves by that route); anything leaving a VPC follows the source
subnet's route table (explicit association, else the main table, else — no tables at all
— local routes
plus default routes to the attached internet gateway), longest prefix first; internet
gateways need public addresses and a route back; NAT gateways translate to their public
IPv4 (TCP, UDP and ICMP queries only) and need their own subnet to route to an internet
gateway; peerings carry only
addresses inside the peer VPC and need the route back over the same peering.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stockade.domain import protocols

PRIVATE_V4 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
SHARED_V4 = ipaddress.ip_network("100.64.0.0/10")
DOCS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]


@dataclass
class Expected:
    allowed: bool
    reasons: set[str]
    egress: set[str] | None  # rule ids allowing on the source side (None: not checked)
    ingress: set[str] | None


def internet_address(address) -> bool:
    """Public per stockade's convention: documentation ranges count as the internet."""
    if any(address in d for d in DOCS):
        return True
    return not address.is_private


# --- security-group semantics -------------------------------------------------------------


def peer_contains(snapshot, rule, remote) -> bool:
    peer = rule.spec.peer
    if peer.kind in ("cidr-ipv4", "cidr-ipv6"):
        network = ipaddress.ip_network(peer.value)
        return network.version == remote.version and remote in network
    if peer.kind == "prefix-list":
        plist = next((p for p in snapshot.prefix_lists if p.prefix_list_id == peer.value), None)
        if plist is None:
            return False
        nets = [ipaddress.ip_network(e.cidr) for e in plist.entries]
        return any(n.version == remote.version and remote in n for n in nets)
    if not reference_reaches(snapshot, rule):
        return False
    members = [e for e in snapshot.interfaces if peer.value in e.group_ids]
    return any(
        remote == ipaddress.ip_address(a)
        for e in members
        for a in (e.private_ip, *e.ipv6_addresses)
    )


def reference_reaches(snapshot, rule) -> bool:
    """A reference to a group of another VPC counts only over an active peering joining
    the two VPCs (else it is stale); a group not in the snapshot is judged by members."""
    target = next((g for g in snapshot.groups if g.group_id == rule.spec.peer.value), None)
    owner = next((g for g in snapshot.groups if g.group_id == rule.group_id), None)
    if target is None or owner is None or target.vpc_id == owner.vpc_id:
        return True
    return any(
        p.status == "active"
        and {p.requester.vpc_id, p.accepter.vpc_id} == {owner.vpc_id, target.vpc_id}
        for p in snapshot.peerings
    )


def service_allows(spec, protocol: str, port, icmp_type, icmp_code) -> bool:
    if spec.protocol == "-1":
        return True
    if spec.protocol != protocol:
        return False
    if protocol in ("tcp", "udp"):
        return spec.from_port <= port <= spec.to_port
    if protocol in ("icmp", "icmpv6"):
        return (spec.from_port in (-1, icmp_type)) and (spec.to_port in (-1, icmp_code))
    return True


def side(snapshot, eni, egress: bool, flow, remote) -> set[str]:
    """Ids of the rules allowing ``flow`` on this side (empty: blocked)."""
    groups = set(eni.group_ids)
    rules = [r for r in snapshot.rules if r.group_id in groups and r.spec.is_egress == egress]
    near = [r for r in rules if peer_contains(snapshot, r, remote)]
    if flow.protocol != "-1":
        return {
            r.rule_id
            for r in near
            if service_allows(r.spec, flow.protocol, flow.port, flow.icmp_type, flow.icmp_code)
        }
    every = {r.rule_id for r in near if r.spec.protocol == "-1"}
    if every:
        return every
    return {r.rule_id for r in near} if all_traffic_allowed(near) else set()


def all_traffic_allowed(rules) -> bool:
    for number in range(256):
        name = protocols.canonical_protocol(str(number))
        mine = [r.spec for r in rules if r.spec.protocol == name]
        if name in ("tcp", "udp"):
            points = {0, 65535}
            for s in mine:
                points |= {s.from_port, s.to_port, s.from_port - 1, s.to_port + 1}
            if not all(
                any(service_allows(s, name, p, 0, 0) for s in mine)
                for p in points
                if 0 <= p <= 65535
            ):
                return False
        elif name in ("icmp", "icmpv6"):
            values = {0, 255}
            for s in mine:
                values |= {s.from_port, s.to_port, s.from_port + 1, s.to_port + 1}
            values = {v for v in values if 0 <= v <= 255}
            if not all(
                any(service_allows(s, name, None, t, c) for s in mine)
                for t in values
                for c in values
            ):
                return False
        elif not mine:
            return False
    return True


# --- topology -----------------------------------------------------------------------------


def owner(snapshot, address):
    """(interface, "public"|"private") holding an address: public IPs first, then private
    addresses, lowest interface id first."""
    enis = sorted(snapshot.interfaces, key=lambda e: e.eni_id)
    for e in enis:
        if e.public_ip and ipaddress.ip_address(e.public_ip) == address:
            return e, "public"
    for e in enis:
        if any(ipaddress.ip_address(a) == address for a in (e.private_ip, *e.ipv6_addresses)):
            return e, "private"
    return None, "external"


def oracle(snapshot, flow) -> Expected:
    family = flow.family
    reasons: set[str] = set()
    ends = []
    for role, text in (("SOURCE", flow.source), ("DESTINATION", flow.destination)):
        ends.append(_locate(snapshot, text, role, reasons))
    (e1, s, k1), (e2, d, k2) = ends
    for role, eni in (("SOURCE", e1), ("DESTINATION", e2)):
        if eni in (None, "missing"):
            continue
        instance = next((i for i in snapshot.instances if i.instance_id == eni.instance_id), None)
        if eni.instance_id is None:
            reasons.add(f"{role}_NOT_ATTACHED")
        elif instance is None or instance.state != "running":
            reasons.add(f"{role}_NOT_RUNNING")
    if e1 == "missing" or e2 == "missing":
        return Expected(False, reasons, None, None)
    if k1 == "id":
        s, k1 = _by_id(e1, family, prefer_public=e2 is None, role="SOURCE", reasons=reasons)
    if k2 == "id":
        d, k2 = _by_id(e2, family, prefer_public=e1 is None, role="DESTINATION", reasons=reasons)
    if s is None or d is None:
        return Expected(False, reasons, None, None)
    egress = ingress = None
    if e1 is None and e2 is None:
        reasons.add("NO_INTERFACE")
    elif (
        e1 is not None
        and e2 is not None
        and e1.instance_id
        and e1.instance_id == e2.instance_id
        and k2 == "private"
    ):
        pass  # same instance: never leaves it
    elif e1 is None:
        if not (k2 == "public" if family == 4 else internet_address(d)):
            reasons.add("DESTINATION_NOT_PUBLIC")
        _inbound(snapshot, e2, s, reasons)
        if family == 4 and any(s in n for n in PRIVATE_V4):
            reasons.add("SOURCE_RFC1918")
        if family == 4 and s in SHARED_V4:
            reasons.add("SOURCE_RFC6598")
        if _in_vpc(snapshot, e2.vpc_id, s):
            reasons.add("SPOOFED_SOURCE")
        ingress = side(snapshot, e2, False, flow, s)
    elif e2 is None:
        if _in_vpc(snapshot, e1.vpc_id, d):
            reasons.add("UNKNOWN_IN_VPC")
        else:
            _leave(snapshot, e1, s, d, None, reasons, flow)
        egress = side(snapshot, e1, True, flow, d)
    else:
        out = route_out(snapshot, e1.subnet_id, d)
        peered = e1.vpc_id != e2.vpc_id and k2 == "private" and out and out[0].startswith("pcx-")
        internet = (family == 4 and k2 == "public") or (
            family == 6 and e1.vpc_id != e2.vpc_id and internet_address(d)
        )
        if peered:
            target = out[0]
            peering = _peering(snapshot, target)
            if not _usable(snapshot, target, e1.vpc_id):
                reasons.add("BLACKHOLE_ROUTE")
            peer = _peer_vpc(peering, e1.vpc_id)
            if peer is not None and not _in_vpc(snapshot, peer, d):
                reasons.add("PCX_TRANSIT")
            if peer is not None and _in_vpc(snapshot, peer, d) and peer != e2.vpc_id:
                reasons.add("UNKNOWN_IN_VPC")
            seen_as = ipaddress.ip_address(e1.private_ip) if family == 4 else s
            back = route_out(snapshot, e2.subnet_id, seen_as)
            if back is None or back[0] != target:
                reasons.add("NO_RETURN_ROUTE")
        elif internet:
            seen_as = _leave(snapshot, e1, s, d, e2, reasons, flow)
            _inbound(snapshot, e2, seen_as, reasons)
        elif (
            e1.vpc_id == e2.vpc_id
            and e1.subnet_id != e2.subnet_id
            and (out is None or out[0] != "local")
        ):
            # a route more specific than the local one (a middlebox route) takes it
            seen_as = _leave(snapshot, e1, s, d, e2, reasons, flow)
        else:
            if e1.vpc_id != e2.vpc_id:
                reasons.add("DIFFERENT_VPC")
            seen_as = ipaddress.ip_address(e1.private_ip) if family == 4 else s
        egress = side(snapshot, e1, True, flow, d)
        ingress = side(snapshot, e2, False, flow, seen_as)
    if egress is not None and not egress:
        reasons.add("EGRESS_DENIED")
    if ingress is not None and not ingress:
        reasons.add("INGRESS_DENIED")
    return Expected(not reasons, reasons, egress, ingress)


# --- routes -------------------------------------------------------------------------------


def table_of(snapshot, subnet_id):
    """(vpc id, routes as (destination, target, propagated)) of the subnet's table."""
    subnet = next((x for x in snapshot.subnets if x.subnet_id == subnet_id), None)
    if subnet is None:
        return None, []
    tables = [t for t in snapshot.route_tables if t.vpc_id == subnet.vpc_id]
    table = next((t for t in tables if subnet_id in t.subnet_ids), None)
    table = table or next((t for t in tables if any(a.main for a in t.associations)), None)
    if table is not None:
        return subnet.vpc_id, [
            (r.destination, r.target, r.origin == "EnableVgwRoutePropagation") for r in table.routes
        ]
    vpc = next(v for v in snapshot.vpcs if v.vpc_id == subnet.vpc_id)
    routes = [(vpc.cidr_block, "local", False)]
    if vpc.ipv6_cidr_block:
        routes.append((vpc.ipv6_cidr_block, "local", False))
    igw = next((g for g in snapshot.internet_gateways if g.vpc_id == vpc.vpc_id), None)
    if igw is not None:
        routes.append(("0.0.0.0/0", igw.igw_id, False))
        if vpc.ipv6_cidr_block:
            routes.append(("::/0", igw.igw_id, False))
    return vpc.vpc_id, routes


def route_out(snapshot, subnet_id, address):
    """(target, active) of the route a packet from the subnet to ``address`` takes, or None."""
    vpc_id, routes = table_of(snapshot, subnet_id)
    best = None
    for destination, target, propagated in routes:
        if destination.startswith("pl-"):
            plist = next(p for p in snapshot.prefix_lists if p.prefix_list_id == destination)
            nets = [ipaddress.ip_network(e.cidr) for e in plist.entries]
        else:
            nets = [ipaddress.ip_network(destination)]
        for net in nets:
            if net.version == address.version and address in net:
                rank = (net.prefixlen, not destination.startswith("pl-"), not propagated)
                if best is None or rank > best[0]:
                    best = (rank, target)
    if best is None:
        return None
    target = best[1]
    return target, target == "local" or _usable(snapshot, target, vpc_id)


def _usable(snapshot, target, vpc_id) -> bool:
    if target.startswith("igw-"):
        return any(g.igw_id == target and g.vpc_id == vpc_id for g in snapshot.internet_gateways)
    if target.startswith("nat-"):
        return any(
            n.nat_gateway_id == target and n.vpc_id == vpc_id and n.state == "available"
            for n in snapshot.nat_gateways
        )
    if target.startswith("eigw-"):
        return any(
            g.egress_only_internet_gateway_id == target and g.vpc_id == vpc_id
            for g in snapshot.egress_only_internet_gateways
        )
    if target.startswith("pcx-"):
        p = _peering(snapshot, target)
        return p is not None and p.status == "active" and _peer_vpc(p, vpc_id) is not None
    if target.startswith("eni-"):
        return any(e.eni_id == target and e.vpc_id == vpc_id for e in snapshot.interfaces)
    if target.startswith("i-"):
        return any(i.instance_id == target for i in snapshot.instances)
    return True


def _peering(snapshot, target):
    return next((p for p in snapshot.peerings if p.vpc_peering_connection_id == target), None)


def _peer_vpc(peering, vpc_id):
    if peering is None:
        return None
    if peering.requester.vpc_id == vpc_id:
        return peering.accepter.vpc_id
    if peering.accepter.vpc_id == vpc_id:
        return peering.requester.vpc_id
    return None


def _leave(snapshot, e1, s, d, e2, reasons, flow):
    """The source subnet's route out of the VPC; returns the source the far side sees."""
    family = d.version
    public = ipaddress.ip_address(e1.public_ip) if family == 4 and e1.public_ip else None
    private = ipaddress.ip_address(e1.private_ip) if family == 4 else s
    out = route_out(snapshot, e1.subnet_id, d)
    if out is None:
        reasons.add("NO_ROUTE")
        return public or private
    target, active = out
    if target == "local":
        reasons.add("UNKNOWN_IN_VPC")
        return public or private
    if not active:
        reasons.add("BLACKHOLE_ROUTE")
    rfc = family == 4 and any(d in n for n in PRIVATE_V4)
    shared = family == 4 and d in SHARED_V4
    if target.startswith("igw-"):
        if rfc:
            reasons.add("DESTINATION_RFC1918")
        if shared:
            reasons.add("DESTINATION_RFC6598")
        if not (public if family == 4 else internet_address(s)):
            reasons.add("SOURCE_NOT_PUBLIC")
        return public or private if family == 4 else s
    if target.startswith("nat-") and family == 4:
        nat = next((n for n in snapshot.nat_gateways if n.nat_gateway_id == target), None)
        if rfc:
            reasons.add("DESTINATION_RFC1918")
        if shared:
            reasons.add("DESTINATION_RFC6598")
        if nat is None:
            return private
        queries = (8, 13, 15, 17)  # echo, timestamp, information, address mask requests
        if not (
            flow.protocol in ("tcp", "udp")
            or (flow.protocol == "icmp" and flow.icmp_type in queries)
        ):
            reasons.add("NAT_PROTOCOL")  # a NAT gateway maps only TCP, UDP and ICMP queries
        if not nat.public_ip:
            reasons.add("NAT_NOT_PUBLIC")
        onward = route_out(snapshot, nat.subnet_id, d)
        if onward is None or not onward[0].startswith("igw-") or not onward[1]:
            reasons.add("NAT_NO_ROUTE")
        return ipaddress.ip_address(nat.public_ip or nat.private_ip)
    if target.startswith("eigw-") and family == 6:
        return s
    if target.startswith("pcx-"):
        peer = _peer_vpc(_peering(snapshot, target), e1.vpc_id)
        if peer is not None and not _in_vpc(snapshot, peer, d):
            reasons.add("PCX_TRANSIT")
        if peer is not None and _in_vpc(snapshot, peer, d) and (e2 is None or e2.vpc_id != peer):
            reasons.add("UNKNOWN_IN_VPC")
        return private
    reasons.add("ROUTE_NOT_MODELLED")
    return public or private


def _inbound(snapshot, e2, seen_as, reasons) -> None:
    """From the internet into e2's VPC: an attached gateway, and the reply routed to it."""
    if not any(g.vpc_id == e2.vpc_id for g in snapshot.internet_gateways):
        reasons.add("DESTINATION_VPC_NO_IGW")
        return
    back = route_out(snapshot, e2.subnet_id, seen_as)
    if back is None or not back[0].startswith("igw-"):
        reasons.add("NO_RETURN_ROUTE")
    elif not back[1]:
        reasons.add("RETURN_ROUTE_BLACKHOLE")


def _locate(snapshot, text, role, reasons):
    """(interface | None | "missing", address | None, kind)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is not None:
        eni, kind = owner(snapshot, address)
        return eni, address, kind
    if text.startswith("eni-"):
        eni = next((e for e in snapshot.interfaces if e.eni_id == text), None)
        if eni is None:
            reasons.add(f"{role}_NOT_FOUND")
            return "missing", None, "missing"
        return eni, None, "id"
    instance = next((i for i in snapshot.instances if i.instance_id == text), None)
    if instance is None:
        reasons.add(f"{role}_NOT_FOUND")
        return "missing", None, "missing"
    eni = next((e for e in snapshot.interfaces if e.eni_id == instance.primary_eni_id), None)
    if eni is None:
        reasons.add(
            f"{role}_NOT_RUNNING" if instance.state != "running" else f"{role}_NOT_ATTACHED"
        )
        return "missing", None, "missing"
    return eni, None, "id"


def _by_id(eni, family, prefer_public, role, reasons):
    if family == 4:
        if prefer_public and role == "DESTINATION" and eni.public_ip:
            return ipaddress.ip_address(eni.public_ip), "public"
        return ipaddress.ip_address(eni.private_ip), "private"
    found = [ipaddress.ip_address(a) for a in eni.ipv6_addresses]
    if not found:
        reasons.add(f"{role}_NO_ADDRESS")
        return None, None
    public = [a for a in found if internet_address(a)]
    return (public[0] if prefer_public and public else found[0]), "private"


def _in_vpc(snapshot, vpc_id, address) -> bool:
    vpc = next((v for v in snapshot.vpcs if v.vpc_id == vpc_id), None)
    if vpc is not None:
        cidrs = [vpc.cidr_block if address.version == 4 else vpc.ipv6_cidr_block]
    else:
        sides = [
            x for p in snapshot.peerings for x in (p.requester, p.accepter) if x.vpc_id == vpc_id
        ]
        cidrs = [(x.cidr_blocks if address.version == 4 else x.ipv6_cidr_blocks) for x in sides]
        cidrs = [c[0] for c in cidrs[:1] if c]
    return any(c is not None and address in ipaddress.ip_network(c) for c in cidrs)
