"""The pieces of Reachability Analyzer's answer: ``AnalysisComponent``s and the rules as the
analyzer shows them (``AnalysisAclRule``, ``AnalysisSecurityGroupRule``,
``AnalysisRouteTableRoute``, ``AnalysisPacketHeader``), named as botocore's model names
them. :mod:`stockade.shapes.insights_findings` assembles them into paths and explanations.
"""

from __future__ import annotations

from typing import Any

from stockade.domain import ids
from stockade.domain.state import Snapshot
from stockade.policy.decision import AclEntryRef, RouteStep, RuleRef
from stockade.policy.flow import Flow

#: Protocol numbers as the analyzer's rules show them ([UNVERIFIED] beyond ``all``, which
#: AWS's documented example shows for ``-1``).
_PROTOCOL_NAMES = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def protocol_name(protocol: str) -> str:
    return _PROTOCOL_NAMES.get(protocol, protocol)


class Components:
    """``AnalysisComponent``s (``{Id, Arn, Name}``) of the ids a decision names, with the
    owner's account in the ARN and the Name tag (a group's name) where there is one."""

    def __init__(self, snapshot: Snapshot, account: str, region: str) -> None:
        self.snapshot, self.account, self.region = snapshot, account, region
        s = snapshot
        self._objects: dict[str, Any] = {
            **s.vpc_by_id,
            **s.subnet_by_id,
            **s.interface_by_id,
            **s.instance_by_id,
            **s.group_by_id,
            **s.route_table_by_id,
            **s.network_acl_by_id,
            **s.nat_gateway_by_id,
            **s.peering_by_id,
            **{g.igw_id: g for g in s.internet_gateways},
        }

    def __call__(self, resource_id: str | None) -> dict[str, Any] | None:
        if not resource_id:
            return None
        found = self._objects.get(resource_id)
        owner = getattr(found, "owner_id", None) or self.account
        region = getattr(found, "region", None) or self.region
        out: dict[str, Any] = {"Id": resource_id}
        if ids.resource_type(resource_id):
            out["Arn"] = ids.arn(region, owner, resource_id)
        name = getattr(found, "name", None) if resource_id.startswith("sg-") else None
        name = name or dict(getattr(found, "tags", ()) or ()).get("Name")
        if name:
            out["Name"] = name
        return out

    def subnet_of(self, eni_id: str | None) -> str | None:
        eni = self.snapshot.interface_by_id.get(eni_id or "")
        return eni.subnet_id if eni else None

    def vpc_of_subnet(self, subnet_id: str | None) -> str | None:
        subnet = self.snapshot.subnet_by_id.get(subnet_id or "")
        return subnet.vpc_id if subnet else None

    def placed(self, out: dict[str, Any], subnet_id: str | None) -> dict[str, Any]:
        """``out`` with its ``Subnet`` and ``Vpc`` members (when known)."""
        subnet = self(subnet_id)
        vpc = self(self.vpc_of_subnet(subnet_id))
        if subnet:
            out["Subnet"] = subnet
        if vpc:
            out["Vpc"] = vpc
        return out


# -- rules as the analyzer shows them ------------------------------------------------------


def acl_rule(entry: AclEntryRef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Cidr": entry.cidr,
        "Egress": entry.egress,
        "Protocol": protocol_name(entry.protocol),
        "RuleAction": entry.action,
    }
    if entry.port_range is not None:
        out["PortRange"] = {"From": entry.port_range[0], "To": entry.port_range[1]}
    if entry.rule_number is not None:
        out["RuleNumber"] = entry.rule_number
    return out


def security_group_rule(rule: RuleRef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Direction": str(rule.direction),
        "SecurityGroupId": rule.group_id,
        "Protocol": protocol_name(rule.protocol),
    }
    if rule.peer_kind == "prefix-list":
        out["PrefixListId"] = rule.peer
    else:  # a CIDR, or a group reference: the member address that matched
        out["Cidr"] = rule.peer if rule.peer_kind.startswith("cidr") else rule.matched
    if rule.protocol in ("tcp", "udp"):
        out["PortRange"] = {"From": rule.from_port, "To": rule.to_port}
    return out


def route_table_route(step: RouteStep, snapshot: Snapshot) -> dict[str, Any]:
    """A route step's route, its target under the key ``Route`` uses (lower-case origin)."""
    if step.destination is None or step.target is None:
        return {}
    key = "DestinationPrefixListId" if step.destination.startswith("pl-") else "DestinationCidr"
    out: dict[str, Any] = {key: step.destination}
    out[_target_key(step.target)] = step.target
    table = snapshot.route_table_by_id.get(step.table_id)
    origin = next(
        (
            r.origin.value
            for r in (table.routes if table else ())
            if r.destination == step.destination and r.target == step.target
        ),
        "CreateRouteTable" if step.target == "local" else "CreateRoute",
    )
    out["Origin"] = origin.lower()
    out["State"] = step.state
    return out


def _target_key(target: str) -> str:
    prefix = target.split("-", 1)[0]
    return {
        "nat": "NatGatewayId",
        "eni": "NetworkInterfaceId",
        "i": "InstanceId",
        "eigw": "EgressOnlyInternetGatewayId",
        "pcx": "VpcPeeringConnectionId",
        "tgw": "TransitGatewayId",
    }.get(prefix, "GatewayId")


def packet_header(flow: Flow, source: str | None, destination: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"Protocol": protocol_name(str(flow.protocol_number or "-1"))}
    if source:
        out["SourceAddresses"] = [source]
    if destination:
        out["DestinationAddresses"] = [destination]
    if flow.port is not None:
        out["DestinationPortRanges"] = [{"From": flow.port, "To": flow.port}]
    ports = flow.source_ports
    if ports is not None:
        out["SourcePortRanges"] = [{"From": ports[0], "To": ports[1]}]
    return out


def main_table(snapshot: Snapshot, vpc_id: str) -> str | None:
    table = snapshot.main_route_table_for(vpc_id)
    return table.route_table_id if table and table.route_table_id else None
