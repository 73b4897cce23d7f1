"""Applying the smallest fix the policy engine suggests for one blocker, through the service
layer (so AWS's validation, quotas and error text apply, as for an API call).

Three kinds of fix can be applied: a missing security group rule
(:class:`~stockade.policy.SuggestedRule`: ``rules.authorize``, the API's
AuthorizeSecurityGroupIngress/Egress path), a missing network ACL entry
(:class:`~stockade.policy.decision.SuggestedAclEntry`: ``network_acls.create_entry``, the
API's CreateNetworkAclEntry path) and one complete route-table change
(:class:`~stockade.policy.route_change.RouteChange`: a route to an internet gateway, a NAT
gateway or a peering added or a blackhole's route replaced, a subnet put on the table that
already routes it -- ``route_tables``' CreateRoute / ReplaceRoute / AssociateRouteTable /
DisassociateRouteTable paths). Other remedies (a gateway to attach, a peering to make, a
public address, starting an instance) are shown in words, not applied: each needs a choice
the engine cannot make (which gateway, which peer, which address).

A fix is chosen by its text as the page showed it and is looked up again among the blockers
of a fresh decision: if the state changed meanwhile and that fix is no longer the one the
engine suggests, nothing is applied (:class:`FixGone`).
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.console import links
from stockade.policy.decision import Blocker, Decision, SuggestedAclEntry, SuggestedRule
from stockade.policy.effective import Direction
from stockade.policy.route_change import RouteChange, RouteVerb
from stockade.service.bundle import Services
from stockade.service.contracts import NetworkAclEntryRequest, RouteRequest


class FixGone(Exception):
    """The fix asked for is not among the current decision's (the state changed)."""


@dataclass(frozen=True)
class AppliedFix:
    """What was changed, in the engine's words, and where to see it."""

    text: str
    href: str


def applicable(blocker: Blocker) -> bool:
    """Whether the console can apply this blocker's fix with one button."""
    if blocker.suggestion is not None:
        return blocker.suggestion.group_id is not None
    return blocker.acl_suggestion is not None or blocker.route_change is not None


def find_fix(decision: Decision, fix: str) -> Blocker:
    """The blocker of ``decision`` whose applicable fix reads ``fix``."""
    for blocker in decision.blockers:
        if applicable(blocker) and blocker.fix == fix:
            return blocker
    raise FixGone(fix)


def apply_fix(services: Services, blocker: Blocker, description: str) -> AppliedFix:
    """Make the change ``blocker.fix`` describes (one service call: all or nothing)."""
    if blocker.suggestion is not None and blocker.suggestion.group_id is not None:
        return _authorize(services, blocker.suggestion, description)
    if blocker.acl_suggestion is not None:
        return _add_entry(services, blocker.acl_suggestion)
    if blocker.route_change is not None:
        return _change_routes(services, blocker.route_change)
    raise FixGone(blocker.fix or blocker.code)


def _authorize(services: Services, rule: SuggestedRule, description: str) -> AppliedFix:
    assert rule.group_id is not None
    egress = rule.direction is Direction.EGRESS
    added = services.rules.authorize(
        rule.group_id, [rule.as_permission(description)], egress=egress
    )
    href = links.rule_href(rule.group_id, added[0].rule_id) if added else ""
    return AppliedFix(rule.text(), href or links.group_href(rule.group_id))


def _add_entry(services: Services, entry: SuggestedAclEntry) -> AppliedFix:
    six = ":" in entry.cidr
    low, high = entry.port_range if entry.port_range is not None else (None, None)
    services.network_acls.create_entry(
        entry.network_acl_id,
        NetworkAclEntryRequest(
            entry.rule_number,
            entry.egress,
            "allow",
            entry.protocol,
            cidr_block=None if six else entry.cidr,
            ipv6_cidr_block=entry.cidr if six else None,
            port_from=low,
            port_to=high,
            icmp_type=entry.icmp_type,
            icmp_code=entry.icmp_code,
        ),
    )
    href = links.acl_entry_href(entry.network_acl_id, entry.egress, entry.rule_number)
    return AppliedFix(entry.text(), href)


def _change_routes(services: Services, change: RouteChange) -> AppliedFix:
    tables = services.route_tables
    if change.verb is RouteVerb.ASSOCIATE:
        tables.associate(change.subject, subnet_id=change.subnet_id)
    elif change.verb is RouteVerb.DISASSOCIATE:
        tables.disassociate(change.subject)
    else:
        assert change.destination is not None and change.target is not None
        request = RouteRequest.of(change.destination, change.target)
        if change.verb is RouteVerb.REPLACE_ROUTE:
            tables.replace_route(change.subject, request)
        else:
            tables.create_route(change.subject, request)
    return AppliedFix(change.text(), links.topology_href())
