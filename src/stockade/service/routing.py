"""Route tables: create/delete, routes, associations, and the hooks VPCs and subnets call.

Every VPC has exactly one main table (made with it by :func:`defaults.create_main_route_table`,
deleted with it); a subnet uses its explicit association or, implicitly, the main table.
A route's state is never stored: answers derive it from the target (``domain/route_targets``).
Each call is one transaction and a refused call changes nothing (the checks all run
before the one ``put_route_table``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from ipaddress import ip_network

from stockade.domain import errors, ids
from stockade.domain.route_targets import usable_in
from stockade.domain.routing import (
    LOCAL,
    Route,
    RouteOrigin,
    RouteTable,
    RouteTableAssociation,
    check_destination_cidr,
    check_inside_vpc,
    local_routes,
    route_state,
    static_route_count,
)
from stockade.domain.tags import RawTags
from stockade.service import lookups, route_targets
from stockade.service.context import ServiceContext
from stockade.service.contracts import RouteRequest, RouteTableDetail
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction

#: Target parameters of CreateRoute / ReplaceRoute -> the id family each accepts.
_TARGET_PARAMETERS = (
    ("gateway_id", "GatewayId"),
    ("nat_gateway_id", "NatGatewayId"),
    ("network_interface_id", "NetworkInterfaceId"),
    ("instance_id", "InstanceId"),
    ("vpc_peering_connection_id", "VpcPeeringConnectionId"),
    ("egress_only_internet_gateway_id", "EgressOnlyInternetGatewayId"),
    ("transit_gateway_id", "TransitGatewayId"),
    ("vpc_endpoint_id", "VpcEndpointId"),
)
_FAMILY_OF_PARAMETER = {
    "nat_gateway_id": "nat",
    "network_interface_id": "eni",
    "instance_id": "i",
    "vpc_peering_connection_id": "pcx",
    "egress_only_internet_gateway_id": "eigw",
}
#: Gateways that carry one address family only (NAT64's 64:ff9b::/96 aside).
_IPV4_ONLY, _IPV6_ONLY, _NAT64 = "nat", "eigw", "64:ff9b::/96"


class RouteTableService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- tables ----------------------------------------------------------------------------
    def create(self, vpc_id: str, tags: RawTags = ()) -> RouteTableDetail:
        with self.ctx.write() as tx:
            vpc = lookups.vpc(tx, vpc_id)
            if len(tx.list_route_tables(vpc.vpc_id)) >= self.ctx.quotas.route_tables_per_vpc:
                raise errors.error(
                    "RouteTableLimitExceeded",
                    "The maximum number of route tables has been reached.",
                )
            table = RouteTable(
                ids.new_id("rtb"),
                vpc.vpc_id,
                tx.scope.account,
                tx.scope.region,
                routes=local_routes((*vpc.ipv4_blocks, vpc.ipv6_cidr_block)),
            )
            tx.put_route_table(table)
            table = replace(table, tags=tag_new(tx, [table.route_table_id], tags))
            return detail(tx, table)

    def delete(self, route_table_id: str) -> None:
        with self.ctx.write() as tx:
            table = lookups.route_table(tx, route_table_id)
            if table.associations:  # explicit associations, or the main flag [UNVERIFIED]
                raise errors.error(
                    "DependencyViolation",
                    f"The routeTable '{table.route_table_id}' has dependencies and cannot be "
                    "deleted.",
                )
            tx.delete_route_table(table.route_table_id)

    def describe(self, route_table_ids: Sequence[str] = ()) -> list[RouteTableDetail]:
        with self.ctx.read() as tx:
            if route_table_ids:
                tables = [lookups.route_table(tx, t) for t in route_table_ids]
            else:
                tables = tx.list_route_tables()
            return [detail(tx, t) for t in tables]

    def get(self, route_table_id: str) -> RouteTableDetail:
        with self.ctx.read() as tx:
            return detail(tx, lookups.route_table(tx, route_table_id))

    # -- routes ----------------------------------------------------------------------------
    def create_route(self, route_table_id: str, request: RouteRequest) -> None:
        with self.ctx.write() as tx:
            table = lookups.route_table(tx, route_table_id)
            destination = _destination(tx, request)
            if _find(table, destination) is not None:
                raise errors.error(
                    "RouteAlreadyExists", f"The route identified by {destination} already exists."
                )
            route = _route(tx, table, destination, request, replacing=False)
            family = route.family
            for f in (4, 6) if family is None else (family,):
                if static_route_count((*table.routes, route), f) > self.ctx.quotas.routes_per_table:
                    raise errors.error(
                        "RouteLimitExceeded",
                        f"The maximum number of routes has been reached in {table.route_table_id}.",
                    )
            tx.put_route_table(replace(table, routes=(*table.routes, route)))

    def replace_route(self, route_table_id: str, request: RouteRequest) -> None:
        with self.ctx.write() as tx:
            table = lookups.route_table(tx, route_table_id)
            destination = _destination(tx, request)
            index = _find(table, destination)
            if index is None:
                raise errors.invalid_parameter_value(
                    f"There is no route defined for '{destination}' in the route table. "
                    "Use CreateRoute instead."
                )
            route = _route(tx, table, destination, request, replacing=True)
            routes = list(table.routes)
            routes[index] = route
            tx.put_route_table(replace(table, routes=tuple(routes)))

    def delete_route(self, route_table_id: str, request: RouteRequest) -> None:
        with self.ctx.write() as tx:
            table = lookups.route_table(tx, route_table_id)
            destination = _destination(tx, request, must_exist=False)
            index = _find(table, destination)
            if index is None:
                kind = _destination_kind(request)
                raise errors.error(
                    "InvalidRoute.NotFound",
                    f"no route with {kind} {destination} in route table {table.route_table_id}",
                )
            if table.routes[index].origin is RouteOrigin.CREATE_ROUTE_TABLE or _is_vpc_block(
                tx, table.vpc_id, destination
            ):
                raise errors.invalid_parameter_value(
                    f"cannot remove local route {destination} in route table {table.route_table_id}"
                )
            routes = table.routes[:index] + table.routes[index + 1 :]
            tx.put_route_table(replace(table, routes=routes))

    # -- associations ------------------------------------------------------------------------
    def associate(
        self, route_table_id: str, subnet_id: str | None = None, gateway_id: str | None = None
    ) -> str:
        if gateway_id and not subnet_id:
            raise errors.error(
                "UnsupportedOperation",
                "Gateway route tables (edge associations) are not supported by stockade.",
            )
        if not subnet_id:
            raise errors.missing_parameter("SubnetId")
        if gateway_id:
            raise errors.invalid_combination("Specify either a subnet or a gateway, not both.")
        with self.ctx.write() as tx:
            table = lookups.route_table(tx, route_table_id)
            subnet = lookups.subnet(tx, subnet_id)
            if subnet.vpc_id != table.vpc_id:
                raise errors.invalid_parameter_value(
                    f"Route table {table.route_table_id} and subnet {subnet.subnet_id} belong "
                    "to different networks"
                )
            if explicit_table_of(tx, subnet.subnet_id) is not None:
                raise errors.error(
                    "Resource.AlreadyAssociated",
                    f"the specified association for route table {table.route_table_id} "
                    "conflicts with an existing association",
                )
            association = RouteTableAssociation(ids.new_id("rtbassoc"), subnet_id=subnet_id)
            tx.put_route_table(replace(table, associations=(*table.associations, association)))
            return association.association_id

    def disassociate(self, association_id: str) -> None:
        with self.ctx.write() as tx:
            table = lookups.route_table_association(tx, association_id)
            association = _association(table, association_id)
            if association.main:
                raise errors.invalid_parameter_value(
                    f"cannot disassociate the main route table association {association_id}"
                )
            tx.put_route_table(_without(table, association_id))

    def replace_association(self, association_id: str, route_table_id: str) -> str:
        """Point an association at another table under a new id; on the main association
        this makes that table the VPC's main one (implicit subnets follow it)."""
        with self.ctx.write() as tx:
            old = lookups.route_table_association(tx, association_id)
            new = lookups.route_table(tx, route_table_id)
            if new.vpc_id != old.vpc_id:
                raise errors.invalid_parameter_value(
                    f"Route table {new.route_table_id} and association {association_id} belong "
                    "to different networks"
                )
            moved = replace(
                _association(old, association_id), association_id=ids.new_id("rtbassoc")
            )
            tx.put_route_table(_without(old, association_id))
            if new.route_table_id == old.route_table_id:
                new = _without(old, association_id)
            tx.put_route_table(replace(new, associations=(*new.associations, moved)))
            return moved.association_id


# -- answers ------------------------------------------------------------------------------------


def detail(tx: Transaction, table: RouteTable) -> RouteTableDetail:
    """A table with each route's state as of this transaction."""
    usable = usable_in(tx)
    return RouteTableDetail(
        table, tuple(route_state(r, table.vpc_id, usable) for r in table.routes)
    )


# -- hooks for VPCs and subnets -------------------------------------------------------------------


def explicit_table_of(tx: Transaction, subnet_id: str) -> RouteTable | None:
    subnet = lookups.subnet(tx, subnet_id)
    return next((t for t in tx.list_route_tables(subnet.vpc_id) if subnet_id in t.subnet_ids), None)


def forget_subnet(tx: Transaction, subnet_id: str) -> None:
    """A deleted subnet's explicit association goes with it."""
    table = explicit_table_of(tx, subnet_id)
    if table is not None:
        table = replace(
            table, associations=tuple(a for a in table.associations if a.subnet_id != subnet_id)
        )
        tx.put_route_table(table)


def check_vpc_deletable(tx: Transaction, vpc_id: str) -> list[RouteTable]:
    """The VPC's tables, to go with it; ``DependencyViolation`` while it has a table other
    than the main one (AWS: delete custom tables before the VPC)."""
    tables = tx.list_route_tables(vpc_id)
    if any(not t.is_main for t in tables):
        raise errors.error(
            "DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
        )
    return tables


def add_local_routes(tx: Transaction, vpc_id: str, cidr_block: str) -> None:
    """A block newly associated with a VPC gets a local route in every table of it."""
    for table in tx.list_route_tables(vpc_id):
        if _find(table, cidr_block) is None:
            tx.put_route_table(replace(table, routes=(*table.routes, *local_routes([cidr_block]))))


def remove_local_routes(tx: Transaction, vpc_id: str, cidr_block: str) -> None:
    """A block disassociated from a VPC takes its local route out of every table of it."""
    for table in tx.list_route_tables(vpc_id):
        kept = tuple(
            r for r in table.routes if not (r.destination == cidr_block and r.target == LOCAL)
        )
        if len(kept) != len(table.routes):
            tx.put_route_table(replace(table, routes=kept))


# -- pieces ---------------------------------------------------------------------------------------


def _destination_kind(request: RouteRequest) -> str:
    if request.destination_prefix_list_id:
        return "destination-prefix-list-id"
    if request.destination_ipv6_cidr_block:
        return "destination-ipv6-cidr-block"
    return "destination-cidr-block"


def _destination(tx: Transaction, request: RouteRequest, must_exist: bool = True) -> str:
    """The one destination, canonical (a CIDR) or an existing prefix list's id."""
    given = [
        (name, value)
        for name, value in (
            ("destinationCidrBlock", request.destination_cidr_block),
            ("destinationIpv6CidrBlock", request.destination_ipv6_cidr_block),
            ("destinationPrefixListId", request.destination_prefix_list_id),
        )
        if value is not None
    ]
    if not given:
        raise errors.missing_parameter(
            "destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId"
        )
    if len(given) > 1:
        raise errors.invalid_combination(
            "Exactly one of destinationCidrBlock, destinationIpv6CidrBlock and "
            "destinationPrefixListId may be given."
        )
    name, value = given[0]
    if name == "destinationPrefixListId":
        if must_exist:
            return lookups.prefix_list(tx, value).prefix_list_id
        return ids.check("pl", value)
    return check_destination_cidr(value, name, 4 if name == "destinationCidrBlock" else 6)


def _route(
    tx: Transaction, table: RouteTable, destination: str, request: RouteRequest, replacing: bool
) -> Route:
    """The route a request makes: its target resolved and checked against the table's VPC."""
    given = [
        (field, getattr(request, field))
        for field, _ in _TARGET_PARAMETERS
        if getattr(request, field) is not None
    ]
    if request.local_target or (replacing and request.gateway_id == LOCAL):
        if request.local_target and given and given != [("gateway_id", LOCAL)]:
            raise errors.invalid_combination("LocalTarget cannot be combined with another target.")
        target, instance_id = LOCAL, None
    else:
        if not given:
            raise errors.missing_parameter(
                "a target (GatewayId, NatGatewayId, NetworkInterfaceId, InstanceId, "
                "VpcPeeringConnectionId, EgressOnlyInternetGatewayId…)"
            )
        if len(given) > 1:
            raise errors.invalid_combination("More than one target specified for the route.")
        field, value = given[0]
        target, instance_id = _target(tx, table, field, value, destination)
    vpc = lookups.vpc(tx, table.vpc_id)
    if not destination.startswith("pl-"):
        subnets = [
            b for s in tx.list_subnets(table.vpc_id) for b in (s.cidr_block, s.ipv6_cidr_block) if b
        ]
        blocks = [*vpc.ipv4_blocks, *vpc.blocks(6)]
        check_inside_vpc(destination, target, blocks, subnets)
    elif target == LOCAL:
        raise errors.invalid_parameter_value("A prefix list cannot be routed to local.")
    origin = RouteOrigin.CREATE_ROUTE_TABLE if target == LOCAL else RouteOrigin.CREATE_ROUTE
    return Route(destination, target, origin, instance_id)


def _target(
    tx: Transaction, table: RouteTable, field: str, value: str, destination: str
) -> tuple[str, str | None]:
    if field == "gateway_id":
        kind = value.split("-", 1)[0]
        if kind == "vgw":
            raise errors.error(
                "InvalidGatewayID.NotFound", f"The gateway ID '{value}' does not exist"
            )
        if kind != "igw":
            raise errors.malformed_id("igw", value)
    elif field == "transit_gateway_id":
        raise errors.error(
            "InvalidTransitGatewayID.NotFound", f"The transitGateway ID '{value}' does not exist"
        )
    elif field == "vpc_endpoint_id":
        raise errors.error(
            "InvalidVpcEndpointId.NotFound", f"The Vpc Endpoint Id '{value}' does not exist"
        )
    else:
        kind = _FAMILY_OF_PARAMETER[field]
    family = None if destination.startswith("pl-") else ip_network(destination).version
    if (kind == _IPV4_ONLY and family == 6 and destination != _NAT64) or (
        kind == _IPV6_ONLY and family == 4
    ):
        raise errors.invalid_parameter_value(
            f"Route target {value} does not carry IPv{family} traffic ({destination})."
        )
    return route_targets.resolve(tx, table.vpc_id, table.route_table_id, kind, value)


def _find(table: RouteTable, destination: str) -> int | None:
    return next((i for i, r in enumerate(table.routes) if r.destination == destination), None)


def _is_vpc_block(tx: Transaction, vpc_id: str, destination: str) -> bool:
    vpc = lookups.vpc(tx, vpc_id)
    return destination in (*vpc.ipv4_blocks, *vpc.blocks(6))


def _association(table: RouteTable, association_id: str) -> RouteTableAssociation:
    return next(a for a in table.associations if a.association_id == association_id)


def _without(table: RouteTable, association_id: str) -> RouteTable:
    kept = tuple(a for a in table.associations if a.association_id != association_id)
    return replace(table, associations=kept)
