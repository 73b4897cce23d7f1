"""CIDR canonicalisation (reference §1.2, §1.6 "Source rules").

AWS accepts a CIDR with host bits set and stores the network address; it rejects a bare
address, the wrong family and anything unparsable with
``InvalidParameterValue: CIDR block <x> is malformed`` (real AWS wording).
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.domain import addresses
from stockade.domain.errors import AwsError
from stockade.domain.printable import escape_control

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_malformed(value, family=None):
    with pytest.raises(AwsError) as info:
        addresses.canonical_cidr(value, family)
    assert info.value.code == "InvalidParameterValue"
    # the value is echoed with control characters escaped (one printable line)
    assert info.value.message == f"CIDR block {escape_control(str(value))} is malformed"
    assert info.value.status == 400


# --- independent formatting helpers (deliberately not using ipaddress) ----------------------


def dotted(n: int) -> str:
    return ".".join(str((n >> s) & 0xFF) for s in (24, 16, 8, 0))


def groups_of(n: int) -> list[int]:
    return [(n >> (16 * (7 - i))) & 0xFFFF for i in range(8)]


def rfc5952(n: int) -> str:
    """RFC 5952 §4: lower-case hex, no leading zeros, the longest (first on ties) run of
    two or more zero groups replaced by ``::``."""
    groups = groups_of(n)
    best_start, best_len, i = -1, 0, 0
    while i < 8:
        if groups[i] == 0:
            j = i
            while j < 8 and groups[j] == 0:
                j += 1
            if j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    hexes = [format(g, "x") for g in groups]
    if best_len < 2:
        return ":".join(hexes)
    return ":".join(hexes[:best_start]) + "::" + ":".join(hexes[best_start + best_len :])


def acceptable_v6_texts(n: int) -> set[str]:
    out = {rfc5952(n)}
    if n >> 32 == 0xFFFF:  # IPv4-mapped: RFC 5952 §5 also recommends the mixed form
        out.add("::ffff:" + dotted(n & 0xFFFFFFFF))
    return out


def v6_text(n: int, style: str) -> str:
    groups = groups_of(n)
    if style == "exploded":
        return ":".join(f"{g:04x}" for g in groups)
    if style == "upper-exploded":
        return ":".join(f"{g:04X}" for g in groups)
    if style == "plain":
        return ":".join(f"{g:x}" for g in groups)
    if style == "mixed":  # the last 32 bits as a dotted quad
        return ":".join(f"{g:x}" for g in groups[:6]) + ":" + dotted(n & 0xFFFFFFFF)
    if style == "upper-compressed":
        return rfc5952(n).upper()
    return rfc5952(n)


def mask(bits: int, prefix: int) -> int:
    return ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1)


V6_STYLES = ["exploded", "upper-exploded", "plain", "mixed", "upper-compressed", "compressed"]
v4_ints = st.integers(0, 2**32 - 1)
v6_ints = st.one_of(
    st.integers(0, 2**128 - 1),
    # addresses with long zero runs exercise the "::" rules
    st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0xDB8]), min_size=8, max_size=8).map(
        lambda gs: sum(g << (16 * (7 - i)) for i, g in enumerate(gs))
    ),
    st.integers(0, 2**32 - 1).map(lambda v: (0xFFFF << 32) | v),
)


# --- examples from the reference ------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_cidr", "stored"),
    [
        ("100.68.0.18/18", "100.68.0.0/18"),  # §1.2, §1.6
        ("10.8.10.0/16", "10.8.0.0/16"),  # §1.6
        ("10.0.0.5/16", "10.0.0.0/16"),
        ("10.0.0.0/16", "10.0.0.0/16"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("203.0.113.7/0", "0.0.0.0/0"),
        ("192.0.2.1/32", "192.0.2.1/32"),
        ("::/0", "::/0"),
        ("2001:DB8::1/32", "2001:db8::/32"),
        ("2001:0db8:0000:0000:0001:0000:0000:0005/64", "2001:db8::/64"),
        ("2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128"),  # first longest run wins
        ("2001:db8:0:1:1:1:1:1/128", "2001:db8:0:1:1:1:1:1/128"),  # never "::" for one group
        ("fe80::1:2/10", "fe80::/10"),
    ],
)
def test_reference_examples_are_canonicalised(given_cidr, stored):
    assert addresses.canonical_cidr(given_cidr) == stored
    family = 6 if ":" in given_cidr else 4
    assert addresses.canonical_cidr(given_cidr, family) == stored


def test_ipv6_cidr_where_ipv4_expected_is_malformed_with_aws_wording():
    # reference §1.6: "InvalidParameterValue: CIDR block ::/0 is malformed" (aws/aws-cli#2428)
    assert_malformed("::/0", 4)


def test_ipv4_cidr_where_ipv6_expected_is_malformed():
    assert_malformed("0.0.0.0/0", 6)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "10.0.0.0",  # bare address: must be written /32
        "2001:db8::1",  # bare address: must be written /128
        "10.0.0.0/",
        "/24",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "::/129",
        "10.0.0.256/24",
        "10.0.0/8",
        "1.2.3.4.5/32",
        " 10.0.0.0/8",
        "10.0.0.0/8 ",
        "10.0.0.0/8\n",
        "10.0.0.0 /8",
        "10.0.0.0/255.255.0.0",  # netmask form is not a prefix length
        "10.0.0.0/8/8",
        ":::/0",
        "2001:db8::1::2/64",
        "fe80::1%eth0/64",  # scope ids are not CIDRs
        "10.0.0.0/\u0663",  # ARABIC-INDIC DIGIT THREE
        "\u0661\u0660.0.0.0/8",
        "sg-0123456789abcdef0",
        "pl-63a5400a",
    ],
)
def test_garbage_is_malformed(garbage):
    assert_malformed(garbage)
    assert_malformed(garbage, 4)
    assert_malformed(garbage, 6)


@pytest.mark.parametrize("value", [None, 167772160, b"10.0.0.0/8"])
def test_non_strings_are_malformed(value):
    assert_malformed(value)


def test_parse_cidr_returns_network_of_requested_family():
    assert addresses.parse_cidr("10.1.2.3/8", 4) == ipaddress.ip_network("10.0.0.0/8")
    assert addresses.parse_cidr("2001:db8::5/64", 6).version == 6


# --- properties -----------------------------------------------------------------------------


@FAST
@given(v4_ints, st.integers(0, 32))
def test_any_ipv4_address_with_prefix_0_to_32_is_accepted_and_host_bits_cleared(n, prefix):
    text = f"{dotted(n)}/{prefix}"
    expected = f"{dotted(n & mask(32, prefix))}/{prefix}"
    assert addresses.canonical_cidr(text) == expected
    assert addresses.canonical_cidr(text, 4) == expected
    assert addresses.family_of(expected) == 4


@FAST
@given(v6_ints, st.integers(0, 128), st.sampled_from(V6_STYLES))
def test_any_ipv6_address_with_prefix_0_to_128_is_accepted_as_rfc5952_text(n, prefix, style):
    text = f"{v6_text(n, style)}/{prefix}"
    network = n & mask(128, prefix)
    result = addresses.canonical_cidr(text, 6)
    assert result in {f"{t}/{prefix}" for t in acceptable_v6_texts(network)}
    assert result == result.lower()
    assert addresses.canonical_cidr(text) == result
    assert addresses.family_of(result) == 6


@FAST
@given(
    st.one_of(
        st.tuples(v4_ints, st.integers(0, 32)).map(lambda t: f"{dotted(t[0])}/{t[1]}"),
        st.tuples(v6_ints, st.integers(0, 128), st.sampled_from(V6_STYLES)).map(
            lambda t: f"{v6_text(t[0], t[2])}/{t[1]}"
        ),
    )
)
def test_canonicalisation_is_idempotent(text):
    once = addresses.canonical_cidr(text)
    assert addresses.canonical_cidr(once) == once
    # the canonical text has no host bits set
    assert addresses.parse_cidr(once) == ipaddress.ip_network(once, strict=True)


@FAST
@given(v4_ints, st.integers(0, 32), st.integers(0, 2**32 - 1))
def test_cidrs_differing_only_in_host_bits_canonicalise_equal(n, prefix, noise):
    host = noise & ~mask(32, prefix) & 0xFFFFFFFF
    a = addresses.canonical_cidr(f"{dotted(n)}/{prefix}")
    b = addresses.canonical_cidr(f"{dotted((n & mask(32, prefix)) | host)}/{prefix}")
    assert a == b


@FAST
@given(v6_ints, st.integers(0, 128), st.sampled_from(V6_STYLES))
def test_ipv6_text_is_rejected_where_ipv4_is_expected(n, prefix, style):
    assert_malformed(f"{v6_text(n, style)}/{prefix}", 4)


@FAST
@given(v4_ints, st.integers(0, 32))
def test_ipv4_text_is_rejected_where_ipv6_is_expected(n, prefix):
    assert_malformed(f"{dotted(n)}/{prefix}", 6)


@FAST
@given(
    st.one_of(
        v4_ints.map(dotted),
        st.tuples(v6_ints, st.sampled_from(V6_STYLES)).map(lambda t: v6_text(*t)),
    )
)
def test_bare_addresses_without_prefix_are_malformed(address):
    assert_malformed(address)


@FAST
@given(v4_ints, st.one_of(st.integers(33, 10**6), st.integers(-(10**6), -1)))
def test_ipv4_prefix_out_of_range_is_malformed(n, prefix):
    assert_malformed(f"{dotted(n)}/{prefix}")
    assert_malformed(f"{dotted(n)}/{prefix}", 4)


@FAST
@given(v6_ints, st.one_of(st.integers(129, 10**6), st.integers(-(10**6), -1)))
def test_ipv6_prefix_out_of_range_is_malformed(n, prefix):
    assert_malformed(f"{rfc5952(n)}/{prefix}")
    assert_malformed(f"{rfc5952(n)}/{prefix}", 6)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="0123456789abcdefABCDEF.:/%- \n", max_size=45),
    )
)
def test_arbitrary_text_is_either_a_canonical_cidr_or_malformed(text):
    try:
        result = addresses.canonical_cidr(text)
    except AwsError as exc:
        assert exc.code == "InvalidParameterValue"
        assert exc.message == f"CIDR block {escape_control(text)} is malformed"
    else:
        # anything accepted is a prefix-length CIDR of some family, and canonical
        assert "/" in text
        assert result == str(ipaddress.ip_network(result, strict=True))
        assert ipaddress.ip_network(text, strict=False) == ipaddress.ip_network(result)


# --- small helpers --------------------------------------------------------------------------


def test_family_of_and_is_internet():
    assert addresses.family_of("10.0.0.0/8") == 4
    assert addresses.family_of("::/0") == 6
    assert addresses.is_internet("0.0.0.0/0")
    assert addresses.is_internet("::/0")
    assert not addresses.is_internet("0.0.0.0/1")
    assert not addresses.is_internet("10.0.0.0/8")


@pytest.mark.parametrize(
    ("cidr", "public"),
    [
        ("0.0.0.0/0", True),
        ("::/0", True),
        ("8.8.8.0/24", True),
        ("203.0.113.0/24", True),  # documentation ranges stand in for the internet
        ("198.51.100.7/32", True),
        ("2001:db8::/48", True),
        ("10.0.0.0/8", False),
        ("172.31.0.0/16", False),
        ("192.168.1.0/24", False),
        ("fd00::/8", False),
    ],
)
def test_is_public(cidr, public):
    assert addresses.is_public(ipaddress.ip_network(cidr)) is public


@pytest.mark.parametrize(
    ("cidr", "public"),
    [
        ("0.0.0.0/0", True),
        ("::/0", True),
        ("203.0.113.0/24", True),  # documentation ranges: stockade's stand-in internet
        ("2001:db8::/32", True),
        ("8.8.8.8/32", True),
        ("10.0.0.0/7", True),  # wider than 10/8: contains 11.0.0.0/8
        ("10.0.0.0/8", False),
        ("172.16.5.0/24", False),
        ("100.64.0.0/10", False),  # regression: shared address space is not the internet
        ("fd00::/8", False),
        ("fe80::/64", False),
        # IPv6 "internet" is global unicast, what an internet gateway's ::/0 reaches
        ("2000::/3", True),
        ("3fff:ffff::/32", True),
        ("4000::/2", False),  # regression: counted as public before 2000::/3 was decided
        ("64:ff9b::/96", False),  # NAT64: a NAT gateway's prefix, not the internet's
        ("::ffff:0:0/96", False),  # IPv4-mapped
        ("::/1", True),  # wide: overlaps 2000::/3
    ],
)
def test_is_public_wide_and_non_routable_ranges(cidr: str, public: bool) -> None:
    assert addresses.is_public(ipaddress.ip_network(cidr)) is public


def test_remembered_canonical_cidrs_keep_family_and_errors_apart() -> None:
    """The canonical text is remembered per (text, family): a CIDR accepted for one family
    stays refused for the other, a refused one is refused every time, and a value that is
    no text at all is refused as malformed rather than failing to be remembered."""
    for _ in range(2):
        assert addresses.canonical_cidr("10.1.2.3/16", 4) == "10.1.0.0/16"
        with pytest.raises(AwsError, match="CIDR block 10.1.2.3/16 is malformed"):
            addresses.canonical_cidr("10.1.2.3/16", 6)
        with pytest.raises(AwsError, match="is malformed"):
            addresses.canonical_cidr("10.1.2.3", 4)
        with pytest.raises(AwsError, match="is malformed"):
            addresses.canonical_cidr(["10.0.0.0/8"], 4)  # type: ignore[arg-type]


def test_stored_cidrs_and_addresses_are_parsed_once_per_text():
    """The route and ACL matchers parse the same stored CIDRs for every address they test:
    one parse per text, and a text that does not parse fails every time (nothing cached)."""
    from stockade.domain.addresses import stored_address, stored_network

    assert stored_network("10.0.0.0/16") is stored_network("10.0.0.0/16")
    assert stored_address("10.0.1.5") is stored_address("10.0.1.5")
    assert stored_network("2001:db8::/56").version == 6
    for _ in range(2):
        with pytest.raises(ValueError):
            stored_network("10.0.0.5/16")  # host bits: stored CIDRs are canonical
        with pytest.raises(ValueError):
            stored_address("10.0.1.300")
