"""What clients poll after a launch: instance status checks and burstable CPU credits.

Ansible's ``ec2_instance`` calls ``DescribeInstanceStatus{IncludeAllInstances}`` after every
launch and waits on ``instance_status_ok`` when asked to; Terraform reads
``DescribeInstanceCreditSpecifications`` for every burstable instance. Both are answered
from the real instance state: a running instance passes its checks (its namespace is up
once RunInstances returns), other states have none to report.
"""

from __future__ import annotations

from typing import Any

from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain import errors
from stockade.domain.instance import InstanceState
from stockade.domain.instance_types import instance_type
from stockade.domain.scope import availability_zones
from stockade.shapes import catalogue as shapes

_STATUS_ALIASES = {
    "instance-state-name": "InstanceState.Name",
    "instance-state-code": "InstanceState.Code",
    "instance-status.reachability": "InstanceStatus.Details.Status",
    "system-status.reachability": "SystemStatus.Details.Status",
}


def _no_ids_with_max_results(call: Call, ids_param: str) -> None:
    if call.get(ids_param) and call.get("MaxResults") is not None:
        # As DescribeInstances ([UNVERIFIED] these calls' exact wording).
        raise errors.invalid_combination(
            f"The parameter {ids_param[0].lower()}{ids_param[1:]} cannot be used with the "
            "parameter maxResults"
        )


@action("DescribeInstanceStatus")
def describe_instance_status(call: Call) -> dict[str, Any]:
    """Running instances only, unless ``IncludeAllInstances`` (also for named ids: a named
    stopped instance is simply left out, as EC2 does)."""
    _no_ids_with_max_results(call, "InstanceIds")
    details = call.services.instances.describe(call.get("InstanceIds") or ())
    zones = {z.name: z.zone_id for z in availability_zones(call.region)}
    instances = [d.instance for d in details]
    if not call.get("IncludeAllInstances"):
        instances = [i for i in instances if i.state is InstanceState.RUNNING]
    all_shapes = [shapes.instance_status(i, zones.get(i.availability_zone)) for i in instances]
    items, token = page(
        call, select(call, all_shapes, _STATUS_ALIASES), lambda s: s["InstanceId"], minimum=5
    )
    return with_token({"InstanceStatuses": items}, token)


@action("DescribeInstanceCreditSpecifications")
def describe_instance_credit_specifications(call: Call) -> dict[str, Any]:
    """Burstable instances (not terminated) and their credit option: the type's default,
    the only one stockade launches (see :func:`check_credit_option`)."""
    _no_ids_with_max_results(call, "InstanceIds")
    named = call.get("InstanceIds") or ()
    details = call.services.instances.describe(named)
    found = []
    for detail in details:
        inst = detail.instance
        kind = instance_type(inst.instance_type)
        if inst.state is InstanceState.TERMINATED or kind is None or not kind.burstable:
            if named:
                # [UNVERIFIED] AWS refuses a named instance that is not burstable; its code.
                raise errors.invalid_parameter_value(
                    f"The instance ID '{inst.instance_id}' is not a burstable performance "
                    "instance (T2, T3, T3a, T4g)."
                )
            continue
        found.append({"InstanceId": inst.instance_id, "CpuCredits": kind.default_credits})
    items, token = page(call, select(call, found), lambda s: s["InstanceId"], minimum=5)
    return with_token({"InstanceCreditSpecifications": items}, token)
