"""The nftables transactions that turn one ruleset into another.

Pure. Only what differs is sent: member-set elements when membership changes, a new
group chain when a group's rules change (chains are named after their content), the port
chains that jump to it, dispatch and anti-spoof elements when interfaces come and go. The
order *within* a transaction matters because the kernel checks references as it goes; the
typed :class:`~stockade.dataplane.nftables.Transaction` orders itself (declare, delete
elements, flush, fill, delete chains, delete sets and objects). What this module decides
is which transaction each operation goes in.

Changes without a window: when new group chains are needed the difference is sent as three
transactions (:func:`delta_transactions`). The first *prepares* — new chains with their interval
maps, new sets and objects, added member elements — and touches nothing a packet reaches
except by adding elements; the second *switches* — refills the port chains (plain jumps,
no maps) to the new group chains; the third *retires* the old chains, rule chains, sets
and objects nothing refers to any more. The kernel commits a new rule's anonymous
interval map just after the rule goes live, so a rule whose map was created in the same
transaction can miss for a moment; created one transaction earlier, it cannot. Deleting
the old chain in the switch itself was measured to reject a few new flows too (5 of
~317,000 over ~1,800 changes; 0 of ~263,000 with the retirement one transaction later),
so it waits. A packet both the old and the new ruleset allow is never dropped.
Network ACLs go the same way (:func:`stockade.dataplane.acl_render.delta`): a changed ACL
gets new chains, the subnets' chains switch to them, the old ones retire. Their rules hold
no anonymous set, so a new ACL chain and the switch to it may share one transaction
(unless new group chains need the prepare step anyway); the retirement still waits.

Deleting something that is not there aborts the whole transaction (nft 1.0.6 has no
``destroy``), so the applier falls back to a full rewrite when the kernel does not match
the predicted ruleset (:mod:`stockade.dataplane.applier`).
"""

from __future__ import annotations

from collections.abc import Mapping

from stockade.dataplane import acl_render
from stockade.dataplane.nftables import Chain, Element, Transaction
from stockade.dataplane.render import (
    VPC_TABLE,
    fixed_elements,
    group_chain_body,
    member_elements,
    member_set,
    port_chain,
    rule_chain_body,
    rules,
    timeout_object,
)
from stockade.dataplane.ruleset import PortRules, Ruleset
from stockade.dataplane.untracked import untracked_elements
from stockade.policy import Direction


def render_delta(old: Ruleset, new: Ruleset) -> str:
    """Commands taking the kernel from ``old`` to ``new`` ('' when they are the same), as
    one text (the steps of :func:`delta_steps` in order)."""
    return "".join(delta_steps(old, new))


def delta_steps(old: Ruleset, new: Ruleset) -> list[str]:
    """The transactions taking the kernel from ``old`` to ``new`` as nft text, in order."""
    return [step.render() for step in delta_transactions(old, new)]


def delta_transactions(old: Ruleset, new: Ruleset) -> list[Transaction]:
    """The transactions taking the kernel from ``old`` to ``new``, in order: none when they
    are the same; *prepare*, *switch*, *retire* when new group chains are jumped to; the
    first two merged when only old group chains retire; else one."""
    prepare, switch, retire = (Transaction(VPC_TABLE) for _ in range(3))
    _objects(old, new, prepare, switch, retire)
    new_groups, old_groups = _group_chains(old, new, prepare, retire)
    _port_chains(old, new, prepare, switch)
    _fixed_elements(old, new, switch)
    _untracked_elements(old, new, switch)
    replaced_acls = acl_render.delta(old.acls, new.acls, prepare, switch, retire)
    if new_groups:
        steps = [prepare, switch, retire]
    elif old_groups or replaced_acls:
        steps = [prepare + switch, retire]
    else:
        steps = [prepare + switch + retire]
    return [step for step in steps if step]


def _objects(
    old: Ruleset, new: Ruleset, prepare: Transaction, switch: Transaction, retire: Transaction
) -> None:
    """Timeouts and member sets: new ones and added members before anything uses them;
    removed members with the switch; what nothing uses any more once it retires."""
    for name in sorted(new.timeouts.keys() - old.timeouts.keys()):
        prepare.add(timeout_object(new.timeouts[name]))
    for name in sorted(old.timeouts.keys() - new.timeouts.keys()):
        retire.delete(timeout_object(old.timeouts[name]))
    for name, member in sorted(new.members.items()):
        before = old.members.get(name)
        if before is None:
            prepare.add(member_set(member))
        had = before.addresses if before else frozenset()
        prepare.add(*(member_elements(name, member.addresses - had)))
        switch.delete(*(member_elements(name, had - member.addresses)))
    for name in sorted(old.members.keys() - new.members.keys()):
        retire.delete(member_set(old.members[name]))


def _group_chains(
    old: Ruleset, new: Ruleset, prepare: Transaction, retire: Transaction
) -> tuple[bool, bool]:
    """New rule and group chains, built while nothing jumps to them; old ones flushed and
    deleted once the port chains jump elsewhere (a name is its content: a name both sides
    know needs nothing). Whether there are new group chains, and old ones."""
    for name in sorted(new.rules.keys() - old.rules.keys()):
        prepare.add(Chain(name), *rules(name, rule_chain_body(new.rules[name])))
    for name in sorted(old.rules.keys() - new.rules.keys()):
        retire.flush(Chain(name)).delete(Chain(name))
    added = sorted(new.groups.keys() - old.groups.keys())
    for name in added:
        prepare.add(Chain(name), *rules(name, group_chain_body(new.groups[name])))
    removed = sorted(old.groups.keys() - new.groups.keys())
    for name in removed:
        retire.flush(Chain(name)).delete(Chain(name))
    return bool(added), bool(removed)


def _port_chains(old: Ruleset, new: Ruleset, prepare: Transaction, switch: Transaction) -> None:
    """A new port's chains are declared in the prepare step; every port chain whose
    targets changed is refilled in the switch; a removed port's go with the switch too."""
    # Only the ports that changed, or carry a group whose chain changed (its name is its
    # content): with 1,000 ports a rule change touches the few that carry the group.
    moved = {
        chain.group_id
        for side, other in ((new, old), (old, new))
        for name, chain in side.groups.items()
        if name not in other.groups
    }
    candidates = {i for i, port in new.ports.items() if old.ports.get(i) is not port}
    for group_id in moved:
        candidates.update(new.ports_by_group.get(group_id, ()))
    for ifname in sorted(candidates):
        port = new.ports[ifname]
        before = old.ports.get(ifname)
        for direction in (Direction.EGRESS, Direction.INGRESS):
            targets = new.port_chain_targets(port, direction)
            if (
                before is not None
                and not _port_chain_changed(before, port)
                and old.port_chain_targets(before, direction) == targets
            ):
                continue
            chain, body = port_chain(port, direction, targets)
            if before is None:
                prepare.add(chain)
            else:
                switch.flush(chain)
            switch.add(*body)
    for ifname in sorted(old.ports.keys() - new.ports.keys()):
        port = old.ports[ifname]
        for name in (port.egress_chain, port.ingress_chain):
            switch.flush(Chain(name)).delete(Chain(name))


def _fixed_elements(old: Ruleset, new: Ruleset, switch: Transaction) -> None:
    """Dispatch, anti-spoof and NAT elements of the ports (and NAT entries, edges) that differ;
    the rest would give the same elements on both sides."""
    differ = _differ(old.ports, new.ports)
    nat_differs = old.nat != new.nat
    edges_differ = old.edges != new.edges
    before = fixed_elements(
        [old.ports[i] for i in differ if i in old.ports],
        old.nat if nat_differs else {},
        old.edges if edges_differ else None,
    )
    after = fixed_elements(
        [new.ports[i] for i in differ if i in new.ports],
        new.nat if nat_differs else {},
        new.edges if edges_differ else None,
    )
    _element_diff(before, after, switch)


def _untracked_elements(old: Ruleset, new: Ruleset, switch: Transaction) -> None:
    """The notrack sets (nothing but the fixed chain refers to them), for the interfaces
    whose untracked services or addresses differ; with the switch, deletions first (the
    transaction's order): a range that grows must not overlap its old self."""
    moved = _differ(old.untracked, new.untracked)
    before = untracked_elements(old.untracked[i] for i in moved if i in old.untracked)
    after = untracked_elements(new.untracked[i] for i in moved if i in new.untracked)
    _element_diff(before, after, switch)


def _differ(old: Mapping[str, object], new: Mapping[str, object]) -> set[str]:
    return {
        k
        for k in old.keys() | new.keys()
        if old.get(k) is not new.get(k) and old.get(k) != new.get(k)
    }


def _element_diff(
    old: Mapping[str, set[Element]], new: Mapping[str, set[Element]], into: Transaction
) -> None:
    for name in new:
        into.add(*(new[name] - old[name]))  # (each command sorts its elements)
        into.delete(*(old[name] - new[name]))


def _port_chain_changed(old: PortRules, new: PortRules) -> bool:
    return (old.group_ids, old.tcp_timeout, old.udp_timeout) != (
        new.group_ids,
        new.tcp_timeout,
        new.udp_timeout,
    )
