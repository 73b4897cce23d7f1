"""Network ACL checks: the internet admitted to administration ports, or to all ports.

Prowler's ``ec2_networkacl_allow_ingress_any_port`` and ``…_tcp_port_22/_3389`` walk the
inbound entries in rule-number order and stop at the first ``0.0.0.0/0`` (or ``::/0``)
allow or deny for the port. Here the question is asked of the ACL's interval view
(:mod:`stockade.domain.network_acl_space`), after first match: the port is *open to the
internet* when every internet address is admitted — by one entry or several together
(``0.0.0.0/1`` plus ``128.0.0.0/1``) — and *open to part of the internet* when an allow
for the whole family still decides some of it behind lower-numbered denies (which are
named). A deny at a lower number hides a later allow entirely; an allow after the ``*``
entry is never reached.

An ACL is one filter of two: its severity depends on its use. An ACL associated with no
subnet filters nothing (informational); one whose subnets' security groups do not open
the port to the internet either is defence in depth (low); otherwise the check's grade
(Prowler's: medium for admin ports, high for all ports), a step lower when only part of
the internet is admitted. What the groups *and* the ACL let through together is the
internet checks' business (:mod:`stockade.analysis.checks_internet`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from stockade.analysis.checks_internet import FAMILY_NAME, internet_openings
from stockade.analysis.findings import CHECKS, Finding, Severity
from stockade.analysis.intervals import (
    ALL_SERVICES,
    Interval,
    covers,
    internet_space,
    intersect,
    merge,
    service_interval,
    service_ranges,
)
from stockade.domain.interface import NetworkInterface
from stockade.domain.network_acl import NetworkAcl
from stockade.domain.network_acl_space import acl_slabs
from stockade.domain.risky_ports import PortSpec
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.policy.acl_passage import entry_ref, packed, protocol_classes
from stockade.policy.decision import AclEntryRef
from stockade.policy.effective import effective_policies

_WHOLE_FAMILY = ("0.0.0.0/0", "::/0")


@dataclass
class InternetAdmission:
    """What one ACL's inbound entries admit from the internet over one family."""

    full: list[Interval] = field(default_factory=list)  # every internet address (packed)
    partial: list[Interval] = field(default_factory=list)  # some, through a /0 allow
    #: per packed piece: the entries allowing it, and (partial) the denies before them
    pieces: list[tuple[Interval, list[AclEntryRef], list[AclEntryRef]]] = field(
        default_factory=list
    )

    def refs(self, services: Sequence[Interval]) -> tuple[list[AclEntryRef], list[AclEntryRef]]:
        allows, denies = {}, {}
        for piece, allow, deny in self.pieces:
            if intersect([piece], services):
                allows.update(dict.fromkeys(allow))
                denies.update(dict.fromkeys(deny))
        return list(allows), list(denies)


def internet_admission(acl: NetworkAcl, family: int) -> InternetAdmission:
    internet = internet_space(family)
    out = InternetAdmission()
    for protocol, members in protocol_classes(acl, family):
        for slab in acl_slabs(acl, False, family, protocol):
            allowing = slab.deciding(internet, allowed=True)
            if not allowing:
                continue
            allows = [entry_ref(acl, c.entry, False, family) for c in allowing]
            if covers(slab.allowed_addresses(), internet):
                full, denies = True, []
            elif any(c.entry and c.entry.cidr in _WHOLE_FAMILY for c in allowing):
                full = False
                denies = [
                    entry_ref(acl, c.entry, False, family) for c in slab.deciding(internet, False)
                ]
            else:
                continue  # an allow-list of some internet addresses: what ACLs are for
            for piece in packed(members, slab.services):
                (out.full if full else out.partial).append(piece)
                out.pieces.append((piece, allows, denies))
    out.full, out.partial = merge(out.full), merge(out.partial)
    return out


def acl_findings(snapshot: Snapshot, scope: Scope, admin: Sequence[PortSpec]) -> list[Finding]:
    """Per ACL of the scope: administration ports, and all ports, open to the internet."""
    subnets_of: dict[str, list[str]] = {}
    for subnet_id, acl in snapshot.network_acl_by_subnet.items():
        subnets_of.setdefault(acl.network_acl_id, []).append(subnet_id)
    grader = _Grader(snapshot)
    out: list[Finding] = []
    for acl in sorted(snapshot.network_acls, key=lambda a: a.network_acl_id):
        if (acl.owner_id, acl.region) != (scope.account, scope.region):
            continue
        subnets = sorted(subnets_of.get(acl.network_acl_id, []))
        admitted = {family: internet_admission(acl, family) for family in (4, 6)}
        for spec in admin:
            target = [service_interval(spec.protocol, spec.first, spec.last)]
            hits = {
                f: (intersect(a.full, target), intersect(a.partial, target))
                for f, a in admitted.items()
            }
            found = _finding(
                "network-acl-admin-port", spec.text(), acl, subnets, hits, admitted, grader, scope
            )
            out += [found] if found else []
        out += _all_ports(acl, subnets, admitted, grader, scope)
    return out


def _all_ports(
    acl: NetworkAcl,
    subnets: list[str],
    admitted: dict[int, InternetAdmission],
    grader: _Grader,
    scope: Scope,
) -> list[Finding]:
    wholes = [
        ("all traffic", ALL_SERVICES),
        ("all TCP ports", service_interval("tcp", 0, 65535)),
        ("all UDP ports", service_interval("udp", 0, 65535)),
    ]
    for what, whole in wholes:
        hits: dict[int, tuple[list[Interval], list[Interval]]] = {}
        for family, a in admitted.items():
            if covers(a.full, [whole]):
                hits[family] = ([whole], [])
            elif covers(a.full + a.partial, [whole]):
                hits[family] = ([], [whole])
        found = _finding("network-acl-all-ports", what, acl, subnets, hits, admitted, grader, scope)
        if found:
            return [found]  # the widest that holds: all traffic holds all TCP ports too
    return []


def _finding(
    check: str,
    what: str,
    acl: NetworkAcl,
    subnets: list[str],
    hits: dict[int, tuple[list[Interval], list[Interval]]],
    admitted: dict[int, InternetAdmission],
    grader: _Grader,
    scope: Scope,
) -> Finding | None:
    families = sorted(f for f, (full, partial) in hits.items() if full or partial)
    if not families:
        return None
    partial = not any(hits[f][0] for f in families)
    services = {f: hits[f][0] or hits[f][1] for f in families}
    allows: dict[AclEntryRef, None] = {}
    denies: dict[AclEntryRef, None] = {}
    for f in families:
        a, d = admitted[f].refs(services[f])
        allows.update(dict.fromkeys(a))
        denies.update(dict.fromkeys(d if partial else []))
    severity, why, opened_on = grader.grade(CHECKS[check].default, subnets, services)
    if partial and severity > Severity.LOW:
        severity = Severity(severity - 1)
    fam = ", ".join(FAMILY_NAME[f] for f in families)
    entries = ", ".join(f"#{_number(e)}" for e in allows)
    scope_text = "part of the internet" if partial else "the internet"
    but = ""
    if partial:
        but = "; " + ", ".join(f"#{_number(e)} denies {e.cidr}" for e in denies)
    return Finding(
        check,
        severity,
        f"{what} open to {scope_text} ({fam}) in network ACL {acl.network_acl_id} "
        f"(inbound {entries}{but}): {why}",
        acl.network_acl_id,
        "network-acl",
        scope.account,
        scope.region,
        acl.vpc_id,
        tuple(f"{acl.network_acl_id}/ingress/{_number(e)}" for e in allows),
        {
            "families": [FAMILY_NAME[f] for f in families],
            "internet": "partial" if partial else "all",
            "open": [s.to_dict() for f in families for s in service_ranges(services[f])],
            "subnets": subnets,
            "opened_by_security_groups_on": opened_on,
            "exposure": why,
            "allowed_by": [e.to_dict() for e in allows],
            "denied_before": [e.to_dict() for e in denies],
        },
    )


def _number(ref: AclEntryRef) -> str:
    return "*" if ref.rule_number is None or ref.rule_number > 32766 else str(ref.rule_number)


class _Grader:
    """How much an ACL's opening matters: whether it filters any subnet, and whether the
    security groups of those subnets' interfaces open the same services to the internet."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.by_subnet: dict[str, list[NetworkInterface]] = {}
        for eni in snapshot.interfaces:
            self.by_subnet.setdefault(eni.subnet_id, []).append(eni)
        self.policies = effective_policies(snapshot)
        self.openings: dict[tuple[str, ...], dict[int, list[Interval]]] = {}

    def _open(self, eni: NetworkInterface) -> dict[int, list[Interval]]:
        policy = self.policies.get(eni.eni_id)
        if policy is None:
            return {}
        if policy.group_ids not in self.openings:
            found = internet_openings(policy.ingress)
            self.openings[policy.group_ids] = {
                f: [iv for iv, _ in segments] for f, segments in found.items()
            }
        return self.openings[policy.group_ids]

    def grade(
        self, base: Severity, subnets: list[str], services: dict[int, list[Interval]]
    ) -> tuple[Severity, str, list[str]]:
        if not subnets:
            return Severity.INFO, "associated with no subnet (it filters nothing)", []
        enis = [
            e for s in subnets for e in sorted(self.by_subnet.get(s, []), key=lambda e: e.eni_id)
        ]
        opened = [
            e.eni_id
            for e in enis
            if any(intersect(self._open(e).get(f, []), services[f]) for f in services)
        ]
        if opened:
            shown = ", ".join(opened[:3]) + (
                f" and {len(opened) - 3} more" if len(opened) > 3 else ""
            )
            return base, f"security groups open it to the internet too, on {shown}", opened
        return (
            Severity.LOW,
            (
                f"no security group opens it to the internet on the {len(enis)} interface"
                f"{'' if len(enis) == 1 else 's'} of its subnets (defence in depth)"
            ),
            [],
        )
