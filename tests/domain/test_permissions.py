"""IpPermission expansion, in-request duplicate detection and regrouping (reference §1.6,
§1.7, §4.5)."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from stockade.domain import ids
from stockade.domain.errors import AwsError
from stockade.domain.permissions import (
    ExpandedRule,
    GroupPair,
    IpPermission,
    expand,
    group,
)
from stockade.domain.security_group import Peer, PeerKind, RuleSpec, SecurityGroupRule

ACCOUNT = "123456789012"
SAME_PERMISSION = "The same permission must not appear multiple times"
FAST = settings(max_examples=120, deadline=None)


def resolve_group(pair: GroupPair) -> Peer:
    return Peer(PeerKind.GROUP, pair.group_id, pair.user_id or ACCOUNT)


def resolve_pl(pl_id: str) -> Peer:
    return Peer(PeerKind.PREFIX_LIST, pl_id)


def run(perms, egress=False):
    return expand(perms, egress, resolve_group, resolve_pl)


def assert_duplicate(perms):
    with pytest.raises(AwsError) as info:
        run(perms)
    assert info.value.code == "InvalidParameterValue"
    assert info.value.message == SAME_PERMISSION  # real AWS wording (§4.5)


SG_A = "sg-0123456789abcdef0"
SG_B = "sg-0fedcba9876543210"
PL_A = "pl-0123456789abcdef0"
PL_B = "pl-63a5400a"


# --- duplicates inside one request ------------------------------------------------------------


def test_same_permission_twice_is_rejected():
    perm = IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.0/16", None),))
    assert_duplicate([perm, perm])


def test_same_cidr_twice_in_one_permission_is_rejected():
    assert_duplicate(
        [IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.0/16", None), ("10.0.0.0/16", None)))]
    )


def test_entries_differing_only_in_description_are_duplicates():
    assert_duplicate(
        [
            IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.0/16", "ssh"),)),
            IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.0/16", "other text"),)),
        ]
    )
    assert_duplicate(
        [
            IpPermission(
                "tcp",
                443,
                443,
                groups=(
                    GroupPair(group_id=SG_A, description="a"),
                    GroupPair(group_id=SG_A, description="b"),
                ),
            )
        ]
    )


def test_non_canonical_forms_of_one_cidr_are_duplicates():
    assert_duplicate(
        [
            IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.5/16", None),)),
            IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.0/16", None),)),
        ]
    )
    assert_duplicate(
        [
            IpPermission(
                "udp",
                53,
                53,
                ipv6_ranges=(("2001:DB8::1/64", None), ("2001:0db8:0:0::/64", None)),
            )
        ]
    )


@pytest.mark.parametrize(("a", "b"), [("6", "tcp"), ("TCP", "tcp"), ("17", "UDP"), ("006", "tcp")])
def test_protocol_number_and_name_are_duplicates(a, b):
    proto_port = 22
    assert_duplicate(
        [
            IpPermission(a, proto_port, proto_port, ip_ranges=(("10.0.0.0/16", None),)),
            IpPermission(b, proto_port, proto_port, ip_ranges=(("10.0.0.0/16", None),)),
        ]
    )


def test_icmp_number_and_name_are_duplicates():
    assert_duplicate(
        [
            IpPermission("1", 8, -1, ip_ranges=(("0.0.0.0/0", None),)),
            IpPermission("ICMP", 8, -1, ip_ranges=(("0.0.0.0/0", None),)),
        ]
    )
    assert_duplicate(
        [
            IpPermission("58", None, None, ipv6_ranges=(("::/0", None),)),
            IpPermission("icmpv6", -1, -1, ipv6_ranges=(("::/0", None),)),
        ]
    )


def test_all_traffic_with_and_without_ports_are_duplicates():
    # ports on -1 are ignored, so both are the same rule
    assert_duplicate(
        [
            IpPermission("-1", None, None, ip_ranges=(("0.0.0.0/0", None),)),
            IpPermission("-1", 0, 65535, ip_ranges=(("0.0.0.0/0", None),)),
        ]
    )


def test_same_prefix_list_twice_is_a_duplicate():
    assert_duplicate([IpPermission("tcp", 80, 80, prefix_list_ids=((PL_A, "x"), (PL_A, "y")))])


@pytest.mark.parametrize(
    "perms",
    [
        # different ports
        [
            IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.0/16", None),)),
            IpPermission("tcp", 22, 23, ip_ranges=(("10.0.0.0/16", None),)),
        ],
        # different protocols
        [
            IpPermission("tcp", 53, 53, ip_ranges=(("10.0.0.0/16", None),)),
            IpPermission("udp", 53, 53, ip_ranges=(("10.0.0.0/16", None),)),
        ],
        # different prefix lengths
        [IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.0/16", None), ("10.0.0.0/17", None)))],
        # ipv4 all vs ipv6 all
        [IpPermission("-1", ip_ranges=(("0.0.0.0/0", None),), ipv6_ranges=(("::/0", None),))],
        # the same group owned by two accounts is two peers (identity includes the owner)
        [
            IpPermission(
                "tcp",
                22,
                22,
                groups=(
                    GroupPair(group_id=SG_A, user_id=ACCOUNT),
                    GroupPair(group_id=SG_A, user_id="210987654321"),
                ),
            )
        ],
        # two prefix lists
        [IpPermission("tcp", 22, 22, prefix_list_ids=((PL_A, None), (PL_B, None)))],
    ],
)
def test_distinct_rules_are_not_duplicates(perms):
    out = run(perms)
    assert len({r.spec for r in out}) == len(out)


# --- expansion --------------------------------------------------------------------------------


def test_expansion_one_rule_per_peer_each_with_its_own_description():
    perm = IpPermission(
        "TCP",
        22,
        22,
        ip_ranges=(("10.0.0.5/16", "ssh"), ("192.0.2.0/24", None)),
        ipv6_ranges=(("2001:DB8::/32", "v6"),),
        prefix_list_ids=(("pl-1234abcd", "pl desc"),),
        groups=(GroupPair(group_id=SG_A, user_id=ACCOUNT, description="from web"),),
    )
    out = run([perm], egress=True)
    assert out == [
        ExpandedRule(RuleSpec(True, "tcp", 22, 22, Peer(PeerKind.CIDR_V4, "10.0.0.0/16")), "ssh"),
        ExpandedRule(RuleSpec(True, "tcp", 22, 22, Peer(PeerKind.CIDR_V4, "192.0.2.0/24")), None),
        ExpandedRule(RuleSpec(True, "tcp", 22, 22, Peer(PeerKind.CIDR_V6, "2001:db8::/32")), "v6"),
        ExpandedRule(
            RuleSpec(True, "tcp", 22, 22, Peer(PeerKind.PREFIX_LIST, "pl-1234abcd")), "pl desc"
        ),
        ExpandedRule(
            RuleSpec(True, "tcp", 22, 22, Peer(PeerKind.GROUP, SG_A, ACCOUNT)), "from web"
        ),
    ]


def test_expansion_passes_each_pair_and_prefix_list_to_the_resolvers():
    seen_groups, seen_pls = [], []

    def rg(pair):
        seen_groups.append(pair)
        return resolve_group(pair)

    def rp(pl):
        seen_pls.append(pl)
        return resolve_pl(pl)

    pairs = (GroupPair(group_id=SG_A), GroupPair(group_name="web"))
    perm = IpPermission("udp", 1, 2, prefix_list_ids=((PL_A, None), (PL_B, None)), groups=pairs)
    expand([perm], False, rg, rp)
    assert seen_groups == list(pairs)
    assert seen_pls == [PL_A, PL_B]


def test_resolver_errors_propagate():
    def missing(pair):
        raise AwsError("InvalidGroup.NotFound", f"The security group '{pair.group_id}' is gone")

    with pytest.raises(AwsError) as info:
        expand(
            [IpPermission("tcp", 1, 1, groups=(GroupPair(group_id=SG_B),))],
            False,
            missing,
            resolve_pl,
        )
    assert info.value.code == "InvalidGroup.NotFound"


@pytest.mark.parametrize(
    "perm",
    [
        IpPermission("tcp", 22, 22, ip_ranges=(("::/0", None),)),
        IpPermission("tcp", 22, 22, ipv6_ranges=(("0.0.0.0/0", None),)),
        IpPermission("tcp", 22, 22, ip_ranges=(("10.0.0.1", None),)),
        IpPermission("tcp", 22, 22, ip_ranges=(("not a cidr", None),)),
    ],
)
def test_bad_cidrs_in_a_permission(perm):
    with pytest.raises(AwsError) as info:
        run([perm])
    assert info.value.code == "InvalidParameterValue"
    bad = (perm.ip_ranges or perm.ipv6_ranges)[0][0]
    assert info.value.message == f"CIDR block {bad} is malformed"


@pytest.mark.parametrize(
    ("perm", "code"),
    [
        (
            IpPermission("tcp", None, None, ip_ranges=(("10.0.0.0/8", None),)),
            "InvalidParameterValue",
        ),
        (
            IpPermission("tcp", -1, -1, ip_ranges=(("10.0.0.0/8", None),)),
            "InvalidPermission.Malformed",
        ),
        (
            IpPermission("icmp", -1, 3, ip_ranges=(("10.0.0.0/8", None),)),
            "InvalidPermission.Malformed",
        ),
        (IpPermission("bogus", 1, 1, ip_ranges=(("10.0.0.0/8", None),)), "InvalidParameterValue"),
        (IpPermission(None, 1, 1, ip_ranges=(("10.0.0.0/8", None),)), "MissingParameter"),
        (
            IpPermission("tcp", 1, 1, ip_ranges=(("10.0.0.0/8", "caf\u00e9"),)),
            "InvalidParameterValue",
        ),
        (
            IpPermission("tcp", 1, 1, ip_ranges=(("10.0.0.0/8", "x" * 256),)),
            "InvalidParameterValue",
        ),
        (
            IpPermission("tcp", 1, 1, groups=(GroupPair(group_id=SG_A, description="<b>"),)),
            "InvalidParameterValue",
        ),
    ],
)
def test_invalid_permissions(perm, code):
    with pytest.raises(AwsError) as info:
        run([IpPermission("udp", 53, 53, ip_ranges=(("10.0.0.0/8", None),)), perm])
    assert info.value.code == code


def test_permission_without_any_peer_is_rejected():
    # [UNVERIFIED] AWS wording; stockade answers MissingParameter
    with pytest.raises(AwsError) as info:
        run([IpPermission("tcp", 22, 22)])
    assert info.value.code == "MissingParameter"


def test_empty_description_means_none_and_ampersand_is_allowed():
    out = run([IpPermission("tcp", 1, 1, ip_ranges=(("10.0.0.0/8", ""), ("10.0.0.0/9", "a & b")))])
    assert [r.description for r in out] == [None, "a & b"]


def test_empty_request_expands_to_nothing():
    assert run([]) == []


# --- properties -------------------------------------------------------------------------------

DESC_ALPHABET = "abcXYZ019 ._-:/()#,@[]+=&;{}!$*"
descriptions = st.one_of(st.none(), st.text(alphabet=DESC_ALPHABET, max_size=20))


def dotted(n: int) -> str:
    return ".".join(str((n >> s) & 0xFF) for s in (24, 16, 8, 0))


@st.composite
def v4_cidr_variants(draw):
    """Two texts of the same network: host bits differ."""
    prefix = draw(st.integers(0, 32))
    host_mask = (1 << (32 - prefix)) - 1
    net = draw(st.integers(0, 2**32 - 1)) & ~host_mask & 0xFFFFFFFF
    h1, h2 = draw(st.integers(0, host_mask)), draw(st.integers(0, host_mask))
    return f"{dotted(net | h1)}/{prefix}", f"{dotted(net | h2)}/{prefix}"


PROTOCOL_ALIASES = {
    "tcp": ["tcp", "TCP", "Tcp", "6", "06"],
    "udp": ["udp", "UDP", "17"],
    "icmp": ["icmp", "ICMP", "1"],
    "icmpv6": ["icmpv6", "ICMPv6", "58"],
    "-1": ["-1"],
    "47": ["47", "047"],
}


@st.composite
def protocol_and_ports(draw):
    proto = draw(st.sampled_from(sorted(PROTOCOL_ALIASES)))
    if proto in ("tcp", "udp"):
        f = draw(st.integers(0, 65535))
        return proto, f, draw(st.integers(f, 65535))
    if proto in ("icmp", "icmpv6"):
        f = draw(st.integers(-1, 255))
        return proto, f, -1 if f == -1 else draw(st.integers(-1, 255))
    return proto, draw(st.none() | st.integers(-1, 65535)), draw(st.none() | st.integers(-1, 9))


@FAST
@given(protocol_and_ports(), v4_cidr_variants(), descriptions, descriptions, st.data())
def test_rule_identity_ignores_description_and_is_invariant_under_canonicalisation(
    pp, cidrs, d1, d2, data
):
    proto, f, t = pp
    alias1 = data.draw(st.sampled_from(PROTOCOL_ALIASES[proto]))
    alias2 = data.draw(st.sampled_from(PROTOCOL_ALIASES[proto]))
    p1 = IpPermission(alias1, f, t, ip_ranges=((cidrs[0], d1),))
    p2 = IpPermission(alias2, f, t, ip_ranges=((cidrs[1], d2),))
    [r1], [r2] = run([p1]), run([p2])
    assert r1.spec == r2.spec
    assert hash(r1.spec) == hash(r2.spec)
    assert r1.description == (d1 or None) and r2.description == (d2 or None)
    # and so the two together are one permission repeated
    assert_duplicate([p1, p2])


@FAST
@given(
    st.lists(st.integers(0, 2**24 - 1), max_size=6, unique=True),
    st.lists(st.integers(0, 2**16 - 1), max_size=6, unique=True),
    st.lists(st.integers(0, 2**32 - 1), max_size=4, unique=True),
    st.lists(st.integers(0, 2**32 - 1), max_size=4, unique=True),
    protocol_and_ports(),
    st.data(),
)
def test_expansion_count_is_k_plus_m_plus_p_plus_g(v4, v6, pls, sgs, pp, data):
    proto, f, t = pp
    ip_ranges = tuple((f"{dotted(n << 8)}/24", data.draw(descriptions)) for n in v4)
    ipv6_ranges = tuple((f"2001:db8:{n:x}::/48", data.draw(descriptions)) for n in v6)
    prefix_lists = tuple((f"pl-{n:08x}", data.draw(descriptions)) for n in pls)
    groups = tuple(
        GroupPair(group_id=f"sg-{n:08x}", description=data.draw(descriptions)) for n in sgs
    )
    perm = IpPermission(proto, f, t, ip_ranges, ipv6_ranges, prefix_lists, groups)
    if not (v4 or v6 or pls or sgs):
        with pytest.raises(AwsError):
            run([perm])
        return
    out = run([perm])
    assert len(out) == len(v4) + len(v6) + len(pls) + len(sgs)
    wanted = [d or None for _, d in ip_ranges + ipv6_ranges + prefix_lists] + [
        g.description or None for g in groups
    ]
    assert [r.description for r in out] == wanted
    kinds = [r.spec.peer.kind for r in out]
    assert kinds == (
        [PeerKind.CIDR_V4] * len(v4)
        + [PeerKind.CIDR_V6] * len(v6)
        + [PeerKind.PREFIX_LIST] * len(pls)
        + [PeerKind.GROUP] * len(sgs)
    )
    assert len({r.spec.protocol for r in out}) == 1


# --- grouping ---------------------------------------------------------------------------------


def stored(expanded, group_id=SG_B):
    return [
        SecurityGroupRule(ids.new_id("sgr"), group_id, ACCOUNT, r.spec, r.description)
        for r in expanded
    ]


def test_group_collects_by_protocol_and_ports_in_first_seen_order():
    rules = stored(
        run(
            [
                IpPermission("udp", 53, 53, ip_ranges=(("10.0.0.0/8", "dns"),)),
                IpPermission(
                    "tcp",
                    22,
                    22,
                    ip_ranges=(("10.0.0.0/16", "a"),),
                    groups=(GroupPair(group_id=SG_A, description="g"),),
                ),
                IpPermission(
                    "udp", 53, 53, ipv6_ranges=(("::/0", None),), prefix_list_ids=((PL_A, "p"),)
                ),
                IpPermission("tcp", 22, 23, ip_ranges=(("10.0.0.0/16", None),)),
                IpPermission("6", 22, 22, ip_ranges=(("192.0.2.0/24", "b"),)),
            ]
        )
    )
    grouped = group(rules)
    assert [(g.ip_protocol, g.from_port, g.to_port) for g in grouped] == [
        ("udp", 53, 53),
        ("tcp", 22, 22),
        ("tcp", 22, 23),
    ]
    udp, ssh, ssh_range = grouped
    assert udp.ip_ranges == [("10.0.0.0/8", "dns")]
    assert udp.ipv6_ranges == [("::/0", None)]
    assert udp.prefix_list_ids == [(PL_A, "p")]
    assert udp.groups == []
    assert ssh.ip_ranges == [("10.0.0.0/16", "a"), ("192.0.2.0/24", "b")]
    assert ssh.groups == [(SG_A, ACCOUNT, "g")]
    assert ssh_range.ip_ranges == [("10.0.0.0/16", None)]


def test_group_of_nothing_is_empty():
    assert group([]) == []


def test_all_traffic_groups_with_minus_one_ports():
    [perm] = group(stored(run([IpPermission("-1", ip_ranges=(("0.0.0.0/0", None),))])))
    assert (perm.ip_protocol, perm.from_port, perm.to_port) == ("-1", -1, -1)


def regroup_to_pairs(grouped, egress):
    out = []
    for g in grouped:

        def spec(peer, g=g):
            return RuleSpec(egress, g.ip_protocol, g.from_port, g.to_port, peer)

        out += [(spec(Peer(PeerKind.CIDR_V4, c)), d) for c, d in g.ip_ranges]
        out += [(spec(Peer(PeerKind.CIDR_V6, c)), d) for c, d in g.ipv6_ranges]
        out += [(spec(Peer(PeerKind.PREFIX_LIST, p)), d) for p, d in g.prefix_list_ids]
        out += [(spec(Peer(PeerKind.GROUP, gid, owner)), d) for gid, owner, d in g.groups]
    return out


@st.composite
def permission(draw):
    # small port pools so that several permissions share a (protocol, from, to) key
    proto, f, t = draw(
        st.sampled_from(
            [
                ("tcp", 22, 22),
                ("tcp", 80, 80),
                ("tcp", 0, 65535),
                ("udp", 53, 53),
                ("icmp", 8, -1),
                ("icmpv6", None, None),
                ("-1", None, None),
                ("47", 1, 2),
            ]
        )
    )
    proto = draw(st.sampled_from(PROTOCOL_ALIASES[proto]))
    v4 = st.tuples(st.integers(0, 255), st.integers(0, 255)).map(
        lambda t: f"10.{t[0]}.{t[1]}.0/24" if t[1] % 2 else f"10.{t[0]}.0.{t[1]}/16"
    )
    v6 = st.integers(0, 255).map(lambda n: f"2001:DB8:{n:x}::{n:x}/48")
    peers = st.tuples(
        st.lists(st.tuples(v4, descriptions), max_size=3),
        st.lists(st.tuples(v6, descriptions), max_size=2),
        st.lists(
            st.tuples(st.integers(0, 99).map(lambda n: f"pl-{n:08x}"), descriptions), max_size=1
        ),
        st.lists(
            st.builds(
                GroupPair,
                group_id=st.integers(0, 99).map(lambda n: f"sg-{n:08x}"),
                user_id=st.sampled_from([None, "210987654321"]),
                description=descriptions,
            ),
            max_size=2,
        ),
    ).filter(lambda p: any(p))
    ip_ranges, ipv6_ranges, prefix_list_ids, groups = draw(peers)
    return IpPermission(
        proto, f, t, tuple(ip_ranges), tuple(ipv6_ranges), tuple(prefix_list_ids), tuple(groups)
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(permission(), min_size=1, max_size=5), st.booleans())
def test_group_of_expand_round_trips_spec_and_description(perms, egress):
    try:
        expanded = run(perms, egress)
    except AwsError as exc:
        event(f"rejected: {exc.code}")
        # the only failures these inputs can produce
        assert (exc.code, exc.message) == ("InvalidParameterValue", SAME_PERMISSION)
        return
    event("expanded")
    grouped = group(stored(expanded))
    pairs = regroup_to_pairs(grouped, egress)
    assert sorted(pairs, key=repr) == sorted(((r.spec, r.description) for r in expanded), key=repr)
    assert len(pairs) == len(expanded)
    keys = [(g.ip_protocol, g.from_port, g.to_port) for g in grouped]
    assert len(keys) == len(set(keys))
    first_seen = list(
        dict.fromkeys((r.spec.protocol, r.spec.from_port, r.spec.to_port) for r in expanded)
    )
    assert keys == first_seen
