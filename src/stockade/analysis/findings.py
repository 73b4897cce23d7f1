"""Audit findings, their severities and the catalogue of checks (what SARIF calls rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of {choices})") from None


@dataclass(frozen=True)
class Check:
    """One kind of finding: its id, name and what it means."""

    id: str
    name: str
    summary: str
    help: str
    default: Severity


CHECKS: dict[str, Check] = {
    c.id: c
    for c in (
        Check(
            "internet-admin-port",
            "AdminPortOpenToInternet",
            "An administration port (SSH 22, RDP 3389) is open to the internet.",
            "Every internet address may reach the port, through a single rule, a port range "
            "covering it, a prefix list or several rules together. Restrict the source to the "
            "addresses that need it (a VPN, a bastion's group).",
            Severity.HIGH,
        ),
        Check(
            "public-subnet-admin-port",
            "PublicSubnetAdminPort",
            "A subnet routes to the internet and its instances have administration ports open "
            "to it.",
            "The subnet's route table sends traffic to an attached internet gateway (a public "
            "subnet), and interfaces there let every internet address reach SSH or RDP. Move "
            "them to a private subnet (route through a NAT gateway), or restrict the rules.",
            Severity.HIGH,
        ),
        Check(
            "internet-all-ports",
            "AllPortsOpenToInternet",
            "All ports or all traffic are open to the internet.",
            "Every internet address may reach every TCP and/or UDP port (or every protocol). "
            "Open only the ports the service listens on.",
            Severity.CRITICAL,
        ),
        Check(
            "internet-risky-port",
            "RiskyPortOpenToInternet",
            "A high-risk or database port is open to the internet.",
            "Ports of databases, caches, search engines, file sharing and clear-text protocols "
            "(the union of Prowler's, Security Hub EC2.19's, AWS Config's and ScoutSuite's "
            "lists) should not face the internet.",
            Severity.HIGH,
        ),
        Check(
            "wide-public-cidr",
            "WidePublicCidr",
            "An inbound rule allows a wide block of public addresses.",
            "A public CIDR shorter than the threshold (/24 for IPv4, /48 for IPv6) admits far "
            "more hosts than usually intended.",
            Severity.HIGH,
        ),
        Check(
            "default-group-has-rules",
            "DefaultGroupHasRules",
            "A VPC's default security group has rules.",
            "CIS AWS 5.4: the default group should allow nothing, so anything launched without "
            "a group choice is isolated.",
            Severity.MEDIUM,
        ),
        Check(
            "default-group-in-use",
            "DefaultGroupInUse",
            "A VPC's default security group is attached to interfaces.",
            "Use purpose-made groups; the default group's self-reference lets every member "
            "talk to every other.",
            Severity.MEDIUM,
        ),
        Check(
            "unused-group",
            "UnusedGroup",
            "A security group is attached to nothing and referenced by no rule.",
            "Delete it, or note why it exists. Services that create interfaces only briefly "
            "(CodeBuild, some Lambda uses) can make a group look unused.",
            Severity.LOW,
        ),
        Check(
            "too-many-rules",
            "TooManyRules",
            "A security group has more rules than the threshold (50).",
            "Large groups are hard to review; split them by purpose.",
            Severity.LOW,
        ),
        Check(
            "rule-without-description",
            "RuleWithoutDescription",
            "Rules without a description.",
            "Say why each rule exists (Checkov CKV_AWS_23). AWS's own default rules are exempt.",
            Severity.INFO,
        ),
        Check(
            "stale-reference",
            "StaleReference",
            "A rule references a security group that does not exist.",
            "The referenced group (same account) was deleted or its peering is gone: the rule "
            "matches nothing. Revoke it.",
            Severity.MEDIUM,
        ),
        Check(
            "unknown-reference",
            "UnknownReference",
            "A rule references a group or prefix list whose contents are unknown here.",
            "A group of another account or a peered VPC, or a prefix list that was not "
            "imported: the rule is kept, but what it admits cannot be evaluated.",
            Severity.INFO,
        ),
        Check(
            "redundant-rule",
            "RedundantRule",
            "A rule is covered by the other rules of its own group.",
            "Removing it changes nothing (together with the other rules reported as "
            "redundant or shadowed).",
            Severity.LOW,
        ),
        Check(
            "shadowed-rule",
            "ShadowedRule",
            "A rule is covered, on every interface its group is attached to, by other rules.",
            "Other groups on the same interfaces already allow all it allows.",
            Severity.LOW,
        ),
        Check(
            "redundant-group",
            "RedundantGroup",
            "A security group adds nothing.",
            "It duplicates another group, or on every interface it is attached to the other "
            "groups already allow all it allows (and no rule references it).",
            Severity.LOW,
        ),
        Check(
            "network-acl-admin-port",
            "NetworkAclAdminPortOpenToInternet",
            "A network ACL admits the internet to an administration port (SSH 22, RDP 3389).",
            "After first match (a lower-numbered deny hides a later allow), every internet "
            "address may send to the port through the ACL, or an allow for 0.0.0.0/0 or ::/0 "
            "still decides part of the internet (reported as partial). Prowler's "
            "ec2_networkacl_allow_ingress_tcp_port_22/_3389, interval-exact. Graded by use: "
            "an ACL of no subnet is informational, one whose subnets' security groups do not "
            "open the port either is defence in depth (low).",
            Severity.MEDIUM,
        ),
        Check(
            "network-acl-all-ports",
            "NetworkAclAllPortsOpenToInternet",
            "A network ACL admits the internet to all ports or all traffic.",
            "After first match, every internet address may send all traffic (or every TCP or "
            "UDP port) through the ACL — a default ACL does. Prowler's "
            "ec2_networkacl_allow_ingress_any_port, interval-exact, graded as the admin-port "
            "check; the security groups are then the only filter.",
            Severity.HIGH,
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    title: str
    resource_id: str
    resource_type: str  # security-group | network-interface | subnet | network-acl
    account: str
    region: str
    vpc_id: str | None = None
    rule_ids: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def arn(self) -> str:
        kind = (
            "security-group"
            if self.resource_id.startswith("sg-")
            else "subnet"
            if self.resource_id.startswith("subnet-")
            else "network-acl"
            if self.resource_id.startswith("acl-")
            else "network-interface"
        )
        return f"arn:aws:ec2:{self.region}:{self.account}:{kind}/{self.resource_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.label,
            "title": self.title,
            "resource": {
                "id": self.resource_id,
                "type": self.resource_type,
                "vpc_id": self.vpc_id,
                "account": self.account,
                "region": self.region,
                "arn": self.arn,
            },
            "rule_ids": list(self.rule_ids),
            "details": self.details,
        }


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first, then by check and resource: stable output for diffs and CI."""
    order = list(CHECKS)
    return sorted(
        findings,
        key=lambda f: (
            -f.severity,
            order.index(f.check),
            f.account,
            f.region,
            f.resource_id,
            f.title,
        ),
    )
