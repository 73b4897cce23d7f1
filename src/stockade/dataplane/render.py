"""Ruleset → nft text: the whole table (atomic replace) or the commands between two rulesets.

Pure. Both outputs are single ``nft -f`` transactions: the kernel applies all of it or
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
  (``nat_*_untracked``: the ICMP checksum does not cover addresses);
- ``router``: nothing but neighbour discovery reaches the router itself.

Fail closed: every way the ``ingress`` chain accepts (the last filter a forwarded packet
crosses) also sets :data:`~stockade.dataplane.names.ACCEPT_MARK`, and a second table,
``stk_guard``, drops every forwarded packet without it. Should the VPC table vanish (an
``nft delete table`` behind the agent's back, a half-done restart), nothing is forwarded
until the agent puts it back — instead of everything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from stockade.dataplane.names import ACCEPT_MARK, GUARD_TABLE, IGW_LINK, LOG_GROUP, TABLE
from stockade.dataplane.ruleset import (
    Element,
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
from stockade.policy import Direction

T = f"inet {TABLE}"
#: Set by every accept of the last filter chain; the guard table forwards nothing else.
MARK = f"meta mark set {ACCEPT_MARK:#x}"
#: Bytes of each logged packet copied to the flow-log reader (IPv6 + TCP headers fit).
SNAPLEN = 128

_BASE_CHAINS = f"""\
  chain spoof {{
    type filter hook prerouting priority -310; policy accept;
    iifname . ip saddr @spoof_v4 accept
    iifname . ip6 saddr @spoof_v6 accept
    iifname @ports ip6 saddr fe80::/10 meta l4proto 58 accept
    iifname @ports counter drop
  }}
  chain nat_in {{
    type nat hook prerouting priority -100; policy accept;
    iifname "{IGW_LINK}" dnat ip to ip daddr map @nat_dst
  }}
  chain egress {{
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
    ct state invalid meta l4proto != {{ 1, 58 }} counter drop
    iifname vmap @eg_dispatch
    iifname "{IGW_LINK}" oifname "{IGW_LINK}" counter drop
    iifname "{IGW_LINK}" accept
    counter drop
  }}
  chain ingress {{
    type filter hook forward priority 10; policy accept;
    ct state established,related {MARK} accept
    ct state invalid meta l4proto != {{ 1, 58 }} counter drop
    oifname vmap @in_dispatch
    oifname "{IGW_LINK}" {MARK} accept
    counter drop
  }}
  chain nat_out {{
    type nat hook postrouting priority 100; policy accept;
    oifname "{IGW_LINK}" snat ip to ip saddr map @nat_src
    oifname "{IGW_LINK}" meta nfproto ipv4 counter drop
  }}
  chain nat_in_untracked {{
    type filter hook prerouting priority -150; policy accept;
    iifname "{IGW_LINK}" ct state invalid meta l4proto 1 ip daddr set ip daddr map @nat_dst
  }}
  chain nat_out_untracked {{
    type filter hook postrouting priority 110; policy accept;
    oifname "{IGW_LINK}" ct state invalid meta nfproto ipv4 ip saddr set ip saddr map @nat_src \
      accept
    oifname "{IGW_LINK}" ct state invalid meta nfproto ipv4 counter drop
  }}
  chain router {{
    type filter hook input priority 0; policy drop;
    iifname "lo" accept
    meta l4proto 58 icmpv6 type {{ 133, 135, 136 }} accept
  }}
"""

#: The guard: while the VPC table is missing, nothing is forwarded (fail closed).
GUARD = f"""\
add table inet {GUARD_TABLE}
delete table inet {GUARD_TABLE}
table inet {GUARD_TABLE} {{
  chain forward {{
    type filter hook forward priority 100; policy drop;
    meta mark {ACCEPT_MARK:#x} accept
  }}
}}
"""

_FIXED_SETS = """\
  set ports {
    type ifname
  }
  set spoof_v4 {
    type ifname . ipv4_addr
  }
  set spoof_v6 {
    type ifname . ipv6_addr
  }
  map eg_dispatch {
    type ifname : verdict
  }
  map in_dispatch {
    type ifname : verdict
  }
  map nat_dst {
    type ipv4_addr : ipv4_addr
  }
  map nat_src {
    type ipv4_addr : ipv4_addr
  }
"""


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


def _key(lookup: Lookup, element: Element) -> str:
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
        f'counter log prefix "A {tag} {rule.rule_id}" group {LOG_GROUP} snaplen {SNAPLEN} '
        f"{mark}accept"
    ]


def _reject_body(tag: str) -> list[str]:
    return [f'counter log prefix "R {tag}" group {LOG_GROUP} snaplen {SNAPLEN} drop']


def timeout_body(timeout: Timeout) -> str:
    policy = ", ".join(f"{state}: {seconds}" for state, seconds in timeout.policy)
    return f"protocol {timeout.protocol}; l3proto inet; policy = {{ {policy} }};"


def set_type(member: MemberSet) -> str:
    return "ipv4_addr" if member.family == 4 else "ipv6_addr"


def _elements(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))


def spoof_elements(port: PortRules) -> tuple[list[str], list[str]]:
    v4 = [f'"{port.ifname}" . {a}' for a in port.ipv4]
    v6 = [f'"{port.ifname}" . {a}' for a in port.ipv6]
    return v4, v6


def dispatch_elements(port: PortRules) -> tuple[str, str]:
    return (f'"{port.ifname}" : jump {port.egress_chain}',
            f'"{port.ifname}" : jump {port.ingress_chain}')


# -- the whole table ---------------------------------------------------------------------------


def _chain_block(name: str, body: list[str]) -> str:
    inner = "".join(f"    {line}\n" for line in body)
    return f"  chain {name} {{\n{inner}  }}\n"


def render_full(ruleset: Ruleset) -> str:
    """The table, replacing whatever is there in one transaction (add, delete, define)."""
    out = [GUARD, f"add table {T}\n", f"delete table {T}\n", f"table {T} {{\n"]
    for timeout in sorted(ruleset.timeouts.values(), key=lambda t: t.name):
        out.append(f"  ct timeout {timeout.name} {{\n    {timeout_body(timeout)}\n  }}\n")
    out.append(_FIXED_SETS)
    for member in sorted(ruleset.members.values(), key=lambda m: m.name):
        elements = (f"\n    elements = {{ {_elements(member.addresses)} }}"
                    if member.addresses else "")
        out.append(f"  set {member.name} {{\n    type {set_type(member)}{elements}\n  }}\n")
    for tag in ("eg", "in"):
        out.append(_chain_block(f"reject_{tag}", _reject_body(tag)))
    for name in sorted(ruleset.rules):
        out.append(_chain_block(name, rule_chain_body(ruleset.rules[name])))
    for name in sorted(ruleset.groups):
        out.append(_chain_block(name, group_chain_body(ruleset.groups[name])))
    for ifname in sorted(ruleset.ports):
        port = ruleset.ports[ifname]
        for direction, chain in ((Direction.EGRESS, port.egress_chain),
                                 (Direction.INGRESS, port.ingress_chain)):
            body = port_chain_body(port, direction, ruleset.port_chain_targets(port, direction))
            out.append(_chain_block(chain, body))
    out.append(_BASE_CHAINS)
    out.append("}\n")
    out.extend(_fill_fixed_sets(ruleset))
    return "".join(out)


def fixed_elements(ports: Iterable[PortRules], nat: Mapping[str, str]) -> dict[str, set[str]]:
    """The elements the given ports and NAT entries put in the fixed sets, by set name."""
    out: dict[str, set[str]] = {k: set() for k in
                                ("ports", "spoof_v4", "spoof_v6", "eg_dispatch", "in_dispatch")}
    for port in ports:
        v4, v6 = spoof_elements(port)
        eg, ing = dispatch_elements(port)
        out["ports"].add(f'"{port.ifname}"')
        out["spoof_v4"].update(v4)
        out["spoof_v6"].update(v6)
        out["eg_dispatch"].add(eg)
        out["in_dispatch"].add(ing)
    out["nat_dst"] = {f"{pub} : {priv}" for priv, pub in nat.items()}
    out["nat_src"] = {f"{priv} : {pub}" for priv, pub in nat.items()}
    return out


def _fill_fixed_sets(ruleset: Ruleset) -> list[str]:
    return [f"add element {T} {name} {{ {_elements(items)} }}\n"
            for name, items in fixed_elements(ruleset.ports.values(), ruleset.nat).items()
            if items]
