"""Rich tables for humans: rules as the console shows them (Type, Protocol, Port range,
Source, Description), and the table style every listing uses (ids never wrap)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.table import Table

from stockade.domain import protocols, well_known_ports
from stockade.domain.security_group import SecurityGroupRule
from stockade.domain.tags import Tags


def name_tag(tags: Tags) -> str:
    return dict(tags).get("Name", "")


def table(title: str, *columns: str) -> Table:
    """A table whose id-like columns never wrap (ids must stay copy-pasteable)."""
    t = Table(title=title, title_justify="left", header_style="bold")
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
