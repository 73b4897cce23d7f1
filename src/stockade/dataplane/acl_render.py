"""Network ACL crossings (:mod:`stockade.dataplane.acl`) as nftables objects — pure.

Two base chains, both stateless (they judge every packet, request or reply, established or
not — no ``ct state`` shortcut), before the security groups' chains:

- ``acl`` (forward, priority -5): a packet from the internet that is the reply of a NAT
  gateway's connection (``ct reply ip daddr``: the gateway's public address) crosses the
  gateway's subnet toward the instance (``acl_natback_*``); a packet from an instance port
  crosses its subnet's egress (``acl_out_*``, by ``iifname`` in ``acl_out_dispatch``); one
  leaving by the gateway link with a NAT gateway's realm crosses that gateway's subnet
  (``acl_natout_*``); one to an instance port its subnet's ingress (``acl_in_*``, by
  ``oifname``);
- ``acl_nat`` (prerouting, priority -120: after conntrack, before the translation is
  undone at -100): what arrives at a NAT gateway's public address crosses its subnet's
  ingress (``acl_natpub_*``) with the translated port AWS's ACL sees.

A subnet chain skips what stays inside the subnet's blocks, then goes to the ACL chain of
the packet's family. An ACL chain holds one rule per entry in ascending rule number —
allow ``return``\\ s (on to the next crossing, then the groups), deny goes to
``acl_reject_<in|eg>``, which counts, logs (NFLOG: flow logs record it as ``REJECT`` at
the port it entered or left by) and drops — and ends in that drop (the ``*`` entry's, and
what ``first_match`` answers for an ACL without one). No rule holds an anonymous set, so
a chain is replaced atomically by a flush and refill.
"""

from __future__ import annotations

from collections.abc import Iterable

from stockade.dataplane.acl import AclChain, AclPlan, NatCrossing, SubnetCrossing
from stockade.dataplane.names import IGW_LINK, LOG_GROUP
from stockade.dataplane.nftables import Chain, Element, Hook, Rule, Set, Transaction
from stockade.domain.network_acl import ALL_PROTOCOLS, ICMP, ICMPV6, TCP, UDP, NetworkAclEntry

#: Bytes of each logged packet copied to the flow-log reader (as the reject chains').
SNAPLEN = 128
_IGW = f'"{IGW_LINK}"'

SETS = (
    Set("acl_out_dispatch", "ifname", "verdict"),
    Set("acl_in_dispatch", "ifname", "verdict"),
    Set("acl_natgw_out", "realm", "verdict"),
    Set("acl_natgw_back", "ipv4_addr", "verdict"),
    Set("acl_natgw_pub", "ipv4_addr", "verdict"),
)

#: The chains every ACL rule may end in (declared before the ACL chains).
REJECT_CHAINS: tuple[tuple[Chain, tuple[str, ...]], ...] = tuple(
    (
        Chain(f"acl_reject_{tag}"),
        (f'counter log prefix "N {tag}" group {LOG_GROUP} snaplen {SNAPLEN} drop',),
    )
    for tag in ("in", "eg")
)

BASE_CHAINS: tuple[tuple[Chain, tuple[str, ...]], ...] = (
    (
        Chain("acl", Hook("filter", "forward", -5)),
        (
            f"iifname {_IGW} ct direction reply ct reply ip daddr vmap @acl_natgw_back",
            "iifname vmap @acl_out_dispatch",
            f"oifname {_IGW} meta nfproto ipv4 meta rtclassid vmap @acl_natgw_out",
            "oifname vmap @acl_in_dispatch",
        ),
    ),
    (
        Chain("acl_nat", Hook("filter", "prerouting", -120)),
        (f"iifname {_IGW} ip daddr vmap @acl_natgw_pub",),
    ),
)


# -- an ACL's chain ------------------------------------------------------------------------------


def entry_rule(entry: NetworkAclEntry, egress: bool) -> str | None:
    """One entry as a rule (``None``: an entry no packet can match, as ``matches`` says
    of ports on a protocol without them)."""
    ip = "ip" if entry.family == 4 else "ip6"
    parts = []
    if entry.network.prefixlen:
        parts.append(f"{ip} {'daddr' if egress else 'saddr'} {entry.cidr}")
    if entry.protocol != ALL_PROTOCOLS:
        parts.append(f"meta l4proto {entry.protocol}")
        if entry.port_range is not None:
            if entry.protocol not in (TCP, UDP):
                return None
            lo, hi = entry.port_range
            parts.append(f"th dport {lo}" if lo == hi else f"th dport {lo}-{hi}")
        elif entry.icmp_type is not None and entry.icmp_type != -1:
            if entry.protocol not in (ICMP, ICMPV6):
                return None
            parts.append(f"@th,0,8 {entry.icmp_type}")
            if entry.icmp_code is not None and entry.icmp_code != -1:
                parts.append(f"@th,8,8 {entry.icmp_code}")
    verdict = "return" if entry.allows else f"goto acl_reject_{'eg' if egress else 'in'}"
    return " ".join([*parts, verdict])


def acl_chain_body(chain: AclChain) -> list[str]:
    lines = [r for e in chain.entries if (r := entry_rule(e, chain.egress)) is not None]
    if not (chain.entries and chain.entries[-1].is_default_deny):  # (the ``*`` says it)
        lines.append(f"goto acl_reject_{chain.tag}")
    return lines


# -- the crossings ---------------------------------------------------------------------------


def _within(blocks: Iterable[str], field: str) -> list[str]:
    return [f"{'ip6' if ':' in b else 'ip'} {field} {b} return" for b in blocks]


def _by_family(names: tuple[str, str], verb: str = "goto") -> list[str]:
    return [f"meta nfproto ipv4 {verb} {names[0]}", f"meta nfproto ipv6 {verb} {names[1]}"]


def subnet_out_chain(subnet: SubnetCrossing) -> str:
    return f"acl_out_{subnet.key}"


def subnet_in_chain(subnet: SubnetCrossing) -> str:
    return f"acl_in_{subnet.key}"


def subnet_bodies(subnet: SubnetCrossing) -> dict[str, list[str]]:
    """Leaving the subnet (egress, unless to its own blocks) and entering it (ingress,
    unless from its own blocks)."""
    return {
        subnet_out_chain(subnet): _within(subnet.blocks, "daddr") + _by_family(subnet.egress),
        subnet_in_chain(subnet): _within(subnet.blocks, "saddr") + _by_family(subnet.ingress),
    }


def nat_bodies(nat: NatCrossing) -> dict[str, list[str]]:
    """Through the gateway's subnet: outward (ingress on the instance's address, egress on
    the internet's; nothing for an instance of that subnet), the reply's way in (ingress at
    the public address) and its way back to the instance (egress; for an instance of the
    subnet nothing, and no other crossing: ``accept`` ends the ``acl`` chain)."""
    return {
        f"acl_natout_{nat.key}": [
            f"ip saddr {nat.block} return",
            f"jump {nat.ingress}",
            f"goto {nat.egress}",
        ],
        f"acl_natpub_{nat.key}": [f"goto {nat.ingress}"],
        f"acl_natback_{nat.key}": [f"ip daddr {nat.block} accept", f"goto {nat.egress}"],
    }


def crossing_bodies(plan: AclPlan) -> dict[str, list[str]]:
    """Every subnet and NAT gateway chain of the plan, by name."""
    out: dict[str, list[str]] = {}
    for subnet in plan.subnets:
        out.update(subnet_bodies(subnet))
    for nat in plan.nat_gateways:
        out.update(nat_bodies(nat))
    return out


def elements(plan: AclPlan) -> dict[str, set[Element]]:
    """The dispatch maps' elements, by map name."""
    out: dict[str, set[Element]] = {s.name: set() for s in SETS}
    subnets = plan.subnet_by_id
    for ifname, subnet_id in plan.ports:
        subnet = subnets[subnet_id]
        name = f'"{ifname}"'
        out["acl_out_dispatch"].add(
            Element("acl_out_dispatch", name, f"jump {subnet_out_chain(subnet)}")
        )
        out["acl_in_dispatch"].add(
            Element("acl_in_dispatch", name, f"jump {subnet_in_chain(subnet)}")
        )
    for nat in plan.nat_gateways:
        key = nat.key
        out["acl_natgw_out"].add(Element("acl_natgw_out", str(nat.realm), f"jump acl_natout_{key}"))
        out["acl_natgw_back"].add(
            Element("acl_natgw_back", nat.public_ip, f"jump acl_natback_{key}")
        )
        out["acl_natgw_pub"].add(Element("acl_natgw_pub", nat.public_ip, f"jump acl_natpub_{key}"))
    return out


# -- the whole table, and the difference between two plans ------------------------------------


def table_parts(plan: AclPlan) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(chains before the crossings — reject and ACL chains —, crossing chains), each by
    name in declaration order; the base chains and sets are :data:`BASE_CHAINS`,
    :data:`SETS`."""
    first = {chain.name: list(body) for chain, body in REJECT_CHAINS}
    first.update((c.name, acl_chain_body(c)) for c in plan.chains)
    return first, crossing_bodies(plan)


def delta(
    old: AclPlan, new: AclPlan, prepare: Transaction, switch: Transaction, retire: Transaction
) -> bool:
    """Put the difference between two plans into the delta's three transactions: new ACL
    and crossing chains are built while nothing jumps to them (prepare); changed crossing
    chains are refilled and the dispatch maps changed (switch); chains nothing jumps to any
    more go (crossings with the switch, ACL chains once it is in force). Whether ACL chains
    were replaced (their retirement can wait for the next transaction; no rule here holds
    an anonymous set, so prepare and switch need not be apart for the ACLs' sake)."""
    old_chains, new_chains = old.chain_by_name, new.chain_by_name
    added = sorted(new_chains.keys() - old_chains.keys())
    for name in added:
        prepare.add(Chain(name), *_rules(name, acl_chain_body(new_chains[name])))
    for name in sorted(old_chains.keys() - new_chains.keys()):
        retire.flush(Chain(name)).delete(Chain(name))
    before, after = crossing_bodies(old), crossing_bodies(new)
    for name, body in after.items():
        if name not in before:
            prepare.add(Chain(name), *_rules(name, body))
        elif before[name] != body:
            switch.flush(Chain(name)).add(*_rules(name, body))
    for name in before.keys() - after.keys():
        switch.flush(Chain(name)).delete(Chain(name))
    if old.ports == new.ports and old.nat_gateways == new.nat_gateways:
        return bool(added)  # (subnet chains are named by subnet: the maps stay right)
    was, now = elements(old), elements(new)
    for name in now:
        switch.add(*(now[name] - was[name]))
        switch.delete(*(was[name] - now[name]))
    return bool(added)


def _rules(chain: str, body: Iterable[str]) -> list[Rule]:
    return [Rule(chain, text) for text in body]
