"""Reading the nft rules and elements stockade emits, to run packets over them without root.

Pure. A deliberately small subset of nft's grammar — exactly what
:mod:`stockade.dataplane.render`, :mod:`stockade.dataplane.untracked` and
:mod:`stockade.dataplane.acl_render` write: matches
(``selector [!=] value``, ``selector @set``, ``selector { a, b }``, where a selector is a
concatenation ``f . g``), verdict maps (``selector vmap { key : verdict, … }`` or
``vmap @map``), verdicts (``accept``, ``drop``, ``return``, ``jump``, ``goto``),
``notrack``, ``log`` and statements without effect on the verdict (``counter``,
``… set …``, NAT). Anything else is an error: the evaluator must not guess what a rule it
cannot read does. Reading
the emitted text (rather than the :class:`~stockade.dataplane.ruleset.Ruleset` it came
from) is the point: a rendering bug then shows up as a wrong verdict.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

Value = int | str | ipaddress.IPv4Address | ipaddress.IPv6Address | None
Part = Callable[[Value], bool]

_TOKEN = re.compile(r'"[^"]*"|\S+')
_FIELDS = {
    "iifname": 1,
    "oifname": 1,
    "ip": 2,
    "ip6": 2,
    "meta": 2,
    "th": 2,
    "ct": 2,
    "icmpv6": 2,
    "@th,0,16": 1,
    "@th,0,8": 1,  # an ICMP type
    "@th,8,8": 1,  # an ICMP code
}
_STATEMENTS = {"counter", "notrack", "accept", "drop", "return"}


class Unreadable(ValueError):
    """A rule outside the subset this module reads."""


@dataclass(frozen=True)
class Match:
    selector: tuple[str, ...]
    negate: bool = False
    set_name: str | None = None  # ``@name``
    anonymous: tuple[tuple[Part, ...], ...] = ()  # ``{ … }`` or a single value


@dataclass(frozen=True)
class VMap:
    selector: tuple[str, ...]
    set_name: str | None = None
    anonymous: tuple[tuple[tuple[Part, ...], str], ...] = ()


@dataclass(frozen=True)
class Statement:
    """A verdict (``accept``, ``drop``, ``jump x``, ``goto x``), ``notrack`` or ``log``."""

    kind: str
    argument: str = ""


Item = Match | VMap | Statement


@lru_cache(maxsize=65536)
def parse_rule(text: str) -> tuple[Item, ...]:
    tokens = _split(text)
    items: list[Item] = []
    i = 0
    try:
        while i < len(tokens):
            i = _item(tokens, i, items)
    except IndexError:
        raise Unreadable(f"incomplete rule: {text}") from None
    return tuple(items)


def _split(text: str) -> list[str]:
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token.endswith(",") and len(token) > 1 and not token.startswith('"'):
            out += [token[:-1], ","]
        else:
            out.append(token)
    return out


def _item(tokens: list[str], i: int, items: list[Item]) -> int:
    word = tokens[i]
    if word == "log":
        i += 1
        prefix = ""
        while i + 1 < len(tokens) and tokens[i] in ("prefix", "group", "snaplen", "level"):
            if tokens[i] == "prefix":
                prefix = tokens[i + 1].strip('"')
            i += 2
        items.append(Statement("log", prefix))
        return i
    if word in ("jump", "goto"):
        items.append(Statement(word, tokens[i + 1]))
        return i + 2
    if word in _STATEMENTS:
        items.append(Statement(word))
        return i + 1
    if word in ("dnat", "snat"):
        items.append(Statement("nat"))
        return len(tokens)
    selector: tuple[str, ...]
    if word == "tcp" and tokens[i + 1 : i + 6] == ["flags", "&", "(syn", "|", "ack)"]:
        selector, i = ("tcp flags & (syn | ack)",), i + 6
    elif word == "ct" and tokens[i + 1] in ("original", "reply"):  # ``ct reply ip daddr``
        selector, i = (" ".join(tokens[i : i + 4]),), i + 4
    else:
        selector, i = _selector(tokens, i)
    if i < len(tokens) and tokens[i] == "set":  # a statement: ``meta mark set 0x1`` …
        if tokens[i + 1] in ("ip", "ip6"):  # ``ip daddr set ip daddr map @nat_dst``
            items.append(Statement("nat"))
            return i + 5
        return i + 2
    if i < len(tokens) and tokens[i] == "vmap":
        if tokens[i + 1].startswith("@"):
            items.append(VMap(selector, tokens[i + 1][1:]))
            return i + 2
        entries, i = _braces(tokens, i + 1)
        items.append(
            VMap(selector, anonymous=tuple((key, " ".join(verdict)) for key, verdict in entries))
        )
        return i
    negate = i < len(tokens) and tokens[i] == "!="
    i += negate
    if tokens[i].startswith("@"):
        items.append(Match(selector, negate, tokens[i][1:]))
        return i + 1
    if tokens[i] == "{":
        entries, i = _braces(tokens, i)
        items.append(Match(selector, negate, anonymous=tuple(key for key, _ in entries)))
        return i
    items.append(Match(selector, negate, anonymous=(key_parts(tokens[i]),)))
    return i + 1


def _selector(tokens: list[str], i: int) -> tuple[tuple[str, ...], int]:
    fields: list[str] = []
    while True:
        width = _FIELDS.get(tokens[i])
        if width is None:
            raise Unreadable(f"not a field: {tokens[i]!r} in {' '.join(tokens)}")
        fields.append(" ".join(tokens[i : i + width]))
        i += width
        if i < len(tokens) and tokens[i] == ".":
            i += 1
            continue
        return tuple(fields), i


def _braces(tokens: list[str], i: int) -> tuple[list[tuple[tuple[Part, ...], list[str]]], int]:
    """``{ k . k : verdict, … }`` from ``tokens[i] == "{"``: (key parts, value tokens)."""
    if tokens[i] != "{":
        raise Unreadable(f"expected {{ in {' '.join(tokens)}")
    entries: list[tuple[tuple[Part, ...], list[str]]] = []
    key: list[str] = []
    value: list[str] | None = None
    i += 1
    while tokens[i] != "}":
        token = tokens[i]
        if token == ",":
            entries.append((key_parts(" ".join(key)), value or []))
            key, value = [], None
        elif token == ":" and value is None:
            value = []
        elif value is not None:
            value.append(token)
        else:
            key.append(token)
        i += 1
    if key:
        entries.append((key_parts(" ".join(key)), value or []))
    return entries, i + 1


# -- keys and values -----------------------------------------------------------------------


@lru_cache(maxsize=262144)
def key_parts(key: str) -> tuple[Part, ...]:
    """``10.0.0.0/8 . 6 . 22-80`` → one predicate per part of the concatenation."""
    return tuple(_part(p) for p in key.split(" . "))


def _part(text: str) -> Part:
    if text.startswith('"'):
        name = text.strip('"')
        return lambda v: v == name
    lo, hi = _interval(text)
    if lo is None:  # a symbol, or several (``established,related``)
        names = frozenset(text.split(","))
        return lambda v: v in names
    return lambda v: v is not None and not isinstance(v, str) and _within(v, lo, hi)


def _within(value, lo, hi) -> bool:
    if isinstance(lo, int) != isinstance(value, int):
        return False
    if not isinstance(lo, int) and lo.version != value.version:
        return False
    return lo <= value <= hi


def _interval(text: str):
    """The (lo, hi) a part covers, or (None, None) for a symbol."""
    if text.isdigit():
        return int(text), int(text)
    if text.startswith("0x"):
        return int(text, 16), int(text, 16)
    if "-" in text:
        a, b = text.split("-", 1)
        if a.isdigit():
            return int(a), int(b)
        return ipaddress.ip_address(a), ipaddress.ip_address(b)
    if "/" in text:
        net = ipaddress.ip_network(text, strict=False)
        return net.network_address, net.broadcast_address
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None, None
    return address, address


def overlaps(a: str, b: str) -> bool:
    """Whether two keys of an interval set cover a common point."""
    for x, y in zip(a.split(" . "), b.split(" . "), strict=True):
        (xl, xh), (yl, yh) = _interval(x), _interval(y)
        if xl is None or yl is None:
            if x != y:
                return False
            continue
        if type(xl) is not type(yl) or xh < yl or yh < xl:
            return False
    return True


def matches(parts: tuple[Part, ...], values: tuple[Value, ...]) -> bool:
    return len(parts) == len(values) and all(p(v) for p, v in zip(parts, values, strict=True))
