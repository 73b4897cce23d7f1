"""Network ACLs: ACLs, their entries and subnet associations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stockade.api.actions.common import tag_specs
from stockade.api.actions.describe import Aliases, page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain.network_acl import PROTOCOL_LABELS
from stockade.service.contracts import NetworkAclEntryRequest
from stockade.shapes import network_acls as shapes


def _entry_protocols(shape: Mapping[str, Any]) -> Iterable[str]:
    """``entry.protocol`` takes a number or, for TCP/UDP/ICMP, its name."""
    for e in shape["Entries"]:
        yield e["Protocol"]
        if e["Protocol"] in PROTOCOL_LABELS:
            yield PROTOCOL_LABELS[e["Protocol"]]


#: filter names that are not the shape's keys
_ALIASES: Aliases = {
    "association.association-id": "Associations.NetworkAclAssociationId",
    "default": "IsDefault",
    "entry.cidr": "Entries.CidrBlock",
    "entry.ipv6-cidr": "Entries.Ipv6CidrBlock",
    "entry.egress": "Entries.Egress",
    "entry.icmp.code": "Entries.IcmpTypeCode.Code",
    "entry.icmp.type": "Entries.IcmpTypeCode.Type",
    "entry.port-range.from": "Entries.PortRange.From",
    "entry.port-range.to": "Entries.PortRange.To",
    "entry.protocol": _entry_protocols,
    "entry.rule-action": "Entries.RuleAction",
    "entry.rule-number": "Entries.RuleNumber",
}


def _entry_request(call: Call) -> NetworkAclEntryRequest:
    ports = call.get("PortRange") or {}
    icmp = call.get("IcmpTypeCode") or {}
    return NetworkAclEntryRequest(
        rule_number=call.get("RuleNumber"),
        egress=call.get("Egress"),
        rule_action=call.get("RuleAction"),
        protocol=call.get("Protocol"),
        cidr_block=call.get("CidrBlock"),
        ipv6_cidr_block=call.get("Ipv6CidrBlock"),
        port_from=ports.get("From"),
        port_to=ports.get("To"),
        icmp_type=icmp.get("Type"),
        icmp_code=icmp.get("Code"),
    )


@action("CreateNetworkAcl")
def create_network_acl(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"network-acl"}, default="network-acl")
    acl = call.services.network_acls.create(call.get("VpcId"), tags.get("network-acl", ()))
    out = {"NetworkAcl": shapes.network_acl(acl)}
    if call.get("ClientToken"):
        out["ClientToken"] = call.get("ClientToken")
    return out


@action("DeleteNetworkAcl")
def delete_network_acl(call: Call) -> None:
    call.services.network_acls.delete(call.get("NetworkAclId"))


@action("DescribeNetworkAcls")
def describe_network_acls(call: Call) -> dict[str, Any]:
    acls = call.services.network_acls.describe(call.get("NetworkAclIds") or ())
    selected = select(call, (shapes.network_acl(a) for a in acls), _ALIASES)
    items, token = page(call, selected, lambda s: s["NetworkAclId"], minimum=5, maximum=1000)
    return with_token({"NetworkAcls": items}, token)


@action("CreateNetworkAclEntry")
def create_network_acl_entry(call: Call) -> None:
    call.services.network_acls.create_entry(call.get("NetworkAclId"), _entry_request(call))


@action("ReplaceNetworkAclEntry")
def replace_network_acl_entry(call: Call) -> None:
    call.services.network_acls.replace_entry(call.get("NetworkAclId"), _entry_request(call))


@action("DeleteNetworkAclEntry")
def delete_network_acl_entry(call: Call) -> None:
    call.services.network_acls.delete_entry(
        call.get("NetworkAclId"), call.get("RuleNumber"), call.get("Egress")
    )


@action("ReplaceNetworkAclAssociation")
def replace_network_acl_association(call: Call) -> dict[str, Any]:
    new_id = call.services.network_acls.replace_association(
        call.get("AssociationId"), call.get("NetworkAclId")
    )
    return {"NewAssociationId": new_id}
