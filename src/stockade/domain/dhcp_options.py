"""DHCP options sets (``dopt-``): what a VPC's instances would be told by DHCP.

Stockade's instances are namespaces configured directly, so a set changes no packet; it is
kept as AWS keeps it, so Ansible's ``ec2_vpc_dhcp_option`` and Terraform's
``aws_vpc_dhcp_options`` read back what they wrote. A VPC names its set in
``dhcp_options_id``; ``default`` means none (AWS's "no DHCP options"). The checks are
EC2's documented ones: the known keys, at most four servers per server key, NetBIOS node
type 2 only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stockade.domain import errors
from stockade.domain.tags import Tags

DHCP_OPTIONS = "dhcp-options"
NO_OPTIONS = "default"

_SERVER_KEYS = ("domain-name-servers", "ntp-servers", "netbios-name-servers")
_KEYS = (*_SERVER_KEYS, "domain-name", "netbios-node-type", "ipv6-address-preferred-lease-time")
_MAX_SERVERS = 4
_LEASE = range(140, 2147483648)


@dataclass(frozen=True)
class DhcpOptions:
    dhcp_options_id: str
    owner_id: str
    configurations: tuple[tuple[str, tuple[str, ...]], ...]  # key -> values, keys sorted
    tags: Tags = ()

    def as_value(self) -> dict[str, Any]:
        return {"owner_id": self.owner_id, "configurations": [list(c) for c in self.configurations]}

    @classmethod
    def from_value(
        cls, dhcp_options_id: str, value: dict[str, Any], tags: Tags = ()
    ) -> DhcpOptions:
        configurations = tuple((key, tuple(values)) for key, values in value["configurations"])
        return cls(dhcp_options_id, value["owner_id"], configurations, tags)


def option_sets(stored: Mapping[str, tuple[dict[str, Any], Tags]]) -> list[DhcpOptions]:
    """The sets a scope keeps (``Transaction.list_settings_with_tags(DHCP_OPTIONS)``: each
    set's value and tags, by id), in that order: what DescribeDhcpOptions and the export
    both show."""
    return [DhcpOptions.from_value(dopt, value, tags) for dopt, (value, tags) in stored.items()]


def _check_values(key: str, values: list[str]) -> None:
    if key in _SERVER_KEYS:
        if len(values) > _MAX_SERVERS:
            raise errors.invalid_parameter_value(
                f"The number of values for {key} exceeds the maximum of {_MAX_SERVERS}."
            )
        for value in values:
            if key == "domain-name-servers" and value == "AmazonProvidedDNS":
                continue
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise errors.invalid_value(key, value, "It is not an IP address.") from None
    elif key == "netbios-node-type":
        if values != ["2"]:
            raise errors.invalid_value(key, ",".join(values), "Only node type 2 is supported.")
    elif key == "ipv6-address-preferred-lease-time":
        if len(values) != 1 or not values[0].isdigit() or int(values[0]) not in _LEASE:
            raise errors.invalid_value(key, ",".join(values))
    elif key == "domain-name" and (len(values) != 1 or not values[0].strip()):
        raise errors.invalid_value(key, ",".join(values))


def configurations(
    given: list[tuple[str | None, list[str]]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """CreateDhcpOptions' ``DhcpConfigurations`` checked: known keys, each once, values
    valid for their key; sorted by key."""
    if not given:
        raise errors.missing_parameter("DhcpConfigurations")
    seen: dict[str, tuple[str, ...]] = {}
    for key, values in given:
        if key not in _KEYS:
            raise errors.invalid_value("name", key, "Unknown DHCP option")
        if key in seen:
            raise errors.invalid_parameter_value(f"The DHCP option {key} is given more than once.")
        if not values:
            raise errors.missing_parameter(f"DhcpConfiguration.{key}.Value")
        _check_values(key, values)
        seen[key] = tuple(values)
    return tuple(sorted(seen.items()))
