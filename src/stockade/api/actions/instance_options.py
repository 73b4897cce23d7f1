"""Detailed monitoring, metadata options and IAM instance-profile associations.

Terraform's ``aws_instance`` sends ModifyInstanceMetadataOptions, Monitor/UnmonitorInstances
and the profile association calls when those arguments change, and reads them back from
DescribeInstances and DescribeIamInstanceProfileAssociations; Ansible's ``ec2_instance``
does the same for the profile.
"""

from __future__ import annotations

from typing import Any

from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.service.instance_options import MetadataRequest
from stockade.shapes import instances as shapes

_ASSOCIATION_ALIASES = {"instance-id": "InstanceId", "state": "State"}


def metadata_request(given: dict[str, Any]) -> MetadataRequest:
    """ModifyInstanceMetadataOptions' members, or RunInstances' ``MetadataOptions``."""
    return MetadataRequest(
        http_tokens=given.get("HttpTokens"),
        hop_limit=given.get("HttpPutResponseHopLimit"),
        http_endpoint=given.get("HttpEndpoint"),
        http_protocol_ipv6=given.get("HttpProtocolIpv6"),
        instance_metadata_tags=given.get("InstanceMetadataTags"),
    )


def _monitorings(instance_ids: list[str], state: str) -> dict[str, Any]:
    return {
        "InstanceMonitorings": [
            {"InstanceId": iid, "Monitoring": {"State": state}} for iid in instance_ids
        ]
    }


@action("MonitorInstances")
def monitor_instances(call: Call) -> dict[str, Any]:
    found = call.services.instance_options.set_monitoring(call.get("InstanceIds") or (), True)
    return _monitorings(found, "pending")


@action("UnmonitorInstances")
def unmonitor_instances(call: Call) -> dict[str, Any]:
    found = call.services.instance_options.set_monitoring(call.get("InstanceIds") or (), False)
    return _monitorings(found, "disabling")


@action("ModifyInstanceMetadataOptions")
def modify_instance_metadata_options(call: Call) -> dict[str, Any]:
    instance_id, options = call.services.instance_options.modify_metadata_options(
        call.get("InstanceId"), metadata_request(call.params)
    )
    return {
        "InstanceId": instance_id,
        "InstanceMetadataOptions": {"State": "pending", **shapes.metadata_options(options)},
    }


def profile_given(call: Call) -> tuple[str | None, str | None]:
    given = call.get("IamInstanceProfile") or {}
    return given.get("Arn"), given.get("Name")


@action("AssociateIamInstanceProfile")
def associate_iam_instance_profile(call: Call) -> dict[str, Any]:
    association = call.services.instance_options.associate_profile(
        call.get("InstanceId"), *profile_given(call)
    )
    return {"IamInstanceProfileAssociation": shapes.profile_association(association, "associating")}


@action("DisassociateIamInstanceProfile")
def disassociate_iam_instance_profile(call: Call) -> dict[str, Any]:
    association = call.services.instance_options.disassociate_profile(call.get("AssociationId"))
    return {
        "IamInstanceProfileAssociation": shapes.profile_association(association, "disassociating")
    }


@action("ReplaceIamInstanceProfileAssociation")
def replace_iam_instance_profile_association(call: Call) -> dict[str, Any]:
    association = call.services.instance_options.replace_profile(
        call.get("AssociationId"), *profile_given(call)
    )
    return {"IamInstanceProfileAssociation": shapes.profile_association(association, "associating")}


@action("DescribeIamInstanceProfileAssociations")
def describe_iam_instance_profile_associations(call: Call) -> dict[str, Any]:
    found = call.services.instance_options.profile_associations(call.get("AssociationIds") or ())
    shaped = [shapes.profile_association(a, "associated") for a in found]
    items, token = page(
        call,
        select(call, shaped, _ASSOCIATION_ALIASES),
        lambda s: s["AssociationId"],
        minimum=5,
        maximum=1000,
    )
    return with_token({"IamInstanceProfileAssociations": items}, token)
