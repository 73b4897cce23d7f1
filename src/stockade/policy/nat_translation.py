"""What a NAT gateway carries: the first packets it can translate — TCP, UDP, ICMP queries.

AWS's NAT gateway supports TCP, UDP and ICMP (``vpc-routing-acl-peering.md``). Its
translation is many-to-one, so it must tell one connection from another by something in
the first packet: the ports of TCP and UDP, the identifier of an ICMP *query* (the request
types that get an answer, :data:`~stockade.domain.network_acl.ICMP_REPLY`: echo,
timestamp, information, address mask). Any other first packet — another protocol, an ICMP
error or reply that belongs to no connection — gets no mapping and goes no further. (An
ICMP error *about* a connection the gateway carries is part of that connection, not a flow
of its own.) The data plane agrees: conntrack calls such an ICMP packet invalid, which the
router's source NAT never translates, and ``nat_out`` drops other protocols routed to a
NAT gateway (:mod:`stockade.dataplane.render`).

One rule, for a flow (``decide``: a blocker naming the gateway) and for arrays of packed
services (``decide_many``: which rows it refuses).
"""

from __future__ import annotations

import numpy as np

from stockade.domain.network_acl import ICMP_REPLY
from stockade.policy.decision import Blocker
from stockade.policy.flow import Flow
from stockade.policy.reasons import CODE, Reason
from stockade.policy.topology import PATH_RULES, Case

_TCP, _UDP, _ICMP = 6, 17, 1
#: the ICMP (IPv4) request types a NAT gateway translates by their identifier
ICMP_QUERIES = frozenset(t for (protocol, t) in ICMP_REPLY if protocol == _ICMP)
_U64 = np.uint64


def translates(protocol: int | None, icmp_type: int | None = None) -> bool:
    """Whether a NAT gateway carries a flow of ``protocol`` (``None``: all traffic, which
    it does not: only some protocols)."""
    if protocol in (_TCP, _UDP):
        return True
    return protocol == _ICMP and icmp_type in ICMP_QUERIES


def nat_blocker(flow: Flow, nat_gateway_id: str | None) -> Blocker | None:
    """The blocker of a flow leaving by a NAT gateway that cannot translate it."""
    if translates(flow.protocol_number, flow.icmp_type):
        return None
    what = "all traffic" if flow.is_all_traffic else flow.service()
    message = (
        f"{nat_gateway_id or 'the NAT gateway'} translates only TCP, UDP and ICMP queries "
        f"(echo, timestamp, information, address mask): {what} gets no translation and is "
        "dropped"
    )
    remedy = "route it through an internet gateway from a public subnet (with a public IP)"
    reason = Reason.NAT_PROTOCOL
    return Blocker(CODE[reason], reason, nat_gateway_id, "nat-gateway", message, remedy=remedy)


def refused_by_nat(
    cases: dict[Case, np.ndarray], nat: np.ndarray, service: np.ndarray
) -> np.ndarray:
    """Per flow (``cases``: each case's rows; ``nat``: the NAT gateway the source subnet's
    route picks, -1 none): whether it leaves its VPC by a NAT gateway that cannot translate
    it (where ``decide`` follows the exit route, as ``path`` does)."""
    leaves = np.zeros(len(nat), bool)
    for case, rows in cases.items():
        if PATH_RULES[case].exits:
            leaves |= rows
    refused: np.ndarray = leaves & (nat >= 0) & untranslated(service)
    return refused


def untranslated(service: np.ndarray) -> np.ndarray:
    """Per packed service (``protocol << 16 | port``, or ``| type << 8 | code`` for ICMP):
    ``True`` where a NAT gateway cannot translate the packet."""
    protocol = service >> _U64(16)
    icmp_type = (service >> _U64(8)) & _U64(0xFF)
    query = np.isin(icmp_type, np.array(sorted(ICMP_QUERIES), _U64))
    carried = (protocol == _TCP) | (protocol == _UDP) | ((protocol == _ICMP) & query)
    refused: np.ndarray = ~carried
    return refused
