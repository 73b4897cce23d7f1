"""``stockade prefix-list``: customer-managed prefix lists."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.prefix_list import PrefixList
from stockade.shapes import network as shapes

app = typer.Typer(
    help="Managed prefix lists: named, versioned sets of CIDRs.", no_args_is_help=True
)

Entries = Annotated[
    list[str] | None, typer.Option("--entry", help="CIDR or CIDR=description (repeatable).")
]


def _entries(values: list[str] | None) -> list[tuple[str, str | None]]:
    return [(c, d or None) for c, _, d in (v.partition("=") for v in values or [])]


def _shape(pl: PrefixList) -> dict:
    return {**shapes.prefix_list(pl), "Entries": shapes.prefix_list_entries(pl)}


def _show(pl: PrefixList) -> None:
    console.print(
        f"[bold]{pl.prefix_list_id}[/bold]  {render.safe(pl.name)}  {pl.address_family}  "
        f"version {pl.version}  max {pl.max_entries} entries"
    )
    t = render.table(f"Entries ({len(pl.entries)})", "CIDR", "Description")
    for e in pl.entries:
        t.add_row(e.cidr, e.description or "")
    console.print(t)


@command(app, "create")
def create(
    cli: Cli,
    name: str,
    max_entries: Annotated[int, typer.Option("--max-entries", help="Its weight in rule quotas.")],
    family: Annotated[str, typer.Option("--family", help="IPv4 or IPv6.")] = "IPv4",
    entry: Entries = None,
) -> None:
    """Create a prefix list."""
    pl = cli.services.prefix_lists.create(name, max_entries, family, _entries(entry))
    cli.emit(_shape(pl), lambda: _show(pl))


@command(app, "list")
def list_lists(cli: Cli) -> None:
    """List prefix lists."""
    lists = cli.services.prefix_lists.describe()

    def human() -> None:
        t = render.table("Prefix lists", "Id", "Name", "Family", "Entries", "Max", "Version")
        for p in lists:
            t.add_row(
                p.prefix_list_id,
                p.name,
                p.address_family,
                str(len(p.entries)),
                str(p.max_entries),
                str(p.version),
            )
        console.print(t)

    cli.emit([_shape(p) for p in lists], human)


@command(app, "show")
def show(
    cli: Cli,
    prefix_list_id: str,
    version: Annotated[int | None, typer.Option("--version", help="A past version.")] = None,
) -> None:
    """Show a prefix list's entries (current, or as of --version)."""
    service = cli.services.prefix_lists
    pl = service.describe([prefix_list_id])[0]
    if version is not None:
        from dataclasses import replace

        pl = replace(pl, entries=tuple(service.entries(prefix_list_id, version)), version=version)
    cli.emit(_shape(pl), lambda: _show(pl))


@command(app, "modify")
def modify(
    cli: Cli,
    prefix_list_id: str,
    add: Annotated[
        list[str] | None, typer.Option("--add", help="CIDR or CIDR=description (repeatable).")
    ] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="CIDR (repeatable).")] = None,
    max_entries: Annotated[int | None, typer.Option("--max-entries")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    current_version: Annotated[int | None, typer.Option("--current-version")] = None,
) -> None:
    """Add/remove entries (a new version), rename, or resize."""
    pl = cli.services.prefix_lists.modify(
        prefix_list_id, current_version, name, _entries(add), remove or [], max_entries
    )
    cli.emit(_shape(pl), lambda: _show(pl))


@command(app, "delete")
def delete(cli: Cli, prefix_list_id: str) -> None:
    """Delete a prefix list no rule references."""
    cli.services.prefix_lists.delete(prefix_list_id)
    cli.emit({"Return": True}, lambda: console.print(f"deleted {prefix_list_id}"))
