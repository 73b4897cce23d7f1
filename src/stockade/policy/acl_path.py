"""The network ACLs one flow crosses (``decide``'s half of the stateless subnet firewall).

:mod:`stockade.policy.acl_plan` says which boundaries the request and its reply cross for
the flow's case; this module looks up each subnet's ACL, evaluates the packet with the
domain's one evaluation (:func:`~stockade.domain.network_acl.decide_ports`, which is
:func:`~stockade.domain.network_acl.first_match` over a set of ports), and turns every
denying crossing into a blocker with Reachability Analyzer's ``SUBNET_ACL_RESTRICTION``
and the smallest allow entry that would admit exactly that packet.

The reply is its own packet: an echo request's reply is an echo reply, a TCP/UDP reply is
addressed to the client's source port (the flow's, or the whole ephemeral range when it
names none — a real client may pick any of them), an ICMP type that gets no reply crosses
nothing on the way back.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclEntry,
    decide_ports,
    free_rule_number,
    reply_icmp_type,
)
from stockade.domain.state import Snapshot
from stockade.policy.acl_plan import PAIRS, Addr, Crossing, Ports, Where, crossings_of
from stockade.policy.addressing import address_text, host_cidr
from stockade.policy.decision import (
    AclEntryRef,
    AclStep,
    Blocker,
    PacketLeg,
    SuggestedAclEntry,
)
from stockade.policy.flow import ICMP, NAT_GATEWAY_PORTS, PORTED, Flow
from stockade.policy.reasons import CODE, Reason
from stockade.policy.topology import Case


@dataclass(frozen=True)
class AclRoute:
    """What the ACL crossings of one flow depend on (``path.route`` fills it)."""

    case: Case
    family: int
    source_subnet: str | None
    destination_subnet: str | None
    nat_subnet: str | None  # the NAT gateway's subnet when the source leaves through one
    source: int  # the source as sent
    destination: int  # the destination as addressed
    seen: int  # the source as the destination sees it
    nat_gateway_id: str | None = None  # the NAT gateway the source leaves through

    def subnets(self) -> dict[Where, str | None]:
        """The subnet at each location of the plan (``None``: no subnet there)."""
        return {
            Where.SOURCE: self.source_subnet,
            Where.NAT: self.nat_subnet,
            Where.DESTINATION: self.destination_subnet,
        }

    def addresses(self) -> dict[Addr, int]:
        """The address each of the plan's :class:`Addr` names for this flow."""
        return {Addr.SOURCE: self.source, Addr.DESTINATION: self.destination, Addr.SEEN: self.seen}

    def crossings(self) -> tuple[Crossing, ...]:
        """The flow's crossings in packet order (:func:`~stockade.policy.acl_plan.crossings_of`:
        none between two ends in one subnet)."""
        subnets = self.subnets()
        same = {(a, b): subnets[a] is not None and subnets[a] == subnets[b] for a, b in PAIRS}
        return crossings_of(self.case, self.nat_subnet is not None, same)


@dataclass(frozen=True)
class Packet:
    """The packet a crossing tests: protocol number (``None``: all traffic), ports, ICMP."""

    protocol: int | None
    ports: tuple[int, int] | None
    icmp: tuple[int | None, int | None]


def acl_crossings(
    snapshot: Snapshot, flow: Flow, at: AclRoute
) -> tuple[tuple[AclStep, ...], tuple[Blocker, ...]]:
    """Every ACL crossing of ``flow`` in packet order, and a blocker per denying one."""
    subnets, addresses = at.subnets(), at.addresses()
    reply = reply_packet(flow)
    steps: list[AclStep] = []
    blockers: list[Blocker] = []
    for crossing in at.crossings():
        packet = request_packet(flow) if crossing.leg is PacketLeg.REQUEST else reply
        subnet_id = subnets[crossing.subnet]
        if packet is None or subnet_id is None:
            continue
        acl = snapshot.network_acl_by_subnet.get(subnet_id)
        if acl is None or not acl.network_acl_id:
            continue  # the implied default of hand-built state: allows all, is no component
        ports = _ports(flow, packet, crossing)
        remote = addresses[crossing.remote]
        step, denying = _evaluate(acl, subnet_id, crossing, at.family, remote, packet, ports)
        steps.append(step)
        if not step.allowed:
            blockers.append(_blocker(acl, step, denying, host_cidr(at.family, remote), flow))
    return tuple(steps), tuple(blockers)


def request_packet(flow: Flow) -> Packet:
    """The flow's first packet, as an ACL sees it."""
    number = flow.protocol_number
    if flow.protocol in PORTED:
        assert flow.port is not None
        return Packet(number, (flow.port, flow.port), (None, None))
    if flow.protocol in ICMP:
        return Packet(number, None, (flow.icmp_type, flow.icmp_code))
    return Packet(number, None, (None, None))


def reply_packet(flow: Flow) -> Packet | None:
    """Its reply (ports filled per crossing); ``None`` for an ICMP type that gets none."""
    number = flow.protocol_number
    if flow.protocol in ICMP:
        assert number is not None and flow.icmp_type is not None
        answer = reply_icmp_type(number, flow.icmp_type)
        return None if answer is None else Packet(number, None, (answer, 0))
    return Packet(number, None, (None, None))


def _ports(flow: Flow, packet: Packet, crossing: Crossing) -> tuple[int, int] | None:
    if flow.protocol not in PORTED:
        return None
    if crossing.ports is None:
        return packet.ports
    if crossing.ports is Ports.NAT:
        return NAT_GATEWAY_PORTS
    return flow.source_ports


def _evaluate(
    acl: NetworkAcl,
    subnet_id: str,
    crossing: Crossing,
    family: int,
    remote: int,
    packet: Packet,
    ports: tuple[int, int] | None,
) -> tuple[AclStep, NetworkAclEntry | None]:
    remote_text = address_text(family, remote)
    entry, allowed = decide_ports(
        acl, crossing.egress, family, remote_text, packet.protocol, ports, packet.icmp
    )
    protocol = "-1" if packet.protocol is None else str(packet.protocol)
    ref = None if entry is None else entry_ref(acl.network_acl_id, entry)
    step = AclStep(
        crossing.leg,
        acl.network_acl_id,
        subnet_id,
        crossing.egress,
        remote_text,
        protocol,
        ports,
        allowed,
        ref,
    )
    return step, entry


def entry_ref(network_acl_id: str, entry: NetworkAclEntry) -> AclEntryRef:
    """An entry cited as a reason."""
    return AclEntryRef(
        network_acl_id,
        entry.rule_number,
        entry.egress,
        str(entry.action),
        entry.protocol,
        entry.cidr,
        entry.port_range,
        entry.icmp_type,
        entry.icmp_code,
    )


def _blocker(
    acl: NetworkAcl, step: AclStep, denying: NetworkAclEntry | None, cidr: str, flow: Flow
) -> Blocker:
    reply = step.leg is PacketLeg.REPLY
    reason = Reason.ACL_REPLY_DENIED if reply else Reason.ACL_REQUEST_DENIED
    way = "leaving" if step.egress else "entering"
    side = "to" if step.egress else "from"
    what = _packet_text(step, flow)
    by = step.entry.describe() if step.entry else "no entry (nothing matches)"
    message = (
        f"the {step.leg} ({what} {side} {step.remote}) {way} {step.subnet_id} is denied by {by}"
    )
    if reply:
        message += "; network ACLs are stateless, so the reply needs its own allow entry"
    acl_id = acl.network_acl_id
    family = 6 if ":" in cidr else 4
    number = free_rule_number(acl, step.egress, family, denying)
    suggestion = (
        None
        if number is None
        else SuggestedAclEntry(
            acl_id,
            step.egress,
            number,
            step.protocol,
            cidr,
            step.ports,
            *_suggested_icmp(step, flow),
        )
    )
    return Blocker(
        CODE[reason],
        reason,
        acl_id,
        "network-acl",
        message,
        acl=step,
        remedy=_no_number_remedy(acl, step, family, what) if suggestion is None else None,
        acl_suggestion=suggestion,
    )


def _no_number_remedy(acl: NetworkAcl, step: AclStep, family: int, what: str) -> str:
    way = "outbound" if step.egress else "inbound"
    return (
        f"{acl.network_acl_id}'s {way} IPv{family} entries are at their quota (20, the * "
        f"included) or have no free number before the denying entry: replace an entry "
        f"(stockade nacl replace-entry) to allow {what} {way} for {step.remote}"
    )


def _suggested_icmp(step: AclStep, flow: Flow) -> tuple[int | None, int | None]:
    if flow.protocol not in ICMP:
        return None, None
    if step.leg is PacketLeg.REQUEST:
        return flow.icmp_type, flow.icmp_code
    assert flow.protocol_number is not None and flow.icmp_type is not None
    return reply_icmp_type(flow.protocol_number, flow.icmp_type), 0


def _packet_text(step: AclStep, flow: Flow) -> str:
    if step.ports is not None:
        low, high = step.ports
        return f"{flow.protocol}/{low}" if low == high else f"{flow.protocol}/{low}-{high}"
    if flow.protocol in ICMP:
        if step.leg is PacketLeg.REQUEST:
            return f"{flow.protocol} type {flow.icmp_type}"
        assert flow.protocol_number is not None and flow.icmp_type is not None
        return f"{flow.protocol} type {reply_icmp_type(flow.protocol_number, flow.icmp_type)}"
    return flow.service()
