"""The topology rules of a flow's path, as one table: which case a flow is, and what it meets.

A flow between two ends falls in exactly one :class:`Case` (from the internet to an
interface, between two interfaces of one VPC, …). Each case has one :class:`PathRule`:
the :class:`PathKind` it reports, the :class:`Check` steps a packet meets on the way — in
the order of the path of a flow — and how the destination's groups see the source
(:class:`SeenAs`). Each check that fails is one :class:`~stockade.policy.reasons.Reason`.

Three evaluators read this one table, so they cannot drift apart: ``path.route`` (one flow,
with messages and remedies), ``bulk_path.route_many`` (NumPy arrays of flows) and, through
:data:`ROUTER_FILTERED`, the data-plane tests' packet builder. Each implements every
:class:`Check` once (a scalar and a vectorised predicate); which checks apply where is
only here.

The path of a flow in AWS is: source groups (egress) → source subnet's network ACL out →
the source subnet's route table → destination subnet's network ACL in → destination
groups (ingress); the reply crosses the destination subnet's route table (routes are per
direction). Route tables are checks like any other: where a flow leaves its VPC (to the
internet, or to another interface's public address) the route the source subnet's table
chooses (:mod:`stockade.policy.routes`) picks an :class:`ExitRule` — its checks join the
case's, and it says what the far side sees (the interface's public IP through an internet
gateway, the NAT gateway's through a NAT gateway). Two interfaces of one VPC talk over the
local route — in one subnet directly; from another subnet unless the source's table has
a more specific route for the destination (a middlebox route), which the flow then
follows like any exit (to an appliance: reported as not modelled); interfaces of two
VPCs talk over a peering when the source's table routes the destination to a ``pcx-``.
Network ACLs will be further checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from stockade.policy.interface_reach import EndState
from stockade.policy.reasons import Reason
from stockade.policy.routes import Hop


class PathKind(StrEnum):
    VPC_LOCAL = "vpc-local"  # private addresses inside one VPC (the local route)
    INTERNET = "internet"  # out of the VPC by its route table: internet, NAT, egress-only
    PEERING = "peering"  # private addresses of two VPCs over a VPC peering connection
    HOST_LOCAL = "host-local"  # both ends on one instance: never leaves it, no group applies
    NONE = "none"  # no path could be formed


#: Paths a VPC router forwards, and so filters (the data plane's nftables); the others never
#: reach a router (host-local) or were never formed.
ROUTER_FILTERED = frozenset({PathKind.VPC_LOCAL, PathKind.INTERNET, PathKind.PEERING})


class Role(StrEnum):
    SOURCE = "source"
    DESTINATION = "destination"


class EndProblem(Enum):
    """What can be wrong with one end before any path is looked at."""

    NOT_FOUND = "not found"
    NOT_ATTACHED = "not attached"
    NOT_RUNNING = "not running"
    NO_ADDRESS = "no address of the family"


END_REASON: dict[tuple[Role, EndProblem], Reason] = {
    (Role.SOURCE, EndProblem.NOT_FOUND): Reason.SOURCE_NOT_FOUND,
    (Role.DESTINATION, EndProblem.NOT_FOUND): Reason.DESTINATION_NOT_FOUND,
    (Role.SOURCE, EndProblem.NOT_ATTACHED): Reason.SOURCE_NOT_ATTACHED,
    (Role.DESTINATION, EndProblem.NOT_ATTACHED): Reason.DESTINATION_NOT_ATTACHED,
    (Role.SOURCE, EndProblem.NOT_RUNNING): Reason.SOURCE_NOT_RUNNING,
    (Role.DESTINATION, EndProblem.NOT_RUNNING): Reason.DESTINATION_NOT_RUNNING,
    (Role.SOURCE, EndProblem.NO_ADDRESS): Reason.SOURCE_NO_ADDRESS,
    (Role.DESTINATION, EndProblem.NO_ADDRESS): Reason.DESTINATION_NO_ADDRESS,
}

#: The problem an interface's :class:`EndState` is (none when it is usable).
STATE_PROBLEM: dict[EndState, EndProblem] = {
    EndState.NOT_ATTACHED: EndProblem.NOT_ATTACHED,
    EndState.NOT_RUNNING: EndProblem.NOT_RUNNING,
}


class EndKind(StrEnum):
    """How one end of a flow was resolved."""

    EXTERNAL = "external"  # an address no interface holds
    PUBLIC = "public"  # an interface's public IPv4 address
    PRIVATE = "private"  # an interface's private IPv4, or one of its IPv6 addresses
    BY_ID = "id"  # named by instance or interface id; its address is chosen later
    MISSING = "missing"  # names nothing that exists (or an instance without interface)


class EndType(StrEnum):
    """What an end turned out to be, as reported (``PathEnd.kind``)."""

    INSTANCE = "instance"
    INTERFACE = "interface"
    EXTERNAL = "external"
    MISSING = "missing"


class Case(StrEnum):
    NO_INTERFACE = "no interface"  # neither end is an interface: groups decide nothing
    HOST_LOCAL = "host-local"  # both ends on one instance, a private destination
    FROM_INTERNET = "from the internet"  # an external source to an interface
    TO_VPC_ADDRESS = "to an unheld VPC address"  # to an address of the VPC nobody holds
    TO_INTERNET = "to the internet"  # an interface to an address outside its VPC
    LOCAL = "local"  # interface to interface over the local route
    #: interface to interface of its VPC in another subnet, by a route more specific than
    #: the local one (a middlebox route): it leaves by that route's exit rule
    REROUTED = "rerouted inside the VPC"
    PEERING = "peering"  # interface to interface of another VPC over a pcx route
    VIA_INTERNET = "via the internet"  # interface to interface through both gateways


class Check(StrEnum):
    """One step a packet meets on its path; failing it blocks the flow with :data:`REASON`."""

    ANY_INTERFACE = "an end is an interface"
    KNOWN_IN_VPC = "an interface holds the VPC address"
    SAME_VPC = "both ends are in one VPC"
    ROUTE_EXISTS = "the source subnet's route table has a route to the destination"
    ROUTE_ACTIVE = "the route's target is usable (not a blackhole)"
    ROUTE_MODELLED = "the route's target is one stockade models"
    SOURCE_PUBLIC = "the source has a public address"
    NAT_PUBLIC = "the NAT gateway has a public address"
    NAT_ROUTE = "the NAT gateway's subnet routes the destination to an internet gateway"
    PCX_DESTINATION = "the destination is inside the peer VPC"
    KNOWN_IN_PEER = "an interface of the peer VPC holds the destination"
    DESTINATION_NOT_RFC1918 = "the destination is not an RFC 1918 address"
    DESTINATION_NOT_RFC6598 = "the destination is not an RFC 6598 address"
    DESTINATION_PUBLIC = "the destination address is public"
    DESTINATION_GATEWAY = "the destination's VPC has an internet gateway"
    RETURN_TO_GATEWAY = "the destination subnet routes replies to an internet gateway"
    RETURN_ROUTE_ACTIVE = "that return route's internet gateway is attached"
    RETURN_VIA_PEERING = "the destination subnet routes replies back over the peering"
    SOURCE_NOT_RFC1918 = "the source is not an RFC 1918 address"
    SOURCE_NOT_RFC6598 = "the source is not an RFC 6598 address"
    SOURCE_OUTSIDE_VPC = "the source does not pretend to be inside the VPC"


REASON: dict[Check, Reason] = {
    Check.ANY_INTERFACE: Reason.NO_INTERFACE,
    Check.KNOWN_IN_VPC: Reason.UNKNOWN_IN_VPC,
    Check.SAME_VPC: Reason.DIFFERENT_VPC,
    Check.ROUTE_EXISTS: Reason.NO_ROUTE,
    Check.ROUTE_ACTIVE: Reason.BLACKHOLE_ROUTE,
    Check.ROUTE_MODELLED: Reason.ROUTE_NOT_MODELLED,
    Check.SOURCE_PUBLIC: Reason.SOURCE_NOT_PUBLIC,
    Check.NAT_PUBLIC: Reason.NAT_NOT_PUBLIC,
    Check.NAT_ROUTE: Reason.NAT_NO_ROUTE,
    Check.PCX_DESTINATION: Reason.PCX_TRANSIT,
    Check.KNOWN_IN_PEER: Reason.UNKNOWN_IN_VPC,
    Check.DESTINATION_NOT_RFC1918: Reason.DESTINATION_RFC1918,
    Check.DESTINATION_NOT_RFC6598: Reason.DESTINATION_RFC6598,
    Check.DESTINATION_PUBLIC: Reason.DESTINATION_NOT_PUBLIC,
    Check.DESTINATION_GATEWAY: Reason.DESTINATION_VPC_NO_IGW,
    Check.RETURN_TO_GATEWAY: Reason.NO_RETURN_ROUTE,
    Check.RETURN_ROUTE_ACTIVE: Reason.RETURN_ROUTE_BLACKHOLE,
    Check.RETURN_VIA_PEERING: Reason.NO_RETURN_ROUTE,
    Check.SOURCE_NOT_RFC1918: Reason.SOURCE_RFC1918,
    Check.SOURCE_NOT_RFC6598: Reason.SOURCE_RFC6598,
    Check.SOURCE_OUTSIDE_VPC: Reason.SPOOFED_SOURCE,
}


class SeenAs(StrEnum):
    """The source address past the path: what the destination's groups match."""

    SENT = "as sent"  # unchanged
    PRIVATE = "private"  # the sender's private IPv4 (the local route; IPv6: as sent)
    PUBLIC = "public"  # the gateway's translation to its public IPv4 (IPv6: as sent)
    NAT = "nat"  # the NAT gateway's public IPv4 (its private one when it has none)


@dataclass(frozen=True)
class PathRule:
    kind: PathKind
    checks: tuple[Check, ...]  # in the order the packet meets them
    seen_as: SeenAs = SeenAs.SENT
    groups_apply: bool = True  # False: the packet never leaves the instance
    #: the flow leaves its VPC by the source subnet's route: the chosen route's
    #: :data:`EXIT_RULES` entry adds its checks (first) and says what the far side sees
    exits: bool = False


@dataclass(frozen=True)
class ExitRule:
    """What leaving the VPC by one kind of route adds: checks, and the source seen after."""

    checks: tuple[Check, ...]
    seen_as: SeenAs


EXIT_RULES: dict[Hop, ExitRule] = {
    Hop.NONE: ExitRule((Check.ROUTE_EXISTS,), SeenAs.PUBLIC),
    # a route leaving the VPC that is local: the address is the VPC's, and nobody holds it
    Hop.LOCAL: ExitRule((Check.KNOWN_IN_VPC,), SeenAs.PUBLIC),
    Hop.IGW: ExitRule(
        (
            Check.ROUTE_ACTIVE,
            Check.DESTINATION_NOT_RFC1918,
            Check.DESTINATION_NOT_RFC6598,
            Check.SOURCE_PUBLIC,
        ),
        SeenAs.PUBLIC,
    ),
    Hop.NAT: ExitRule(
        (
            Check.ROUTE_ACTIVE,
            Check.NAT_PUBLIC,
            Check.NAT_ROUTE,
            Check.DESTINATION_NOT_RFC1918,
            Check.DESTINATION_NOT_RFC6598,
        ),
        SeenAs.NAT,
    ),
    Hop.EIGW: ExitRule((Check.ROUTE_ACTIVE,), SeenAs.SENT),
    Hop.PCX: ExitRule(
        (Check.ROUTE_ACTIVE, Check.PCX_DESTINATION, Check.KNOWN_IN_PEER), SeenAs.PRIVATE
    ),
    Hop.OTHER: ExitRule((Check.ROUTE_ACTIVE, Check.ROUTE_MODELLED), SeenAs.PUBLIC),
}


PATH_RULES: dict[Case, PathRule] = {
    Case.NO_INTERFACE: PathRule(PathKind.NONE, (Check.ANY_INTERFACE,)),
    Case.HOST_LOCAL: PathRule(PathKind.HOST_LOCAL, (), groups_apply=False),
    Case.FROM_INTERNET: PathRule(
        PathKind.INTERNET,
        (
            Check.DESTINATION_PUBLIC,
            Check.DESTINATION_GATEWAY,
            Check.RETURN_TO_GATEWAY,
            Check.RETURN_ROUTE_ACTIVE,
            Check.SOURCE_NOT_RFC1918,
            Check.SOURCE_NOT_RFC6598,
            Check.SOURCE_OUTSIDE_VPC,
        ),
    ),
    Case.TO_VPC_ADDRESS: PathRule(PathKind.VPC_LOCAL, (Check.KNOWN_IN_VPC,)),
    Case.TO_INTERNET: PathRule(PathKind.INTERNET, (), exits=True),
    Case.LOCAL: PathRule(PathKind.VPC_LOCAL, (Check.SAME_VPC,), SeenAs.PRIVATE),
    Case.REROUTED: PathRule(PathKind.VPC_LOCAL, (), SeenAs.PRIVATE, exits=True),
    Case.PEERING: PathRule(
        PathKind.PEERING,
        (
            Check.ROUTE_ACTIVE,
            Check.PCX_DESTINATION,
            Check.KNOWN_IN_PEER,
            Check.RETURN_VIA_PEERING,
        ),
        SeenAs.PRIVATE,
    ),
    Case.VIA_INTERNET: PathRule(
        PathKind.INTERNET,
        (Check.DESTINATION_GATEWAY, Check.RETURN_TO_GATEWAY, Check.RETURN_ROUTE_ACTIVE),
        exits=True,
    ),
}


def checks_of(rule: PathRule, hop: Hop) -> tuple[Check, ...]:
    """A case's checks for a flow whose source route is ``hop`` (exit checks first)."""
    return EXIT_RULES[hop].checks + rule.checks if rule.exits else rule.checks


def seen_as_of(rule: PathRule, hop: Hop) -> SeenAs:
    return EXIT_RULES[hop].seen_as if rule.exits else rule.seen_as
