"""Regions and availability zones: fixed facts of the stand-in cloud (``domain/scope.py``)."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.describe import select
from stockade.api.actions.registry import Call, action
from stockade.domain.errors import invalid_parameter_value
from stockade.domain.scope import REGIONS, availability_zones


def _region(name: str) -> dict[str, Any]:
    return {
        "RegionName": name,
        "Endpoint": f"ec2.{name}.amazonaws.com",
        "OptInStatus": "opt-in-not-required",
    }


@action("DescribeRegions")
def describe_regions(call: Call) -> dict[str, Any]:
    names = call.get("RegionNames") or list(REGIONS)
    for name in names:
        if name not in REGIONS:
            raise invalid_parameter_value(f"Invalid region: {name}")
    return {"Regions": select(call, [_region(n) for n in names])}


def _zone(zone: Any) -> dict[str, Any]:
    return {
        "ZoneName": zone.name,
        "ZoneId": zone.zone_id,
        "RegionName": zone.region,
        "State": "available",
        "OptInStatus": "opt-in-not-required",
        "Messages": [],
        "GroupName": zone.region,
        "GroupLongName": zone.region,
        "NetworkBorderGroup": zone.region,
        "ZoneType": "availability-zone",
    }


@action("DescribeAvailabilityZones")
def describe_availability_zones(call: Call) -> dict[str, Any]:
    zones = availability_zones(call.region)
    wanted = [*(call.get("ZoneNames") or ()), *(call.get("ZoneIds") or ())]
    known = {z.name for z in zones} | {z.zone_id for z in zones}
    for name in wanted:
        if name not in known:
            # [UNVERIFIED] AWS's wording for an unknown zone name or id.
            raise invalid_parameter_value(f"The zone '{name}' does not exist in {call.region}")
    if wanted:
        zones = [z for z in zones if z.name in wanted or z.zone_id in wanted]
    return {"AvailabilityZones": select(call, [_zone(z) for z in zones])}
