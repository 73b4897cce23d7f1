"""Reachability Analyzer's resources: network insights paths and their analyses.

A *path* is a question kept for later — from a source (an instance, a network interface or
an internet gateway standing for the internet) to a destination, over TCP or UDP, to a
port — and an *analysis* is the answer the policy engine gave when it ran. AWS's analysis is
a snapshot of the configuration at that time, so the answer is stored with it (as the
EC2 shapes of its result, ``findings``: a JSON document) and never recomputed.

What a path may be is checked here, with AWS's errors: ``Protocol`` only ``tcp``/``udp``,
IPv4 addresses only (the analyzer is IPv4-only), ports 0–65535 with ``FromPort <= ToPort``,
and a ``FilterAtSource`` excludes ``SourceIp`` and ``DestinationPort``, a
``FilterAtDestination`` excludes ``DestinationIp`` (the model's documentation says so; the
error code, ``InvalidParameterCombination``, is [UNVERIFIED]).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from stockade.domain import errors, ids
from stockade.domain.tags import Tags

#: What a path's ends may name (id prefixes). AWS accepts more kinds (endpoints, transit
#: gateways, load balancers…) that stockade does not model.
END_KINDS = ("i", "eni", "igw")
#: The protocols a path may name (Reachability Analyzer's ``Protocol`` enum).
PROTOCOLS = ("tcp", "udp")
#: The internet host an internet gateway end stands for when the path names no address:
#: from the half of 198.51.100.0/24 stockade never allocates (``service/addressing``), so
#: it is no interface's and is outside every VPC.
INTERNET_HOST = "198.51.100.1"


class AnalysisStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class PathFilter:
    """``FilterAtSource`` / ``FilterAtDestination``: the packet header at one end."""

    source_address: str | None = None
    source_ports: tuple[int, int] | None = None
    destination_address: str | None = None
    destination_ports: tuple[int, int] | None = None

    @property
    def is_empty(self) -> bool:
        return self == PathFilter()


@dataclass(frozen=True)
class NetworkInsightsPath:
    path_id: str
    owner_id: str
    region: str
    created_date: str  # ISO 8601, UTC, milliseconds
    source: str
    protocol: str
    destination: str | None = None
    source_ip: str | None = None
    destination_ip: str | None = None
    destination_port: int | None = None
    filter_at_source: PathFilter | None = None
    filter_at_destination: PathFilter | None = None
    client_token: str | None = None
    tags: Tags = ()

    @property
    def arn(self) -> str:
        return ids.arn(self.region, self.owner_id, self.path_id)


@dataclass(frozen=True)
class NetworkInsightsAnalysis:
    analysis_id: str
    path_id: str
    owner_id: str
    region: str
    start_date: str  # ISO 8601, UTC, milliseconds
    status: AnalysisStatus
    #: the result as EC2 shapes (``NetworkPathFound``, ``ForwardPathComponents``,
    #: ``ReturnPathComponents``, ``Explanations``…), JSON text; "" while none
    findings: str = ""
    status_message: str | None = None
    warning_message: str | None = None
    additional_accounts: tuple[str, ...] = ()
    filter_in_arns: tuple[str, ...] = ()
    filter_out_arns: tuple[str, ...] = ()
    client_token: str | None = None
    tags: Tags = ()

    @property
    def arn(self) -> str:
        return ids.arn(self.region, self.owner_id, self.analysis_id)

    @property
    def result(self) -> dict[str, Any]:
        """The stored findings as shapes (empty while there are none)."""
        return json.loads(self.findings) if self.findings else {}

    @property
    def path_found(self) -> bool | None:
        return self.result.get("NetworkPathFound")


# -- validation ------------------------------------------------------------------------------


def check_protocol(value: str | None) -> str:
    if value is None or value == "":
        raise errors.missing_parameter("Protocol")
    if value not in PROTOCOLS:
        raise errors.invalid_value("Protocol", value, "Valid values are tcp and udp.")
    return value


def check_end(parameter: str, value: str | None) -> str:
    """An end's id (or an ARN naming it: the id after the last ``/``), of a kind stockade
    analyses; the caller looks it up (its kind's ``NotFound``)."""
    if value is None or value == "":
        raise errors.missing_parameter(parameter)
    resource_id = value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
    kind = ids.kind_of(resource_id)
    if kind not in END_KINDS:
        raise errors.invalid_value(
            parameter,
            value,
            "stockade analyses paths between instances, network interfaces and internet gateways.",
        )
    return resource_id


def check_address(parameter: str, value: str | None) -> str | None:
    """An IPv4 address in canonical form (Reachability Analyzer is IPv4-only)."""
    if value is None:
        return None
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise errors.invalid_value(parameter, value, "It must be an IPv4 address.") from None


def check_port(parameter: str, value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 65535:
        raise errors.invalid_value(parameter, value, "It must be between 0 and 65535.")
    return value


def check_port_range(
    parameter: str, from_port: int | None, to_port: int | None
) -> tuple[int, int] | None:
    """A filter's port range: both ends or neither (one end alone is that port)."""
    if from_port is None and to_port is None:
        return None
    low = check_port(f"{parameter}.FromPort", from_port if from_port is not None else to_port)
    high = check_port(f"{parameter}.ToPort", to_port if to_port is not None else from_port)
    assert low is not None and high is not None
    if low > high:
        raise errors.invalid_parameter_value(
            f"The {parameter} FromPort ({low}) must not exceed its ToPort ({high})."
        )
    return low, high


def check_filter(parameter: str, given: PathFilter | None) -> PathFilter | None:
    if given is None or given.is_empty:
        return None
    ports = {
        name: check_port_range(f"{parameter}.{name}", *(pair or (None, None)))
        for name, pair in (
            ("SourcePortRange", given.source_ports),
            ("DestinationPortRange", given.destination_ports),
        )
    }
    return PathFilter(
        check_address(f"{parameter}.SourceAddress", given.source_address),
        ports["SourcePortRange"],
        check_address(f"{parameter}.DestinationAddress", given.destination_address),
        ports["DestinationPortRange"],
    )


def check_combination(
    source_ip: str | None,
    destination_ip: str | None,
    destination_port: int | None,
    at_source: PathFilter | None,
    at_destination: PathFilter | None,
) -> None:
    """The model: with ``FilterAtSource`` no ``SourceIp``/``DestinationPort``; with
    ``FilterAtDestination`` no ``DestinationIp``."""
    if at_source is not None and (source_ip is not None or destination_port is not None):
        raise errors.invalid_combination(
            "The parameter FilterAtSource cannot be used with the parameters SourceIp or "
            "DestinationPort"
        )
    if at_destination is not None and destination_ip is not None:
        raise errors.invalid_combination(
            "The parameter FilterAtDestination cannot be used with the parameter DestinationIp"
        )
