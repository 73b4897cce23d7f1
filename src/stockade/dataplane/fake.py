"""An in-memory nftables table: what the emitted objects would leave in the kernel.

Pure, for tests without root (knftables' ``Fake`` does the same for Go). It applies the
very objects the renderer and the delta emit — :class:`~stockade.dataplane.nftables.TableBlock`
and :class:`~stockade.dataplane.nftables.Transaction` — and refuses what the kernel would
refuse, so an emitted sequence that nft would reject fails here too:

- a rule or element naming a chain or set that does not exist (yet);
- deleting a chain, set or element that is not there (nft 1.0.6 has no ``destroy``);
- deleting a chain something still jumps to, or a set a rule still uses;
- an element overlapping one an interval set holds;

and, stricter than the kernel (which takes an identical element again), an element added
to a set that holds its key already: the delta never needs to, so doing it is a bug.

A refused transaction changes nothing (it is applied to a copy). The packet evaluator
(:mod:`stockade.dataplane.evaluate`) then runs over what the table holds.
"""

from __future__ import annotations

import builtins
import copy
import re
from dataclasses import dataclass, field

from stockade.dataplane.nft_match import overlaps
from stockade.dataplane.nftables import (
    Chain,
    CtTimeout,
    Element,
    Hook,
    Op,
    Rule,
    Set,
    Table,
    TableBlock,
    Transaction,
    Verb,
)

_SET_REF = re.compile(r"@([A-Za-z_]\w*)\b(?!,)")
_CHAIN_REF = re.compile(r"\b(?:jump|goto) ([A-Za-z_]\w*)")


class FakeError(Exception):
    """What the kernel would answer with an error (the whole transaction is refused)."""


@dataclass
class FakeChain:
    hook: Hook | None
    rules: list[str] = field(default_factory=list)


@dataclass
class FakeSet:
    """A set and its elements (``builtins.set``: the field ``set`` shadows it in this body)."""

    set: Set
    elements: builtins.set[Element] = field(default_factory=builtins.set)


@dataclass
class FakeTable:
    """One table's chains (with their rules), sets (with their elements) and objects."""

    table: Table
    chains: dict[str, FakeChain] = field(default_factory=dict)
    sets: dict[str, FakeSet] = field(default_factory=dict)
    objects: dict[str, CtTimeout] = field(default_factory=dict)

    @classmethod
    def of(cls, block: TableBlock, *fills: Transaction) -> FakeTable:
        """The table after ``block`` replaced it and ``fills`` were applied."""
        fake = cls(block.table)
        fake.apply(Transaction(block.table).add(*block.objects()))
        for fill in fills:
            fake.apply(fill)
        return fake

    def apply(self, transaction: Transaction) -> None:
        """Apply the transaction's operations in the order they would be sent, or none."""
        if transaction.table != self.table:
            raise FakeError(f"transaction for {transaction.table}, not {self.table}")
        work = copy.deepcopy(self)
        for op in transaction.ordered():
            work._apply(op)
        self.chains, self.sets, self.objects = work.chains, work.sets, work.objects

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FakeTable):
            return NotImplemented
        return (self.table, self.chains, self.sets, self.objects) == (
            other.table,
            other.chains,
            other.sets,
            other.objects,
        )

    def elements(self, name: str) -> set[Element]:
        return self.sets[name].elements

    # -- one operation ---------------------------------------------------------------------

    def _apply(self, op: Op) -> None:
        obj = op.obj
        if isinstance(obj, Chain):
            self._chain(op.verb, obj)
        elif isinstance(obj, Rule):
            self._need_chain(obj.chain)
            self._check_refs(obj.text)
            self.chains[obj.chain].rules.append(obj.text)
        elif isinstance(obj, Set):
            self._set(op.verb, obj)
        elif isinstance(obj, Element):
            self._element(op.verb, obj)
        elif isinstance(obj, CtTimeout):
            if op.verb is Verb.ADD:
                self.objects.setdefault(obj.name, obj)
            elif obj.name not in self.objects:
                raise FakeError(f"no ct timeout {obj.name}")
            elif any(f'"{obj.name}"' in r for c in self.chains.values() for r in c.rules):
                raise FakeError(f"ct timeout {obj.name} is in use")
            else:
                del self.objects[obj.name]
        else:
            raise FakeError(f"not applicable to a table: {op}")

    def _chain(self, verb: Verb, chain: Chain) -> None:
        if verb is Verb.ADD:
            self.chains.setdefault(chain.name, FakeChain(chain.hook))
            return
        self._need_chain(chain.name)
        if verb is Verb.FLUSH:
            self.chains[chain.name].rules.clear()
            return
        users = [
            name
            for name, c in self.chains.items()
            if name != chain.name and any(chain.name in _CHAIN_REF.findall(r) for r in c.rules)
        ]
        users += [
            s
            for s, fs in self.sets.items()
            if any(e.value in (f"jump {chain.name}", f"goto {chain.name}") for e in fs.elements)
        ]
        if users:
            raise FakeError(f"chain {chain.name} is in use by {', '.join(sorted(users))}")
        del self.chains[chain.name]

    def _set(self, verb: Verb, new: Set) -> None:
        if verb is Verb.ADD:
            self.sets.setdefault(new.name, FakeSet(new))
            return
        if new.name not in self.sets:
            raise FakeError(f"no set {new.name}")
        if any(new.name in _SET_REF.findall(r) for c in self.chains.values() for r in c.rules):
            raise FakeError(f"set {new.name} is in use")
        del self.sets[new.name]

    def _element(self, verb: Verb, element: Element) -> None:
        if element.set not in self.sets:
            raise FakeError(f"no set {element.set}")
        held = self.sets[element.set]
        if verb is Verb.DELETE:
            if element not in held.elements:
                raise FakeError(f"no element {element} in {element.set}")
            held.elements.remove(element)
            return
        if any(e.key == element.key for e in held.elements):
            raise FakeError(f"element {element.key} is already in {element.set}")
        if "interval" in held.set.flags:
            clash = next((e for e in held.elements if overlaps(e.key, element.key)), None)
            if clash is not None:
                raise FakeError(f"{element.key} overlaps {clash.key} in {element.set}")
        if element.value is not None and (target := _CHAIN_REF.findall(element.value)):
            self._need_chain(target[0])
        held.elements.add(element)

    def _need_chain(self, name: str) -> None:
        if name not in self.chains:
            raise FakeError(f"no chain {name}")

    def _check_refs(self, text: str) -> None:
        for name in _SET_REF.findall(text):
            if name not in self.sets:
                raise FakeError(f"no set {name} (in: {text.splitlines()[0]})")
        for name in _CHAIN_REF.findall(text):
            self._need_chain(name)
