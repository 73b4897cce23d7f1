"""A consistent, read-only snapshot of one scope's resources.

The policy engine, the data-plane compiler and the analyzer all work from a snapshot,
never from the store directly, so they stay pure and testable with hand-built state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList
from stockade.domain.security_group import SecurityGroup, SecurityGroupRule


@dataclass(frozen=True)
class Snapshot:
    revision: int = 0
    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    groups: tuple[SecurityGroup, ...] = ()
    rules: tuple[SecurityGroupRule, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    interfaces: tuple[NetworkInterface, ...] = ()
    instances: tuple[Instance, ...] = ()
    #: derived values memoised by :mod:`stockade.policy.cache`, keyed by name
    _cache: dict[str, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    @cached_property
    def vpc_by_id(self) -> Mapping[str, Vpc]:
        return {v.vpc_id: v for v in self.vpcs}

    @cached_property
    def group_by_id(self) -> Mapping[str, SecurityGroup]:
        return {g.group_id: g for g in self.groups}

    @cached_property
    def rules_by_group(self) -> Mapping[str, tuple[SecurityGroupRule, ...]]:
        out: dict[str, list[SecurityGroupRule]] = {}
        for rule in self.rules:
            out.setdefault(rule.group_id, []).append(rule)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def prefix_list_by_id(self) -> Mapping[str, PrefixList]:
        return {p.prefix_list_id: p for p in self.prefix_lists}

    @cached_property
    def interface_by_id(self) -> Mapping[str, NetworkInterface]:
        return {e.eni_id: e for e in self.interfaces}

    @cached_property
    def instance_by_id(self) -> Mapping[str, Instance]:
        return {i.instance_id: i for i in self.instances}

    @cached_property
    def members_by_group(self) -> Mapping[str, tuple[NetworkInterface, ...]]:
        """Interfaces carrying each group (what a reference to the group means)."""
        out: dict[str, list[NetworkInterface]] = {}
        for eni in self.interfaces:
            for gid in eni.group_ids:
                out.setdefault(gid, []).append(eni)
        return {k: tuple(v) for k, v in out.items()}

    def internet_gateway_for(self, vpc_id: str) -> InternetGateway | None:
        return next((g for g in self.internet_gateways if g.vpc_id == vpc_id), None)

    def interfaces_of(self, instance_id: str) -> tuple[NetworkInterface, ...]:
        return tuple(
            sorted(
                (e for e in self.interfaces if e.instance_id == instance_id),
                key=lambda e: e.device_index or 0,
            )
        )
