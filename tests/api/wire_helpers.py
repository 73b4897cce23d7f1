"""Shared helpers for the wire-layer tests: synthesising values for any botocore shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import botocore.parsers
import botocore.serialize
from botocore.model import Shape

from stockade.api.model import operation_model

#: Strings that exercise escaping on both the form and the XML side.
_STRINGS = ["plain", "", "a&b <c> \"d\" 'e' é ☃ 𝄞", " padded\ttab\r\nline ", "10.0.0.0/16"]


def synthesize(shape: Shape, *, seed: int = 0, depth: int = 0, max_depth: int = 6) -> Any:
    """A deterministic, fully populated value for ``shape`` (None when nothing fits)."""
    kind = shape.type_name
    if kind == "structure":
        result = {}
        for i, (name, member) in enumerate(shape.members.items()):
            if depth >= max_depth and member.type_name in ("structure", "list"):
                continue
            value = synthesize(member, seed=seed + i, depth=depth + 1, max_depth=max_depth)
            if value is not None:
                result[name] = value
        return result or None
    if kind == "list":
        items = [
            synthesize(shape.member, seed=seed + j, depth=depth + 1, max_depth=max_depth)
            for j in range(2)
        ]
        items = [item for item in items if item is not None]
        return items or None
    if kind == "string":
        return _STRINGS[seed % len(_STRINGS)] + (f"-{seed}" if seed % 3 else "")
    if kind == "integer":
        return [42, -1, 0, 2**31 - 1][seed % 4]
    if kind == "long":
        return [2**40, -5, 7][seed % 3]
    if kind == "boolean":
        return seed % 2 == 0
    if kind in ("double", "float"):
        return [1.5, -0.25, 1e-7][seed % 3]
    if kind == "timestamp":
        return datetime(2026, 11, 28, 18, 0, seed % 60, 123000, tzinfo=UTC)
    if kind == "blob":
        return b"\x00\x01binary\xff"
    raise AssertionError(f"unexpected shape type {kind}")


def wire_pairs(
    action: str, params: dict[str, Any], *, validate: bool = True
) -> list[tuple[str, str]]:
    """What boto3 puts on the wire for ``params``: botocore's serializer, then form coding."""
    serializer = botocore.serialize.create_serializer("ec2", include_validation=validate)
    request = serializer.serialize_to_request(params, operation_model(action))
    body = urlencode(request["body"])  # as botocore's AWSRequest does
    return parse_qsl(body, keep_blank_values=True)  # as the server reads it


def botocore_parse(action: str, body: bytes, status: int = 200) -> dict[str, Any]:
    """The dict boto3 would hand its caller for this response document."""
    parser = botocore.parsers.create_parser("ec2")
    return parser.parse(
        {"body": body, "headers": {}, "status_code": status},
        operation_model(action).output_shape,
    )
