"""VPC attributes (DescribeVpcAttribute/ModifyVpcAttribute) and account attributes.

A VPC has three boolean attributes, read and changed one per call: DNS support (default
on), DNS hostnames (on only in a default VPC) and Network Address Usage metrics (off).
Account attributes are read-only facts about the scope: its default VPC, its quotas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors
from stockade.domain.network import Vpc
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import VPC_ATTRIBUTES

#: The account attributes DescribeAccountAttributes answers, in AWS's documented order.
ACCOUNT_ATTRIBUTES = (
    "supported-platforms",
    "default-vpc",
    "max-instances",
    "vpc-max-security-groups-per-interface",
    "max-elastic-ips",
    "vpc-max-elastic-ips",
)
#: ``max-instances`` (AWS: "unsupported", a legacy On-Demand limit; its example value)
MAX_INSTANCES = 20


def check_vpc_attribute(name: str | None) -> str:
    """The Vpc field of an attribute name; ``InvalidParameterValue`` for an unknown one."""
    if not name:
        raise errors.missing_parameter("Attribute")
    if name not in VPC_ATTRIBUTES:
        # [UNVERIFIED] AWS's code and wording for an unknown attribute name
        raise errors.invalid_value("Attribute", name, "Unknown attribute.")
    return VPC_ATTRIBUTES[name]


class VpcAttributeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def describe_vpc_attribute(self, vpc_id: str | None, attribute: str | None) -> bool:
        field = check_vpc_attribute(attribute)
        with self.ctx.read() as tx:
            return bool(getattr(lookups.vpc(tx, vpc_id), field))

    def modify_vpc_attribute(
        self,
        vpc_id: str | None,
        enable_dns_support: bool | None = None,
        enable_dns_hostnames: bool | None = None,
        enable_network_address_usage_metrics: bool | None = None,
    ) -> Vpc:
        """Change exactly one attribute. DNS hostnames need DNS support."""
        changes = {
            name: value
            for name, value in (
                ("enable_dns_support", enable_dns_support),
                ("enable_dns_hostnames", enable_dns_hostnames),
                ("enable_network_address_usage_metrics", enable_network_address_usage_metrics),
            )
            if value is not None
        }
        if not changes:
            raise errors.missing_parameter("EnableDnsSupport")
        if len(changes) > 1:
            # [UNVERIFIED] AWS's code when several attributes are given in one call
            raise errors.invalid_combination(
                "Fields for multiple attribute types specified: "
                + ", ".join(n for n, f in VPC_ATTRIBUTES.items() if f in changes)
            )
        with self.ctx.write() as tx:
            vpc = lookups.vpc(tx, vpc_id)
            if changes.get("enable_dns_hostnames") and not vpc.enable_dns_support:
                # [UNVERIFIED] AWS's code: hostnames need DNS support
                raise errors.invalid_parameter_value(
                    "Cannot enable DNS hostnames on a VPC whose DNS support is disabled"
                )
            vpc = replace(vpc, **changes)  # type: ignore[arg-type]
            tx.put_vpc(vpc)
            return vpc

    def describe_account_attributes(self, names: Sequence[str] = ()) -> dict[str, list[str]]:
        """Attribute name -> values, for the names asked (all six when none)."""
        for name in names:
            if name not in ACCOUNT_ATTRIBUTES:
                # [UNVERIFIED] AWS's code for an unknown attribute name
                raise errors.invalid_value("AttributeName", name, "Unknown attribute.")
        quotas = self.ctx.quotas
        with self.ctx.read() as tx:
            default = tx.default_vpc()
        values = {
            "supported-platforms": ["VPC"],
            "default-vpc": [default.vpc_id if default else "none"],
            "max-instances": [str(MAX_INSTANCES)],
            "vpc-max-security-groups-per-interface": [str(quotas.groups_per_interface)],
            "max-elastic-ips": [str(quotas.elastic_ips_per_region)],
            "vpc-max-elastic-ips": [str(quotas.elastic_ips_per_region)],
        }
        return {name: values[name] for name in dict.fromkeys(names or ACCOUNT_ATTRIBUTES)}
