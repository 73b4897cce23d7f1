"""Public subnets whose interfaces have administration ports open to the internet.

A subnet is public when its route table sends traffic to an attached internet gateway
(Prowler's definition). Its interfaces count when an administration port is open to every
internet address in their groups *and* the subnet's network ACL lets the internet's
requests in and the replies out (:mod:`stockade.analysis.acl_narrowing`).
"""

from __future__ import annotations

from collections.abc import Sequence

from stockade.analysis.acl_narrowing import acl_limit
from stockade.analysis.checks_internet import (
    Openings,
    hits_in,
    internet_openings,
    narrowed_openings,
    rule_refs,
)
from stockade.analysis.exposure_grade import interface_grade
from stockade.analysis.findings import Finding, Severity
from stockade.analysis.intervals import Rect, service_interval
from stockade.domain.interface import NetworkInterface
from stockade.domain.risky_ports import PortSpec
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.policy.effective import effective_policies
from stockade.policy.interface_reach import internet_reach
from stockade.policy.route_advice import route_text
from stockade.policy.routes import internet_route


def public_subnet_findings(
    snapshot: Snapshot, scope: Scope, admin: Sequence[PortSpec]
) -> list[Finding]:
    """One finding per public subnet of the scope whose interfaces have administration
    ports open to the internet (over a family the subnet routes to the internet).

    Graded as the worst of those interfaces (``exposure_grade.interface_grade``): critical
    when one is reachable right now, high when one has a public address but is stopped,
    medium when they hold private addresses only (one public IP away).
    """
    names = {g.group_id: g.name for g in snapshot.groups}
    openings_of: dict[tuple[str, ...], Openings] = {}
    by_subnet: dict[str, list[tuple[NetworkInterface, list[str], list[Rect], Severity]]] = {}
    for eni_id, policy in sorted(effective_policies(snapshot).items()):
        eni = snapshot.interface_by_id[eni_id]
        if (eni.owner_id, eni.region) != (scope.account, scope.region):
            continue
        if policy.group_ids not in openings_of:
            openings_of[policy.group_ids] = internet_openings(policy.ingress)
        openings = narrowed_openings(openings_of[policy.group_ids], acl_limit(snapshot, [eni]))
        routed = {f for f in openings if internet_route(snapshot, eni.subnet_id, f) is not None}
        ports, rects, grade = [], [], Severity.INFO
        for spec in admin:
            hits = hits_in(
                {f: openings[f] for f in routed},
                service_interval(spec.protocol, spec.first, spec.last),
            )
            if hits:
                ports.append(spec.text())
                rects += [r for _, found in hits.values() for r in found]
                grade = max(grade, *(interface_grade(snapshot, eni, f)[0] for f in hits))
        if ports:
            by_subnet.setdefault(eni.subnet_id, []).append((eni, ports, rects, grade))
    out = []
    for subnet_id, found in sorted(by_subnet.items()):
        first = found[0][0]
        family = 4 if internet_route(snapshot, subnet_id, 4) else 6
        route = internet_route(snapshot, subnet_id, family)
        assert route is not None and route.route is not None
        listed = ", ".join(
            f"{e.eni_id}{f' ({e.instance_id})' if e.instance_id else ''}: {'/'.join(p)}"
            for e, p, _, _ in found
        )
        severity = max(g for *_, g in found)
        rects = [r for _, _, found_rects, _ in found for r in found_rects]
        out.append(
            Finding(
                "public-subnet-admin-port",
                severity,
                f"public subnet {subnet_id} ({route.table_text()}: "
                f"{route_text(route.route)}) has administration ports open to the internet "
                f"on {listed}",
                subnet_id,
                "subnet",
                scope.account,
                scope.region,
                first.vpc_id,
                tuple(sorted({r.entry.rule_id for r in rects})),
                {
                    "route_table_id": route.table_id or None,
                    "internet_route": route_text(route.route),
                    "interfaces": [
                        {
                            "network_interface_id": e.eni_id,
                            "instance_id": e.instance_id,
                            "ports": p,
                            "reachable": any(
                                internet_reach(snapshot, e, f).reachable for f in (4, 6)
                            ),
                        }
                        for e, p, _, _ in found
                    ],
                    "rules": rule_refs(rects, names),
                },
            )
        )
    return out
