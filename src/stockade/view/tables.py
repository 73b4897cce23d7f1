"""Rich tables for humans: rules as the console shows them (Type, Protocol, Port range,
Source, Description), and the table style every listing uses (ids never wrap).

Everything printed comes through :func:`safe`: names, descriptions and tags are the
state's (an imported account's, or any API caller's), so they must reach the terminal as
text — an ESC sequence shown as ``\x1b``, a ``[bold]`` as itself, never obeyed. Tables
made by :func:`table` apply it to their title and to every string cell; a cell that is
meant as markup is passed as a :class:`rich.text.Text` (see :func:`styled`). ``--json``
output is JSON, escaped by the encoder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.markup import escape as escape_markup
from rich.table import Table
from rich.text import Text

from stockade.domain import protocols, well_known_ports
from stockade.domain.printable import escape_control
from stockade.domain.routing import RouteState, RouteTable
from stockade.domain.security_group import SecurityGroupRule
from stockade.domain.tags import Tags


def safe(value: object, *, newlines: bool = False) -> str:
    """``value`` as rich prints it verbatim: control characters escaped (``\\x1b``; line
    feeds kept with ``newlines``) and markup brackets escaped, for f-strings that mix it
    with intended markup."""
    return escape_markup(escape_control(str(value), newlines=newlines))


def styled(text: str, style: str) -> Text:
    """A cell in a style, whatever the text holds (not parsed as markup)."""
    return Text(escape_control(text), style=style)


class SafeTable(Table):
    """A table whose string cells are shown as text (see :func:`safe`); a cell may span
    lines (rule ids one per line)."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(
            *(safe(c, newlines=True) if isinstance(c, str) else c for c in renderables),
            **kwargs,
        )


def name_tag(tags: Tags) -> str:
    return dict(tags).get("Name", "")


def table(title: str, *columns: str) -> Table:
    """A table whose id-like columns never wrap (ids must stay copy-pasteable)."""
    t = SafeTable(title=safe(title), title_justify="left", header_style="bold")
    for column in columns:
        is_id = column.endswith(("id", "ID", "IP", "Source", "Destination", "Peer", "CIDR"))
        t.add_column(column, no_wrap=is_id, overflow="fold")
    return t


def peer_text(rule: SecurityGroupRule, names: Mapping[str, str] | None = None) -> str:
    """A rule's peer; a referenced group also shows its name."""
    value = rule.spec.peer.value
    name = (names or {}).get(value)
    return f"{value} ({name})" if name else value


def rule_cells(rule: SecurityGroupRule, names: Mapping[str, str] | None = None) -> list[str]:
    """Type, Protocol, Port range, Source/Destination, Description: the console's columns."""
    s = rule.spec
    return [
        well_known_ports.name_for(s.protocol, s.from_port, s.to_port),
        protocols.describe_protocol(s.protocol),
        protocols.describe_ports(s.protocol, s.from_port, s.to_port),
        peer_text(rule, names),
        rule.description or "",
    ]


def rules_table(
    title: str,
    rules: Iterable[SecurityGroupRule],
    egress: bool,
    names: Mapping[str, str] | None = None,
) -> Table:
    """One direction of a group, one row per rule, in the console's columns."""
    peer_column = "Destination" if egress else "Source"
    t = table(title, "Rule ID", "Type", "Protocol", "Port range", peer_column, "Description")
    for rule in rules:
        t.add_row(rule.rule_id, *rule_cells(rule, names))
    return t


def routes_table(rtb: RouteTable, states: Iterable[RouteState]) -> Table:
    """A table's routes as the console shows them: Destination, Target, Status (a blackhole
    in red), Origin."""
    t = table(f"Routes of {rtb.route_table_id}", "Destination", "Target", "Status", "Origin")
    for route, state in zip(rtb.routes, states, strict=True):
        target = f"{route.target} ({route.instance_id})" if route.instance_id else route.target
        status = styled(state.value, "red") if state is RouteState.BLACKHOLE else state.value
        t.add_row(route.destination, target, status, route.origin.value)
    return t


def associations_table(rtb: RouteTable) -> Table:
    """A table's associations: the main flag, and each explicit subnet association."""
    t = table(f"Associations of {rtb.route_table_id}", "Association id", "Subnet id", "Main")
    for a in rtb.associations:
        t.add_row(a.association_id, a.subnet_id or a.gateway_id or "", "yes" if a.main else "")
    return t
