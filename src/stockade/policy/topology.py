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
groups (ingress). stockade models no route tables or network ACLs yet, so a VPC's
attached internet gateway stands in for "a route to it" (:attr:`Check.SOURCE_GATEWAY`,
:attr:`Check.DESTINATION_GATEWAY`) and the local route for "same VPC". When routes and
ACLs arrive they are new :class:`Check` members (e.g. "the source subnet's route table
has a route", "the destination subnet's ACL admits it") placed in each case's tuple where
the packet meets them — and, for peering, new cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from stockade.policy.interface_reach import EndState
from stockade.policy.reasons import Reason


class PathKind(StrEnum):
    VPC_LOCAL = "vpc-local"  # private addresses inside one VPC (the local route)
    INTERNET = "internet"  # through internet gateway(s), public addresses
    HOST_LOCAL = "host-local"  # both ends on one instance: never leaves it, no group applies
    NONE = "none"  # no path could be formed


#: Paths a VPC router forwards, and so filters (the data plane's nftables); the others never
#: reach a router (host-local) or were never formed.
ROUTER_FILTERED = frozenset({PathKind.VPC_LOCAL, PathKind.INTERNET})


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
    VIA_INTERNET = "via the internet"  # interface to interface through both gateways


class Check(StrEnum):
    """One step a packet meets on its path; failing it blocks the flow with :data:`REASON`."""

    ANY_INTERFACE = "an end is an interface"
    KNOWN_IN_VPC = "an interface holds the VPC address"
    SAME_VPC = "both ends are in one VPC"
    SOURCE_GATEWAY = "the source's VPC has an internet gateway"
    SOURCE_PUBLIC = "the source has a public address"
    DESTINATION_NOT_RFC1918 = "the destination is not an RFC 1918 address"
    DESTINATION_NOT_RFC6598 = "the destination is not an RFC 6598 address"
    DESTINATION_PUBLIC = "the destination address is public"
    DESTINATION_GATEWAY = "the destination's VPC has an internet gateway"
    SOURCE_NOT_RFC1918 = "the source is not an RFC 1918 address"
    SOURCE_NOT_RFC6598 = "the source is not an RFC 6598 address"
    SOURCE_OUTSIDE_VPC = "the source does not pretend to be inside the VPC"


REASON: dict[Check, Reason] = {
    Check.ANY_INTERFACE: Reason.NO_INTERFACE,
    Check.KNOWN_IN_VPC: Reason.UNKNOWN_IN_VPC,
    Check.SAME_VPC: Reason.DIFFERENT_VPC,
    Check.SOURCE_GATEWAY: Reason.SOURCE_VPC_NO_IGW,
    Check.SOURCE_PUBLIC: Reason.SOURCE_NOT_PUBLIC,
    Check.DESTINATION_NOT_RFC1918: Reason.DESTINATION_RFC1918,
    Check.DESTINATION_NOT_RFC6598: Reason.DESTINATION_RFC6598,
    Check.DESTINATION_PUBLIC: Reason.DESTINATION_NOT_PUBLIC,
    Check.DESTINATION_GATEWAY: Reason.DESTINATION_VPC_NO_IGW,
    Check.SOURCE_NOT_RFC1918: Reason.SOURCE_RFC1918,
    Check.SOURCE_NOT_RFC6598: Reason.SOURCE_RFC6598,
    Check.SOURCE_OUTSIDE_VPC: Reason.SPOOFED_SOURCE,
}


class SeenAs(StrEnum):
    """The source address past the path: what the destination's groups match."""

    SENT = "as sent"  # unchanged
    PRIVATE = "private"  # the sender's private IPv4 (the local route; IPv6: as sent)
    PUBLIC = "public"  # the gateway's translation to its public IPv4 (IPv6: as sent)


@dataclass(frozen=True)
class PathRule:
    kind: PathKind
    checks: tuple[Check, ...]  # in the order the packet meets them
    seen_as: SeenAs = SeenAs.SENT
    groups_apply: bool = True  # False: the packet never leaves the instance


PATH_RULES: dict[Case, PathRule] = {
    Case.NO_INTERFACE: PathRule(PathKind.NONE, (Check.ANY_INTERFACE,)),
    Case.HOST_LOCAL: PathRule(PathKind.HOST_LOCAL, (), groups_apply=False),
    Case.FROM_INTERNET: PathRule(
        PathKind.INTERNET,
        (
            Check.DESTINATION_PUBLIC,
            Check.DESTINATION_GATEWAY,
            Check.SOURCE_NOT_RFC1918,
            Check.SOURCE_NOT_RFC6598,
            Check.SOURCE_OUTSIDE_VPC,
        ),
    ),
    Case.TO_VPC_ADDRESS: PathRule(PathKind.VPC_LOCAL, (Check.KNOWN_IN_VPC,)),
    Case.TO_INTERNET: PathRule(
        PathKind.INTERNET,
        (
            Check.SOURCE_GATEWAY,
            Check.DESTINATION_NOT_RFC1918,
            Check.DESTINATION_NOT_RFC6598,
            Check.SOURCE_PUBLIC,
        ),
        SeenAs.PUBLIC,
    ),
    Case.LOCAL: PathRule(PathKind.VPC_LOCAL, (Check.SAME_VPC,), SeenAs.PRIVATE),
    Case.VIA_INTERNET: PathRule(
        PathKind.INTERNET,
        (
            Check.SOURCE_GATEWAY,
            Check.SOURCE_PUBLIC,
            Check.DESTINATION_GATEWAY,
        ),
        SeenAs.PUBLIC,
    ),
}
