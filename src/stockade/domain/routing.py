"""Route tables, NAT gateways and egress-only internet gateways: where a VPC sends a packet.

A route table is one aggregate: its routes and its associations travel with it, so a
snapshot holds everything the path of a flow needs. What is *derived* is not stored: a
route's state (``active`` or ``blackhole``) depends on its target — an internet gateway
still attached, a NAT gateway still available, a peering still active — and is computed
by :func:`route_state` from the world it is read in, so it can never go stale.

Route selection (:func:`select_route`) is AWS's: IPv4 and IPv6 matched independently,
the longest prefix wins; prefix-list destinations are expanded by the caller (a static
CIDR route beats an overlapping prefix-list route of the same length).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import ip_network

from stockade.domain import errors
from stockade.domain.addresses import parse_cidr, stored_address, stored_network
from stockade.domain.tags import Tags

#: The target of a local route (the VPC's own CIDR blocks).
LOCAL = "local"


class RouteOrigin(StrEnum):
    CREATE_ROUTE_TABLE = "CreateRouteTable"  # the local routes every table starts with
    CREATE_ROUTE = "CreateRoute"
    ENABLE_VGW_ROUTE_PROPAGATION = "EnableVgwRoutePropagation"


class RouteState(StrEnum):
    ACTIVE = "active"
    BLACKHOLE = "blackhole"


class TargetKind(StrEnum):
    """What a route sends its packets to, named by the target id's prefix."""

    LOCAL = "local"
    INTERNET_GATEWAY = "igw"
    VIRTUAL_PRIVATE_GATEWAY = "vgw"
    EGRESS_ONLY_INTERNET_GATEWAY = "eigw"
    NAT_GATEWAY = "nat"
    NETWORK_INTERFACE = "eni"
    INSTANCE = "i"
    PEERING = "pcx"
    TRANSIT_GATEWAY = "tgw"
    VPC_ENDPOINT = "vpce"


def target_kind(target: str) -> TargetKind:
    """The kind of a target id (``igw-…`` → internet gateway; ``local``)."""
    if target == LOCAL:
        return TargetKind.LOCAL
    return TargetKind(target.split("-", 1)[0])


@dataclass(frozen=True)
class Route:
    """One route: a destination (CIDR, canonical, or a ``pl-`` prefix list) and its target.

    ``target`` is the target's id (``igw-…``, ``nat-…``, ``pcx-…``, ``eni-…``…) or
    :data:`LOCAL`. A route created with ``InstanceId`` targets the instance's one interface:
    ``target`` is that ``eni-`` and ``instance_id`` remembers the instance (AWS shows both).
    """

    destination: str
    target: str
    origin: RouteOrigin = RouteOrigin.CREATE_ROUTE
    instance_id: str | None = None

    @property
    def is_prefix_list(self) -> bool:
        return self.destination.startswith("pl-")

    @property
    def family(self) -> int | None:
        """4 or 6 for a CIDR destination; ``None`` for a prefix list (either family)."""
        return None if self.is_prefix_list else stored_network(self.destination).version

    @property
    def kind(self) -> TargetKind:
        return target_kind(self.target)

    @property
    def is_local(self) -> bool:
        return self.target == LOCAL


@dataclass(frozen=True)
class RouteTableAssociation:
    """A table's link to a subnet (explicit), to a gateway (edge), or the VPC's main flag.

    A subnet without an explicit association uses the main table implicitly: that is not
    an association and is not listed.
    """

    association_id: str
    main: bool = False
    subnet_id: str | None = None
    gateway_id: str | None = None


@dataclass(frozen=True)
class RouteTable:
    route_table_id: str
    vpc_id: str
    owner_id: str
    region: str
    routes: tuple[Route, ...] = ()
    associations: tuple[RouteTableAssociation, ...] = ()
    propagating_vgws: tuple[str, ...] = ()
    tags: Tags = ()

    @property
    def is_main(self) -> bool:
        return any(a.main for a in self.associations)

    @property
    def subnet_ids(self) -> tuple[str, ...]:
        return tuple(a.subnet_id for a in self.associations if a.subnet_id)


class NatGatewayState(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    DELETING = "deleting"
    DELETED = "deleted"
    FAILED = "failed"


@dataclass(frozen=True)
class NatGateway:
    """A NAT gateway: source NAT for a private subnet's outbound IPv4, nothing inbound.

    A public one (``connectivity_type="public"``) lives in a public subnet with an Elastic
    IP (``allocation_id``/``public_ip``); a private one has no public address.
    """

    nat_gateway_id: str
    vpc_id: str
    subnet_id: str
    owner_id: str
    region: str
    private_ip: str
    create_time: str  # ISO 8601, UTC
    connectivity_type: str = "public"
    state: NatGatewayState = NatGatewayState.AVAILABLE
    allocation_id: str | None = None
    public_ip: str | None = None
    network_interface_id: str | None = None
    delete_time: str | None = None
    #: CreateNatGateway's idempotency token: a retry with it returns this gateway
    client_token: str | None = None
    tags: Tags = ()

    @property
    def is_available(self) -> bool:
        return self.state is NatGatewayState.AVAILABLE


@dataclass(frozen=True)
class EgressOnlyInternetGateway:
    """An egress-only internet gateway: IPv6 out and its replies back, nothing initiated in."""

    egress_only_internet_gateway_id: str
    owner_id: str
    region: str
    vpc_id: str | None = None  # the attached VPC (one, from creation)
    tags: Tags = ()


def matches(route: Route, address: str, prefix_lists: Mapping[str, Iterable[str]]) -> int:
    """The prefix length by which ``route`` covers ``address``, or -1 if it does not.

    A prefix-list destination covers an address when one of its entries does; its length
    is that entry's.
    """
    addr = stored_address(address)
    cidrs = (
        prefix_lists.get(route.destination, ()) if route.is_prefix_list else (route.destination,)
    )
    best = -1
    for cidr in cidrs:
        network = stored_network(cidr)
        if network.version == addr.version and addr in network:
            best = max(best, network.prefixlen)
    return best


def select_route(
    routes: Iterable[Route], address: str, prefix_lists: Mapping[str, Iterable[str]] | None = None
) -> Route | None:
    """The route a packet to ``address`` takes: the longest matching prefix of its family.

    Of two routes of equal length a CIDR route beats a prefix-list route (AWS: static CIDR >
    prefix list > propagated); ``None`` when nothing matches (``NO_ROUTE_TO_DESTINATION``).
    """
    lists = prefix_lists or {}
    best: tuple[int, int, int] | None = None
    chosen: Route | None = None
    for route in routes:
        length = matches(route, address, lists)
        if length < 0:
            continue
        rank = (
            length,
            0 if route.is_prefix_list else 1,
            0 if route.origin is RouteOrigin.ENABLE_VGW_ROUTE_PROPAGATION else 1,
        )
        if best is None or rank > best:
            best, chosen = rank, route
    return chosen


#: Decides whether a route's (non-local) target is usable: given the route and the id of
#: the VPC whose table holds it. Built from a snapshot (policy) or a transaction (service).
TargetUsable = Callable[[Route, str], bool]


def route_state(route: Route, vpc_id: str, usable: TargetUsable) -> RouteState:
    """``active`` when the route can forward, ``blackhole`` when its target is gone or down.

    AWS keeps a route whose target went away (a detached internet gateway, a deleted NAT
    gateway or interface, a peering not ``active``) and drops what it matches.
    """
    if route.is_local or usable(route, vpc_id):
        return RouteState.ACTIVE
    return RouteState.BLACKHOLE


# -- what a route may be (AWS's rules for CreateRoute / ReplaceRoute) ------------------------

#: Ranges no route may point into (the VPC's reserved link-local service addresses); a
#: larger covering route is accepted (it simply never forwards them).
RESERVED_DESTINATIONS = ("169.254.168.0/22", "fd00:ec2::/32")

#: Targets allowed for a destination equal to or inside one of the VPC's CIDR blocks
#: ("more specific routing": middleboxes, i.e. an interface, an instance or a NAT gateway).
INSIDE_VPC_TARGETS = frozenset(
    {TargetKind.NETWORK_INTERFACE, TargetKind.INSTANCE, TargetKind.NAT_GATEWAY}
)


def check_destination_cidr(cidr: str, parameter: str, family: int) -> str:
    """The canonical form of a route's destination CIDR (``100.68.0.18/18`` →
    ``100.68.0.0/18``); ``InvalidParameterValue`` for a bad one or one of the reserved."""
    try:
        network = parse_cidr(cidr, family)
    except errors.AwsError:
        raise errors.invalid_parameter_value(
            f"Value ({cidr}) for parameter {parameter} is invalid. This is not a valid CIDR block."
        ) from None
    for reserved in RESERVED_DESTINATIONS:
        block = ip_network(reserved)
        if block.version == network.version and network.subnet_of(block):  # type: ignore[arg-type]
            raise errors.invalid_parameter_value(
                f"The destination CIDR block {network} is reserved and cannot be routed."
            )
    return str(network)


def check_inside_vpc(
    destination: str,
    target: str,
    vpc_cidrs: Iterable[str],
    subnet_cidrs: Iterable[str],
) -> None:
    """A CIDR destination equal to or inside a VPC block must be the whole VPC block (its
    local route, restored by ``LocalTarget``) or a whole subnet's block, and then target an
    interface, an instance or a NAT gateway (or ``local`` for a VPC block).

    ``InvalidParameterValue`` otherwise, with AWS's message (observed, [UNVERIFIED]).
    """
    network = ip_network(destination)
    inside = [
        ip_network(b)
        for b in vpc_cidrs
        if ip_network(b).version == network.version and network.subnet_of(ip_network(b))  # type: ignore[arg-type]
    ]
    if not inside:
        if target == LOCAL:
            raise errors.invalid_parameter_value(
                f"The destination CIDR block {destination} is not one of this VPC's CIDR "
                "blocks: only those can target local."
            )
        return
    whole_vpc = any(network == block for block in inside)
    whole_subnet = destination in {str(ip_network(c)) for c in subnet_cidrs}
    if target == LOCAL and whole_vpc:
        return
    if (whole_vpc or whole_subnet) and target_kind(target) in INSIDE_VPC_TARGETS:
        return
    raise errors.invalid_parameter_value(
        f"The destination CIDR block {destination} is equal to or more specific than one of "
        "this VPC's CIDR blocks. This route can target only an interface or an instance."
    )


def local_routes(cidr_blocks: Iterable[str | None]) -> tuple[Route, ...]:
    """The ``local`` route of each of a VPC's CIDR blocks: how every table starts."""
    return tuple(Route(b, LOCAL, RouteOrigin.CREATE_ROUTE_TABLE) for b in cidr_blocks if b)


def static_route_count(routes: Iterable[Route], family: int) -> int:
    """Routes counting toward the per-table quota in one family: every non-local, non-
    propagated CIDR route of that family (AWS counts IPv4 and IPv6 separately); prefix-list
    routes count once in each family (their list may hold either)."""
    return sum(
        1
        for r in routes
        if not r.is_local
        and r.origin is not RouteOrigin.ENABLE_VGW_ROUTE_PROPAGATION
        and r.family in (family, None)
    )
