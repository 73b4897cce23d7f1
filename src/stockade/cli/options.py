"""Options every command shares (``--json``, ``--db``, ``--endpoint``, ``--account``,
``--region``) and the one place that turns an AWS error into a one-line message with exit
status 1.

``Cli.services`` is where commands get their services: the local ones over the store, or,
with ``--endpoint URL`` (``STOCKADE_ENDPOINT``), remote ones that act through a running
``stockade serve`` with the same method signatures and domain objects.

Commands are registered with :func:`command`, which appends the shared options to the
command's own signature, so each command lists only what is particular to it.
"""

import functools
import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import platformdirs
import typer
from rich.console import Console

from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.domain.scope import DEFAULT_ACCOUNT, DEFAULT_REGION, Scope
from stockade.shapes.fields import ImportProblem

if TYPE_CHECKING:  # the contract only: either implementation is imported when chosen
    from stockade.service.contracts import Services

console = Console()
err_console = Console(stderr=True)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Store: a SQLite path or database URL (env STOCKADE_DB)."),
]


def default_db() -> str:
    """``$STOCKADE_DB`` or ``<user data dir>/stockade/stockade.db``."""
    return os.environ.get("STOCKADE_DB") or str(
        Path(platformdirs.user_data_dir("stockade")) / "stockade.db"
    )


def quotas_from_env() -> Quotas:
    """AWS's default quotas, overridden by ``STOCKADE_QUOTAS`` (e.g.
    ``rules_per_group=100,groups_per_interface=10``); a bad setting is a one-line error."""
    try:
        return Quotas.parse(os.environ.get("STOCKADE_QUOTAS"))
    except ValueError as exc:
        raise fail(f"STOCKADE_QUOTAS: {exc}") from None


#: Commands that only read: they open an existing store read-only, so they work on a
#: read-only file or mount (commands that write say the store is read-only).
READ_ONLY_COMMANDS = frozenset({"list", "show", "check", "exposure"})


def open_store(db: str, *, read_only: bool = False):  # -> SqlStore (imported lazily)
    """The store at ``db``; ``read_only`` opens an existing one read-only. A store that does
    not exist yet is created as before, so a first ``sg list`` still works."""
    from stockade.store.engines import MEMORY
    from stockade.store.sql import SqlStore

    # ``:memory:`` is always a new, empty store (never a file of that name).
    exists = "://" in db or (db != MEMORY and Path(db).expanduser().exists())
    return SqlStore.open(db, read_only=read_only and exists)


@dataclass
class Cli:
    """What a command needs: where the state is, whose it is, and how to print."""

    db: str
    account: str
    region: str
    json: bool
    endpoint: str | None = None

    read_only: bool = False

    @functools.cached_property
    def store(self):
        return open_store(self.db, read_only=self.read_only)

    @functools.cached_property
    def ctx(self):
        """The local service context; commands that need it (a whole-store snapshot) cannot
        act through a server, and say so rather than silently read the local store."""
        if self.endpoint:
            raise AwsError(
                "UnsupportedOperation",
                "This command works on the local store only; it does not support --endpoint.",
            )
        from stockade.service.context import ServiceContext

        return ServiceContext(self.store, Scope(self.account, self.region), quotas_from_env())

    @functools.cached_property
    def services(self) -> "Services":
        """The service families (``.groups``, ``.rules``, ``.network``...), local or remote."""
        if self.endpoint:
            from stockade.remote import RemoteServices

            return RemoteServices(self.endpoint, self.account, self.region)
        from stockade.service.bundle import Services

        return Services(self.ctx)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """Print ``data`` as JSON with ``--json``, else call ``human`` to render it."""
        if self.json:
            typer.echo(json.dumps(data, indent=2, default=str))
        else:
            human()


_SHARED = [
    inspect.Parameter(
        "json_output",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[bool, typer.Option("--json", help="Print JSON (EC2 shapes).")],
    ),
    inspect.Parameter(
        "db",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=DbOpt,
    ),
    inspect.Parameter(
        "endpoint",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            str | None,
            typer.Option(
                "--endpoint",
                help="Act through a running `stockade serve` at this URL instead of the local "
                "store (env STOCKADE_ENDPOINT).",
            ),
        ],
    ),
    inspect.Parameter(
        "account",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            str | None, typer.Option("--account", help=f"Account id (default {DEFAULT_ACCOUNT}).")
        ],
    ),
    inspect.Parameter(
        "region",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            str | None, typer.Option("--region", help=f"Region (default {DEFAULT_REGION}).")
        ],
    ),
]


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the exit to raise (the message is shown as
    text: its brackets are not markup and its control characters are escaped)."""
    from stockade.view.tables import safe

    err_console.print(f"[red]error:[/red] {safe(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def command(app: typer.Typer, name: str, **kwargs: Any) -> Callable:
    """Register ``fn(cli: Cli, ...)`` as a command with the shared options added."""

    def register(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        own = [p for p in sig.parameters.values() if p.name != "cli"]

        @functools.wraps(fn)
        def run(
            *args: Any,
            json_output: bool,
            db: str | None,
            endpoint: str | None,
            account: str | None,
            region: str | None,
            **params: Any,
        ) -> Any:
            cli = Cli(
                db=db or default_db(),
                account=account or os.environ.get("STOCKADE_ACCOUNT", DEFAULT_ACCOUNT),
                region=region
                or os.environ.get("STOCKADE_REGION")
                or os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION),
                json=json_output,
                endpoint=endpoint or os.environ.get("STOCKADE_ENDPOINT") or None,
                read_only=name in READ_ONLY_COMMANDS,
            )
            try:
                return fn(cli, *args, **params)
            except AwsError as exc:
                raise fail(f"{exc.code}: {exc.message}") from None
            except ImportProblem as exc:  # a server's answer the reader cannot take
                raise fail(f"unreadable answer from the server: {exc}") from None

        run.__signature__ = sig.replace(parameters=own + _SHARED)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in own + _SHARED}
        app.command(name, **kwargs)(run)
        return fn

    return register
