"""Accounts and regions: every resource lives in exactly one (account, region) scope."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stockade.domain import errors

#: The AWS documentation's example account; used when nothing else is configured.
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

#: Regions stockade knows, with their availability-zone letters and zone-id stem.
REGIONS: dict[str, tuple[str, str]] = {
    "us-east-1": ("abcdef", "use1"),
    "us-east-2": ("abc", "use2"),
    "us-west-1": ("ab", "usw1"),
    "us-west-2": ("abcd", "usw2"),
    "ca-central-1": ("abd", "cac1"),
    "eu-west-1": ("abc", "euw1"),
    "eu-west-2": ("abc", "euw2"),
    "eu-west-3": ("abc", "euw3"),
    "eu-central-1": ("abc", "euc1"),
    "eu-north-1": ("abc", "eun1"),
    "ap-south-1": ("abc", "aps1"),
    "ap-northeast-1": ("acd", "apne1"),
    "ap-northeast-2": ("abcd", "apne2"),
    "ap-southeast-1": ("abc", "apse1"),
    "ap-southeast-2": ("abc", "apse2"),
    "sa-east-1": ("abc", "sae1"),
}

_ACCOUNT_RE = re.compile(r"^[0-9]{12}\Z")


@dataclass(frozen=True, order=True)
class Scope:
    """One account in one region: the partition every resource belongs to."""

    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION

    def __post_init__(self) -> None:
        if not _ACCOUNT_RE.match(self.account):
            raise errors.invalid_parameter_value(
                f"Invalid account id '{self.account}': an account id is 12 digits"
            )
        if self.region not in REGIONS:
            raise errors.invalid_parameter_value(f"Unknown region '{self.region}'")


@dataclass(frozen=True)
class AvailabilityZone:
    name: str  # us-east-1a
    zone_id: str  # use1-az1
    region: str


def availability_zones(region: str) -> list[AvailabilityZone]:
    """The region's zones in order (``us-east-1a`` → ``use1-az1`` …)."""
    letters, stem = REGIONS[region]
    return [
        AvailabilityZone(f"{region}{letter}", f"{stem}-az{i}", region)
        for i, letter in enumerate(letters, start=1)
    ]


def check_availability_zone(region: str, name: str) -> AvailabilityZone:
    for zone in availability_zones(region):
        if name in (zone.name, zone.zone_id):
            return zone
    raise errors.error(
        "InvalidParameterValue",
        f"Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only "
        f"be created in the following availability zones: "
        + ", ".join(z.name for z in availability_zones(region))
        + ".",
    )
