"""Network ACLs through a stockade server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockade.domain.network_acl import NetworkAcl
from stockade.domain.tags import RawTags
from stockade.remote.client import Remote
from stockade.service.contracts import NetworkAclEntryRequest
from stockade.shapes import read_network_acls, tag_list


def _entry_params(request: NetworkAclEntryRequest) -> dict[str, Any]:
    """The CreateNetworkAclEntry / ReplaceNetworkAclEntry parameters of a request."""
    ports = _given(From=request.port_from, To=request.port_to)
    icmp = _given(Type=request.icmp_type, Code=request.icmp_code)
    return {
        "RuleNumber": request.rule_number,
        "Egress": request.egress,
        "RuleAction": request.rule_action,
        "Protocol": request.protocol,
        "CidrBlock": request.cidr_block,
        "Ipv6CidrBlock": request.ipv6_cidr_block,
        "PortRange": ports,
        "IcmpTypeCode": icmp,
    }


def _given(**members: int | None) -> dict[str, int] | None:
    """A structure of the members given (botocore refuses ``None`` members), or none."""
    given = {k: v for k, v in members.items() if v is not None}
    return given or None


class RemoteNetworkAclService(Remote):
    """:class:`stockade.service.network_acls.NetworkAclService`, over the EC2 API."""

    def _acl(self, shape: Any, operation: str) -> NetworkAcl:
        return read_network_acls.network_acl(self.read(shape, operation), self.origin)

    def create(self, vpc_id: str, tags: RawTags = ()) -> NetworkAcl:
        specs = [{"ResourceType": "network-acl", "Tags": tag_list(tags)}] if tags else None
        shape = self.call("create_network_acl", VpcId=vpc_id, TagSpecifications=specs)
        return self._acl(shape["NetworkAcl"], "create_network_acl")

    def delete(self, network_acl_id: str) -> None:
        self.call("delete_network_acl", NetworkAclId=network_acl_id)

    def describe(self, network_acl_ids: Sequence[str] = ()) -> list[NetworkAcl]:
        items = self.pages(
            "describe_network_acls", "NetworkAcls", NetworkAclIds=list(network_acl_ids) or None
        )
        return [self._acl(a, "describe_network_acls") for a in items]

    def get(self, network_acl_id: str) -> NetworkAcl:
        return self.describe([network_acl_id])[0]

    def create_entry(self, network_acl_id: str, request: NetworkAclEntryRequest) -> None:
        self.call("create_network_acl_entry", NetworkAclId=network_acl_id, **_entry_params(request))

    def replace_entry(self, network_acl_id: str, request: NetworkAclEntryRequest) -> None:
        self.call(
            "replace_network_acl_entry", NetworkAclId=network_acl_id, **_entry_params(request)
        )

    def delete_entry(
        self, network_acl_id: str, rule_number: int | None, egress: bool | None
    ) -> None:
        self.call(
            "delete_network_acl_entry",
            NetworkAclId=network_acl_id,
            RuleNumber=rule_number,
            Egress=egress,
        )

    def replace_association(self, association_id: str, network_acl_id: str) -> str:
        answer = self.call(
            "replace_network_acl_association",
            AssociationId=association_id,
            NetworkAclId=network_acl_id,
        )
        return str(answer["NewAssociationId"])
