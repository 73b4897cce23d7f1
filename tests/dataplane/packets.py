"""Turn a policy-engine decision into the packet(s) a VPC router's forward path would see.

Used by the pure evaluator test: the router only filters, so the path (addresses, gateway
translation, which link a packet enters and leaves by) comes from the engine's route, and
both must then agree on the verdict.
"""

from __future__ import annotations

from stockade.dataplane.evaluate import Packet, reply
from stockade.dataplane.names import IGW_LINK, World
from stockade.domain.network_acl import reply_icmp_type
from stockade.policy import Decision, Flow, PathKind
from stockade.policy.topology import ROUTER_FILTERED

_SG_CODES = {"ENI_SG_RULES_MISMATCH"}
_ACL_CODES = {"SUBNET_ACL_RESTRICTION"}


def only_security_groups_decide(decision: Decision) -> bool:
    """No blocker other than a security group: the router alone must reproduce it."""
    return all(b.code in _SG_CODES for b in decision.blockers) and (
        decision.path in ROUTER_FILTERED
    )


def only_the_router_decides(decision: Decision) -> bool:
    """No blocker other than a security group or a network ACL (both the router's)."""
    return all(b.code in _SG_CODES | _ACL_CODES for b in decision.blockers) and (
        decision.path in ROUTER_FILTERED
    )


def answer(packet: Packet) -> Packet | None:
    """The reply to a pass's packet as the router sees it (``None``: an ICMP type that
    gets none): the client's port becomes the destination port, an ICMP query's answer
    has its own type."""
    if packet.proto in (1, 58):
        answered = reply_icmp_type(packet.proto, packet.service >> 8)
        if answered is None:
            return None
        return Packet(packet.oif, packet.iif, packet.dst, packet.src, packet.proto, answered << 8)
    return reply(packet)


def service_of(flow: Flow) -> tuple[int, int]:
    """(protocol number, destination port or ICMP ``type << 8 | code``) of a flow."""
    if flow.protocol in ("icmp", "icmpv6"):
        return flow.protocol_number, (flow.icmp_type << 8) | flow.icmp_code
    return flow.protocol_number, flow.port or 0


def passes(snapshot, decision: Decision) -> list[tuple[str, Packet]]:
    """(VPC id, packet) per router pass: one inside a VPC, two for a hairpin through the
    gateways (out through the source's, in through the destination's)."""
    proto, service = service_of(decision.flow)
    src, dst = decision.source, decision.destination
    src_eni = snapshot.interface_by_id.get(src.eni_id) if src.eni_id else None
    dst_eni = snapshot.interface_by_id.get(dst.eni_id) if dst.eni_id else None
    sent = decision.egress.remote if decision.egress else None  # what the source addressed
    if decision.path is PathKind.VPC_LOCAL:
        return [
            (
                src_eni.vpc_id,
                Packet(
                    World.port(src_eni.eni_id),
                    World.port(dst_eni.eni_id),
                    _own(src_eni, src.address),
                    dst.address,
                    proto,
                    service,
                ),
            )
        ]
    out: list[tuple[str, Packet]] = []
    private_dst = _private(dst_eni, dst.address) if dst_eni else dst.address
    if src_eni is not None:
        out.append(
            (
                src_eni.vpc_id,
                Packet(
                    World.port(src_eni.eni_id),
                    IGW_LINK,
                    _own(src_eni, src.address),
                    sent or dst.address,
                    proto,
                    service,
                ),
            )
        )
    if dst_eni is not None:
        out.append(
            (
                dst_eni.vpc_id,
                Packet(
                    IGW_LINK, World.port(dst_eni.eni_id), src.address, private_dst, proto, service
                ),
            )
        )
    return out


def _own(eni, seen_as: str) -> str:
    """The address the instance really sends from (the gateway translates it later)."""
    if ":" in seen_as:
        return seen_as
    return eni.private_ip


def _private(eni, address: str) -> str:
    if ":" in address:
        return address
    return eni.private_ip
