"""Every layer a flow crosses, in the order its packets meet them (what ``check`` shows).

The request meets its source's groups (egress), its subnet's network ACL outbound, the
route table, the NAT gateway's subnet ACL both ways when it leaves through one (and that
subnet's route), the destination subnet's ACL inbound and the destination's groups
(ingress); the reply then leaves by the destination subnet's route back and crosses the
ACLs again in the other direction (the groups let it through by connection tracking).

A view of the :class:`~stockade.policy.decision.Decision` only, like ``explain``: each
:class:`Layer` says what was consulted, its verdict and what decided it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stockade.policy.decision import AclStep, Decision, PacketLeg, RouteStep, SideEvaluation


@dataclass(frozen=True)
class Layer:
    leg: PacketLeg
    kind: str  # security-group | network-acl | route
    component: str  # what was consulted (an interface, an ACL and subnet, a route table)
    allowed: bool
    decided_by: tuple[str, ...]  # the rules, entry or route that decided it

    def text(self) -> str:
        if self.kind == "route":  # the route is its own reason
            return self.component if self.allowed else f"{self.component} — DENIED"
        verdict = "allowed" if self.allowed else "DENIED"
        by = "; ".join(self.decided_by) if self.decided_by else "nothing allows it"
        return f"{self.component}: {verdict} — {by}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "leg": str(self.leg),
            "kind": self.kind,
            "component": self.component,
            "allowed": self.allowed,
            "decided_by": list(self.decided_by),
        }


def layers(decision: Decision) -> list[Layer]:
    """The request's layers, then the reply's, in packet order."""
    routes = {step.leg: step for step in decision.routes}
    request = [a for a in decision.acls if a.leg is PacketLeg.REQUEST]
    reply = [a for a in decision.acls if a.leg is PacketLeg.REPLY]
    out: list[Layer] = []
    if decision.egress is not None:
        out.append(_side(decision.egress))
    pending = [routes[name] for name in ("forward", "nat") if name in routes]
    for i, step in enumerate(request):
        last = i == len(request) - 1
        if not step.egress and last:
            out.extend(_route(r) for r in pending)
            pending = []
        out.append(_acl(step))
        if step.egress and pending:
            out.append(_route(pending.pop(0)))
    out.extend(_route(r) for r in pending)
    if decision.ingress is not None:
        out.append(_side(decision.ingress))
    back = routes.get("return")
    for step in reply:
        out.append(_acl(step))
        if step.egress and back is not None:
            out.append(_route(back, PacketLeg.REPLY))
            back = None
    if back is not None:
        out.append(_route(back, PacketLeg.REPLY))
    return out


def _side(side: SideEvaluation) -> Layer:
    word = "outbound" if side.direction.value == "egress" else "inbound"
    groups = ", ".join(side.group_ids) or "no security group"
    return Layer(
        PacketLeg.REQUEST,
        "security-group",
        f"security groups {word} on {side.eni_id} ({groups}), {side.remote}",
        side.allowed,
        tuple(rule.describe() for rule in side.rules),
    )


def _acl(step: AclStep) -> Layer:
    word = "out of" if step.egress else "into"
    acl = step.network_acl_id
    by = (step.entry.describe(),) if step.entry is not None else ()
    return Layer(
        step.leg,
        "network-acl",
        f"network ACL {acl} {word} {step.subnet_id}, {_packet(step)}",
        step.allowed,
        by,
    )


def _packet(step: AclStep) -> str:
    preposition = "to" if step.egress else "from"
    if step.ports is None:
        return f"protocol {step.protocol} {preposition} {step.remote}"
    low, high = step.ports
    ports = str(low) if low == high else f"{low}-{high}"
    return f"port {ports} {preposition} {step.remote}"


def _route(step: RouteStep, leg: PacketLeg = PacketLeg.REQUEST) -> Layer:
    ok = step.destination is not None and step.state == "active"
    return Layer(leg, "route", f"route {step.text()}", ok, (step.text(),))
