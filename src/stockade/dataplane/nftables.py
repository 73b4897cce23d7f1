"""nftables objects as types, and a transaction that orders its own operations.

Pure. The renderer and the delta say *what* the table holds (tables, chains, rules, sets,
maps, elements, ct timeout objects) with these frozen types; only here do they become nft
text, so there is one spelling of each command. The design follows knftables
(kubernetes-sigs/knftables): typed objects, verbs applied to them in a
:class:`Transaction`, and a fake (:mod:`stockade.dataplane.fake`) that applies the same
objects to an in-memory table, so what is emitted can be checked without a kernel.

The kernel checks references as a transaction goes, so the order of its commands matters:
a chain must exist before a rule jumps to it, a verdict-map element must be gone before
its chain is deleted, an interval set refuses an element overlapping one it still holds.
Callers do not order commands by hand: :class:`Transaction` sorts its operations into
phases (:func:`phase`) — declare, delete elements, flush chains, fill, delete chains,
delete sets and objects — keeping the order they were added in within a phase. Which
*transaction* an operation belongs to (the delta's prepare / switch / retire) is the
caller's choice: that is about what a packet may see between commits, not about references.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Verb(StrEnum):
    ADD = "add"
    FLUSH = "flush"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Table:
    family: str
    name: str

    def __str__(self) -> str:
        return f"{self.family} {self.name}"


@dataclass(frozen=True, slots=True)
class Hook:
    """What makes a chain a base chain: where the kernel calls it, and its default."""

    type: str  # filter | nat
    hook: str  # prerouting | forward | input | postrouting
    priority: int
    policy: str = "accept"

    def __str__(self) -> str:
        return f"type {self.type} hook {self.hook} priority {self.priority}; policy {self.policy};"


@dataclass(frozen=True, slots=True)
class Chain:
    name: str
    hook: Hook | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule, appended to ``chain`` (its text is nft syntax, as ``nft list`` shows it)."""

    chain: str
    text: str


@dataclass(frozen=True, slots=True)
class Set:
    """A named set, or a map when it has a ``value_type``."""

    name: str
    key_type: str
    value_type: str | None = None
    flags: tuple[str, ...] = ()

    @property
    def keyword(self) -> str:
        return "set" if self.value_type is None else "map"

    @property
    def type(self) -> str:
        return self.key_type if self.value_type is None else f"{self.key_type} : {self.value_type}"


@dataclass(frozen=True, order=True, slots=True)
class Element:
    """One element of the set or map named ``set``: ``key`` (a concatenation ``a . b``),
    and for a map its ``value`` (an address, or a verdict such as ``jump eg_x``)."""

    set: str
    key: str
    value: str | None = None

    def __str__(self) -> str:
        return self.key if self.value is None else f"{self.key} : {self.value}"


@dataclass(frozen=True, slots=True)
class CtTimeout:
    """A ``ct timeout`` object: per-state timeouts of one protocol."""

    name: str
    protocol: str  # tcp | udp
    policy: tuple[tuple[str, int], ...]  # (state, seconds)

    @property
    def body(self) -> str:
        states = ", ".join(f"{state}: {seconds}" for state, seconds in self.policy)
        return f"protocol {self.protocol}; l3proto inet; policy = {{ {states} }};"


Object = Table | Chain | Rule | Set | Element | CtTimeout


class Op(NamedTuple):
    """A verb applied to an object (a tuple: a batch holds thousands of them)."""

    verb: Verb
    obj: Object


#: Where each operation goes in its transaction (the kernel checks references as it goes):
#: 0. the table itself; 1. new objects, sets and chains, before anything refers to them;
#: 2. element deletions, before the chains a verdict element points at go, and before an
#: interval set gets an element overlapping the old one; 3. chain flushes, before their
#: rules are replaced or their chains deleted; 4. rules and elements; 5. chain deletions,
#: once nothing jumps to them; 6. sets and objects, once no rule uses them. A pair not
#: listed is not an operation nft has (a rule is removed by flushing its chain).
PHASES: dict[tuple[Verb, type], int] = {
    (Verb.ADD, Table): 0,
    (Verb.DELETE, Table): 0,
    (Verb.ADD, CtTimeout): 1,
    (Verb.ADD, Set): 1,
    (Verb.ADD, Chain): 1,
    (Verb.DELETE, Element): 2,
    (Verb.FLUSH, Chain): 3,
    (Verb.ADD, Rule): 4,
    (Verb.ADD, Element): 4,
    (Verb.DELETE, Chain): 5,
    (Verb.DELETE, Set): 6,
    (Verb.DELETE, CtTimeout): 6,
}


def phase(op: Op) -> int:
    try:
        return PHASES[op.verb, type(op.obj)]
    except KeyError:
        raise ValueError(f"not an nftables operation: {op.verb} {op.obj!r}") from None


class Transaction:
    """Operations sent to the kernel as one ``nft -f`` (all or nothing), in phase order
    (:data:`PHASES`), in the order they were added within a phase."""

    def __init__(self, table: Table, ops: Iterable[Op] = ()) -> None:
        self.table = table
        self._phases: list[list[Op]] = [[] for _ in range(7)]
        for op in ops:
            self._phases[phase(op)].append(op)

    def _put(self, verb: Verb, objs: tuple[Object, ...]) -> Transaction:
        phases = self._phases
        for obj in objs:
            op = Op(verb, obj)
            phases[phase(op)].append(op)
        return self

    def add(self, *objs: Object) -> Transaction:
        return self._put(Verb.ADD, objs)

    def flush(self, *chains: Chain) -> Transaction:
        return self._put(Verb.FLUSH, chains)

    def delete(self, *objs: Object) -> Transaction:
        return self._put(Verb.DELETE, objs)

    def __bool__(self) -> bool:
        return any(self._phases)

    def __add__(self, other: Transaction) -> Transaction:
        return Transaction(self.table, [*self.ordered(), *other.ordered()])

    def ordered(self) -> list[Op]:
        return [op for ops in self._phases for op in ops]

    def render(self) -> str:
        return "".join(f"{line}\n" for line in commands(self.table, self.ordered()))


def commands(table: Table, ops: Sequence[Op]) -> Iterator[str]:
    """nft commands for ``ops`` in this order; the elements of one set added (or deleted)
    go in one command, sorted, where the first of them was (an element's verb is its
    phase, so they are neighbours in a transaction's order)."""
    ref = str(table)
    grouped: dict[tuple[Verb, str], list[str]] = {}
    for verb, obj in ops:
        if type(obj) is Element:
            grouped.setdefault((verb, obj.set), []).append(str(obj))
    for verb, obj in ops:
        if type(obj) is Rule:
            yield f"add rule {ref} {obj.chain} {obj.text}"
        elif type(obj) is Element:
            items = grouped.pop((verb, obj.set), None)
            if items is not None:
                yield f"{verb} element {ref} {obj.set} {{ {_items(items)} }}"
        else:
            yield command(table, Op(verb, obj))


def command(table: Table, op: Op) -> str:
    """The nft command for one operation (elements: :func:`commands`)."""
    verb, obj = op.verb, op.obj
    if isinstance(obj, Table):
        return f"{verb} table {obj}"
    if isinstance(obj, Chain):
        spec = f" {{ {obj.hook} }}" if obj.hook and verb is Verb.ADD else ""
        return f"{verb} chain {table} {obj.name}{spec}"
    if isinstance(obj, Rule):
        if verb is not Verb.ADD:
            raise ValueError("rules are only added (a chain is flushed to remove them)")
        return f"add rule {table} {obj.chain} {obj.text}"
    if isinstance(obj, Set):
        if verb is Verb.ADD:
            flags = f" flags {', '.join(obj.flags)};" if obj.flags else ""
            return f"add {obj.keyword} {table} {obj.name} {{ type {obj.type};{flags} }}"
        return f"{verb} {obj.keyword} {table} {obj.name}"
    if isinstance(obj, CtTimeout):
        body = f" {{ {obj.body} }}" if verb is Verb.ADD else ""
        return f"{verb} ct timeout {table} {obj.name}{body}"
    if isinstance(obj, Element):
        return f"{verb} element {table} {obj.set} {{ {obj} }}"
    raise TypeError(f"not an nftables object: {obj!r}")


def _items(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))


# -- a whole table as one block --------------------------------------------------------------


@dataclass(frozen=True)
class TableBlock:
    """A whole table as ``table … { … }``: its objects, sets and chains in this order, each
    chain with its rules and each set with its elements inside it. Sent after ``add table;
    delete table`` in one transaction, it replaces the table atomically.

    Rules and elements are kept as text by chain and set (the block is rendered on every
    full rewrite, and thousands of objects made only to be printed cost more than the text);
    :meth:`objects` gives them as :class:`Rule` and :class:`Element` for the fake.
    """

    table: Table
    declarations: tuple[CtTimeout | Set | Chain, ...]
    rules: Mapping[str, Sequence[str]] = field(default_factory=dict)  # by chain, in order
    elements: Mapping[str, Collection[str]] = field(default_factory=dict)  # by set

    def objects(self) -> list[Object]:
        """Everything the block declares, as objects (in a transaction's order)."""
        maps = {d.name for d in self.declarations if isinstance(d, Set) and d.value_type}
        out: list[Object] = list(self.declarations)
        out += [Rule(chain, text) for chain, texts in self.rules.items() for text in texts]
        for name, items in self.elements.items():
            out += [
                Element(name, *item.split(" : ", 1)) if name in maps else Element(name, item)
                for item in items
            ]
        return out

    def render(self) -> str:
        out = [f"table {self.table} {{\n"]
        for obj in self.declarations:
            if isinstance(obj, CtTimeout):
                out.append(f"  ct timeout {obj.name} {{\n    {obj.body}\n  }}\n")
            elif isinstance(obj, Set):
                out.append(f"  {obj.keyword} {obj.name} {{\n    type {obj.type}\n")
                if obj.flags:
                    out.append(f"    flags {', '.join(obj.flags)}\n")
                if self.elements.get(obj.name):
                    out.append(f"    elements = {{ {_items(self.elements[obj.name])} }}\n")
                out.append("  }\n")
            else:
                out.append(f"  chain {obj.name} {{\n")
                if obj.hook:
                    out.append(f"    {obj.hook}\n")
                out += [f"    {text}\n" for text in self.rules.get(obj.name, ())]
                out.append("  }\n")
        out.append("}\n")
        return "".join(out)

    def replacement(self) -> str:
        """``add table; delete table; table {…}``: the table replaced in one go."""
        return f"add table {self.table}\ndelete table {self.table}\n{self.render()}"
