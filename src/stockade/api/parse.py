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
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from botocore.model import ListShape, Shape, StructureShape

from stockade.api.model import operation_model
from stockade.domain.errors import AwsError, invalid_value, missing_parameter

#: Parameters that belong to the protocol, not to the operation's input shape.
_PROTOCOL_PARAMS = frozenset({"Action", "Version"})
#: Presigned-URL SigV4 parameters (``X-Amz-Signature`` ...), checked by :mod:`sigv4`.
_PRESIGN_PREFIX = "X-Amz-"

_MAX_KEY_LENGTH = 512
_MAX_FIELDS = 100_000
_MAX_SEGMENTS = 24
_MAX_SHOWN_VALUE = 200

_INTEGER = re.compile(r"-?[0-9]{1,19}")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,4})?|-?Infinity|NaN")
_INT_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


@dataclass(frozen=True)
class ParsedRequest:
    """An EC2 Query request: the action and its parameters keyed by model member names."""

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
    operation_model(action)  # InvalidAction for unknown names
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
    pairs: list[tuple[str, str]] = []
    for source in (query_string, body):
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        if not text:
            continue
        if text.count("&") >= _MAX_FIELDS:
            raise AwsError("InvalidRequest", "The request has too many parameters.")
        pairs.extend(_form_pairs(text))
    return pairs


def _form_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)``, exactly (``&``-separated, a name
    without ``=`` has the value ``""``, ``+`` is a space, percent-escapes are UTF-8 with
    invalid bytes replaced), but decoding only the fields that need it: most of a
    botocore body is plain ``Name.N=value`` text, and ``parse_qsl`` decodes every name and
    value through two function calls (~40 us for a 3-permission authorize)."""
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
    if raw.__class__ is list:  # request_pairs' answer: C-speed unless something is odd
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
        if key in _PROTOCOL_PARAMS or key.startswith(_PRESIGN_PREFIX):
            continue
        if len(key) > _MAX_KEY_LENGTH:
            raise _unknown(key)
        parts = key.split(".")
        if len(parts) > _MAX_SEGMENTS or "" in parts:
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
    plan = _action_plan(action)
    root = _tree(flat)
    if plan is None:
        if root[_CHILDREN]:
            raise _unknown(next(iter(root[_CHILDREN].values()))[_KEY])
        return {}
    return _structure(plan, root)


# --- per-shape plans -------------------------------------------------------------------------


@dataclass
class _StructPlan:
    members: dict[str, tuple[str, Any]]  # wire name -> (member name, plan)
    required: list[tuple[str, str]]  # (wire name, member name)


@dataclass(frozen=True)
class _ListPlan:
    member: Any


@dataclass(frozen=True)
class _ScalarPlan:
    type_name: str


#: Shape plans, shared between operations; read and written only under ``_lock``.
_shape_plans: dict[str, Any] = {}
#: Finished plans per action: the lock-free fast path only ever sees complete plans.
_action_plans: dict[str, _StructPlan | None] = {}
_lock = threading.Lock()


def _wire_name(shape: Shape, member_name: str) -> str:
    """EC2Serializer._get_serialized_name: queryName, else Capitalised locationName."""
    serialization = shape.serialization
    if "queryName" in serialization:
        return str(serialization["queryName"])
    name = serialization.get("name")
    if name:
        return str(name[0].upper() + name[1:])
    return member_name


def _action_plan(action: str) -> _StructPlan | None:
    """The input plan of ``action`` (``None`` when it takes no parameters), built once."""
    try:
        return _action_plans[action]
    except KeyError:
        pass
    shape = operation_model(action).input_shape
    with _lock:
        plan = _build_plan(shape) if shape is not None else None
        _action_plans[action] = plan
    return plan


def _build_plan(shape: Shape) -> Any:
    known = _shape_plans.get(shape.name)
    if known is not None:
        return known
    if isinstance(shape, StructureShape):  # botocore's class for every "structure"
        struct = _StructPlan({}, [])
        _shape_plans[shape.name] = struct  # before members, so recursive shapes terminate
        for member_name, member_shape in shape.members.items():
            wire = _wire_name(member_shape, member_name)
            struct.members[wire] = (member_name, _build_plan(member_shape))
            if member_name in shape.required_members:
                struct.required.append((wire, member_name))
        return struct
    if isinstance(shape, ListShape):  # botocore's class for every "list"
        plan: Any = _ListPlan(_build_plan(shape.member))
    else:  # maps do not occur in EC2 inputs; anything new is parsed as text-less scalar
        plan = _ScalarPlan(shape.type_name)
    _shape_plans[shape.name] = plan
    return plan


def _convert(plan: Any, node: _Node) -> Any:
    kind = plan.__class__
    if kind is _ScalarPlan:
        children = node[_CHILDREN]
        if children:
            raise _unknown(next(iter(children.values()))[_KEY])
        if node[_VALUE] is None:  # pragma: no cover - a node always has a value or children
            raise missing_parameter(_path(node))
        if plan.type_name == "string":  # most scalars: no conversion
            return node[_VALUE]
        return _scalar(plan.type_name, node)
    if kind is _ListPlan:
        return _list(plan, node)
    return _structure(plan, node)


def _structure(plan: _StructPlan, node: _Node) -> dict[str, Any]:
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


def _is_index(segment: str) -> bool:
    """A list index as the wire writes it: 1 to 2**31-1, no sign, no leading zero."""
    return (
        0 < len(segment) <= 10
        and segment.isascii()
        and segment.isdigit()
        and segment[0] != "0"
        and int(segment) <= 2**31 - 1
    )


def _list(plan: _ListPlan, node: _Node) -> list[Any]:
    value, children = node[_VALUE], node[_CHILDREN]
    if value is not None and (children or value != ""):
        raise invalid_value(_path(node), _shown(value))
    member = plan.member
    if len(children) == 1:  # the common one-element list: no sort
        ((segment, child),) = children.items()
        if not _is_index(segment):
            raise _unknown(child[_KEY])
        return [_convert(member, child)]
    indexed: list[tuple[int, _Node]] = []
    for segment, child in children.items():
        if not _is_index(segment):
            raise _unknown(child[_KEY])
        indexed.append((int(segment), child))
    if len(indexed) > 1:
        indexed.sort(key=_first)
    return [_convert(member, child) for _, child in indexed]


def _first(item: tuple[int, _Node]) -> int:
    return item[0]


def _scalar(type_name: str, node: _Node) -> Any:
    text = node[_VALUE]
    assert text is not None
    if type_name == "string":
        return text
    if type_name in _INT_RANGES:
        low, high = _INT_RANGES[type_name]
        if _INTEGER.fullmatch(text):
            number = int(text)
            if low <= number <= high:
                return number
        raise invalid_value(_path(node), _shown(text))
    if type_name == "boolean":
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise invalid_value(_path(node), _shown(text))
    if type_name in ("double", "float"):
        if _FLOAT.fullmatch(text):
            return float(text)
        raise invalid_value(_path(node), _shown(text))
    if type_name == "timestamp":
        return _timestamp(text, _path(node))
    if type_name == "blob":
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise invalid_value(_path(node), _shown(text)) from None
    raise _unknown(_path(node))


def _timestamp(text: str, path: str) -> datetime:
    """ISO 8601 (what botocore sends) or epoch seconds; naive times are UTC."""
    try:
        if _INTEGER.fullmatch(text):
            return datetime.fromtimestamp(int(text), UTC)
        if len(text) > 40 or not text[:4].isascii() or not text[:4].isdigit():
            raise ValueError(text)
        value = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise invalid_value(path, _shown(text)) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
