"""How the Terraform AWS provider waits, for the call-sequence replays.

The provider's waiters are ``retry.StateChangeConf``: after ``Delay`` it refreshes the
resource until its state is a target one, for ``ContinuousTargetOccurence`` refreshes in a
row; a state that is neither pending nor target aborts the apply at once (so an answer such
as an internet gateway attachment reporting ``attached`` instead of ``available`` fails
here as it fails ``terraform apply``). Finders treat NotFound as "no resource": the error
code or an empty list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

#: The replay polls faster than the provider (it waits seconds between refreshes); the
#: sequence of calls and what each answer must contain are the provider's.
POLL = 0.05


class UnexpectedState(AssertionError):
    """A refresh returned a state that is neither pending nor target: apply fails."""


def wait_state(
    refresh: Callable[[], tuple[Any, str | None]],
    pending: Iterable[str],
    target: Iterable[str],
    *,
    occurrences: int = 1,
    timeout: float = 30,
) -> Any:
    """``StateChangeConf.WaitForState``: the object once it reached ``target``.

    ``refresh`` returns ``(object, state)``; a ``None`` state means not found, which counts
    as pending (the provider's NotFoundChecks tolerate a few) unless "" is a target.
    """
    pending, target = set(pending), set(target)
    deadline = time.monotonic() + timeout
    in_a_row = 0
    while True:
        found, state = refresh()
        if state is None and "" in target:
            state = ""
        if state in target:
            in_a_row += 1
            if in_a_row >= occurrences:
                return found
        elif state is not None and state not in pending:
            raise UnexpectedState(f"unexpected state {state!r}, wanted {sorted(target)}")
        else:
            in_a_row = 0
        if time.monotonic() > deadline:
            raise AssertionError(f"still {state!r} after {timeout} s, wanted {sorted(target)}")
        time.sleep(POLL)


def find_one(describe: Callable[..., dict], key: str, id_key: str, wanted: str, **params):
    """A ``find.go`` finder: exactly one result whose ID matches, or ``None`` (NotFound by
    error code or by an empty list alike)."""
    try:
        items = describe(**params)[key]
    except ClientError as error:
        if error.response["Error"]["Code"].endswith("NotFound"):
            return None
        raise
    if not items:
        return None
    assert len(items) == 1 and items[0][id_key] == wanted, items
    return items[0]


def error_code(fn: Callable[..., Any], **params) -> str | None:
    """The AWS error code ``fn(**params)`` fails with, or ``None`` if it succeeds."""
    try:
        fn(**params)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def tags(resource: dict, key: str = "Tags") -> dict[str, str]:
    """The resource's tags as the provider keeps them (``aws:`` keys ignored)."""
    return {t["Key"]: t["Value"] for t in resource[key] if not t["Key"].startswith("aws:")}
