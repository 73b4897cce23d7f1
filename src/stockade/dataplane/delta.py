"""The nft commands that turn one ruleset into another, as one transaction.

Pure. Only what differs is sent: member-set elements when membership changes, a new
group chain when a group's rules change (chains are named after their content), the port
chains that jump to it, dispatch and anti-spoof elements when interfaces come and go. The
order matters because the kernel checks references as it goes: new objects are declared
first, then filled, then referenced; what is no longer used is removed last, after
nothing points at it.

Changes without a window: when new group chains are needed the difference is sent as two
transactions (:func:`delta_steps`). The first *prepares* — new chains with their interval
maps, new sets and objects, added member elements — and touches nothing a packet reaches
except by adding elements; the second *switches* — refills the port chains (plain jumps,
no maps) to the new group chains; the third *retires* the old chains, rule chains, sets
and objects nothing refers to any more. The kernel commits a new rule's anonymous
interval map just after the rule goes live, so a rule whose map was created in the same
transaction can miss for a moment; created one transaction earlier, it cannot. Deleting
the old chain in the switch itself was measured to reject a few new flows too (5 of
~317,000 over ~1,800 changes; 0 of ~263,000 with the retirement one transaction later),
so it waits. A packet both the old and the new ruleset allow is never dropped.

Deleting something that is not there aborts the whole transaction (nft 1.0.6 has no
``destroy``), so the applier falls back to a full rewrite when the kernel does not match
the predicted ruleset (:mod:`stockade.dataplane.applier`).
"""

from __future__ import annotations

from stockade.dataplane.render import (
    T,
    fixed_elements,
    group_chain_body,
    port_chain_body,
    rule_chain_body,
    set_type,
    timeout_body,
)
from stockade.dataplane.ruleset import PortRules, Ruleset
from stockade.policy import Direction


def _element_diff(name: str, old: set[str], new: set[str], adds: list[str], dels: list[str]):
    if new - old:
        adds.append(f"add element {T} {name} {{ {', '.join(sorted(new - old))} }}")
    if old - new:
        dels.append(f"delete element {T} {name} {{ {', '.join(sorted(old - new))} }}")


def _fill(chain: str, body: list[str], fresh: bool) -> list[str]:
    out = [] if fresh else [f"flush chain {T} {chain}"]
    return out + [f"add rule {T} {chain} {line}" for line in body]


def render_delta(old: Ruleset, new: Ruleset) -> str:
    """Commands taking the kernel from ``old`` to ``new`` ('' when they are the same), as
    one text (the steps of :func:`delta_steps` in order)."""
    return "".join(delta_steps(old, new))


def delta_steps(old: Ruleset, new: Ruleset) -> list[str]:
    """The transactions taking the kernel from ``old`` to ``new``, in order: none when they
    are the same, one when nothing new is jumped to, else *prepare* then *switch*."""
    declare: list[str] = []
    fill: list[str] = []
    link: list[str] = []
    unlink: list[str] = []
    remove: list[str] = []  # what nothing jumps to any more: retired after the switch
    retire_groups: list[str] = []
    remove_ports: list[str] = []

    for name in sorted(new.timeouts.keys() - old.timeouts.keys()):
        declare.append(f"add ct timeout {T} {name} {{ {timeout_body(new.timeouts[name])} }}")
    for name in sorted(old.timeouts.keys() - new.timeouts.keys()):
        remove.append(f"delete ct timeout {T} {name}")

    for name, member in sorted(new.members.items()):
        before = old.members.get(name)
        if before is None:
            declare.append(f"add set {T} {name} {{ type {set_type(member)}; }}")
        _element_diff(name, set(before.addresses) if before else set(), set(member.addresses),
                      fill, unlink)
    for name in sorted(old.members.keys() - new.members.keys()):
        remove.append(f"delete set {T} {name}")

    for name in sorted(new.rules.keys() - old.rules.keys()):
        declare.append(f"add chain {T} {name}")
        declare += _fill(name, rule_chain_body(new.rules[name]), fresh=True)
    for name in sorted(old.rules.keys() - new.rules.keys()):
        remove += [f"flush chain {T} {name}", f"delete chain {T} {name}"]

    for name, chain in sorted(new.groups.items()):
        if name not in old.groups:  # a name is its content: a known name needs nothing
            declare.append(f"add chain {T} {name}")
            declare += _fill(name, group_chain_body(chain), fresh=True)
    for name in sorted(old.groups.keys() - new.groups.keys()):
        retire_groups.append(f"flush chain {T} {name}")
        remove.append(f"delete chain {T} {name}")

    retargeted = old.groups.keys() != new.groups.keys()
    for ifname, port in sorted(new.ports.items()):
        before = old.ports.get(ifname)
        if before is port and not retargeted:
            continue
        for direction, chain in ((Direction.EGRESS, port.egress_chain),
                                 (Direction.INGRESS, port.ingress_chain)):
            if before is None:
                declare.append(f"add chain {T} {chain}")
            targets = new.port_chain_targets(port, direction)
            if before is None or _port_chain_changed(before, port) or \
                    old.port_chain_targets(before, direction) != targets:
                link += _fill(chain, port_chain_body(port, direction, targets),
                              fresh=before is None)
    for ifname in sorted(old.ports.keys() - new.ports.keys()):
        port = old.ports[ifname]
        for chain in (port.egress_chain, port.ingress_chain):
            unlink.append(f"flush chain {T} {chain}")
            remove_ports.append(f"delete chain {T} {chain}")

    # Only the ports that differ (the rest would produce the same elements on both sides).
    differ = {i for i in old.ports.keys() | new.ports.keys()
              if old.ports.get(i) is not new.ports.get(i)
              and old.ports.get(i) != new.ports.get(i)}
    nat_differs = old.nat != new.nat
    old_fixed = fixed_elements([old.ports[i] for i in differ if i in old.ports],
                               old.nat if nat_differs else {})
    new_fixed = fixed_elements([new.ports[i] for i in differ if i in new.ports],
                               new.nat if nat_differs else {})
    for name in new_fixed:
        _element_diff(name, old_fixed[name], new_fixed[name], link, unlink)

    # Element deletions of the fixed sets must run before the chains they point at go;
    # old group chains are flushed before the rule chains they jump to are deleted.
    prepare = declare + fill
    switch = link + _ordered_unlink(unlink) + remove_ports
    retire = retire_groups + _ordered_remove(remove)
    if any(c.startswith(f"add chain {T} g_") for c in declare):
        steps = [prepare, switch, retire]
    elif retire_groups:
        steps = [prepare + switch, retire]
    else:
        steps = [prepare + switch + retire]
    return ["".join(f"{c}\n" for c in step) for step in steps if step]


def _ordered_remove(remove: list[str]) -> list[str]:
    """Rule chains after the group chains that jump to them were flushed (all of them are
    flushed first), sets and timeouts after the chains that use them are gone."""
    chains = [c for c in remove if " chain " in c]
    return chains + [c for c in remove if " chain " not in c]


def _ordered_unlink(unlink: list[str]) -> list[str]:
    """Dispatch elements first (nothing may jump to a chain being flushed and deleted)."""
    first = [c for c in unlink if c.startswith("delete element")]
    return first + [c for c in unlink if not c.startswith("delete element")]


def _port_chain_changed(old: PortRules, new: PortRules) -> bool:
    return (old.group_ids, old.tcp_timeout, old.udp_timeout) != (
        new.group_ids, new.tcp_timeout, new.udp_timeout)
