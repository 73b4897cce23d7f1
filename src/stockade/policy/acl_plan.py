"""Which network ACL boundaries a flow's packets cross, as one table both evaluators read.

A packet crosses a subnet's ACL when it changes location: leaving a subnet (its ACL's
*egress* entries, matched on the packet's destination) and entering one (*ingress*,
matched on its source) — never when it stays in one subnet. So each :class:`Case` of the
topology is a short list of :class:`Segment` hops of the request between locations (the
source subnet, the NAT gateway's subnet, the internet, the destination subnet), each with
the packet's addresses on that hop. The reply retraces the segments backwards with the
addresses swapped, and — ACLs being stateless — its destination port is the request's
source port on that hop: the client's ephemeral ports, or after a NAT gateway
:data:`~stockade.policy.flow.NAT_GATEWAY_PORTS`.

``acl_path`` (one flow, with entries and fixes), ``bulk_acl`` (arrays of flows) and the
analyzer's ``reach`` (services as sets, :func:`ends_of`: each boundary with its request's
and its reply's crossing) all derive their crossings from :func:`crossings_of`, so they
cannot disagree on the path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stockade.policy.decision import PacketLeg
from stockade.policy.flow import EPHEMERAL_PORTS, NAT_GATEWAY_PORTS
from stockade.policy.topology import Case


class Where(StrEnum):
    SOURCE = "source subnet"
    NAT = "NAT gateway's subnet"
    INTERNET = "internet"  # outside every subnet: no ACL
    DESTINATION = "destination subnet"


class Addr(StrEnum):
    """An address a packet carries on one hop."""

    SOURCE = "the source as sent (its private address)"
    DESTINATION = "the destination as addressed"
    SEEN = "the source as the destination sees it (after a gateway's translation)"


class Ports(StrEnum):
    """The request's source port on a hop: what its reply is addressed to there."""

    CLIENT = "the client's (ephemeral) ports"
    NAT = "the NAT gateway's ports"


#: the whole range a reply may be addressed to on a hop (a flow's named client port aside)
PORT_RANGES = {Ports.CLIENT: EPHEMERAL_PORTS, Ports.NAT: NAT_GATEWAY_PORTS}


@dataclass(frozen=True)
class Segment:
    """One hop of the request from ``start`` to ``end``, with its addresses and source port."""

    start: Where
    end: Where
    source: Addr
    destination: Addr
    source_ports: Ports


@dataclass(frozen=True)
class Crossing:
    """One packet crossing one subnet boundary: whose ACL, which way, matched on what."""

    leg: PacketLeg
    subnet: Where
    egress: bool
    remote: Addr  # the address the entries are matched on
    #: REQUEST: the flow's own port; else the reply's destination ports
    ports: Ports | None


_OUT = Segment(Where.SOURCE, Where.INTERNET, Addr.SOURCE, Addr.DESTINATION, Ports.CLIENT)
_TO_NAT = Segment(Where.SOURCE, Where.NAT, Addr.SOURCE, Addr.DESTINATION, Ports.CLIENT)
_NAT_OUT = Segment(Where.NAT, Where.INTERNET, Addr.SEEN, Addr.DESTINATION, Ports.NAT)
_IN = Segment(Where.INTERNET, Where.DESTINATION, Addr.SEEN, Addr.DESTINATION, Ports.CLIENT)
_IN_VIA_NAT = Segment(Where.INTERNET, Where.DESTINATION, Addr.SEEN, Addr.DESTINATION, Ports.NAT)
_DIRECT = Segment(Where.SOURCE, Where.DESTINATION, Addr.SOURCE, Addr.DESTINATION, Ports.CLIENT)

#: The request's hops per case; ``(case, True)`` when the source leaves by a NAT gateway.
#: Cases absent here cross no ACL: the packet never leaves the instance, no interface is
#: involved, or it is addressed to a VPC address nobody holds (blocked before any ACL).
SEGMENTS: dict[tuple[Case, bool], tuple[Segment, ...]] = {
    (Case.FROM_INTERNET, False): (
        Segment(Where.INTERNET, Where.DESTINATION, Addr.SOURCE, Addr.DESTINATION, Ports.CLIENT),
    ),
    (Case.TO_INTERNET, False): (_OUT,),
    (Case.TO_INTERNET, True): (_TO_NAT, _NAT_OUT),
    (Case.LOCAL, False): (_DIRECT,),
    (Case.REROUTED, False): (_DIRECT,),
    (Case.PEERING, False): (
        Segment(Where.SOURCE, Where.DESTINATION, Addr.SOURCE, Addr.DESTINATION, Ports.CLIENT),
    ),
    (Case.VIA_INTERNET, False): (_OUT, _IN),
    (Case.VIA_INTERNET, True): (_TO_NAT, _NAT_OUT, _IN_VIA_NAT),
}
for _case in (Case.FROM_INTERNET, Case.LOCAL, Case.REROUTED, Case.PEERING):
    SEGMENTS[_case, True] = SEGMENTS[_case, False]  # a NAT route plays no part there


def crossings_of(
    case: Case, via_nat: bool, same: dict[tuple[Where, Where], bool]
) -> tuple[Crossing, ...]:
    """The crossings of a flow of ``case``, request first, then the reply's.

    ``same[a, b]`` says whether locations ``a`` and ``b`` are one subnet for this flow (a
    hop inside one subnet crosses nothing; the internet is never a subnet).
    """
    segments = SEGMENTS.get((case, via_nat), ())
    request: list[Crossing] = []
    reply: list[Crossing] = []
    for seg in segments:
        if same.get((seg.start, seg.end), False):
            continue
        if seg.start is not Where.INTERNET:
            request.append(Crossing(PacketLeg.REQUEST, seg.start, True, seg.destination, None))
        if seg.end is not Where.INTERNET:
            request.append(Crossing(PacketLeg.REQUEST, seg.end, False, seg.source, None))
    for seg in reversed(segments):
        if same.get((seg.start, seg.end), False):
            continue
        if seg.end is not Where.INTERNET:
            reply.append(Crossing(PacketLeg.REPLY, seg.end, True, seg.source, seg.source_ports))
        if seg.start is not Where.INTERNET:
            reply.append(
                Crossing(PacketLeg.REPLY, seg.start, False, seg.destination, seg.source_ports)
            )
    return tuple(request + reply)


#: the location pairs a flow's hops may join (what ``same`` must answer)
PAIRS = ((Where.SOURCE, Where.NAT), (Where.SOURCE, Where.DESTINATION))


@dataclass(frozen=True)
class End:
    """One boundary a hop of the request crosses (``egress``: the request's direction
    there), and its reply's crossing back: same subnet and remote address, other way."""

    subnet: Where
    egress: bool
    remote: Addr
    ports: Ports  # the reply's destination ports there


def ends_of(crossings: tuple[Crossing, ...]) -> tuple[End, ...]:
    """The crossings of a flow, paired into hop ends (each request crossing has its reply's)."""
    replies = {(c.subnet, c.egress, c.remote): c for c in crossings if c.leg is PacketLeg.REPLY}
    ends = []
    for c in crossings:
        if c.leg is PacketLeg.REQUEST:
            back = replies.pop((c.subnet, not c.egress, c.remote))
            assert back.ports is not None
            ends.append(End(c.subnet, c.egress, c.remote, back.ports))
    if replies:
        raise ValueError(f"reply crossings without their request's: {list(replies.values())}")
    return tuple(ends)
