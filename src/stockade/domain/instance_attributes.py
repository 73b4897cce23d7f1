"""Instance attributes: which ones stockade keeps, and what it reports for the others.

``DescribeInstanceAttribute`` names sixteen attributes. Three are real state here: the
type (changeable while stopped), the primary interface's groups and its source/destination
check. The rest describe a machine stockade does not emulate (API termination protection,
shutdown behaviour, kernel, user data, EBS optimisation, ENA, SR-IOV, enclaves): for those
stockade reports EC2's defaults for the instance's type, and ``ModifyInstanceAttribute``
accepts a value only when it *is* that default (Terraform's destroy sends
``DisableApiTermination=false`` before every TerminateInstances), refusing any other value
rather than pretending to keep it.
"""

from __future__ import annotations

from typing import Any

from stockade.domain import errors
from stockade.domain.instance_types import InstanceType

#: DescribeInstanceAttribute's attribute name -> the response member that carries it.
ATTRIBUTE_MEMBERS = {
    "instanceType": "InstanceType",
    "kernel": "KernelId",
    "ramdisk": "RamdiskId",
    "userData": "UserData",
    "disableApiTermination": "DisableApiTermination",
    "instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior",
    "rootDeviceName": "RootDeviceName",
    "blockDeviceMapping": "BlockDeviceMappings",
    "productCodes": "ProductCodes",
    "sourceDestCheck": "SourceDestCheck",
    "groupSet": "Groups",
    "ebsOptimized": "EbsOptimized",
    "sriovNetSupport": "SriovNetSupport",
    "enaSupport": "EnaSupport",
    "enclaveOptions": "EnclaveOptions",
    "disableApiStop": "DisableApiStop",
}
#: ModifyInstanceAttribute's ``Attribute`` (with ``Value``) -> the member of the same change.
MODIFY_MEMBERS = {
    "instanceType": "InstanceType",
    "kernel": "Kernel",
    "ramdisk": "Ramdisk",
    "userData": "UserData",
    "disableApiTermination": "DisableApiTermination",
    "instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior",
    "sourceDestCheck": "SourceDestCheck",
    "groupSet": "Groups",
    "ebsOptimized": "EbsOptimized",
    "sriovNetSupport": "SriovNetSupport",
    "enaSupport": "EnaSupport",
    "disableApiStop": "DisableApiStop",
}
#: Members whose value is a boolean (``Attribute``/``Value`` gives them as text).
BOOLEAN_MEMBERS = frozenset(
    {"SourceDestCheck", "DisableApiTermination", "EbsOptimized", "EnaSupport", "DisableApiStop"}
)
_SHUTDOWN_BEHAVIOURS = ("stop", "terminate")


def defaults(kind: InstanceType | None) -> dict[str, Any]:
    """What stockade reports for the attributes it does not keep (``None``: no value)."""
    nitro = kind is not None and kind.hypervisor == "nitro"
    return {
        "DisableApiTermination": False,
        "DisableApiStop": False,
        "InstanceInitiatedShutdownBehavior": "stop",
        "EbsOptimized": kind is not None and kind.ebs_optimized_by_default,
        "EnaSupport": nitro,
        "SriovNetSupport": None,
        "Kernel": None,
        "Ramdisk": None,
        "UserData": None,
        "BlockDeviceMappings": None,
        "EnclaveOptions": None,
    }


def unknown_attribute(name: object) -> errors.AwsError:
    # [UNVERIFIED] AWS's wording for an attribute name outside the enum.
    return errors.invalid_value("attribute", name, "Unknown attribute.")


def check_unkept_value(member: str, value: Any, kind: InstanceType | None) -> None:
    """Accept a change to an attribute stockade does not keep only when it changes nothing."""
    if member == "InstanceInitiatedShutdownBehavior" and value not in _SHUTDOWN_BEHAVIOURS:
        raise errors.invalid_value("InstanceInitiatedShutdownBehavior", value)
    default = defaults(kind)[member]
    if value == default or (default is None and value in (None, "", [], {})):
        return
    raise errors.error(
        "UnsupportedOperation",
        f"stockade does not model the instance attribute {member}: it stays "
        f"{'unset' if default is None else repr(default)}.",
    )


def one_change(changes: dict[str, Any]) -> tuple[str, Any]:
    """The single attribute a ModifyInstanceAttribute call changes (AWS takes one a call)."""
    if not changes:
        raise errors.missing_parameter("Attribute")
    if len(changes) > 1:
        # [UNVERIFIED] AWS's wording for several attributes in one call.
        raise errors.invalid_combination(
            f"Fields for multiple attribute types specified: {', '.join(sorted(changes))}"
        )
    return next(iter(changes.items()))
