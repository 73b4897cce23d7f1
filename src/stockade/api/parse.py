"""EC2 Query request parsing: flat form parameters -> nested dict keyed like boto3's params.

This is botocore's ``EC2Serializer`` run backwards, driven by the operation's input shape,
so every action gets the same (AWS-faithful) treatment without per-action code:

- a member's wire name is its ``queryName``, else its ``locationName`` with the first letter
  upper-cased, else the member name (so ``UserIdGroupPairs`` arrives as ``Groups`` and
  ``CreateSecurityGroup``'s ``Description`` as ``GroupDescription``);
- structures are ``<Name>.<Member>``; lists are flat ``<Name>.<n>`` with 1-based indexes
  (gaps allowed, ordered by index), nested lists join with dots;
- scalars are converted to the model's type (integer, long, boolean, double, timestamp, blob).

The contract, relied on by the fuzz tests and the ASGI app: for *any* input this module
either returns a value or raises :class:`AwsError` -- never another exception.

Two paths, one answer: a regular request is parsed by precomputed per-name routes
(:mod:`stockade.api.parse_fast`, ~3x cheaper); anything else by the general tree walk
below, the one source of every error message. Both use the rules of
:mod:`stockade.api.parse_plan` (wire names, indexes, scalar conversions, key limits).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

from stockade.api.parse_fast import action_routes, regular_params
from stockade.api.parse_plan import (
    MAX_KEY_LENGTH,
    MAX_SEGMENTS,
    SCALAR_CONVERSIONS,
    ListPlan,
    ScalarPlan,
    StructPlan,
    is_index,
    is_protocol_param,
)
from stockade.domain.errors import AwsError, invalid_value, missing_parameter

_MAX_FIELDS = 100_000
_MAX_SHOWN_VALUE = 200


class ParsedRequest(NamedTuple):
    """An EC2 Query request: the action and its parameters keyed by model member names.

    (A named tuple: made per request, ~0.3 us cheaper than a frozen dataclass.)"""

    action: str
    version: str | None
    params: dict[str, Any]


def parse_request(raw: Mapping[str, Any] | Iterable[tuple[str, str]]) -> ParsedRequest:
    """Parse a whole request (form body and/or query string): ``Action``, then its input.

    ``MissingAction`` without ``Action``; ``InvalidAction`` for a name the model lacks.
    """
    flat = _flatten(raw)
    action = flat.get("Action")
    if action is None or action == "":
        raise AwsError("MissingAction", "The request must contain the parameter Action")
    return ParsedRequest(action, flat.get("Version"), _parse_flat(action, flat))


def parse_params(action: str, raw: Mapping[str, Any] | Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Parse the parameters of ``action`` into a dict keyed by the model's member names.

    ``raw`` maps wire names to a value or a list of values (``parse_qs`` style) or is a
    sequence of ``(name, value)`` pairs (``parse_qsl`` / Starlette ``multi_items()``).
    ``Action``, ``Version`` and presigned ``X-Amz-*`` parameters are ignored.
    """
    return _parse_flat(action, _flatten(raw))


def request_pairs(body: bytes | str = b"", query_string: bytes | str = "") -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a form body plus a query string, decoded as AWS does.

    Percent-escapes decode as UTF-8 (invalid bytes become U+FFFD) and ``+`` is a space.
    Both sources are combined; a name given in both with different values is rejected later
    by :func:`parse_params`. Raises only ``AwsError`` (``InvalidRequest`` for absurd input).
    """
    pairs = _FormPairs()
    for source in (query_string, body):
        if not source:  # the usual empty query string: nothing to decode
            continue
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        if text.count("&") >= _MAX_FIELDS:
            raise AwsError("InvalidRequest", "The request has too many parameters.")
        pairs.extend(_form_pairs(text))
    return pairs


class _FormPairs(list[tuple[str, str]]):
    """:func:`request_pairs`' answer: every name and value a ``str`` by construction, so
    :func:`_flatten` need not look at each (~1 us a request)."""


def _form_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)``, exactly (``&``-separated, a name
    without ``=`` has the value ``""``, ``+`` is a space, percent-escapes are UTF-8 with
    invalid bytes replaced), but cheaper: ``parse_qsl`` decodes every name and value
    through two function calls (~40 us for a 3-permission authorize), ``unquote_plus``
    costs ~2 us a value, and a botocore body is plain ``Name.N=value`` text but for a few
    ASCII escapes (``%2F`` in a CIDR, ``%2A`` in a wildcard). Those are decoded in the
    whole text at once -- the same as field by field, as no escape decoded there is ``&``
    or ``=`` -- and any other escape sends the text field by field through
    ``unquote_plus``."""
    if "%" in text or "+" in text:
        decoded = _ascii_unescaped(text.replace("+", " "))
        if decoded is None:
            return _form_pairs_by_field(text)
        text = decoded
    pairs = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((name, value))
    return pairs


#: ``%XX`` (either case) of each ASCII character but the field separators ``&`` and ``=``.
_ASCII_ESCAPES = {
    f"{code:02{case}}": chr(code) for code in range(0x80) if chr(code) not in "&=" for case in "Xx"
}


def _ascii_unescaped(text: str) -> str | None:
    """``text`` with its escapes decoded, or ``None`` if one is not in ``_ASCII_ESCAPES``
    (a UTF-8 byte, ``&``, ``=`` or a ``%`` that starts no escape)."""
    pieces = text.split("%")
    if len(pieces) == 1:
        return text
    decoded = [pieces[0]]
    for piece in pieces[1:]:
        char = _ASCII_ESCAPES.get(piece[:2])
        if char is None:
            return None
        decoded.append(char)
        decoded.append(piece[2:])
    return "".join(decoded)


def _form_pairs_by_field(text: str) -> list[tuple[str, str]]:
    pairs = []
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name, errors="replace")
        if "%" in value or "+" in value:
            value = unquote_plus(value, errors="replace")
        pairs.append((name, value))
    return pairs


# --- flat input ------------------------------------------------------------------------------


def _flatten(raw: Any) -> dict[str, str]:
    """One string per parameter name; a name given twice with different values is an error."""
    if raw.__class__ is _FormPairs:  # request_pairs' answer: all str, a name twice is rare
        formed: dict[str, str] = dict(raw)
        if len(formed) == len(raw):
            return formed
    elif raw.__class__ is list:  # other pairs: C-speed unless something is odd
        try:
            quick: dict[str, str] = dict(raw)
        except (TypeError, ValueError):
            pass  # not pairs, or unhashable names: the checks below say what is wrong
        else:
            if (
                len(quick) == len(raw)  # no name twice
                and all(k.__class__ is str for k in quick)
                and all(v.__class__ is str for v in quick.values())
            ):
                return quick
    if isinstance(raw, Mapping):
        pairs: Iterable[Any] = raw.items()
    elif isinstance(raw, Iterable) and not isinstance(raw, str | bytes):
        pairs = raw
    else:
        raise AwsError("InvalidRequest", "The request parameters could not be read.")
    flat: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise AwsError("InvalidRequest", "The request parameters could not be read.")
        key, value = pair
        if not isinstance(key, str):
            raise AwsError("InvalidRequest", "The request parameters could not be read.")
        values = value if isinstance(value, list | tuple) else [value]
        for one in values:
            if not isinstance(one, str):
                raise invalid_value(key, _shown(one))
            previous = flat.setdefault(key, one)
            if previous != one:
                raise invalid_value(key, _shown(one), "The parameter was given more than once.")
    return flat


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_SHOWN_VALUE else text[:_MAX_SHOWN_VALUE] + "..."


def _unknown(name: str) -> AwsError:
    shown = name if len(name) <= _MAX_SHOWN_VALUE else name[:_MAX_SHOWN_VALUE] + "..."
    return AwsError("UnknownParameter", f"The parameter {shown} is not recognized")


# --- the parameter tree ----------------------------------------------------------------------


#: One dotted prefix of the flat names, as a list (cheaper to make than an object: a
#: request has a node per prefix): its own value (if sent), its sub-names, one full
#: parameter name under it (for error messages) and how many of that name's segments the
#: prefix is.
_Node = list
_VALUE, _CHILDREN, _KEY, _DEPTH = range(4)


def _path(node: _Node) -> str:
    """A prefix as a parameter name (``IpPermissions.1``): built only for an error
    message, so that a request that parses spends nothing on names."""
    return ".".join(node[_KEY].split(".")[: node[_DEPTH]])


def _tree(flat: Mapping[str, str]) -> _Node:
    root: _Node = [None, {}, "", 0]
    for key, value in flat.items():
        if is_protocol_param(key):
            continue
        if len(key) > MAX_KEY_LENGTH:
            raise _unknown(key)
        parts = key.split(".")
        if len(parts) > MAX_SEGMENTS or "" in parts:
            raise _unknown(key)
        node = root
        for depth, part in enumerate(parts, 1):
            children = node[_CHILDREN]
            child = children.get(part)
            if child is None:
                child = children[part] = [None, {}, key, depth]
            node = child
        node[_VALUE] = value
    return root


def _parse_flat(action: str, flat: Mapping[str, str]) -> dict[str, Any]:
    """The regular request by its routes; anything else by the general walk below."""
    routes = action_routes(action)  # InvalidAction for unknown names
    params = regular_params(routes, flat)
    return params if params is not None else general_params(routes.plan, flat)


def general_params(plan: StructPlan | None, flat: Mapping[str, str]) -> dict[str, Any]:
    """The params of any request by a tree of its names: the one source of every error
    message (and the reference the fast path is tested against)."""
    root = _tree(flat)
    if plan is None:
        if root[_CHILDREN]:
            raise _unknown(next(iter(root[_CHILDREN].values()))[_KEY])
        return {}
    return _structure(plan, root)


def _convert(plan: Any, node: _Node) -> Any:
    kind = plan.__class__
    if kind is ScalarPlan:
        children = node[_CHILDREN]
        if children:
            raise _unknown(next(iter(children.values()))[_KEY])
        if node[_VALUE] is None:  # pragma: no cover - a node always has a value or children
            raise missing_parameter(_path(node))
        return _scalar(plan.type_name, node)
    if kind is ListPlan:
        return _list(plan, node)
    return _structure(plan, node)


def _structure(plan: StructPlan, node: _Node) -> dict[str, Any]:
    value, children = node[_VALUE], node[_CHILDREN]
    if value is not None and (children or value != ""):
        raise invalid_value(_path(node), _shown(value))
    result: dict[str, Any] = {}
    members = plan.members
    for segment, child in children.items():
        entry = members.get(segment)
        if entry is None:
            raise _unknown(child[_KEY])
        member_name, member_plan = entry
        result[member_name] = _convert(member_plan, child)
    for wire, member_name in plan.required:
        if member_name not in result:
            raise missing_parameter(f"{_path(node)}.{wire}" if node[_DEPTH] else wire)
    return result


def _list(plan: ListPlan, node: _Node) -> list[Any]:
    value, children = node[_VALUE], node[_CHILDREN]
    if value is not None and (children or value != ""):
        raise invalid_value(_path(node), _shown(value))
    member = plan.member
    if len(children) == 1:  # the common one-element list: no sort
        ((segment, child),) = children.items()
        if not is_index(segment):
            raise _unknown(child[_KEY])
        return [_convert(member, child)]
    indexed: list[tuple[int, _Node]] = []
    for segment, child in children.items():
        if not is_index(segment):
            raise _unknown(child[_KEY])
        indexed.append((int(segment), child))
    if len(indexed) > 1:
        indexed.sort(key=_first)
    return [_convert(member, child) for _, child in indexed]


def _first(item: tuple[int, _Node]) -> int:
    return item[0]


def _scalar(type_name: str, node: _Node) -> Any:
    text = node[_VALUE]
    if type_name not in SCALAR_CONVERSIONS:
        raise _unknown(_path(node))
    convert = SCALAR_CONVERSIONS[type_name]
    if convert is None:  # a string, as sent
        return text
    try:
        return convert(text)
    except ValueError:
        raise invalid_value(_path(node), _shown(text)) from None
