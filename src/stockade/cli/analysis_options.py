"""Options and scope selection shared by the analyzer's commands (import, export, audit,
reach, flowlogs analyze).

Unlike the control-plane commands, which act on one (account, region) and default to
stockade's own, the analyzer reads whatever was imported: with no ``--account`` /
``--region`` (or ``STOCKADE_ACCOUNT`` / ``STOCKADE_REGION``) it works on every scope the
store holds, so ``stockade import aws DIR && stockade audit`` needs no flags.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from stockade.cli import options
from stockade.cli.options import DbOpt as DbOpt  # shared with the control-plane commands
from stockade.cli.options import default_db, fail

if TYPE_CHECKING:  # imported lazily: every `stockade` command loads this module
    from stockade.domain.scope import Scope
    from stockade.domain.state import Snapshot
    from stockade.store.repository import Store
    from stockade.store.sql import SqlStore

AccountOpt = Annotated[
    str | None, typer.Option("--account", help="Only this account (default: every one).")
]
RegionOpt = Annotated[
    str | None, typer.Option("--region", help="Only this region (default: every one).")
]


def open_store(db: str | None, *, read_only: bool = False) -> SqlStore:
    """The store at ``--db`` (or the default); see :func:`stockade.cli.options.open_store`."""
    return options.open_store(db or default_db(), read_only=read_only)


def select_scopes(
    store: Store, account: str | None, region: str | None, required: bool = True
) -> list[Scope]:
    """The scopes to analyse: those the store holds, filtered by the options given (an empty
    selection is an error unless not ``required``)."""
    account = account or os.environ.get("STOCKADE_ACCOUNT")
    region = region or os.environ.get("STOCKADE_REGION")
    held = [
        s
        for s in store.scopes()
        if (account is None or s.account == account) and (region is None or s.region == region)
    ]
    if not held and required:
        which = "/".join(x for x in (account, region) if x) or "any account"
        raise fail(
            f"the store holds no state for {which} (load some with: stockade import aws DIR)"
        )
    return held


def load_snapshots(
    db: str | None, account: str | None, region: str | None, required: bool = True
) -> list[tuple[Scope, Snapshot]]:
    """The snapshot of every selected scope of the store at ``db`` (closed afterwards)."""
    store = open_store(db, read_only=True)
    try:
        out = []
        for scope in select_scopes(store, account, region, required):
            with store.read(scope) as tx:
                out.append((scope, tx.snapshot()))
        return out
    finally:
        store.close()
