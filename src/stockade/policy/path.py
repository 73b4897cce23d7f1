"""Where a flow goes: which interfaces its ends are, by which addresses, over which path.

The topology rules (AWS's, as far as stockade models them — no VPN, transit gateway or
appliance routing) are the table in :mod:`stockade.policy.topology`; this module resolves
one flow's ends, finds its :class:`~stockade.policy.topology.Case` (and, where the flow
leaves its VPC, the route its subnet's table chooses) and runs the checks, each with an
AWS-worded message and remedy. In words:

- inside one VPC, interfaces reach each other's *private* addresses (the local route; in
  one subnet, directly); interfaces in different VPCs only over a peering both subnets'
  tables route to (the reply needs its route back over the same ``pcx-``), and a peering
  carries only addresses inside the peer VPC (no transit);
- the internet reaches an interface only at its public IPv4 (or a public IPv6 address),
  only when the VPC has an internet gateway *and* the interface's subnet routes the
  replies to it, and only from a non-private source address that is not inside the VPC;
- an interface reaches the internet by its subnet's route: an internet gateway (with a
  public address), a NAT gateway (IPv4, seen as the NAT gateway's public IP; its own
  subnet must route on to an internet gateway), an egress-only gateway (IPv6); no route,
  or a blackhole, goes nowhere; an address inside its own VPC that no interface holds
  goes nowhere;
- addressing another instance's public IP goes out through one gateway and in through the
  other, so the destination sees the source's public IP (or its NAT gateway's; group
  references cannot match it);
- both ends on one instance: the packet never leaves it, so no group applies.

The same table is evaluated over arrays in :mod:`stockade.policy.bulk_path`; tests keep the
two equal flow by flow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.acl_path import AclRoute
from stockade.policy.address_book import address_book, address_holders
from stockade.policy.addressing import (
    address_text,
    is_public_address,
    try_parse_address,
)
from stockade.policy.decision import Blocker, PathEnd, PathKind, RouteStep
from stockade.policy.flow import Flow
from stockade.policy.interface_reach import end_state
from stockade.policy.path_checks import CHECKS, End, Leg, blocker, v4
from stockade.policy.routes import Hop, RouteLookup, in_vpc_block
from stockade.policy.topology import (
    END_REASON,
    PATH_RULES,
    STATE_PROBLEM,
    Case,
    EndKind,
    EndProblem,
    EndType,
    Role,
    SeenAs,
    checks_of,
    seen_as_of,
)


@dataclass(frozen=True)
class Route:
    """The path of a flow and what blocks it before any security group is consulted."""

    family: int
    kind: PathKind
    source: PathEnd
    destination: PathEnd
    source_eni: NetworkInterface | None = None
    destination_eni: NetworkInterface | None = None
    egress_remote: int | None = None  # matched against the source interface's egress
    ingress_remote: int | None = None  # matched against the destination's ingress
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()
    steps: tuple[RouteStep, ...] = ()  # the route tables consulted, in path order
    #: what the network ACL crossings depend on (``None``: the path was never formed)
    acl: AclRoute | None = None


def route(snapshot: Snapshot, flow: Flow) -> Route:
    """Resolve both ends of ``flow`` and the path between them."""
    family = flow.family
    blockers: list[Blocker] = []
    src = _locate(snapshot, flow.source, Role.SOURCE, blockers)
    dst = _locate(snapshot, flow.destination, Role.DESTINATION, blockers)
    for end, role in ((src, Role.SOURCE), (dst, Role.DESTINATION)):
        if end.eni is not None:
            blockers.extend(_state_blockers(snapshot, end.eni, role))
    if EndKind.MISSING in (src.kind, dst.kind):
        return Route(
            family,
            PathKind.NONE,
            _view(src, family),
            _view(dst, family),
            src.eni,
            dst.eni,
            blockers=tuple(blockers),
        )
    if src.kind is EndKind.BY_ID:
        _pick_address(src, family, dst.eni is None, Role.SOURCE, blockers)
    if dst.kind is EndKind.BY_ID:
        _pick_address(dst, family, src.eni is None, Role.DESTINATION, blockers)
    if src.address is None or dst.address is None:
        return Route(
            family,
            PathKind.NONE,
            _view(src, family),
            _view(dst, family),
            src.eni,
            dst.eni,
            blockers=tuple(blockers),
        )
    return _route(Leg(snapshot, family, src, dst), blockers)


def _locate(snapshot: Snapshot, text: str, role: Role, out: list[Blocker]) -> End:
    parsed = try_parse_address(text)
    if parsed is not None:
        owner = address_book(snapshot).get(parsed)
        if owner is None:
            return End(text, address=parsed[1])
        eni = snapshot.interface_by_id[owner.eni_id]
        end = End(text, eni, _instance_of(snapshot, eni), parsed[1], EndKind(owner.kind))
        holders = address_holders(snapshot).get(parsed, ())
        if len(holders) > 1:
            end.notes.append(
                f"{text} is held by {', '.join(holders)}; {eni.eni_id} was chosen (name the "
                "interface by id to pick another)"
            )
        return end
    if text.startswith("eni-"):
        named = snapshot.interface_by_id.get(text)
        if named is None:
            out.append(_not_found(role, text, "InvalidNetworkInterfaceID.NotFound", "interface"))
            return End(text, kind=EndKind.MISSING)
        return End(text, named, _instance_of(snapshot, named), kind=EndKind.BY_ID)
    instance = snapshot.instance_by_id.get(text)
    if instance is None:
        out.append(_not_found(role, text, "InvalidInstanceID.NotFound", "instance"))
        return End(text, kind=EndKind.MISSING)
    primary = snapshot.interface_by_id.get(instance.primary_eni_id)
    if primary is None:
        attached = snapshot.interfaces_of(instance.instance_id)
        primary = attached[0] if attached else None
    if primary is None:
        problem = EndProblem.NOT_ATTACHED if instance.is_running else EndProblem.NOT_RUNNING
        message = f"instance {text} is {instance.state} and has no network interface"
        out.append(blocker(END_REASON[role, problem], text, "instance", message))
        return End(text, instance=instance, kind=EndKind.MISSING)
    return End(text, primary, instance, kind=EndKind.BY_ID)


def _instance_of(snapshot: Snapshot, eni: NetworkInterface) -> Instance | None:
    return snapshot.instance_by_id.get(eni.instance_id) if eni.instance_id else None


def _state_blockers(snapshot: Snapshot, eni: NetworkInterface, role: Role) -> list[Blocker]:
    problem = STATE_PROBLEM.get(end_state(snapshot, eni))
    if problem is None:
        return []
    reason = END_REASON[role, problem]
    if problem is EndProblem.NOT_ATTACHED:
        message = f"{eni.eni_id} is not attached to an instance, so nothing sends or receives"
        return [blocker(reason, eni.eni_id, "network-interface", message)]
    instance = snapshot.instance_by_id.get(eni.instance_id or "")
    state = "not in this snapshot" if instance is None else str(instance.state)
    message = f"instance {eni.instance_id} ({role}) is {state}, not running"
    remedy = f"start instance {eni.instance_id}"
    return [blocker(reason, eni.instance_id, "instance", message, remedy=remedy)]


def _pick_address(
    end: End, family: int, prefer_public: bool, role: Role, out: list[Blocker]
) -> None:
    """Choose the address of an end named by id: public when the other end is external."""
    eni = end.eni
    assert eni is not None
    if family == 4:
        if prefer_public and role is Role.DESTINATION and eni.public_ip:
            end.address, end.kind = v4(eni.public_ip), EndKind.PUBLIC
        else:
            end.address, end.kind = v4(eni.private_ip), EndKind.PRIVATE
        return
    found = [p[1] for p in map(try_parse_address, eni.ipv6_addresses) if p and p[0] == 6]
    if not found:
        message = f"{eni.eni_id} has no IPv6 address, so it cannot take part in an IPv6 flow"
        reason = END_REASON[role, EndProblem.NO_ADDRESS]
        out.append(blocker(reason, eni.eni_id, "network-interface", message))
        return
    public = [a for a in found if is_public_address(6, a)]
    end.address = public[0] if prefer_public and public else found[0]
    end.kind = EndKind.PRIVATE


def _case(leg: Leg) -> Case:
    """Which topology rule applies (the scalar twin of ``bulk_path``'s case masks)."""
    e1, e2, family = leg.src.eni, leg.dst.eni, leg.family
    if e1 is None and e2 is None:
        return Case.NO_INTERFACE
    if e1 is None:
        return Case.FROM_INTERNET
    if e2 is None:
        inside_vpc = in_vpc_block(leg.snapshot, e1.vpc_id, family, leg.d)
        return Case.TO_VPC_ADDRESS if inside_vpc else Case.TO_INTERNET
    if (
        e1.instance_id is not None
        and e1.instance_id == e2.instance_id
        and leg.dst.kind is EndKind.PRIVATE
    ):
        return Case.HOST_LOCAL
    if e1.vpc_id != e2.vpc_id and leg.dst.kind is EndKind.PRIVATE and leg.forward.hop is Hop.PCX:
        return Case.PEERING
    internet = (family == 4 and leg.dst.kind is EndKind.PUBLIC) or (
        family == 6 and e1.vpc_id != e2.vpc_id and is_public_address(6, leg.d)
    )
    if internet:
        return Case.VIA_INTERNET
    if e1.vpc_id == e2.vpc_id and e1.subnet_id != e2.subnet_id and leg.forward.hop is not Hop.LOCAL:
        return Case.REROUTED
    return Case.LOCAL


def _route(leg: Leg, out: list[Blocker]) -> Route:
    case = _case(leg)
    rule = PATH_RULES[case]
    hop = leg.forward.hop if rule.exits else Hop.NONE
    seen = _seen_as(leg, seen_as_of(rule, hop))
    leg = replace(leg, seen=seen)
    for check in checks_of(rule, hop):
        blocker = CHECKS[check](leg)
        if blocker is not None:
            out.append(blocker)
    e1, e2 = leg.src.eni, leg.dst.eni
    egress_remote = leg.d if e1 is not None and rule.groups_apply else None
    ingress_remote = seen if e2 is not None and rule.groups_apply else None
    notes = leg.src.notes + leg.dst.notes
    if case is Case.LOCAL and e1 is not None and e2 is not None and e1.subnet_id == e2.subnet_id:
        notes.append("both ends are in one subnet: delivered directly, no route table")
    return Route(
        leg.family,
        rule.kind,
        _view(leg.src, leg.family, seen),
        _view(leg.dst, leg.family),
        e1,
        e2,
        egress_remote,
        ingress_remote,
        tuple(out),
        tuple(notes),
        _steps(leg, case, hop),
        _acl_route(leg, case, hop, seen),
    )


def _acl_route(leg: Leg, case: Case, hop: Hop, seen: int) -> AclRoute:
    e1, e2 = leg.src.eni, leg.dst.eni
    nat = leg.forward.facts.nat if hop is Hop.NAT else None
    return AclRoute(
        case,
        leg.family,
        e1.subnet_id if e1 is not None else None,
        e2.subnet_id if e2 is not None else None,
        nat.subnet_id if nat is not None else None,
        leg.s,
        leg.d,
        seen,
        nat.nat_gateway_id if nat is not None else None,
    )


def _steps(leg: Leg, case: Case, hop: Hop) -> tuple[RouteStep, ...]:
    """The route tables the flow consulted, for ``explain`` and the JSON output."""
    e1, e2 = leg.src.eni, leg.dst.eni
    found: list[RouteLookup] = []
    legs: list[str] = []
    between_subnets = (
        case is Case.LOCAL and e1 is not None and e2 is not None and e1.subnet_id != e2.subnet_id
    )
    if PATH_RULES[case].exits or case is Case.PEERING or between_subnets:
        found.append(leg.forward)
        legs.append("forward")
    if hop is Hop.NAT and leg.nat_onward is not None:
        found.append(leg.nat_onward)
        legs.append("nat")
    if case in (Case.FROM_INTERNET, Case.VIA_INTERNET, Case.PEERING):
        found.append(leg.back)
        legs.append("return")
    return tuple(_step(name, at) for name, at in zip(legs, found, strict=True))


def _step(name: str, at: RouteLookup) -> RouteStep:
    route = at.route
    if route is None:
        return RouteStep(name, at.table_id, at.vpc_id, at.subnet_id, None, None, None)
    state = "active" if at.active else "blackhole"
    return RouteStep(
        name, at.table_id, at.vpc_id, at.subnet_id, route.destination, route.target, state
    )


def _seen_as(leg: Leg, seen: SeenAs) -> int:
    """The source address past the path (IPv6 is never translated)."""
    if leg.src.eni is None or seen is SeenAs.SENT or leg.family == 6:
        return leg.s
    eni = leg.e1
    if seen is SeenAs.NAT:
        nat = leg.forward.facts.nat
        if nat is not None:
            return v4(nat.public_ip or nat.private_ip)
    if seen is SeenAs.PUBLIC and eni.public_ip:
        return v4(eni.public_ip)
    return v4(eni.private_ip)  # the local route, or no public IP (SOURCE_PUBLIC blocks it)


def _view(end: End, family: int, address: int | None = None) -> PathEnd:
    value = end.address if address is None else address
    text = None if value is None else address_text(family, value)
    eni = end.eni
    if end.kind is EndKind.MISSING:
        kind = EndType.MISSING
    elif eni is None:
        kind = EndType.EXTERNAL
    else:
        kind = EndType.INSTANCE if end.given.startswith("i-") else EndType.INTERFACE
    instance_id = eni.instance_id if eni else (end.instance.instance_id if end.instance else None)
    return PathEnd(
        end.given, kind, instance_id, eni.eni_id if eni else None, eni.vpc_id if eni else None, text
    )


def _not_found(role: Role, given: str, code: str, what: str) -> Blocker:
    reason = END_REASON[role, EndProblem.NOT_FOUND]
    ctype = "instance" if what == "instance" else "network-interface"
    return Blocker(code, reason, given, ctype, f"the {role} {what} {given} does not exist")
