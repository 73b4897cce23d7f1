"""What an import has parsed for one (account, region), before it is checked and written:
shared by the import (``aws_import.py``) and its cross-file checks (``aws_consistency.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from stockade.analysis import aws_groups
from stockade.analysis.aws_network import Parsed
from stockade.analysis.aws_settings import ParsedSettings
from stockade.domain.scope import Scope
from stockade.domain.security_group import SecurityGroupRule


@dataclass
class ScopeState:
    """Everything parsed for one (account, region), ready to write."""

    scope: Scope
    vpcs: list[Parsed] = field(default_factory=list)
    subnets: list[Parsed] = field(default_factory=list)
    internet_gateways: list[Parsed] = field(default_factory=list)
    prefix_lists: list[Parsed] = field(default_factory=list)
    groups: list[aws_groups.ParsedGroup] = field(default_factory=list)
    rules: list[SecurityGroupRule] = field(default_factory=list)
    rule_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    interfaces: list[Parsed] = field(default_factory=list)
    instances: list[Parsed] = field(default_factory=list)
    addresses: list[Parsed] = field(default_factory=list)
    nat_gateways: list[Parsed] = field(default_factory=list)
    egress_only_internet_gateways: list[Parsed] = field(default_factory=list)
    route_tables: list[Parsed] = field(default_factory=list)
    network_acls: list[Parsed] = field(default_factory=list)
    peerings: list[Parsed] = field(default_factory=list)
    settings: ParsedSettings = field(default_factory=ParsedSettings)

    def counts(self) -> dict[str, int]:
        return {
            "vpcs": len(self.vpcs),
            "subnets": len(self.subnets),
            "internet_gateways": len(self.internet_gateways),
            "prefix_lists": len(self.prefix_lists),
            "security_groups": len(self.groups),
            "rules": len(self.rules),
            "network_interfaces": len(self.interfaces),
            "instances": len(self.instances),
            "elastic_ips": len(self.addresses),
            "nat_gateways": len(self.nat_gateways),
            "egress_only_internet_gateways": len(self.egress_only_internet_gateways),
            "route_tables": len(self.route_tables),
            "network_acls": len(self.network_acls),
            "vpc_peering_connections": len(self.peerings),
            "dhcp_options": len(self.settings.dhcp_options),
            "settings": len(self.settings.values),
        }
