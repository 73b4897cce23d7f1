"""What every service call needs: the store, the caller's scope and the quotas in force.

``write()``/``read()`` open the single transaction of a call. Both make sure the scope's
default VPC exists first (AWS creates it with the account; we create it on first use).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.defaults import create_default_vpc
from stockade.store.repository import Transaction
from stockade.store.sql import SqlStore


@dataclass(frozen=True)
class ServiceContext:
    store: SqlStore
    scope: Scope = field(default_factory=Scope)
    quotas: Quotas = field(default_factory=Quotas)

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """One all-or-nothing write transaction (serialised with other writers)."""
        with self.store.write(self.scope) as tx:
            _ensure_initialized(tx)
            yield tx

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A consistent read; initialises the scope first if this is its first use."""
        with self.store.read(self.scope) as tx:
            initialized = tx.is_initialized()
        if not initialized:
            with self.store.write(self.scope) as tx:
                _ensure_initialized(tx)
        with self.store.read(self.scope) as tx:
            yield tx

    def for_scope(self, scope: Scope) -> ServiceContext:
        return ServiceContext(self.store, scope, self.quotas)


def _ensure_initialized(tx: Transaction) -> None:
    if not tx.is_initialized():
        create_default_vpc(tx)
        tx.mark_initialized()
