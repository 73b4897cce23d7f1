"""The hop-end tables ``decide_many`` looks network ACLs up in agree with the scalar engine.

A hop end folds two crossings into one table (``policy/bulk_acl_ends.py``): the request
meeting one direction of an ACL, and its reply coming back through the other. Here every
cell is checked against the domain's own evaluation — ``first_match`` for a packet,
``decide_ports`` for a TCP/UDP reply's port range, ``reply_icmp_type`` for which ICMP
requests get a reply — on addresses at and around every CIDR bound.
"""

from __future__ import annotations

import ipaddress
from functools import partial
from itertools import product

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.domain.network_acl import (
    NetworkAcl,
    decide_ports,
    deny_all_entries,
    first_match,
    reply_icmp_type,
)
from stockade.policy.acl_plan import PAIRS, PORT_RANGES, SEGMENTS, crossings_of, ends_of
from stockade.policy.addressing import block_bounds
from stockade.policy.bulk_acl import RANGE_INDEX, direction_tables
from stockade.policy.bulk_acl_ends import REPLY_DENIED, REQUEST_DENIED, end_rects
from stockade.policy.decision import PacketLeg
from stockade.policy.tables import TableBuilder
from tests.policy.conftest import acl_entry
from tests.policy.strategies import acl_entries

#: (protocol, port or ICMP type, ICMP code) probes: ports around the usual ranges, every
#: ICMP type the entries name, requests that get a reply and ones that do not
PROBES = (
    [(6, p, 0) for p in (0, 22, 80, 1023, 1024, 32767, 32768, 40005, 60999, 65535)]
    + [(17, p, 0) for p in (53, 1024, 65535)]
    + [(1, t, c) for t, c in ((8, 0), (0, 0), (3, 4), (3, 0), (13, 0), (5, 1))]
    + [(58, t, c) for t, c in ((128, 0), (129, 0), (1, 0))]
    + [(47, 0, 0), (132, 0, 0)]
)


def _addresses(entries, family: int) -> list[int]:
    points = {0, (1 << 32) - 1 if family == 4 else (1 << 128) - 1}
    for e in entries:
        f, lo, hi = block_bounds(e.cidr)
        if f == family:
            points |= {
                max(lo - 1, 0),
                lo,
                hi,
                hi + 1 if hi + 1 < 1 << (32 if f == 4 else 128) else hi,
            }
    return sorted(points)


def _expected(acl, egress: bool, family: int, address, protocol, value, code, ports) -> int:
    """What the scalar engine says the request (one way) and its reply (back) meet."""
    port = value if protocol in (6, 17) else None
    icmp = (value, code) if protocol in (1, 58) else (None, None)
    request_ok = first_match(acl, egress, family, address, protocol, port, icmp)[1]
    if protocol in (6, 17):
        reply_ok = decide_ports(acl, not egress, family, address, protocol, ports)[1]
    elif protocol in (1, 58):
        answer = reply_icmp_type(protocol, value)
        reply_ok = (
            answer is None
            or first_match(acl, not egress, family, address, protocol, None, (answer, 0))[1]
        )
    else:
        reply_ok = first_match(acl, not egress, family, address, protocol)[1]
    return (0 if request_ok else REQUEST_DENIED) | (0 if reply_ok else REPLY_DENIED)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acl_entries(), st.booleans())
def test_hop_end_tables_agree_with_first_match(entries, star_deny):
    made = tuple(acl_entry(*e) for e in entries)
    acl = NetworkAcl(
        "acl-00000000000000001",
        "vpc-1",
        "123456789012",
        "us-east-1",
        entries=made + (deny_all_entries(True) if star_deny else ()),
    )
    directions, verdicts = direction_tables([acl])
    for f, family in enumerate((4, 6)):
        builder = TableBuilder(family, split_wide=False)
        cells = []
        for egress, (kind, r) in product((0, 1), RANGE_INDEX.items()):
            request, reply = directions[0, egress, f, r], directions[0, 1 - egress, f, r]
            table = builder.add_rects((egress, r), partial(end_rects, verdicts[f], request, reply))
            cells.append((table, bool(egress), PORT_RANGES[kind]))
        tables = builder.build()
        make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
        for address in _addresses(acl.entries, family):
            for table, egress, ports in cells:
                services = [p << 16 | (v if p in (6, 17) else v << 8 | c) for p, v, c in PROBES]
                coord = (
                    np.full(len(PROBES), address, np.uint64)
                    if family == 4
                    else tables.rank(
                        np.full(len(PROBES), address >> 64, np.uint64),
                        np.full(len(PROBES), address & ((1 << 64) - 1), np.uint64),
                    )
                )
                got = tables.lookup(
                    np.full(len(PROBES), table, np.int64), np.array(services, np.uint64), coord
                )
                for (p, v, c), label in zip(PROBES, got.tolist(), strict=True):
                    want = _expected(acl, egress, family, make(address), p, v, c, ports)
                    assert max(label, 0) == want, (make(address), egress, ports, p, v, c)


def test_every_crossing_pairs_into_one_hop_end():
    """Each request crossing has its reply's crossing back (same subnet and address, the
    other way), for every case and every same-subnet combination of the plan."""
    for (case, via_nat), flags in product(SEGMENTS, product((False, True), repeat=2)):
        same = dict(zip(PAIRS, flags, strict=True))
        crossings = crossings_of(case, via_nat, same)
        ends = ends_of(crossings)
        requests = [c for c in crossings if c.leg is PacketLeg.REQUEST]
        assert len(ends) * 2 == len(crossings) == len(requests) * 2
        for end, request in zip(ends, requests, strict=True):
            assert (end.subnet, end.egress, end.remote) == (
                request.subnet,
                request.egress,
                request.remote,
            )
