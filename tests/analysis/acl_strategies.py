"""Network ACLs and group rules drawn for the reach-versus-decide property tests."""

from __future__ import annotations

from hypothesis import strategies as st

#: Both ways, everything allowed: the entries an ACL most often ends with.
ALLOW_ALL = [(100, "in", "allow", "-1", "0.0.0.0/0"), (100, "out", "allow", "-1", "0.0.0.0/0")]


@st.composite
def acl_entries(draw, cidrs: list[str], port_ranges: list[tuple[int, int]], max_entries: int):
    """A few entries each way on ``cidrs`` and ``port_ranges`` (denies twice as likely as
    allows), then, four times in five, allow all."""
    entries = []
    for number in draw(st.lists(st.integers(1, 90), max_size=max_entries, unique=True)):
        protocol = draw(st.sampled_from(["-1", "tcp", "tcp", "udp"]))
        ports = draw(st.sampled_from(port_ranges)) if protocol != "-1" else None
        way = draw(st.sampled_from(["in", "out"]))
        action = draw(st.sampled_from(["allow", "deny", "deny"]))
        entries.append((number, way, action, protocol, draw(st.sampled_from(cidrs)), ports))
    if draw(st.integers(0, 4)):
        entries += ALLOW_ALL
    return entries


@st.composite
def inbound_rules(draw, cidrs: list[str]):
    """One to four inbound group rules (direction, protocol, from, to, peer), TCP or UDP,
    each from one of ``cidrs``."""
    rules = []
    for _ in range(draw(st.integers(1, 4))):
        protocol = draw(st.sampled_from(["tcp", "udp"]))
        lo, hi = draw(st.sampled_from([(22, 22), (80, 443), (0, 65535)]))
        rules.append(("in", protocol, lo, hi, draw(st.sampled_from(cidrs))))
    return rules
