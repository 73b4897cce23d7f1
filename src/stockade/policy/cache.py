"""Per-snapshot memoisation.

A :class:`~stockade.domain.state.Snapshot` is immutable, so anything derived from it
(effective policies, address books, compiled tables) can be computed once and kept on the
snapshot itself, in its ``_cache`` dict (which ``dataclasses.replace`` does not copy: a new
snapshot starts with an empty cache). Keys are prefixed so other packages can share it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from stockade.domain.state import Snapshot

T = TypeVar("T")
_PREFIX = "stockade.policy."


def cached(snapshot: Snapshot, key: str, build: Callable[[], T]) -> T:
    """``build()`` once per snapshot and key; later calls return the same object."""
    full = _PREFIX + key
    store = snapshot._cache
    if full not in store:
        store[full] = build()
    # The key names what was built: every caller of one key passes the same ``build``.
    return cast(T, store[full])


def peek(snapshot: Snapshot, key: str) -> object | None:
    """The cached value for ``key`` if this snapshot already computed it, else ``None``."""
    return snapshot._cache.get(_PREFIX + key)
