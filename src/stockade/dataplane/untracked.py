"""Untracked flows in the data plane: what AWS does not track is not tracked here either.

Pure. AWS leaves a TCP/UDP flow untracked at an interface when its groups allow it from (or
to) all addresses and allow all addresses on all ports the other way
(:func:`stockade.policy.stateful.untracked_ports`, the one definition). Untracked packets
are judged by the rules one by one, so removing the rule cuts the flow at its next packet,
while a tracked flow keeps going on its conntrack entry.

The router decides before conntrack (a raw-priority ``notrack`` chain at -300, after
``spoof`` at -310) with constant cost: set lookups keyed by address, protocol and port.
A packet is not tracked when, read as a request (destination port) or as a reply (source
port), every instance interface the router sees it cross leaves it untracked:

- from an instance port (its source address is its own: ``spoof`` ran first) to another
  instance's private address: the sender's *egress* and the receiver's *ingress* services
  (request), or the sender's *ingress* and the receiver's *egress* services (reply);
- from an instance port to any other address: the sender's services alone. That includes
  a public IPv4 of this VPC's own instances: the packet leaves by the sender's route (the
  gateway, or a NAT gateway, which needs the connection) and comes back in through the
  gateway, where the receiver decides alone (the NAT hairpin);
- from the internet gateway: the receiver's alone (looked up under its public IPv4 too,
  since the raw chain runs before the gateway's translation);
- from a peering link: the receiver's alone (the sender's router decided for the sender).

Both readings are tested on every packet, so a flow's request and its replies always get
the same answer: conntrack never sees half a flow. The price of deciding without state: a
flow AWS tracks is left untracked here when its *source* port happens to be one whose
reverse flow would be untracked (e.g. an instance allowing inbound tcp/1024-65535 from
0.0.0.0/0 with the default outbound rule: its own outbound connections, from ephemeral
ports, read as replies of untracked inbound ones). Such a flow still passes by the rules
both ways; only removing its rule cuts it, where AWS would let it go on.

One conntrack table serves both ends of a flow inside a VPC, so such a flow is left
untracked only when it is untracked at *both* interfaces: were it untracked at one end
only, the tracked end would have to judge the replies by its rules, which AWS does not do.
(The price: in that mixed case, removing the rule of the untracked end does not cut the
flow, where AWS would cut it.) Through the gateway each router sees one interface, which
decides alone, as in AWS. ICMP and other protocols are always tracked.

Untracked IPv4 packets through the gateway get the same stateless 1:1 translation as the
ICMP packets conntrack calls invalid (``nat_*_untracked`` in :mod:`render`). IPv4 to
or from outside the VPC is untracked only for an interface with a public IPv4 (``nt_edge_4``):
one without can only be reached through a NAT gateway (or a peering), and a NAT gateway
tracks every connection (many-to-one translation needs it). Nor for one whose subnet sends
*some* prefixes to a NAT gateway: this chain runs before the route is chosen, so it cannot
tell those flows from the ones that go by the internet gateway, and tracks them all
(:attr:`~stockade.dataplane.plan.VpcPlan.untracked_at_edge`). The price: such a flow over
a peering or the internet gateway is tracked where AWS might not track it (removing its
rule does not cut it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from stockade.dataplane.names import IGW_LINK
from stockade.dataplane.nftables import Chain, Element, Hook, Set
from stockade.dataplane.ruleset import GroupChain, PortRules, PortUntracked, UntrackedService
from stockade.policy import Direction, EffectiveEntry
from stockade.policy.flow import PORTED
from stockade.policy.stateful import EVERYWHERE, untracked_ports

_NUMBER = {"tcp": 6, "udp": 17}


def wide_entries(entries: Iterable[EffectiveEntry]) -> tuple[EffectiveEntry, ...]:
    """The entries that can make a flow untracked: TCP, UDP or all traffic, all addresses."""
    everywhere = set(EVERYWHERE.values())
    return tuple(e for e in entries if e.cidr in everywhere and e.protocol in ("-1", *PORTED))


def untracked_services(
    chains: Sequence[tuple[GroupChain, GroupChain]],
) -> tuple[tuple[UntrackedService, ...], tuple[UntrackedService, ...]]:
    """(egress, ingress) untracked services of an interface carrying these groups' chains
    (each pair: ingress, egress, as :func:`~stockade.dataplane.compile.compile_group` gives).
    """
    ingress = [e for pair in chains for e in pair[0].wide]
    egress = [e for pair in chains for e in pair[1].wide]

    def services(forward, reverse) -> tuple[UntrackedService, ...]:
        return tuple(
            UntrackedService(family, _NUMBER[protocol], lo, hi)
            for family in (4, 6)
            for protocol in PORTED
            for lo, hi in untracked_ports(forward, reverse, family, protocol)
        )

    return services(egress, ingress), services(ingress, egress)


def untracked_by_port(
    ports: Mapping[str, PortRules],
    chains: Mapping[str, tuple[GroupChain, GroupChain]],
    at_edge: Mapping[str, str],
    cache: dict[str, tuple] | None = None,
) -> dict[str, PortUntracked]:
    """Each interface's untracked services, by interface name; ``at_edge`` is the 1:1
    translations whose flows may cross the VPC's edge untracked
    (:attr:`~stockade.dataplane.plan.VpcPlan.untracked_at_edge`).

    ``cache`` (kept by the caller between batches, like the port cache) returns the very
    same object for an interface whose port, public address and groups' chains are the
    same objects as last time: the delta then skips it at the cost of an identity check.
    """
    cache = cache if cache is not None else {}
    by_groups: dict[tuple[str, ...], tuple] = {}  # interfaces sharing groups share services
    out: dict[str, PortUntracked] = {}
    for ifname, port in ports.items():
        pairs = tuple(chains[g] for g in port.group_ids)
        public = at_edge.get(port.ipv4[0])
        hit = cache.get(ifname)
        if (
            hit is not None
            and hit[0] is port
            and hit[1] == public
            and len(hit[2]) == len(pairs)
            and all(a is b for a, b in zip(hit[2], pairs, strict=True))
        ):
            out[ifname] = hit[3]
            continue
        if port.group_ids not in by_groups:
            by_groups[port.group_ids] = untracked_services(pairs)
        out[ifname] = port_untracked(port, public, by_groups[port.group_ids])
        cache[ifname] = (port, public, pairs, out[ifname])
    return out


def port_untracked(
    port: PortRules,
    public_ip: str | None,
    services: tuple[tuple[UntrackedService, ...], tuple[UntrackedService, ...]],
) -> PortUntracked:
    private = tuple(_canonical(a) for a in (*port.ipv4, *port.ipv6) if a)
    reached = private + ((_canonical(public_ip),) if public_ip else ())
    edge = (_canonical(port.ipv4[0]),) if public_ip else ()
    return PortUntracked(private, reached, *services, edge=edge)


@lru_cache(maxsize=65536)
def _canonical(address: str) -> str:
    """Canonical text (the agent assembles every port on each batch: parse once)."""
    return str(ipaddress.ip_address(address))


# -- nft objects ----------------------------------------------------------------------------------

#: The sets the ``notrack`` chain looks packets up in (:func:`untracked_elements`).
SETS = (
    tuple(
        Set(f"nt_{name}_{family}", f"{addr} . inet_proto . inet_service", flags=("interval",))
        for family, addr in ((4, "ipv4_addr"), (6, "ipv6_addr"))
        for name in ("eg", "in")
    )
    + tuple(
        Set(f"nt_hosts_{family}", addr) for family, addr in ((4, "ipv4_addr"), (6, "ipv6_addr"))
    )
    + (Set("nt_edge_4", "ipv4_addr"),)
)


def _chain_rules() -> list[str]:
    lines = [
        "meta l4proto != { 6, 17 } accept",
        # An egress-only gateway tracks its flows (it admits only replies): IPv6 between
        # such a VPC (``egress_only``: its blocks) and the internet is always tracked.
        "ip6 saddr @egress_only ip6 daddr != @nt_hosts_6 accept",
        f'iifname "{IGW_LINK}" ip6 daddr @egress_only accept',
    ]
    for ip, family in (("ip", 4), ("ip6", 6)):
        # (here, there, port field): the request reading, then the reply reading
        for here, there, port in (("eg", "in", "dport"), ("in", "eg", "sport")):
            mine = f"iifname @ports {ip} saddr . meta l4proto . th {port} @nt_{here}_{family}"
            theirs = f"{ip} daddr . meta l4proto . th {port} @nt_{there}_{family}"
            # IPv4 crosses the VPC's edge untracked only to or from an address the gateway
            # translates 1:1 and no route of whose subnet goes to a NAT gateway: a NAT
            # gateway (many to one) needs the connection.
            outward = "ip saddr @nt_edge_4 " if family == 4 else ""
            inward = "ip daddr @nt_edge_4 " if family == 4 else ""
            # Both ends decide only inside the VPC (to an instance's private address): a
            # packet to a public IPv4, even one of this VPC's, leaves by the sender's route
            # and comes back in through the gateway, each crossing judged on its own.
            inside = f"{ip} daddr @nt_hosts_{family}"
            lines += [
                f"{mine} {inside} {theirs} notrack",
                f"{mine} {outward}{ip} daddr != @nt_hosts_{family} notrack",
                f'iifname "{IGW_LINK}" {theirs} notrack',
                f"iifname @peer_links {inward}{theirs} notrack",
            ]
    return lines


CHAIN = Chain("skip_conntrack", Hook("filter", "prerouting", -300))
RULES = tuple(_chain_rules())


#: Start of the first line of every rule chain (which then accepts). Every packet of an
#: untracked flow reaches the rules, but flow logs and hit counters count connections
#: (their first packet): a TCP packet that is not a bare SYN is accepted without a record.
#: (UDP has no first packet to tell: each untracked datagram is logged.)
LATER_PACKET = "ct state untracked tcp flags & (syn | ack) != syn"


def _service(s: UntrackedService) -> str:
    return f"{s.proto} . {s.lo}" if s.lo == s.hi else f"{s.proto} . {s.lo}-{s.hi}"


def untracked_elements(ports: Iterable[PortUntracked]) -> dict[str, set[Element]]:
    """The elements the given interfaces put in the ``notrack`` sets, by set name."""
    out: dict[str, set[Element]] = {s.name: set() for s in SETS}
    for port in ports:
        out["nt_edge_4"].update(Element("nt_edge_4", address) for address in port.edge)
        for address in port.private:
            name = f"nt_hosts_{_family(address)}"
            out[name].add(Element(name, address))
        for direction, tag in ((Direction.EGRESS, "eg"), (Direction.INGRESS, "in")):
            for address in port.addresses:
                name = f"nt_{tag}_{_family(address)}"
                out[name].update(
                    Element(name, f"{address} . {_service(s)}")
                    for s in port.services(direction)
                    if s.family == _family(address)
                )
    return out


def _family(address: str) -> int:
    return 6 if ":" in address else 4
