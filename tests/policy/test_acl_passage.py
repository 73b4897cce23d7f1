"""What a subnet boundary admits as a set agrees with ``first_match`` asked packet by
packet — the request one way, its reply (to the whole ephemeral range, an echo's reply
being an echo reply) the other — for random ACLs, both sides of a crossing."""

from __future__ import annotations

from ipaddress import ip_address

from domain.test_network_acl_space import acls, packets_of
from hypothesis import given, settings

from stockade.domain.network_acl import NetworkAcl, first_match
from stockade.domain.network_acl_space import packet_service
from stockade.policy.acl_passage import AclCrossing, crossing_passage
from stockade.policy.flow import EPHEMERAL_PORTS

ECHO = {1: (8, 0), 58: (128, 129)}


def _reply_ok(acl: NetworkAcl, egress: bool, family: int, remote: str, protocol: int, port, icmp):
    if protocol in (6, 17):
        low, high = EPHEMERAL_PORTS
        cuts = {low, high}  # first_match is constant between the entries' port bounds
        for e in acl.entries:
            if e.port_range:
                cuts |= {p for b in e.port_range for p in (b - 1, b, b + 1) if low <= p <= high}
        return all(first_match(acl, egress, family, remote, protocol, p)[1] for p in cuts)
    if protocol in ECHO:
        request, reply = ECHO[protocol]
        if icmp[0] != request:
            return True  # no reply crosses back
        return first_match(acl, egress, family, remote, protocol, None, (reply, 0))[1]
    return first_match(acl, egress, family, remote, protocol)[1]


@settings(max_examples=120, deadline=None)
@given(acls())
def test_a_crossing_admits_exactly_the_packets_first_match_lets_through_both_ways(drawn):
    family, acl = drawn
    for request_egress in (False, True):
        for remote in {address for address, *_ in packets_of(family)}:
            value = int(ip_address(remote))
            crossing = AclCrossing(acl, "subnet-1", request_egress, ((value, value),))
            admitted = crossing_passage(crossing, family).admitted
            for address, protocol, port, icmp in packets_of(family):
                if address != remote:
                    continue
                request = first_match(acl, request_egress, family, remote, protocol, port, icmp)[1]
                reply = _reply_ok(acl, not request_egress, family, remote, protocol, port, icmp)
                packed = protocol << 16 | packet_service(protocol, port, icmp)
                got = any(lo <= packed <= hi for lo, hi in admitted)
                assert got is (request and reply), (request_egress, remote, protocol, port, icmp)
