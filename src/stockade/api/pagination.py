"""``MaxResults`` / ``NextToken`` pagination shared by every Describe call.

botocore's paginators pass ``NextToken`` back unchanged, stop when the answer has none (or
an empty one) and fail if the same token comes twice in a row, so a page must always move
forward. Tokens here are opaque to clients but simple inside: base64 of a format tag, a
fingerprint of the query and the sort key of the last item returned. The fingerprint makes a
token from another query (other filters, ids, account or region) ``InvalidNextToken``; the
marker (rather than an offset) keeps pages stable when resources are created or deleted
between calls. Nothing here ever raises anything but :class:`AwsError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from stockade.api.model import input_shape
from stockade.domain.errors import AwsError, invalid_value

T = TypeVar("T")

#: Request members that do not change *which* results a query has.
NON_QUERY_PARAMS = frozenset({"NextToken", "MaxResults", "DryRun"})
_TOKEN_TAG = "stk1"
_MAX_TOKEN_LENGTH = 4096


def invalid_next_token() -> AwsError:
    return AwsError("InvalidNextToken", "The specified NextToken is not valid.")


def max_results_range(action: str) -> tuple[int | None, int | None]:
    """``(min, max)`` the model gives ``action``'s ``MaxResults`` (``None`` when unbounded)."""
    shape = input_shape(action)
    if shape is None or "MaxResults" not in shape.members:
        return None, None
    metadata = shape.members["MaxResults"].metadata
    return metadata.get("min"), metadata.get("max")


def check_max_results(
    action: str,
    value: int | None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """Validate ``MaxResults`` against the model's range (or the bounds given, which win).

    Returns the value unchanged (``None`` means "all results").
    """
    if value is None:
        return None
    model_min, model_max = max_results_range(action)
    low = minimum if minimum is not None else model_min
    high = maximum if maximum is not None else model_max
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = (
            f"between {low} and {high}"
            if low is not None and high is not None
            else (f"at least {low}" if low is not None else f"at most {high}")
        )
        raise invalid_value("MaxResults", value, f"It must be {bounds}.")
    return value


def query_fingerprint(params: Mapping[str, Any], scope: str = "") -> str:
    """A short hash of what a query asks for (``scope`` adds e.g. account and region)."""
    relevant = {k: v for k, v in params.items() if k not in NON_QUERY_PARAMS}
    text = json.dumps([scope, relevant], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def encode_next_token(marker: str, fingerprint: str) -> str:
    """The opaque token for "continue after ``marker``" within the query ``fingerprint``."""
    raw = f"{_TOKEN_TAG}|{fingerprint}|{marker}".encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_next_token(token: str | None, fingerprint: str) -> str | None:
    """The marker inside ``token`` (``None`` for no token); ``InvalidNextToken`` otherwise."""
    if token is None or token == "":
        return None
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        raise invalid_next_token()
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        raise invalid_next_token() from None
    tag, sep1, rest = raw.partition("|")
    found, sep2, marker = rest.partition("|")
    if tag != _TOKEN_TAG or not (sep1 and sep2) or found != fingerprint:
        raise invalid_next_token()
    return marker


def paginate(
    items: Sequence[T],
    key: Callable[[T], str],
    *,
    max_results: int | None,
    next_token: str | None,
    fingerprint: str,
) -> tuple[list[T], str | None]:
    """One page of ``items`` ordered by ``key`` and the token of the next page (or ``None``).

    Without ``max_results`` (and without a token) every item is returned in its given order,
    as AWS does when ``MaxResults`` is absent.
    """
    marker = decode_next_token(next_token, fingerprint)
    if max_results is None and marker is None:
        return list(items), None
    ordered = sorted(items, key=key)
    if marker is not None:
        ordered = [item for item in ordered if key(item) > marker]
    if max_results is None or len(ordered) <= max_results:
        return ordered, None
    page = ordered[:max_results]
    return page, encode_next_token(key(page[-1]), fingerprint)
