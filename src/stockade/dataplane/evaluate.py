"""A tiny packet evaluator over the nftables objects stockade emits, for tests without root.

It runs a packet through the in-memory table (:class:`~stockade.dataplane.fake.FakeTable`)
that the emitted objects build — the rendered full table, or an older one with the delta's
transactions applied — reading each rule's text (:mod:`stockade.dataplane.nft_match`):
the anti-spoofing chain, then the filter chains of the forward hook in priority order
(``egress`` dispatching on the input port, ``ingress`` on the output port), through the
port, group and rule chains they jump to, for the first packet of a new connection as the
router's forward path sees it (after the gateway's destination NAT). Comparing it with
:func:`stockade.policy.decide` on random worlds checks the compiler *and* the renderer
(decomposition, dispatch, the AND of both sides, the text of every rule and element)
without a kernel; the data-plane tests then check the kernel agrees with both.
:func:`untracked` runs the raw-priority ``notrack`` chain
(:mod:`stockade.dataplane.untracked`): an untracked packet is judged by the same rules as
a first packet, whichever way it goes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stockade.dataplane import untracked as untracked_chain
from stockade.dataplane.fake import FakeTable
from stockade.dataplane.nft_match import (
    Match,
    Statement,
    Value,
    VMap,
    key_parts,
    matches,
    parse_rule,
)
from stockade.dataplane.render import full_table
from stockade.dataplane.ruleset import Ruleset


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection in the router's forward path."""

    iif: str
    oif: str
    src: str
    dst: str
    proto: int
    service: int = 0  # destination port, or ICMP type << 8 | code
    sport: int = 0  # source port (TCP/UDP)

    @property
    def family(self) -> int:
        return ipaddress.ip_address(self.src).version


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    stage: str  # spoof | egress | ingress | accepted
    rule_ids: tuple[str, ...] = ()  # the rule credited on each side that accepted


def table_of(ruleset: Ruleset) -> FakeTable:
    """The in-memory table the full rendering of ``ruleset`` builds."""
    return FakeTable.of(*full_table(ruleset))


#: The chain that drops what an instance port sends from an address not its own.
SPOOF_CHAIN = "spoof"


def evaluate(table: FakeTable, packet: Packet) -> Outcome:
    """What the table does to the first packet of a connection, and which rules accept it
    (the ``log prefix "A …"`` of each side's rule chain: what flow logs and hits count)."""
    if _Walk(table, packet).base(SPOOF_CHAIN) == "drop":
        return Outcome(False, "spoof")
    credited: list[str] = []
    forward = sorted(
        (c.hook.priority, name)
        for name, c in table.chains.items()
        if c.hook and c.hook.hook == "forward" and c.hook.type == "filter"
    )
    for _, name in forward:
        walk = _Walk(table, packet)
        verdict = walk.base(name)
        if walk.accepted_by is not None and verdict == "accept":
            credited.append(walk.accepted_by)
        if verdict == "drop":
            return Outcome(False, name, tuple(credited))
    return Outcome(True, "accepted", tuple(credited))


def untracked(table: FakeTable, packet: Packet) -> bool:
    """Whether the ``notrack`` chain leaves this packet untracked (the raw chain runs
    before the gateway's translation, but its sets hold both the private and the public
    address, so either destination gives the same answer)."""
    walk = _Walk(table, packet)
    walk.base(untracked_chain.CHAIN.name)
    return walk.notrack


@dataclass
class _Walk:
    """One packet through one base chain and the chains it jumps to."""

    table: FakeTable
    packet: Packet
    ct_state: str = "new"
    notrack: bool = False
    accepted_by: str | None = None
    _log: str | None = None  # the prefix of the last ``log`` on the way

    def base(self, name: str) -> str:
        chain = self.table.chains[name]
        verdict = self.chain(name)
        return verdict if verdict is not None else (chain.hook.policy if chain.hook else "accept")

    def chain(self, name: str, depth: int = 0) -> str | None:
        """``accept`` / ``drop``, or ``None`` when the chain runs out (return)."""
        if depth > 16:
            raise RecursionError(f"jumps too deep at {name}")
        for text in self.table.chains[name].rules:
            done, verdict = self.rule(parse_rule(text), depth)
            if done:
                return verdict
        return None

    def rule(self, items, depth: int) -> tuple[bool, str | None]:
        """(whether the chain ends here, its verdict)."""
        for item in items:
            if isinstance(item, Match):
                if not self.match(item):
                    return False, None
                continue
            if isinstance(item, VMap):
                target = self.vmap(item)
                if target is None:
                    return False, None
                item = Statement(*target.split(" ", 1)) if " " in target else Statement(target)
            kind = item.kind
            if kind == "log":
                self._log = item.argument
            elif kind == "notrack":
                self.notrack = True
            elif kind == "return":
                return True, None
            elif kind in ("accept", "drop"):
                if kind == "accept" and self._log and self._log.startswith("A "):
                    self.accepted_by = self._log.split()[2]
                return True, kind
            elif kind == "jump":
                verdict = self.chain(item.argument, depth + 1)
                return (True, verdict) if verdict is not None else (False, None)
            elif kind == "goto":
                return True, self.chain(item.argument, depth + 1)
        return False, None

    def match(self, match: Match) -> bool:
        values = tuple(self.value_of(f) for f in match.selector)
        if any(v is None for v in values):
            return False  # the field is not in this packet (nft's implicit dependency)
        if match.set_name is not None:
            hit = any(
                matches(key_parts(e.key), values) for e in self.table.elements(match.set_name)
            )
        else:
            hit = any(matches(parts, values) for parts in match.anonymous)
        return hit != match.negate

    def vmap(self, vmap: VMap) -> str | None:
        values = tuple(self.value_of(f) for f in vmap.selector)
        if any(v is None for v in values):
            return None
        if vmap.set_name is not None:
            return next(
                (
                    e.value
                    for e in self.table.elements(vmap.set_name)
                    if matches(key_parts(e.key), values)
                ),
                None,
            )
        return next((verdict for parts, verdict in vmap.anonymous if matches(parts, values)), None)

    def value_of(self, name: str) -> Value:
        p = self.packet
        ported, icmp = p.proto in (6, 17), p.proto in (1, 58)
        family = p.family
        values: dict[str, Value] = {
            "iifname": p.iif,
            "oifname": p.oif,
            "meta l4proto": p.proto,
            "meta nfproto": f"ipv{family}",
            "ct state": self.ct_state,
            "th dport": p.service if ported else None,
            "th sport": p.sport if ported else None,
            "@th,0,16": p.service if icmp else None,
            "@th,0,8": p.service >> 8 if icmp else None,
            "@th,8,8": p.service & 0xFF if icmp else None,
            "ct direction": "reply" if self.ct_state == "established" else "original",
            "icmpv6 type": p.service >> 8 if p.proto == 58 else None,
            "tcp flags & (syn | ack)": "syn" if p.proto == 6 else None,
        }
        if name in values:
            return values[name]
        ip, _, end = name.partition(" ")
        if (ip, family) not in (("ip", 4), ("ip6", 6)) or end not in ("saddr", "daddr"):
            return None
        return ipaddress.ip_address(p.src if end == "saddr" else p.dst)


def reply(packet: Packet) -> Packet:
    """The answer to ``packet``, as the router's forward path sees it."""
    return Packet(
        packet.oif, packet.iif, packet.dst, packet.src, packet.proto, packet.sport, packet.service
    )


#: The forward chain of the network ACLs, which every packet crosses (replies too).
ACL_CHAIN = "acl"


def crosses_acls(table: FakeTable, packet: Packet, reply: bool = False) -> bool:
    """Whether the network ACLs let ``packet`` through (stateless: a ``reply`` crosses them
    as any packet does, where the groups' chains let it pass on its connection)."""
    walk = _Walk(table, packet, "established" if reply else "new")
    return walk.base(ACL_CHAIN) != "drop"
