"""What every service call needs: the store, the caller's scope, the quotas in force and the
clock (what "now" is for rules that depend on time, such as how far a volume's modification
has got and when the volume may be modified again: tests hand in a clock they move instead
of sleeping).

``write()``/``read()`` open the single transaction of a call. Both make sure the scope's
default VPC exists first (AWS creates it with the account; we create it on first use).
Whether a scope is initialised is remembered per store: the flag only ever goes from false
to true, so remembering it cannot go stale, and it spares every later call a query (and
``read()`` a second transaction).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.defaults import create_default_vpc
from stockade.store.repository import Store, Transaction

#: store -> scopes known to be initialised (a monotonic fact; see the module docstring)
_initialized: weakref.WeakKeyDictionary[Store, set[Scope]] = weakref.WeakKeyDictionary()
_initialized_lock = threading.Lock()


def utc_now() -> datetime:
    """The real clock: the current time, in UTC."""
    return datetime.now(UTC)


def _known(store: Store, scope: Scope) -> bool:
    with _initialized_lock:
        return scope in _initialized.get(store, ())


def _remember(store: Store, scope: Scope) -> None:
    with _initialized_lock:
        _initialized.setdefault(store, set()).add(scope)


@dataclass(frozen=True)
class ServiceContext:
    store: Store
    scope: Scope = field(default_factory=Scope)
    quotas: Quotas = field(default_factory=Quotas)
    clock: Callable[[], datetime] = utc_now

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """One all-or-nothing write transaction (serialised with other writers)."""
        known = _known(self.store, self.scope)
        with self.store.write(self.scope) as tx:
            if not known:
                _ensure_initialized(tx)
            yield tx
        if not known:  # only once durable (a held run commits later, or fails)
            self.store.after_durable(lambda: _remember(self.store, self.scope))

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A consistent read; initialises the scope first if this is its first use."""
        if not _known(self.store, self.scope):
            with self.store.read(self.scope) as tx:
                initialized = tx.is_initialized()
            if not initialized:
                with self.store.write(self.scope) as tx:
                    _ensure_initialized(tx)
            self.store.after_durable(lambda: _remember(self.store, self.scope))
        with self.store.read(self.scope) as tx:
            yield tx

    def for_scope(self, scope: Scope) -> ServiceContext:
        return ServiceContext(self.store, scope, self.quotas, self.clock)


def _ensure_initialized(tx: Transaction) -> None:
    if not tx.is_initialized():
        create_default_vpc(tx)
        tx.mark_initialized()
