"""EC2 shapes back into Elastic IPs, NAT gateways and egress-only internet gateways: the
inverse of :mod:`stockade.shapes.gateways`, strict for an import and lenient for the remote
client (see :mod:`stockade.shapes.fields`).
"""

from __future__ import annotations

from dataclasses import replace

from stockade.domain import ids
from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, NatGatewayState
from stockade.shapes.fields import Node, Origin, owner, resource_id, timestamp

_STATES = {state.value: state for state in NatGatewayState}


def address(a: Node, origin: Origin) -> ElasticIp:
    """A describe-addresses item; the NAT gateway holding it is found by the caller (the
    shape names only its interface), see :func:`with_nat_gateways`."""
    association = a.opt_text("AssociationId")
    return ElasticIp(
        allocation_id=resource_id(a, "AllocationId", "eipalloc"),
        public_ip=a.text("PublicIp"),
        owner_id=owner(a, origin, "NetworkInterfaceOwnerId"),
        region=origin.region,
        domain=a.opt_text("Domain") or "vpc",
        public_ipv4_pool=a.opt_text("PublicIpv4Pool") or "amazon",
        association_id=(
            a.canonical("AssociationId", _checked, association, "eipassoc") if association else None
        ),
        network_interface_id=a.opt_text("NetworkInterfaceId"),
        private_ip=a.opt_text("PrivateIpAddress"),
        instance_id=a.opt_text("InstanceId"),
        tags=a.tags(),
    )


def _checked(value: str, kind: str) -> str:
    return ids.check(kind, value)


def with_nat_gateways(
    addresses: list[ElasticIp], nat_gateways: list[NatGateway]
) -> list[ElasticIp]:
    """Addresses with the NAT gateway holding each (matched by its interface), since
    describe-addresses shows a NAT gateway's address only by its interface."""
    holders = {
        n.network_interface_id: n.nat_gateway_id
        for n in nat_gateways
        if n.network_interface_id and n.state is not NatGatewayState.DELETED
    }
    out = []
    for e in addresses:
        holder = holders.get(e.network_interface_id or "")
        out.append(e if holder is None else replace(e, nat_gateway_id=holder))
    return out


def nat_gateway(n: Node, origin: Origin) -> NatGateway:
    addresses = list(n.items("NatGatewayAddresses"))
    primary = next((a for a in addresses if a.flag("IsPrimary", True)), None)
    state = n.text("State")
    if state not in _STATES:
        raise n.problem(f"unknown state {state!r}", "State")
    return NatGateway(
        nat_gateway_id=resource_id(n, "NatGatewayId", "nat"),
        vpc_id=resource_id(n, "VpcId", "vpc"),
        subnet_id=resource_id(n, "SubnetId", "subnet"),
        owner_id=owner(n, origin),
        region=origin.region,
        private_ip=primary.text("PrivateIp") if primary else "",
        create_time=timestamp(n, "CreateTime") or n.text("CreateTime"),
        connectivity_type=n.opt_text("ConnectivityType") or "public",
        state=_STATES[state],
        allocation_id=primary.opt_text("AllocationId") if primary else None,
        public_ip=primary.opt_text("PublicIp") if primary else None,
        network_interface_id=primary.opt_text("NetworkInterfaceId") if primary else None,
        delete_time=timestamp(n, "DeleteTime"),
        tags=n.tags(),
    )


def egress_only_internet_gateway(g: Node, origin: Origin) -> EgressOnlyInternetGateway:
    attached = [
        a.text("VpcId")
        for a in g.items("Attachments")
        if (a.opt_text("State") or "attached") in ("attached", "attaching")
    ]
    return EgressOnlyInternetGateway(
        resource_id(g, "EgressOnlyInternetGatewayId", "eigw"),
        owner(g, origin),
        origin.region,
        attached[0] if attached else None,
        tags=g.tags(),
    )
