"""Quotas: AWS's defaults, configurable, and how rules are counted against them.

Rules are counted per group, per direction and per address family: a CIDR counts 1 in
its family; a group reference counts 1 in *both*; a prefix-list reference counts its
weight (MaxEntries) in both ([UNVERIFIED] for the other family; awslimitchecker does so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from stockade.domain import errors
from stockade.domain.security_group import PeerKind, RuleSpec

MAX_GROUPS_PER_INTERFACE = 16
MAX_RULES_TIMES_GROUPS = 1000


@dataclass(frozen=True)
class Quotas:
    rules_per_group: int = 60  # per direction, per address family
    groups_per_interface: int = 5
    groups_per_region: int = 2500
    vpcs_per_region: int = 5
    subnets_per_vpc: int = 200
    interfaces_per_region: int = 5000
    prefix_lists_per_region: int = 100
    prefix_list_max_entries: int = 1000
    elastic_ips_per_region: int = 5
    nat_gateways_per_zone: int = 5
    route_tables_per_vpc: int = 200  # the main table counts
    routes_per_table: int = 50  # static (non-local) routes, per address family
    network_acls_per_vpc: int = 200  # the default ACL counts
    network_acl_entries: int = 20  # per direction and address family, the * deny included
    active_peerings_per_vpc: int = 50
    outstanding_peerings_per_account: int = 25
    network_insights_paths: int = 1000  # Reachability Analyzer paths per region
    #: private IPv4 addresses per interface, the primary included. AWS's figure depends on
    #: the instance type (t2.micro 2, t3.large and m5.large 10, m5.12xlarge 30); stockade
    #: does not model types' limits, so one documented per-interface figure: m5.large's.
    private_ipv4_per_interface: int = 10
    #: IPv4 CIDR blocks per VPC, the primary included (AWS's default 5, adjustable)
    cidr_blocks_per_vpc: int = 5

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise ValueError(f"quota {f.name} must be at least 1")
        if self.groups_per_interface > MAX_GROUPS_PER_INTERFACE:
            raise ValueError(
                f"groups_per_interface can be raised to {MAX_GROUPS_PER_INTERFACE} at most"
            )
        if self.rules_per_group * self.groups_per_interface > MAX_RULES_TIMES_GROUPS:
            raise ValueError(
                "rules_per_group x groups_per_interface must stay at or below "
                f"{MAX_RULES_TIMES_GROUPS} (AWS caps their product)"
            )

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def parse(cls, text: str | None) -> Quotas:
        """Quotas from ``"rules_per_group=100,groups_per_interface=10"`` (the format of
        ``STOCKADE_QUOTAS``); unnamed quotas keep AWS's defaults. Raises ValueError with a
        one-line reason on an unknown name, a non-integer or an impossible combination."""
        values: dict[str, int] = {}
        for item in (text or "").replace(";", ",").split(","):
            if not item.strip():
                continue
            name, sep, value = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in cls.names():
                raise ValueError(
                    f"unknown quota setting {item.strip()!r}; known: {', '.join(cls.names())}"
                )
            try:
                values[name] = int(value)
            except ValueError:
                raise ValueError(f"quota {name} must be an integer, not {value!r}") from None
        return cls(**values)


def rule_counts(
    specs: Iterable[RuleSpec], weight_of: Callable[[str], int]
) -> dict[tuple[bool, int], int]:
    """Counts keyed by (is_egress, family 4|6). ``weight_of`` gives a prefix list's cost."""
    # four plain counters (this runs on every authorize): inbound/outbound x IPv4/IPv6
    in4 = in6 = out4 = out6 = 0
    for spec in specs:
        kind = spec.peer.kind
        if kind is PeerKind.CIDR_V4:
            v4, v6 = 1, 0
        elif kind is PeerKind.CIDR_V6:
            v4, v6 = 0, 1
        else:
            v4 = v6 = weight_of(spec.peer.value) if kind is PeerKind.PREFIX_LIST else 1
        if spec.is_egress:
            out4, out6 = out4 + v4, out6 + v6
        else:
            in4, in6 = in4 + v4, in6 + v6
    return {(False, 4): in4, (False, 6): in6, (True, 4): out4, (True, 6): out6}


def check_rule_quota(
    specs: Iterable[RuleSpec], weight_of: Callable[[str], int], quotas: Quotas
) -> None:
    """Raise RulesPerSecurityGroupLimitExceeded if a group's rules exceed the quota."""
    if max(rule_counts(specs, weight_of).values()) > quotas.rules_per_group:
        raise errors.rules_limit()
