"""Where a flow goes: which interfaces its ends are, by which addresses, over which path.

The topology rules (AWS's, as far as stockade models them — no peering, NAT or VPN):

- inside one VPC, interfaces reach each other's *private* addresses (the local route);
  interfaces in different VPCs cannot, as nothing connects the VPCs;
- the internet reaches an interface only at its public IPv4 (or a public IPv6 address),
  only when the VPC has an internet gateway, and only from a non-private source address
  that is not inside the VPC;
- an interface reaches the internet only through its VPC's gateway, with a public address;
  an address inside its own VPC that no interface holds goes nowhere;
- addressing another instance's public IP goes out through one gateway and in through the
  other, so the destination sees the source's public IP (group references cannot match it);
- both ends on one instance: the packet never leaves it, so no group applies.

The same rules are vectorised in :mod:`stockade.policy.bulk_path`; tests keep them equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.address_book import address_book, address_holders
from stockade.policy.addressing import (
    RFC1918,
    RFC6598,
    address_text,
    block_bounds,
    in_ranges,
    is_public_address,
    try_parse_address,
)
from stockade.policy.decision import Blocker, PathEnd, PathKind
from stockade.policy.flow import Flow
from stockade.policy.reasons import CODE, Reason


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


@dataclass
class _End:
    given: str
    eni: NetworkInterface | None = None
    instance: Instance | None = None
    address: int | None = None
    kind: str = "external"  # external | public | private | id | missing
    notes: list[str] = field(default_factory=list)


def route(snapshot: Snapshot, flow: Flow) -> Route:
    """Resolve both ends of ``flow`` and the path between them."""
    family = flow.family
    blockers: list[Blocker] = []
    src = _locate(snapshot, flow.source, "source", blockers)
    dst = _locate(snapshot, flow.destination, "destination", blockers)
    for end, role in ((src, "source"), (dst, "destination")):
        if end.eni is not None:
            blockers.extend(_state_blockers(snapshot, end.eni, role))
    if "missing" in (src.kind, dst.kind):
        return Route(family, PathKind.NONE, _view(src, family), _view(dst, family),
                     src.eni, dst.eni, blockers=tuple(blockers))
    if src.kind == "id":
        _pick_address(src, family, prefer_public=dst.eni is None, role="source", out=blockers)
    if dst.kind == "id":
        _pick_address(dst, family, prefer_public=src.eni is None, role="destination", out=blockers)
    if src.address is None or dst.address is None:
        return Route(family, PathKind.NONE, _view(src, family), _view(dst, family),
                     src.eni, dst.eni, blockers=tuple(blockers))
    return _route(snapshot, family, src, dst, blockers)


def _locate(snapshot: Snapshot, text: str, role: str, out: list[Blocker]) -> _End:
    parsed = try_parse_address(text)
    if parsed is not None:
        owner = address_book(snapshot).get(parsed)
        if owner is None:
            return _End(text, address=parsed[1])
        eni = snapshot.interface_by_id[owner.eni_id]
        end = _End(text, eni, _instance_of(snapshot, eni), parsed[1], owner.kind)
        holders = address_holders(snapshot).get(parsed, ())
        if len(holders) > 1:
            end.notes.append(
                f"{text} is held by {', '.join(holders)}; {eni.eni_id} was chosen (name the "
                "interface by id to pick another)"
            )
        return end
    if text.startswith("eni-"):
        eni = snapshot.interface_by_id.get(text)
        if eni is None:
            out.append(_not_found(role, text, "InvalidNetworkInterfaceID.NotFound", "interface"))
            return _End(text, kind="missing")
        return _End(text, eni, _instance_of(snapshot, eni), kind="id")
    instance = snapshot.instance_by_id.get(text)
    if instance is None:
        out.append(_not_found(role, text, "InvalidInstanceID.NotFound", "instance"))
        return _End(text, kind="missing")
    eni = snapshot.interface_by_id.get(instance.primary_eni_id)
    if eni is None:
        attached = snapshot.interfaces_of(instance.instance_id)
        eni = attached[0] if attached else None
    if eni is None:
        reason = Reason.SOURCE_NOT_RUNNING if role == "source" else Reason.DESTINATION_NOT_RUNNING
        if instance.is_running:
            reason = (
                Reason.SOURCE_NOT_ATTACHED if role == "source" else Reason.DESTINATION_NOT_ATTACHED
            )
        message = f"instance {text} is {instance.state} and has no network interface"
        out.append(_blocker(reason, text, "instance", message))
        return _End(text, instance=instance, kind="missing")
    return _End(text, eni, instance, kind="id")


def _instance_of(snapshot: Snapshot, eni: NetworkInterface) -> Instance | None:
    return snapshot.instance_by_id.get(eni.instance_id) if eni.instance_id else None


def _state_blockers(snapshot: Snapshot, eni: NetworkInterface, role: str) -> list[Blocker]:
    source = role == "source"
    if eni.instance_id is None:
        reason = Reason.SOURCE_NOT_ATTACHED if source else Reason.DESTINATION_NOT_ATTACHED
        message = f"{eni.eni_id} is not attached to an instance, so nothing sends or receives"
        return [_blocker(reason, eni.eni_id, "network-interface", message)]
    instance = snapshot.instance_by_id.get(eni.instance_id)
    if instance is None or not instance.is_running:
        reason = Reason.SOURCE_NOT_RUNNING if source else Reason.DESTINATION_NOT_RUNNING
        state = "not in this snapshot" if instance is None else str(instance.state)
        message = f"instance {eni.instance_id} ({role}) is {state}, not running"
        remedy = f"start instance {eni.instance_id}"
        return [_blocker(reason, eni.instance_id, "instance", message, remedy=remedy)]
    return []


def _pick_address(end: _End, family: int, prefer_public: bool, role: str, out: list) -> None:
    """Choose the address of an end named by id: public when the other end is external."""
    eni = end.eni
    assert eni is not None
    if family == 4:
        if prefer_public and role == "destination" and eni.public_ip:
            end.address, end.kind = try_parse_address(eni.public_ip)[1], "public"  # type: ignore[index]
        else:
            end.address, end.kind = try_parse_address(eni.private_ip)[1], "private"  # type: ignore[index]
        return
    found = [p[1] for p in map(try_parse_address, eni.ipv6_addresses) if p and p[0] == 6]
    if not found:
        reason = Reason.SOURCE_NO_ADDRESS if role == "source" else Reason.DESTINATION_NO_ADDRESS
        message = f"{eni.eni_id} has no IPv6 address, so it cannot take part in an IPv6 flow"
        out.append(_blocker(reason, eni.eni_id, "network-interface", message))
        return
    public = [a for a in found if is_public_address(6, a)]
    end.address = public[0] if prefer_public and public else found[0]
    end.kind = "private"


def _route(snapshot: Snapshot, family: int, src: _End, dst: _End, out: list[Blocker]) -> Route:
    e1, e2 = src.eni, dst.eni
    s, d = src.address, dst.address
    assert s is not None and d is not None
    kind = PathKind.INTERNET
    egress_remote = d if e1 is not None else None
    ingress_remote: int | None = None
    sent_from = s
    if e1 is None and e2 is None:
        message = (
            f"neither {src.given} nor {dst.given} is an interface in this snapshot: security "
            "groups decide only traffic to or from an interface"
        )
        out.append(_blocker(Reason.NO_INTERFACE, None, "address", message))
        kind = PathKind.NONE
    elif (
        e1 is not None and e2 is not None and e1.instance_id is not None
        and e1.instance_id == e2.instance_id and dst.kind == "private"
    ):
        kind = PathKind.HOST_LOCAL
        egress_remote = None
    elif e1 is None:
        assert e2 is not None
        ingress_remote = s
        if not _internet_facing(e2, family, d, dst.kind):
            out.append(_not_public_destination(e2, family, d))
        _need_gateway(snapshot, e2, Reason.DESTINATION_VPC_NO_IGW, out)
        if family == 4 and in_ranges(s, RFC1918):
            out.append(_blocker(Reason.SOURCE_RFC1918, _igw_id(snapshot, e2), "internet-gateway",
                                f"{address_text(4, s)} is a private (RFC 1918) address"))
        if family == 4 and in_ranges(s, RFC6598):
            out.append(_blocker(Reason.SOURCE_RFC6598, _igw_id(snapshot, e2), "internet-gateway",
                                f"{address_text(4, s)} is a shared (RFC 6598) address"))
        cidr = _vpc_cidr(snapshot, e2.vpc_id, family)
        if cidr is not None and _inside(cidr, s):
            message = f"{address_text(family, s)} lies inside {e2.vpc_id} ({cidr}): spoofed"
            out.append(_blocker(Reason.SPOOFED_SOURCE, _igw_id(snapshot, e2), "internet-gateway",
                                message))
    elif e2 is None:
        cidr = _vpc_cidr(snapshot, e1.vpc_id, family)
        if cidr is not None and _inside(cidr, d):
            kind = PathKind.VPC_LOCAL
            message = f"no interface in {e1.vpc_id} ({cidr}) has the address {_t(family, d)}"
            out.append(_blocker(Reason.UNKNOWN_IN_VPC, e1.vpc_id, "vpc", message))
        else:
            _need_gateway(snapshot, e1, Reason.SOURCE_VPC_NO_IGW, out)
            igw = _igw_id(snapshot, e1)
            if family == 4 and in_ranges(d, RFC1918):
                out.append(_blocker(Reason.DESTINATION_RFC1918, igw, "internet-gateway",
                                    f"{_t(4, d)} is a private (RFC 1918) address"))
            if family == 4 and in_ranges(d, RFC6598):
                out.append(_blocker(Reason.DESTINATION_RFC6598, igw, "internet-gateway",
                                    f"{_t(4, d)} is a shared (RFC 6598) address"))
            sent_from = _check_public_source(e1, family, s, out)
    else:
        internet = (family == 4 and dst.kind == "public") or (
            family == 6 and e1.vpc_id != e2.vpc_id and is_public_address(6, d)
        )
        if not internet:
            kind = PathKind.VPC_LOCAL
            if e1.vpc_id != e2.vpc_id:
                message = (
                    f"{e1.eni_id} is in {e1.vpc_id} and {e2.eni_id} in {e2.vpc_id}; nothing "
                    "connects the two VPCs (stockade models no peering)"
                )
                remedy = (f"address its public IP {e2.public_ip} to go through the internet "
                          "gateways" if e2.public_ip and family == 4 else None)
                out.append(_blocker(Reason.DIFFERENT_VPC, e1.vpc_id, "vpc", message, remedy))
            ingress_remote = _private(e1, family, s)
        else:
            _need_gateway(snapshot, e1, Reason.SOURCE_VPC_NO_IGW, out)
            ingress_remote = _check_public_source(e1, family, s, out)
            _need_gateway(snapshot, e2, Reason.DESTINATION_VPC_NO_IGW, out)
        sent_from = ingress_remote
    source = _view(src, family, sent_from)
    return Route(family, kind, source, _view(dst, family), e1, e2, egress_remote,
                 ingress_remote, tuple(out), tuple(src.notes + dst.notes))


def _private(eni: NetworkInterface, family: int, given: int) -> int:
    """The address an interface sends from on the local route (IPv4: its private IP)."""
    if family == 6:
        return given
    return try_parse_address(eni.private_ip)[1]  # type: ignore[index]


def _check_public_source(eni: NetworkInterface, family: int, s: int, out: list) -> int:
    """The public address the gateway gives the source; blocks when there is none."""
    if family == 4:
        if eni.public_ip:
            return try_parse_address(eni.public_ip)[1]  # type: ignore[index]
        message = f"{eni.eni_id} has no public IPv4 address, so it cannot use the internet gateway"
        out.append(_blocker(Reason.SOURCE_NOT_PUBLIC, eni.eni_id, "network-interface", message,
                            remedy="associate a public IP address with the interface"))
        return try_parse_address(eni.private_ip)[1]  # type: ignore[index]
    if not is_public_address(6, s):
        message = f"{_t(6, s)} is not a public IPv6 address"
        out.append(_blocker(Reason.SOURCE_NOT_PUBLIC, eni.eni_id, "network-interface", message))
    return s


def _internet_facing(eni: NetworkInterface, family: int, d: int, kind: str) -> bool:
    if family == 4:
        return kind == "public"
    return is_public_address(6, d)


def _not_public_destination(eni: NetworkInterface, family: int, d: int) -> Blocker:
    if family == 4 and not eni.public_ip:
        message = f"{eni.eni_id} has no public IPv4 address: the internet cannot address it"
        remedy = "associate a public IP address with the interface"
    elif family == 4:
        message = (
            f"{_t(4, d)} is a private address of {eni.eni_id}; from the internet only its "
            f"public IP {eni.public_ip} is reachable"
        )
        remedy = f"connect to {eni.public_ip}"
    else:
        message = f"{_t(6, d)} is not a public IPv6 address"
        remedy = "use a public (global unicast) IPv6 address"
    return _blocker(Reason.DESTINATION_NOT_PUBLIC, eni.eni_id, "network-interface", message,
                    remedy=remedy)


def _need_gateway(snapshot: Snapshot, eni: NetworkInterface, reason: Reason, out: list) -> None:
    if snapshot.internet_gateway_for(eni.vpc_id) is None:
        message = f"{eni.vpc_id} has no internet gateway attached"
        out.append(_blocker(reason, eni.vpc_id, "vpc", message,
                            remedy=f"attach an internet gateway to {eni.vpc_id}"))


def _igw_id(snapshot: Snapshot, eni: NetworkInterface) -> str | None:
    gateway = snapshot.internet_gateway_for(eni.vpc_id)
    return gateway.igw_id if gateway else eni.vpc_id


def _vpc_cidr(snapshot: Snapshot, vpc_id: str, family: int) -> str | None:
    vpc = snapshot.vpc_by_id.get(vpc_id)
    if vpc is None:
        return None
    return vpc.cidr_block if family == 4 else vpc.ipv6_cidr_block


def _inside(cidr: str, value: int) -> bool:
    _, lo, hi = block_bounds(cidr)
    return lo <= value <= hi


def _t(family: int, value: int) -> str:
    return address_text(family, value)


def _view(end: _End, family: int, address: int | None = None) -> PathEnd:
    value = end.address if address is None else address
    text = None if value is None else address_text(family, value)
    eni = end.eni
    if end.kind == "missing":
        kind = "missing"
    elif eni is None:
        kind = "external"
    else:
        kind = "instance" if end.given.startswith("i-") else "interface"
    instance_id = eni.instance_id if eni else (end.instance.instance_id if end.instance else None)
    return PathEnd(end.given, kind, instance_id, eni.eni_id if eni else None,
                   eni.vpc_id if eni else None, text)


def _blocker(
    reason: Reason, component: str | None, ctype: str, message: str, remedy: str | None = None
) -> Blocker:
    return Blocker(CODE[reason], reason, component, ctype, message, remedy=remedy)


def _not_found(role: str, given: str, code: str, what: str) -> Blocker:
    reason = Reason.SOURCE_NOT_FOUND if role == "source" else Reason.DESTINATION_NOT_FOUND
    ctype = "instance" if what == "instance" else "network-interface"
    return Blocker(code, reason, given, ctype, f"the {role} {what} {given} does not exist")
