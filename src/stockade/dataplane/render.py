"""Ruleset → nftables objects: the whole table (atomic replace), and the pieces the delta
reuses (a group chain's rules, a port's chains, the fixed sets' elements).

Pure. The objects are :mod:`stockade.dataplane.nftables` types, which alone spell nft
text; the full table is one ``nft -f`` transaction: the kernel applies all of it or
none of it. Text is newline-separated with numeric protocols, ICMP values and addresses
(nft 1.0.6's parser quirks and inconsistent symbolic names: reference §3.9).

The fixed part of the table (base chains) is the same for every VPC:

- ``spoof`` (prerouting, before conntrack): an instance port may only send from its own
  addresses (``iifname . ip saddr`` in a set); everything else from a port is dropped;
- ``egress`` (forward, priority 0) dispatches on the input port, ``ingress`` (forward,
  priority 10) on the output port. ``accept`` ends only its own base chain, so a new
  connection between two instances needs both; ``drop`` is final. Established and related
  packets pass both (stateful); invalid ones are dropped — except ICMP, which conntrack
  calls invalid when it is not a query (an unsolicited echo reply, an error with no
  connection), where AWS still applies the rules: those go to the rules;
- a port or link the table does not know is dropped (fail closed), and so is what comes
  from the internet and would go straight back to it (a packet for a public address no
  interface holds any more must not loop between the router and the internet);
- ``nat_in`` / ``nat_out``: the internet gateway's 1:1 NAT between public and private IPv4;
  a private source without a public address never leaves through the gateway. NAT needs a
  connection, so the ICMP packets conntrack calls invalid are translated statelessly
  (``nat_*_untracked``: the ICMP checksum does not cover addresses), and so are untracked
  packets (the kernel fixes the TCP/UDP checksum, which does);
- the NAT gateways (``nat_out``): what a route to a NAT gateway carries (its kernel route
  has the gateway's *realm*, :mod:`stockade.dataplane.routing`) leaves the gateway link
  with that gateway's public IPv4 as source (``natgw``: realm → address; TCP and UDP
  source ports 1024–65535, as AWS's NAT gateway; ICMP queries by their identifier; any
  other protocol dropped, :mod:`stockade.policy.nat_translation`). The replies of a
  connection the internet made to a 1:1 public IPv4 are dropped when their route goes to
  a NAT gateway (AWS's gateway would translate them to its own address: the connection
  never forms, the engine's return route). A route change does not touch the table; only
  NAT gateways coming or going do (and a subnet's first or last route to one, which
  changes what may cross the edge untracked, :mod:`stockade.dataplane.untracked`);
- peering links (``peer_links``) are crossed like the gateway link: the sending side's
  egress rules and the receiving side's ingress rules decide; a VPC with an egress-only
  gateway and no internet gateway (``egress_only``: its IPv6 blocks) is sent IPv6 from
  the internet only as replies (such flows are always tracked);
- ``notrack`` (prerouting -300, before conntrack): the flows AWS would not track are not
  tracked (:mod:`stockade.dataplane.untracked`); their packets (``ct state untracked``) are
  neither established nor invalid, so they go to the rules in ``egress`` and ``ingress``;
- ``router``: nothing but neighbour discovery reaches the router itself.
- ``acl`` and ``acl_nat``: the network ACLs, stateless, before everything above decides
  (:mod:`stockade.dataplane.acl_render`).

Fail closed: every way the ``ingress`` chain accepts (the last filter a forwarded packet
crosses) also sets :data:`~stockade.dataplane.names.ACCEPT_MARK`, and a second table,
``stk_guard``, drops every forwarded packet without it. Should the VPC table vanish (an
``nft delete table`` behind the agent's back, a half-done restart), nothing is forwarded
until the agent puts it back — instead of everything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from stockade.dataplane import acl_render, untracked
from stockade.dataplane.names import ACCEPT_MARK, GUARD_TABLE, IGW_LINK, LOG_GROUP, TABLE
from stockade.dataplane.nftables import (
    Chain,
    CtTimeout,
    Element,
    Hook,
    Rule,
    Set,
    Table,
    TableBlock,
    Transaction,
)
from stockade.dataplane.ruleset import (
    Edges,
    GroupChain,
    Kind,
    Lookup,
    MemberSet,
    PortRules,
    RuleChain,
    Ruleset,
    Timeout,
    rule_chain_name,
)
from stockade.dataplane.ruleset import (
    Element as Piece,
)
from stockade.policy import Direction

#: The VPC router's table.
VPC_TABLE = Table("inet", TABLE)
#: Set by every accept of the last filter chain; the guard table forwards nothing else.
MARK = f"meta mark set {ACCEPT_MARK:#x}"
#: The source ports a NAT gateway translates TCP and UDP to (AWS's).
NAT_GATEWAY_PORTS = "1024-65535"
#: Bytes of each logged packet copied to the flow-log reader (IPv6 + TCP headers fit).
SNAPLEN = 128

_IGW = f'"{IGW_LINK}"'
#: The fixed chains (the same for every VPC), in the order they are declared.
BASE_CHAINS: tuple[tuple[Chain, tuple[str, ...]], ...] = (
    (
        Chain("spoof", Hook("filter", "prerouting", -310)),
        (
            "iifname . ip saddr @spoof_v4 accept",
            "iifname . ip6 saddr @spoof_v6 accept",
            "iifname @ports ip6 saddr fe80::/10 meta l4proto 58 accept",
            "iifname @ports counter drop",
        ),
    ),
    (
        Chain("nat_in", Hook("nat", "prerouting", -100)),
        (f"iifname {_IGW} dnat ip to ip daddr map @nat_dst",),
    ),
    (
        Chain("egress", Hook("filter", "forward", 0)),
        (
            # a reply routed to a NAT gateway leaves as the gateway's address: the
            # connection, made to a 1:1 public IPv4 from the internet, never forms
            f"oifname {_IGW} meta nfproto ipv4 ct direction reply meta rtclassid != 0 counter drop",
            "ct state established,related accept",
            "ct state invalid meta l4proto != { 1, 58 } counter drop",
            f"iifname {_IGW} ip6 daddr @egress_only counter drop",
            "iifname vmap @eg_dispatch",
            f"iifname {_IGW} oifname {_IGW} counter drop",
            f"iifname {_IGW} accept",
            "iifname @peer_links accept",
            "counter drop",
        ),
    ),
    (
        Chain("ingress", Hook("filter", "forward", 10)),
        (
            f"ct state established,related {MARK} accept",
            "ct state invalid meta l4proto != { 1, 58 } counter drop",
            "oifname vmap @in_dispatch",
            f"oifname {_IGW} {MARK} accept",
            f"oifname @peer_links {MARK} accept",
            "counter drop",
        ),
    ),
    (
        Chain("nat_out", Hook("nat", "postrouting", 100)),
        (
            f"oifname {_IGW} meta nfproto ipv4 meta rtclassid != 0 meta l4proto {{ 6, 17 }} "
            f"snat ip to meta rtclassid map @natgw:{NAT_GATEWAY_PORTS}",
            # a NAT gateway maps only TCP, UDP and ICMP queries (an ICMP packet that is
            # no query is conntrack's invalid, which never reaches this chain)
            f"oifname {_IGW} meta nfproto ipv4 meta rtclassid != 0 meta l4proto != 1 counter drop",
            f"oifname {_IGW} meta nfproto ipv4 meta rtclassid != 0 "
            "snat ip to meta rtclassid map @natgw",
            f"oifname {_IGW} snat ip to ip saddr map @nat_src",
            f"oifname {_IGW} meta nfproto ipv4 counter drop",
        ),
    ),
    (
        Chain("nat_in_untracked", Hook("filter", "prerouting", -150)),
        (
            f"iifname {_IGW} ct state invalid meta l4proto 1 ip daddr set ip daddr map @nat_dst",
            f"iifname {_IGW} ct state untracked ip daddr set ip daddr map @nat_dst",
        ),
    ),
    (
        Chain("nat_out_untracked", Hook("filter", "postrouting", 110)),
        (
            # (the seven spaces are the golden files' spelling, once a continued line)
            f"oifname {_IGW} ct state {{ invalid, untracked }} meta nfproto ipv4 "
            "      ip saddr set ip saddr map @nat_src accept",
            f"oifname {_IGW} ct state {{ invalid, untracked }} meta nfproto ipv4 counter drop",
        ),
    ),
    (
        Chain("router", Hook("filter", "input", 0, "drop")),
        (
            'iifname "lo" accept',
            "meta l4proto 58 icmpv6 type { 133, 135, 136 } accept",
        ),
    ),
)

_GUARD_BLOCK = TableBlock(
    Table("inet", GUARD_TABLE),
    (Chain("forward", Hook("filter", "forward", 100, "drop")),),
    {"forward": (f"meta mark {ACCEPT_MARK:#x} accept",)},
)
#: The guard: while the VPC table is missing, nothing is forwarded (fail closed).
GUARD = _GUARD_BLOCK.replacement()

#: The fixed sets and maps, filled per interface and NAT entry (:func:`fixed_elements`).
FIXED_SETS = (
    Set("ports", "ifname"),
    Set("spoof_v4", "ifname . ipv4_addr"),
    Set("spoof_v6", "ifname . ipv6_addr"),
    Set("eg_dispatch", "ifname", "verdict"),
    Set("in_dispatch", "ifname", "verdict"),
    Set("nat_dst", "ipv4_addr", "ipv4_addr"),
    Set("nat_src", "ipv4_addr", "ipv4_addr"),
    Set("natgw", "realm", "ipv4_addr"),
    Set("peer_links", "ifname"),
    Set("egress_only", "ipv6_addr", flags=("interval",)),
)


# -- pieces --------------------------------------------------------------------------------------


def address_range(family: int, lo: int, hi: int) -> str:
    """``10.0.0.0/8``, ``10.0.0.5`` or ``10.0.0.5-10.0.0.9`` (prefixes when aligned)."""
    cls = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    if lo == hi:
        return str(cls(lo))
    size = hi - lo + 1
    if size & (size - 1) == 0 and lo % size == 0:
        bits = 32 if family == 4 else 128
        return f"{cls(lo)}/{bits - size.bit_length() + 1}"
    return f"{cls(lo)}-{cls(hi)}"


def _service(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _key(lookup: Lookup, element: Piece) -> str:
    parts = [] if lookup.members else [address_range(lookup.family, element.a_lo, element.a_hi)]
    if lookup.kind is Kind.ALL:
        return parts[0] if parts else ""
    parts.append(str(element.proto))
    if lookup.kind in (Kind.PORT, Kind.ICMP):
        parts.append(_service(element.s_lo, element.s_hi))
    return " . ".join(parts)


def lookup_line(lookup: Lookup, direction: Direction) -> str:
    """One rule of a group chain: a guard and an anonymous verdict map."""
    ip = "ip" if lookup.family == 4 else "ip6"
    remote = f"{ip} {'saddr' if direction is Direction.INGRESS else 'daddr'}"
    guard = {
        Kind.ALL: "",
        Kind.PORT: "meta l4proto { 6, 17 } ",
        Kind.ICMP: "meta l4proto { 1, 58 } ",
        Kind.PROTO: "",
    }[lookup.kind]
    service = {
        Kind.ALL: "",
        Kind.PORT: "meta l4proto . th dport",
        Kind.ICMP: "meta l4proto . @th,0,16",
        Kind.PROTO: "meta l4proto",
    }[lookup.kind]
    if lookup.members:
        if lookup.kind is Kind.ALL:
            return f"{remote} @{lookup.members} goto {rule_chain_name(lookup.elements[0].rule_id)}"
        selector = f"{remote} @{lookup.members} {guard}{service}"
    else:
        selector = f"{guard}{remote}" + (f" . {service}" if service else "")
    items = ",\n      ".join(
        f"{_key(lookup, e)} : goto {rule_chain_name(e.rule_id)}" for e in lookup.elements
    )
    return f"{selector} vmap {{\n      {items}\n    }}"


def group_chain_body(chain: GroupChain) -> list[str]:
    return [lookup_line(lookup, chain.direction) for lookup in chain.lookups]


def port_chain_body(port: PortRules, direction: Direction, targets: Iterable[str]) -> list[str]:
    """Set the timeouts, jump to each group chain in ``targets``, reject the rest."""
    suffix = "in" if direction is Direction.INGRESS else "eg"
    lines = [
        f'meta l4proto 6 ct timeout set "{port.tcp_timeout.name}"',
        f'meta l4proto 17 ct timeout set "{port.udp_timeout.name}"',
    ]
    lines += [f"jump {name}" for name in targets]
    lines.append(f"goto reject_{suffix}")
    return lines


def rule_chain_body(rule: RuleChain) -> list[str]:
    tag = "in" if rule.direction is Direction.INGRESS else "eg"
    mark = f"{MARK} " if rule.direction is Direction.INGRESS else ""
    return [
        f"{untracked.LATER_PACKET} {mark}accept",
        f'counter log prefix "A {tag} {rule.rule_id}" group {LOG_GROUP} snaplen {SNAPLEN} '
        f"{mark}accept",
    ]


def _reject_body(tag: str) -> list[str]:
    return [f'counter log prefix "R {tag}" group {LOG_GROUP} snaplen {SNAPLEN} drop']


def timeout_object(timeout: Timeout) -> CtTimeout:
    return CtTimeout(timeout.name, timeout.protocol, timeout.policy)


def member_set(member: MemberSet) -> Set:
    return Set(member.name, "ipv4_addr" if member.family == 4 else "ipv6_addr")


def member_elements(name: str, addresses: Iterable[str]) -> set[Element]:
    return {Element(name, address) for address in addresses}


def rules(chain: str, body: Iterable[str]) -> list[Rule]:
    return [Rule(chain, text) for text in body]


def fixed_elements(
    ports: Iterable[PortRules], nat: Mapping[str, str], edges: Edges | None = None
) -> dict[str, set[Element]]:
    """The elements the given ports, NAT entries and edges put in the fixed sets, by set
    name."""
    out: dict[str, set[Element]] = {s.name: set() for s in FIXED_SETS}
    for port in ports:
        name = f'"{port.ifname}"'
        out["ports"].add(Element("ports", name))
        out["spoof_v4"].update(Element("spoof_v4", f"{name} . {a}") for a in port.ipv4)
        out["spoof_v6"].update(Element("spoof_v6", f"{name} . {a}") for a in port.ipv6)
        out["eg_dispatch"].add(Element("eg_dispatch", name, f"jump {port.egress_chain}"))
        out["in_dispatch"].add(Element("in_dispatch", name, f"jump {port.ingress_chain}"))
    out["nat_dst"] = {Element("nat_dst", pub, priv) for priv, pub in nat.items()}
    out["nat_src"] = {Element("nat_src", priv, pub) for priv, pub in nat.items()}
    if edges is not None:
        out["natgw"] = {Element("natgw", str(realm), pub) for realm, pub in edges.nat_gateways}
        out["peer_links"] = {Element("peer_links", f'"{name}"') for name in edges.peer_links}
        out["egress_only"] = {Element("egress_only", block) for block in edges.egress_only}
    return out


def port_chain(
    port: PortRules, direction: Direction, targets: Iterable[str]
) -> tuple[Chain, list[Rule]]:
    """A port's chain of one direction, jumping to the group chains ``targets``."""
    name = port_chain_name(port, direction)
    return Chain(name), rules(name, port_chain_body(port, direction, targets))


def port_chain_name(port: PortRules, direction: Direction) -> str:
    return port.ingress_chain if direction is Direction.INGRESS else port.egress_chain


# -- the whole table ---------------------------------------------------------------------------


def full_table(ruleset: Ruleset) -> tuple[TableBlock, Transaction]:
    """The table as one block, and the transaction filling its fixed sets after it."""
    declarations: list[CtTimeout | Set | Chain] = [
        timeout_object(t) for t in sorted(ruleset.timeouts.values(), key=lambda t: t.name)
    ]
    declarations += [*FIXED_SETS, *untracked.SETS, *acl_render.SETS]
    members: dict[str, frozenset[str]] = {}
    for member in sorted(ruleset.members.values(), key=lambda m: m.name):
        declarations.append(member_set(member))
        members[member.name] = member.addresses
    bodies: dict[str, list[str]] = {f"reject_{tag}": _reject_body(tag) for tag in ("eg", "in")}
    acl_chains, crossings = acl_render.table_parts(ruleset.acls)
    bodies.update(acl_chains)  # (before the chains that jump to them)
    bodies.update(crossings)
    bodies.update((name, rule_chain_body(ruleset.rules[name])) for name in sorted(ruleset.rules))
    bodies.update((name, group_chain_body(ruleset.groups[name])) for name in sorted(ruleset.groups))
    for ifname in sorted(ruleset.ports):
        port = ruleset.ports[ifname]
        for direction in (Direction.EGRESS, Direction.INGRESS):
            targets = ruleset.port_chain_targets(port, direction)
            bodies[port_chain_name(port, direction)] = port_chain_body(port, direction, targets)
    declarations += [Chain(name) for name in bodies]  # then the base chains, last
    fixed = [*BASE_CHAINS, (untracked.CHAIN, untracked.RULES), *acl_render.BASE_CHAINS]
    declarations += [chain for chain, _ in fixed]
    bodies.update((chain.name, list(body)) for chain, body in fixed)
    block = TableBlock(VPC_TABLE, tuple(declarations), bodies, members)
    fill = Transaction(VPC_TABLE)
    elements = {
        **fixed_elements(ruleset.ports.values(), ruleset.nat, ruleset.edges),
        **untracked.untracked_elements(ruleset.untracked.values()),
        **acl_render.elements(ruleset.acls),
    }
    for items in elements.values():
        fill.add(*items)  # (the command sorts them)
    return block, fill


def render_full(ruleset: Ruleset) -> str:
    """The table, replacing whatever is there in one transaction (add, delete, define)."""
    block, fill = full_table(ruleset)
    return GUARD + block.replacement() + fill.render()
