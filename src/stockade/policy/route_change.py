"""A route problem's smallest fix as data: one route-table change, with its one spelling.

The engine suggests a route fix as the ``stockade route-table`` command that makes it
(:mod:`stockade.policy.route_advice`). Where that command is complete -- the table and the
target are known ids, not a placeholder -- the blocker carries it as a :class:`RouteChange`,
so the console can apply it (one service call, as the API's CreateRoute / ReplaceRoute /
AssociateRouteTable / DisassociateRouteTable) and find it again by the same text it showed.
A remedy that needs a choice first (which gateway, which peering, a table with no id) stays
words and is never applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RouteVerb(StrEnum):
    """The ``stockade route-table`` subcommand, and the route-table call it stands for."""

    ADD_ROUTE = "add-route"  # CreateRoute
    REPLACE_ROUTE = "replace-route"  # ReplaceRoute: the destination is routed (a blackhole)
    ASSOCIATE = "associate"  # AssociateRouteTable: the subnet leaves the main table
    DISASSOCIATE = "disassociate"  # DisassociateRouteTable: the subnet goes back to main


@dataclass(frozen=True)
class RouteChange:
    """One change to a route table: a route (``destination`` → ``target``) added or
    replaced in ``subject`` (a ``rtb-``), a subnet associated with ``subject`` (a ``rtb-``),
    or ``subject`` (a ``rtbassoc-``) removed."""

    verb: RouteVerb
    subject: str
    destination: str | None = None
    target: str | None = None
    subnet_id: str | None = None

    @classmethod
    def route(cls, verb: RouteVerb, table_id: str, destination: str, target: str) -> RouteChange:
        return cls(verb, table_id, destination=destination, target=target)

    @classmethod
    def associate(cls, table_id: str, subnet_id: str) -> RouteChange:
        return cls(RouteVerb.ASSOCIATE, table_id, subnet_id=subnet_id)

    @classmethod
    def disassociate(cls, association_id: str) -> RouteChange:
        return cls(RouteVerb.DISASSOCIATE, association_id)

    def text(self) -> str:
        """The command, as ``cli/route_table.py`` takes it (and the console shows it)."""
        if self.verb is RouteVerb.ASSOCIATE:
            return f"stockade route-table associate {self.subject} --subnet {self.subnet_id}"
        if self.verb is RouteVerb.DISASSOCIATE:
            return f"stockade route-table disassociate {self.subject}"
        return (
            f"stockade route-table {self.verb} {self.subject} {self.destination} "
            f"--target {self.target}"
        )


#: A remedy: a change the console can apply, or words for a person.
Remedy = RouteChange | str


def remedy_text(remedy: Remedy) -> str:
    return remedy.text() if isinstance(remedy, RouteChange) else remedy
