"""Printing for the CLI: groups, instances, VPCs and prefix lists as rich tables.

The tables themselves (:mod:`stockade.view.tables`, with :func:`safe`: everything printed
reaches the terminal as text, never as escape sequences or markup) sit below the CLI so the
demos can draw them too; the names are re-exported here for the command modules.
"""

from collections.abc import Mapping

from stockade.cli.options import console
from stockade.domain.security_group import SecurityGroupRule
from stockade.view.tables import (
    SafeTable,
    associations_table,
    name_tag,
    peer_text,
    routes_table,
    rule_cells,
    rules_table,
    safe,
    styled,
    table,
)

__all__ = [
    "SafeTable",
    "associations_table",
    "name_tag",
    "peer_text",
    "print_rules",
    "routes_table",
    "rule_cells",
    "rules_table",
    "safe",
    "styled",
    "table",
]


def print_rules(
    group_label: str, rules: list[SecurityGroupRule], names: Mapping[str, str] | None = None
) -> None:
    inbound = [r for r in rules if not r.is_egress]
    outbound = [r for r in rules if r.is_egress]
    console.print(
        rules_table(f"Inbound rules of {group_label} ({len(inbound)})", inbound, False, names)
    )
    console.print(
        rules_table(f"Outbound rules of {group_label} ({len(outbound)})", outbound, True, names)
    )
