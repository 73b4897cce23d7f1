"""The per-shape input plans both request parsers walk, and the wire rules they share.

:mod:`stockade.api.parse` has two ways from flat form parameters to a params dict: a
route per parameter name for the regular request (:mod:`stockade.api.parse_fast`) and the
general tree walk that finds and words every error. They must agree on every input, so
each rule lives here once: which names belong to the protocol, the key limits, a member's
wire name, what a list index is, and how a scalar's text becomes the model's type.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, Shape, StructureShape

from stockade.api.model import operation_model

#: Parameters that belong to the protocol, not to the operation's input shape.
_PROTOCOL_PARAMS = frozenset({"Action", "Version"})
#: Presigned-URL SigV4 parameters (``X-Amz-Signature`` ...), checked by :mod:`sigv4`.
_PRESIGN_PREFIX = "X-Amz-"

#: A longer parameter name, or one of more dotted segments, is not one the model has.
MAX_KEY_LENGTH = 512
MAX_SEGMENTS = 24


def is_protocol_param(key: str) -> bool:
    """``Action``, ``Version`` and presigned ``X-Amz-*``: not part of the input shape."""
    return key in _PROTOCOL_PARAMS or key.startswith(_PRESIGN_PREFIX)


def is_index(segment: str) -> bool:
    """A list index as the wire writes it: 1 to 2**31-1, no sign, no leading zero."""
    return (
        0 < len(segment) <= 10
        and segment.isascii()
        and segment.isdigit()
        and segment[0] != "0"
        and int(segment) <= 2**31 - 1
    )


def wire_name(shape: Shape, member_name: str) -> str:
    """EC2Serializer._get_serialized_name: queryName, else Capitalised locationName."""
    serialization = shape.serialization
    if "queryName" in serialization:
        return str(serialization["queryName"])
    name = serialization.get("name")
    if name:
        return str(name[0].upper() + name[1:])
    return member_name


# --- scalar conversions ----------------------------------------------------------------------
# Each takes the text as sent and answers the model's value, or raises ValueError: the
# general parser words that as InvalidParameterValue, the fast one falls back to it.

_INTEGER = re.compile(r"-?[0-9]{1,19}")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,4})?|-?Infinity|NaN")


def _integer_between(low: int, high: int) -> Callable[[str], int]:
    def integer(text: str) -> int:
        # ``isascii() and isdigit()`` is ``[0-9]+`` without the regex, for the usual port
        if (
            (len(text) <= 19 and text.isascii() and text.isdigit()) or _INTEGER.fullmatch(text)
        ) and low <= (number := int(text)) <= high:
            return number
        raise ValueError(text)

    return integer


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(text)


def _double(text: str) -> float:
    if _FLOAT.fullmatch(text):
        return float(text)
    raise ValueError(text)


def _timestamp(text: str) -> datetime:
    """ISO 8601 (what botocore sends) or epoch seconds; naive times are UTC."""
    try:
        if _INTEGER.fullmatch(text):
            return datetime.fromtimestamp(int(text), UTC)
        if len(text) > 40 or not text[:4].isascii() or not text[:4].isdigit():
            raise ValueError(text)
        value = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise ValueError(text) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _blob(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError(text) from None


#: The conversion per model scalar type; ``string`` is the text itself. A type not listed
#: (maps do not occur in EC2 inputs) makes any value an unknown parameter.
SCALAR_CONVERSIONS: dict[str, Callable[[str], Any] | None] = {
    "string": None,
    "integer": _integer_between(-(2**31), 2**31 - 1),
    "long": _integer_between(-(2**63), 2**63 - 1),
    "boolean": _boolean,
    "double": _double,
    "float": _double,
    "timestamp": _timestamp,
    "blob": _blob,
}


# --- per-shape plans -------------------------------------------------------------------------


@dataclass
class StructPlan:
    members: dict[str, tuple[str, Any]]  # wire name -> (member name, plan)
    required: list[tuple[str, str]]  # (wire name, member name)


@dataclass(frozen=True)
class ListPlan:
    member: Any


@dataclass(frozen=True)
class ScalarPlan:
    type_name: str


#: Shape plans, shared between operations; read and written only under ``_lock``.
_shape_plans: dict[str, Any] = {}
#: Finished plans per action: the lock-free fast path only ever sees complete plans.
_action_plans: dict[str, StructPlan | None] = {}
_lock = threading.Lock()


def action_plan(action: str) -> StructPlan | None:
    """The input plan of ``action`` (``None`` when it takes no parameters), built once.

    ``InvalidAction`` for a name the model lacks."""
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
        struct = StructPlan({}, [])
        _shape_plans[shape.name] = struct  # before members, so recursive shapes terminate
        for member_name, member_shape in shape.members.items():
            wire = wire_name(member_shape, member_name)
            struct.members[wire] = (member_name, _build_plan(member_shape))
            if member_name in shape.required_members:
                struct.required.append((wire, member_name))
        return struct
    if isinstance(shape, ListShape):  # botocore's class for every "list"
        plan: Any = ListPlan(_build_plan(shape.member))
    else:  # maps do not occur in EC2 inputs; anything new is parsed as text-less scalar
        plan = ScalarPlan(shape.type_name)
    _shape_plans[shape.name] = plan
    return plan
