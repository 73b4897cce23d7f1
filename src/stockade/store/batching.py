"""Bounded statements: no statement binds more than :data:`MAX_BOUND_VALUES` values.

Databases cap the parameters of one statement (PostgreSQL's protocol at 65,535; SQLite at
``SQLITE_MAX_VARIABLE_NUMBER``, 32,766 or 250,000 depending on the build), and a statement
holding a million ids also costs its size in memory several times over while it is
built, compiled and bound. So every ``IN (…)`` list of caller-given values is split with
:func:`chunks`, and many-row writes go in slices of the same size. The limit is read at
call time, so a test can lower it to exercise the many-chunk paths on small data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

#: The most values bound in one statement: ids of an IN list, rows of one executemany.
#: Half of SQLite's historical 999-variable default, leaving room for the other parameters.
MAX_BOUND_VALUES = 500


def chunks(values: Iterable[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """``values`` in consecutive lists of at most ``size`` (default
    :data:`MAX_BOUND_VALUES`); nothing for no values."""
    limit = size or MAX_BOUND_VALUES
    iterator = iter(values)
    while batch := list(islice(iterator, limit)):
        yield batch
