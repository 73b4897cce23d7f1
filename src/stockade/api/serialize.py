"""EC2 Query responses: success documents from the output shape, and error documents.

A success document is ``<{Action}Response xmlns=...>`` with ``<requestId>`` first and the
output members by their model ``locationName``; every list is a wrapper element holding
``<item>`` children (or ``<x/>`` when empty); absent or ``None`` members are left out.
An error document is ``<Response><Errors><Error><Code/><Message/></Error></Errors>
<RequestID/></Response>`` -- note ``RequestID`` there versus ``requestId`` on success.

Why code generation: DescribeSecurityGroups over 2,500 groups must answer end to end in
well under 150 ms, so walking botocore shapes per value is too slow. Instead each output
shape is compiled, once, into a small Python function (straight-line ``dict.get`` and
``list.append`` calls with the element names baked in as constants) and documents are built
with one ``''.join``. See :func:`generated_source` to read what is produced.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from botocore.model import ListShape, Shape, StructureShape

from stockade.api.model import EC2_NAMESPACE, operation_model
from stockade.domain.errors import AwsError

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
CONTENT_TYPE = "text/xml;charset=UTF-8"

# --- scalar text -----------------------------------------------------------------------------

# Characters that need work: markup, CR (an XML parser would turn it into LF), and
# characters XML 1.0 cannot carry at all (C0 controls, lone surrogates, U+FFFE/U+FFFF),
# which are replaced by U+FFFD so a stored oddity can never make a response unparseable
# or unencodable.
_NEEDS_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]").search
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


#: Escaped text of recently seen strings. Responses repeat the same ids, CIDRs, protocols
#: and owner ids over and over; a dict hit (~30 ns) beats the regex scan (~120 ns) by 4x on
#: the DescribeSecurityGroups hot path. Only ``str`` keys are stored (``True == 1``).
_escape_cache: dict[str, str] = {}
_ESCAPE_CACHE_LIMIT = 100_000
_CACHED_LENGTH = 96


def escape_text(value: Any) -> str:
    """XML text for a string member (plain strings come back unchanged)."""
    if value.__class__ is not str:
        return _escape(_as_text(value))
    escaped = _escape(value)
    if len(value) <= _CACHED_LENGTH:  # ids, CIDRs, names repeat; long descriptions rarely do
        if len(_escape_cache) >= _ESCAPE_CACHE_LIMIT:
            _escape_cache.clear()
        _escape_cache[value] = escaped
    return escaped


def _escape(value: str) -> str:
    if _NEEDS_WORK(value) is None:
        return value
    value = (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )
    return _INVALID_XML.sub("\ufffd", value)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _integer(value: Any) -> str:
    if value.__class__ is int:
        return str(value)
    if isinstance(value, bool):  # a bool where a number belongs is a caller bug; be exact
        return "1" if value else "0"
    return str(int(value))


def _float(value: Any) -> str:
    return repr(float(value))


def _boolean(value: Any) -> str:
    if isinstance(value, str):  # "true"/"false" from storage
        return "true" if value.lower() == "true" else "false"
    return "true" if value else "false"


def format_timestamp(value: Any) -> str:
    """ISO 8601 in UTC with milliseconds, as AWS writes them: ``2026-11-28T18:00:00.000Z``.

    Naive datetimes are taken as UTC; numbers as epoch seconds; strings pass through.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}Z"
        )
    return escape_text(value)


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


#: Python expression (over the variable ``{v}``) giving the XML text of each scalar type.
_SCALAR_EXPR = {
    "string": "(C({v}) or E({v}))",
    "character": "(C({v}) or E({v}))",
    "integer": "I({v})",
    "long": "I({v})",
    "boolean": "BOOL({v})",
    "float": "F({v})",
    "double": "F({v})",
    "timestamp": "T({v})",
    "blob": "B({v})",
}

# --- code generation -------------------------------------------------------------------------

_namespace: dict[str, Any] = {
    "C": _escape_cache.get,
    "E": escape_text,
    "I": _integer,
    "F": _float,
    "BOOL": _boolean,
    "T": format_timestamp,
    "B": _blob,
}
_function_names: dict[str, str] = {}  # shape name -> generated function name
_sources: dict[str, str] = {}  # shape name -> generated source (for generated_source())
_action_writers: dict[str, Callable[[Any, Callable[[str], None]], None] | None] = {}
_lock = threading.Lock()


def _element_name(shape: Shape, member_name: str) -> str:
    """botocore's ``_member_key_name`` for non-flattened members: locationName or name."""
    return str(shape.serialization.get("name", member_name))


def _function_for(shape: Shape) -> str:
    """Name of the generated writer for a structure or list shape, generating it if needed."""
    name = _function_names.get(shape.name)
    if name is not None:
        return name
    if shape.serialization.get("flattened") or shape.type_name == "map":
        # Neither occurs in EC2 outputs (a test walks every operation to prove it).
        raise TypeError(f"unsupported output shape {shape.name} ({shape.type_name}, flattened)")
    name = f"_w{len(_function_names)}"
    _function_names[shape.name] = name  # before the body, so recursive shapes terminate
    if isinstance(shape, StructureShape):  # botocore's class for every "structure"
        source = _structure_source(name, shape)
    elif isinstance(shape, ListShape):
        source = _list_source(name, shape)
    else:
        raise TypeError(f"no writer for scalar shape {shape.name} ({shape.type_name})")
    _sources[shape.name] = source
    exec(compile(source, f"<stockade-serializer {shape.name}>", "exec"), _namespace)
    return name


def _is_nested(shape: Shape) -> bool:
    return shape.type_name in ("structure", "list")


def _scalar_lines(shape: StructureShape, source: str, indent: str) -> tuple[list[str], str]:
    """Lines binding each scalar member of ``shape`` (read from dict ``source``) and one
    expression concatenating their elements, ``None`` members contributing ``''``."""
    lines, pieces = [f"{indent}g = {source}.get"], []
    for index, (member_name, member) in enumerate(shape.members.items()):
        if _is_nested(member):
            continue
        tag = _element_name(member, member_name)
        text = _SCALAR_EXPR.get(member.type_name, "E({v})").format(v=f"s{index}")
        lines.append(f"{indent}s{index} = g({member_name!r})")
        pieces.append(
            f"('' if s{index} is None else {'<' + tag + '>'!r} + {text} + {'</' + tag + '>'!r})"
        )
    return lines, " + ".join(pieces)


def _structure_source(name: str, shape: StructureShape) -> str:
    """``def _wN(v, a, o='', c='')``: write struct ``v`` wrapped in the tags ``o``/``c``.

    All scalar members go out in one ``append`` (scalars first, then nested members: element
    order carries no meaning for botocore or the AWS SDKs); nested members follow.
    """
    lines, scalars = _scalar_lines(shape, "v", "    ")
    lines.insert(0, f"def {name}(v, a, o='', c=''):")
    lines.append(f"    a(o + {scalars})" if scalars else "    a(o)")
    for member_name, member in shape.members.items():
        if not _is_nested(member):
            continue
        tag = _element_name(member, member_name)
        open_tag, close_tag, empty_tag = f"<{tag}>", f"</{tag}>", f"<{tag}/>"
        function = _function_for(member)
        lines.append(f"    x = g({member_name!r})")
        if member.type_name == "structure":
            lines.append(f"    if x is not None: {function}(x, a, {open_tag!r}, {close_tag!r})")
        else:
            lines.append("    if x is not None:")
            lines.append(f"        if x: a({open_tag!r}); {function}(x, a); a({close_tag!r})")
            lines.append(f"        else: a({empty_tag!r})")
    lines.append("    a(c)")
    return "\n".join(lines) + "\n"


def _list_source(name: str, shape: ListShape) -> str:
    """``def _wN(x, a)``: write the items of list ``x`` (the caller writes the wrapper)."""
    member = shape.member
    item = str(member.serialization.get("name", "member"))
    open_tag, close_tag = f"<{item}>", f"</{item}>"
    lines = [f"def {name}(x, a):", "    for i in x:"]
    if isinstance(member, StructureShape) and not any(
        _is_nested(m) for m in member.members.values()
    ):  # a flat struct (IpRange, Tag, ...): one append per item, no call
        bind, scalars = _scalar_lines(member, "i", "        ")
        lines.extend(bind)
        lines.append(f"        a({open_tag!r} + {scalars or repr('')} + {close_tag!r})")
    elif member.type_name == "structure":
        lines.append(f"        {_function_for(member)}(i, a, {open_tag!r}, {close_tag!r})")
    elif member.type_name == "list":
        lines.append(f"        a({open_tag!r}); {_function_for(member)}(i, a); a({close_tag!r})")
    else:
        expr = _SCALAR_EXPR.get(member.type_name, "E({v})").format(v="i")
        lines.append(f"        a({open_tag!r} + {expr} + {close_tag!r})")
    return "\n".join(lines) + "\n"


def _writer(action: str) -> Callable[[Any, Callable[[str], None]], None] | None:
    """The generated writer of ``action``'s output members (``None``: no output shape)."""
    try:
        return _action_writers[action]
    except KeyError:
        pass
    shape = operation_model(action).output_shape
    with _lock:
        writer = _namespace[_function_for(shape)] if shape is not None else None
        _action_writers[action] = writer
    return writer


def generated_source(action: str) -> str:
    """The Python source generated for ``action``'s output shapes (for debugging and docs)."""
    _writer(action)
    return "\n".join(_sources.values())


# --- documents -------------------------------------------------------------------------------


def serialize_response(action: str, data: Mapping[str, Any] | None, request_id: str) -> bytes:
    """The UTF-8 success document of ``action`` for ``data`` (keyed by model member names).

    Keys the output shape does not know (e.g. ``ResponseMetadata``) are ignored. Actions whose
    model has no output shape answer ``<return>true</return>`` as AWS does.
    """
    writer = _writer(action)
    parts = [
        XML_DECLARATION,
        f'<{action}Response xmlns="{EC2_NAMESPACE}"><requestId>',
        escape_text(request_id),
        "</requestId>",
    ]
    if writer is None:
        parts.append("<return>true</return>")
    elif data:
        writer(data, parts.append)
    parts.append(f"</{action}Response>")
    return "".join(parts).encode("utf-8")


def error_document(code: str, message: str, request_id: str) -> bytes:
    """The UTF-8 EC2 error document (botocore reads ``RequestID`` with a capital "ID")."""
    return (
        f"{XML_DECLARATION}<Response><Errors><Error><Code>{escape_text(code)}</Code>"
        f"<Message>{escape_text(message)}</Message></Error></Errors>"
        f"<RequestID>{escape_text(request_id)}</RequestID></Response>"
    ).encode()


def serialize_error(error: AwsError, request_id: str) -> tuple[int, bytes]:
    """HTTP status and error document for an :class:`AwsError`."""
    return error.status, error_document(error.code, error.message, request_id)
