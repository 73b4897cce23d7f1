"""A policy-engine :class:`Decision` as Reachability Analyzer's result: the one mapping.

``findings`` gives the members of a ``NetworkInsightsAnalysis`` that carry the answer —
``NetworkPathFound``, ``ForwardPathComponents``, ``ReturnPathComponents`` and
``Explanations`` — named and nested exactly as botocore's model names them
(``PathComponent``, ``AnalysisAclRule``, ``AnalysisSecurityGroupRule``,
``AnalysisRouteTableRoute``, ``AnalysisPacketHeader``, ``Explanation``), so tools written
against AWS's analyzer read stockade's unchanged.

The path components follow the packet: the source (instance, its interface, the security
group rule that let it out), the network ACL entries it crosses leaving a subnet, the route
table route, the gateways (NAT, internet, peering), the ACL entries entering the
destination subnet, the destination's group rule, interface and instance. The return path
is the reply's: groups pass it by connection tracking, so it shows only the interfaces, the
ACL entries (stateless: the reply's own) and the return route. A path that is not found
has no components, only explanations, as AWS answers.

Beyond AWS, :func:`fixes` gives each blocker's smallest fix as one line (the analysis
keeps them in its ``stockade:fix:N`` tags). Pure: a function of the decision and the
snapshot it was made over.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stockade.domain.state import Snapshot
from stockade.policy.decision import (
    AclStep,
    Blocker,
    Decision,
    PacketLeg,
    RouteStep,
    SideEvaluation,
)
from stockade.policy.effective import Direction, policy_of
from stockade.policy.flow import Flow
from stockade.policy.match import service_matches
from stockade.policy.reasons import Reason
from stockade.shapes.insights_parts import (
    Components,
    acl_rule,
    main_table,
    packet_header,
    protocol_name,
    route_table_route,
    security_group_rule,
)

#: Which route step a route reason concerns.
_ROUTE_LEG = {
    Reason.NO_ROUTE: "forward",
    Reason.BLACKHOLE_ROUTE: "forward",
    Reason.ROUTE_NOT_MODELLED: "forward",
    Reason.NAT_NO_ROUTE: "nat",
    Reason.NO_RETURN_ROUTE: "return",
    Reason.RETURN_ROUTE_BLACKHOLE: "return",
}
_ACL_REASONS = Reason.ACL_REQUEST_DENIED | Reason.ACL_REPLY_DENIED
_SG_REASONS = Reason.EGRESS_DENIED | Reason.INGRESS_DENIED


# -- the paths -------------------------------------------------------------------------------


class _PathBuilder:
    """One direction's components, numbered as they are added."""

    def __init__(self, names: Components) -> None:
        self.names = names
        self.items: list[dict[str, Any]] = []

    def add(self, component_id: str | None, subnet_id: str | None = None, **members: Any) -> None:
        component = self.names(component_id)
        if component is None:
            return
        out: dict[str, Any] = {"SequenceNumber": len(self.items) + 1, "Component": component}
        out.update({k: v for k, v in members.items() if v is not None})
        self.items.append(self.names.placed(out, subnet_id))

    def acl(self, step: AclStep) -> None:
        self.add(
            step.network_acl_id,
            step.subnet_id,
            AclRule=None if step.entry is None else acl_rule(step.entry),
        )

    def route(self, step: RouteStep) -> None:
        table_id = step.table_id or main_table(self.names.snapshot, step.vpc_id)
        route = route_table_route(step, self.names.snapshot)
        self.add(table_id, step.subnet_id, RouteTableRoute=route or None)
        target = step.target or ""
        if target.startswith(("igw-", "nat-", "pcx-", "eigw-")):
            self.add(target, None, Vpc=self.names(step.vpc_id))


def _end(
    builder: _PathBuilder,
    instance_id: str | None,
    eni_id: str | None,
    side: SideEvaluation | None,
    *,
    leaving: bool,
) -> None:
    """An interface end: instance, interface and the group rule (in packet order)."""
    subnet = builder.names.subnet_of(eni_id)
    parts: list[tuple[str | None, dict[str, Any]]] = [(instance_id, {}), (eni_id, {})]
    if side is not None and side.rules:
        rule = side.rules[0]
        parts.append((rule.group_id, {"SecurityGroupRule": security_group_rule(rule)}))
    for component_id, members in parts if leaving else reversed(parts):
        builder.add(component_id, subnet, **members)


def _acl_steps(decision: Decision, leg: PacketLeg, subnets: Iterable[str | None]) -> list[AclStep]:
    wanted = set(subnets)
    return [a for a in decision.acls if a.leg is leg and a.subnet_id in wanted]


def _forward(
    decision: Decision, names: Components, source_gateway: str | None, dest_gateway: str | None
) -> list[dict[str, Any]]:
    out = _PathBuilder(names)
    src, dst = decision.source, decision.destination
    src_subnet, dst_subnet = names.subnet_of(src.eni_id), names.subnet_of(dst.eni_id)
    header = packet_header(
        decision.flow, src.address or _address_of(names, src.eni_id), dst.address
    )
    if src.eni_id is not None:
        _end(out, src.instance_id, src.eni_id, decision.egress, leaving=True)
        out.items[0]["OutboundHeader"] = header
    else:
        out.add(source_gateway, None, OutboundHeader=header)
    middle = [a.subnet_id for a in decision.acls if a.subnet_id not in (src_subnet, dst_subnet)]
    for step in _acl_steps(decision, PacketLeg.REQUEST, [src_subnet]):
        out.acl(step)
    for route in decision.routes:
        if route.leg == "forward":
            out.route(route)
    for step in _acl_steps(decision, PacketLeg.REQUEST, middle):
        out.acl(step)
    for route in decision.routes:
        if route.leg == "nat":
            out.route(route)
    for step in _acl_steps(decision, PacketLeg.REQUEST, [dst_subnet]):
        if dst_subnet != src_subnet:
            out.acl(step)
    if dst.eni_id is not None:
        _end(out, dst.instance_id, dst.eni_id, decision.ingress, leaving=False)
    elif dest_gateway and not any(c["Component"]["Id"] == dest_gateway for c in out.items):
        out.add(dest_gateway, None)
    if out.items:
        out.items[-1]["InboundHeader"] = header
    return out.items


def _return(
    decision: Decision, names: Components, source_gateway: str | None, dest_gateway: str | None
) -> list[dict[str, Any]]:
    out = _PathBuilder(names)
    src, dst = decision.source, decision.destination
    src_subnet, dst_subnet = names.subnet_of(src.eni_id), names.subnet_of(dst.eni_id)
    if dst.eni_id is not None:
        _end(out, dst.instance_id, dst.eni_id, None, leaving=True)
    else:
        out.add(dest_gateway, None)
    for step in _acl_steps(decision, PacketLeg.REPLY, [dst_subnet]):
        if dst_subnet != src_subnet:
            out.acl(step)
    for route in decision.routes:
        if route.leg == "return":
            out.route(route)
    middle = [a.subnet_id for a in decision.acls if a.subnet_id not in (src_subnet, dst_subnet)]
    for step in _acl_steps(decision, PacketLeg.REPLY, middle):
        out.acl(step)
    for step in _acl_steps(decision, PacketLeg.REPLY, [src_subnet]):
        out.acl(step)
    if src.eni_id is not None:
        _end(out, src.instance_id, src.eni_id, None, leaving=False)
    elif source_gateway and not any(c["Component"]["Id"] == source_gateway for c in out.items):
        out.add(source_gateway, None)
    return out.items


def _address_of(names: Components, eni_id: str | None) -> str | None:
    eni = names.snapshot.interface_by_id.get(eni_id or "")
    return eni.private_ip if eni else None


# -- explanations ----------------------------------------------------------------------------


def _packet_field(snapshot: Snapshot, blocker: Blocker, flow: Flow) -> str:
    """Which field of the packet no rule matches: the address when some rule allows the
    service (to another peer), else the port (TCP/UDP) or the protocol."""
    eni = snapshot.interface_by_id.get(blocker.component_id or "")
    direction = blocker.direction or Direction.INGRESS
    if eni is not None:
        entries = policy_of(snapshot, eni).entries(direction)
        if any(service_matches(e.protocol, e.from_port, e.to_port, flow) for e in entries):
            return "source-address" if direction is Direction.INGRESS else "destination-address"
    return "destination-port" if flow.port is not None else "protocol"


def _explanation(
    blocker: Blocker, decision: Decision, names: Components, gateways: Iterable[str | None]
) -> dict[str, Any]:
    flow = decision.flow
    out: dict[str, Any] = {"ExplanationCode": blocker.code}
    if blocker.direction is not None:
        out["Direction"] = str(blocker.direction)
    reason = blocker.reason
    if reason & _ACL_REASONS and blocker.acl is not None:
        step = blocker.acl
        out["Direction"] = "egress" if step.egress else "ingress"
        out["Component"] = out["Acl"] = names(step.network_acl_id)
        if step.entry is not None:
            out["AclRule"] = acl_rule(step.entry)
        out["Protocols"] = [protocol_name(step.protocol)]
        if step.ports is not None:
            out["PortRanges"] = [{"From": step.ports[0], "To": step.ports[1]}]
        out["Addresses"] = [step.remote]
        return names.placed(out, step.subnet_id)
    if reason & _SG_REASONS:
        eni = names.snapshot.interface_by_id.get(blocker.component_id or "")
        out["Component"] = out["NetworkInterface"] = names(blocker.component_id)
        out["SecurityGroups"] = [names(g) for g in (eni.group_ids if eni else ())]
        out["PacketField"] = _packet_field(names.snapshot, blocker, flow)
        if flow.port is not None:
            out["Port"] = flow.port
        out["Protocols"] = [flow.protocol]
        return names.placed(out, eni.subnet_id if eni else None)
    leg = _ROUTE_LEG.get(reason)
    lookup = next((r for r in decision.routes if r.leg == leg), None) if leg else None
    if lookup is not None:
        table_id = lookup.table_id or main_table(names.snapshot, lookup.vpc_id)
        out["Component"] = out["RouteTable"] = names(table_id)
        route = route_table_route(lookup, names.snapshot)
        if route:
            out["RouteTableRoute"] = route
        if lookup.state is not None:
            out["State"] = lookup.state
        return names.placed(out, lookup.subnet_id)
    component = names(blocker.component_id)
    if component is not None:
        out["Component"] = component
    if blocker.component_type == "internet-gateway" or (blocker.component_id or "").startswith(
        "igw-"
    ):
        out["InternetGateway"] = component
    elif blocker.code.startswith("IGW_"):
        igw = next((g for g in gateways if g and g.startswith("igw-")), None)
        if igw:
            out["InternetGateway"] = names(igw)
    return out


def findings(
    decision: Decision,
    snapshot: Snapshot,
    account: str,
    region: str,
    *,
    source_gateway: str | None = None,
    destination_gateway: str | None = None,
) -> dict[str, Any]:
    """The analysis members that carry the answer. ``source_gateway``/``destination_gateway``:
    the internet gateway a path names as an end (the internet side of the flow)."""
    names = Components(snapshot, account, region)
    if not decision.allowed:
        gateways = (source_gateway, destination_gateway)
        return {
            "NetworkPathFound": False,
            "Explanations": [_explanation(b, decision, names, gateways) for b in decision.blockers],
        }
    return {
        "NetworkPathFound": True,
        "ForwardPathComponents": _forward(decision, names, source_gateway, destination_gateway),
        "ReturnPathComponents": _return(decision, names, source_gateway, destination_gateway),
    }


def fixes(decision: Decision) -> list[str]:
    """Each blocker's smallest fix, one line each (an ACL entry as the command that adds
    it, runnable as is); blockers without one are left out."""
    out = []
    for blocker in decision.blockers:
        if blocker.acl_suggestion is not None:
            out.append(blocker.acl_suggestion.command())
        elif blocker.fix:
            out.append(blocker.fix)
    return out
