"""Protocol and port canonicalisation (reference §1.6, protocol table and port errors)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain import protocols
from stockade.domain.errors import AwsError

FAST = settings(max_examples=200, deadline=None)

TCP_UDP_MISSING = "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange."
ICMP_MISSING = "Invalid value 'Must specify both from and to ports with ICMP.' for portRange."


def raises(code, fn, *args):
    with pytest.raises(AwsError) as info:
        fn(*args)
    assert info.value.code == code, info.value
    return info.value


# --- canonical_protocol ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("tcp", "tcp"),
        ("TCP", "tcp"),
        ("Tcp", "tcp"),
        ("udp", "udp"),
        ("UDP", "udp"),
        ("icmp", "icmp"),
        ("ICMP", "icmp"),
        ("icmpv6", "icmpv6"),
        ("ICMPv6", "icmpv6"),
        ("ICMPV6", "icmpv6"),
        ("6", "tcp"),
        ("17", "udp"),
        ("1", "icmp"),
        ("58", "icmpv6"),
        (6, "tcp"),
        (17, "udp"),
        (1, "icmp"),
        (58, "icmpv6"),
        ("-1", "-1"),
        (-1, "-1"),
        ("47", "47"),
        ("50", "50"),
        ("132", "132"),
        ("0", "0"),
        ("255", "255"),
        (47, "47"),
        # leading zeros are normalised to the plain decimal number (stockade's choice)
        ("006", "tcp"),
        ("047", "47"),
        ("000", "0"),
    ],
)
def test_protocol_table(value, canonical):
    assert protocols.canonical_protocol(value) == canonical


@pytest.mark.parametrize("number", [0, 2, 4, 27, 41, 47, 50, 51, 88, 89, 94, 103, 112, 132, 255])
def test_numbers_seen_coming_back_unchanged_from_aws(number):
    # reference §1.6: "Values seen coming back unchanged"
    assert protocols.canonical_protocol(str(number)) == str(number)


@FAST
@given(st.integers(0, 255).filter(lambda n: n not in (1, 6, 17, 58)))
def test_other_numbers_are_kept_as_decimal_strings(n):
    assert protocols.canonical_protocol(str(n)) == str(n)
    assert protocols.canonical_protocol(n) == str(n)


@FAST
@given(
    st.sampled_from(["tcp", "udp", "icmp", "icmpv6"]).flatmap(
        lambda name: st.tuples(
            st.just(name), st.lists(st.booleans(), min_size=len(name), max_size=len(name))
        )
    )
)
def test_names_in_any_letter_case(case):
    name, upper = case
    mixed = "".join(c.upper() if u else c for c, u in zip(name, upper, strict=True))
    assert protocols.canonical_protocol(mixed) == name


@FAST
@given(st.integers(256, 10**9))
def test_numbers_above_255_are_rejected(n):
    raises("InvalidParameterValue", protocols.canonical_protocol, str(n))
    raises("InvalidParameterValue", protocols.canonical_protocol, n)


@FAST
@given(st.integers(-(10**9), -2))
def test_negative_numbers_other_than_minus_one_are_rejected(n):
    raises("InvalidParameterValue", protocols.canonical_protocol, str(n))


@pytest.mark.parametrize(
    "name",
    [
        "foo",
        "sctp",
        "gre",
        "icmp6",
        "ipv6-icmp",
        "tcp/udp",
        "1.0",
        "6.0",
        "0x06",
        "+6",
        "-01",
        "\u00b2",
        "\u0666",
    ],
)
def test_unknown_names_are_rejected(name):
    err = raises("InvalidParameterValue", protocols.canonical_protocol, name)
    # [UNVERIFIED] wording in the reference; this is the recommended form
    assert err.message == f"Invalid value '{name}' for IP protocol. Unknown protocol."


def test_non_ascii_digits_are_not_protocol_numbers():
    # regression: "²".isdigit() is True but int("²") raised a bare ValueError, and the
    # Arabic-Indic digit six was accepted as "tcp"
    raises("InvalidParameterValue", protocols.canonical_protocol, "\u00b2")
    raises("InvalidParameterValue", protocols.canonical_protocol, "\u0666")


@FAST
@given(st.text(max_size=8))
def test_arbitrary_text_gives_a_canonical_protocol_or_an_aws_error(text):
    try:
        result = protocols.canonical_protocol(text)
    except AwsError as exc:
        assert exc.code in {"InvalidParameterValue", "MissingParameter"}
    else:
        assert result in {"tcp", "udp", "icmp", "icmpv6", "-1"} or (
            result.isdigit()
            and result == str(int(result))
            and 0 <= int(result) <= 255
            and result not in {"1", "6", "17", "58"}
        )
        # canonical forms are fixed points
        assert protocols.canonical_protocol(result) == result


@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_protocol(value):
    raises("MissingParameter", protocols.canonical_protocol, value)


def test_protocol_number():
    assert protocols.protocol_number("tcp") == 6
    assert protocols.protocol_number("udp") == 17
    assert protocols.protocol_number("icmp") == 1
    assert protocols.protocol_number("icmpv6") == 58
    assert protocols.protocol_number("47") == 47
    assert protocols.protocol_number("-1") is None


# --- canonical_ports ------------------------------------------------------------------------


@pytest.mark.parametrize("proto", ["tcp", "udp"])
@pytest.mark.parametrize(("f", "t"), [(None, None), (22, None), (None, 22)])
def test_tcp_udp_need_both_ports(proto, f, t):
    err = raises("InvalidParameterValue", protocols.canonical_ports, proto, f, t)
    assert err.message == TCP_UDP_MISSING  # real AWS wording


@pytest.mark.parametrize("proto", ["tcp", "udp"])
def test_tcp_minus_one_is_port_out_of_range(proto):
    err = raises("InvalidPermission.Malformed", protocols.canonical_ports, proto, -1, -1)
    assert err.message == "TCP/UDP port (-1) out of range"  # real AWS wording (boto/boto3#336)


@pytest.mark.parametrize("proto", ["tcp", "udp"])
@pytest.mark.parametrize(("f", "t"), [(0, 65536), (65536, 65536), (-5, 10), (0, 100000)])
def test_tcp_udp_ports_beyond_range(proto, f, t):
    raises("InvalidPermission.Malformed", protocols.canonical_ports, proto, f, t)


@pytest.mark.parametrize("proto", ["tcp", "udp"])
def test_tcp_udp_from_greater_than_to(proto):
    err = raises("InvalidParameterValue", protocols.canonical_ports, proto, 81, 80)
    assert err.code in {"InvalidParameterValue", "InvalidPermission.Malformed"}


@pytest.mark.parametrize("proto", ["tcp", "udp"])
@pytest.mark.parametrize(("f", "t"), [(0, 0), (0, 65535), (22, 22), (8000, 8080), (65535, 65535)])
def test_tcp_udp_valid_ranges_are_kept(proto, f, t):
    assert protocols.canonical_ports(proto, f, t) == (f, t)


@pytest.mark.parametrize(("f", "t"), [(None, None), (8, None), (None, 0)])
def test_icmp_needs_both_type_and_code(f, t):
    err = raises("InvalidParameterValue", protocols.canonical_ports, "icmp", f, t)
    assert err.message == ICMP_MISSING  # real AWS wording


@pytest.mark.parametrize("proto", ["icmp", "icmpv6"])
@pytest.mark.parametrize(
    ("f", "t"), [(-1, -1), (8, -1), (3, 4), (0, 0), (255, 255), (128, -1), (2, 0)]
)
def test_icmp_valid_type_code(proto, f, t):
    assert protocols.canonical_ports(proto, f, t) == (f, t)


@pytest.mark.parametrize("proto", ["icmp", "icmpv6"])
@pytest.mark.parametrize(("f", "t"), [(256, -1), (0, 256), (-2, -1), (8, -2), (1000, 0)])
def test_icmp_type_or_code_out_of_range(proto, f, t):
    raises("InvalidPermission.Malformed", protocols.canonical_ports, proto, f, t)


@pytest.mark.parametrize("proto", ["icmp", "icmpv6"])
@pytest.mark.parametrize("code", [0, 4, 255])
def test_icmp_all_types_needs_all_codes(proto, code):
    # "If the type is -1 the code must be -1"
    raises("InvalidPermission.Malformed", protocols.canonical_ports, proto, -1, code)


def test_icmpv6_ports_are_optional():
    assert protocols.canonical_ports("icmpv6", None, None) == (-1, -1)


@pytest.mark.parametrize(("f", "t"), [(128, None), (None, 0)])
def test_icmpv6_with_only_one_port(f, t):
    raises("InvalidParameterValue", protocols.canonical_ports, "icmpv6", f, t)


@pytest.mark.parametrize("proto", ["-1", "47", "50", "132", "0", "255"])
@pytest.mark.parametrize(
    ("f", "t"), [(None, None), (-1, -1), (0, 65535), (22, 22), (80, 22), (-7, 99999), (5, None)]
)
def test_all_and_other_protocols_ignore_ports(proto, f, t):
    assert protocols.canonical_ports(proto, f, t) == (-1, -1)


# --- property: every outcome is either a valid range or one of the two AWS codes -------------

CANONICAL_PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "-1", "0", "2", "47", "50", "132", "255"]
ports = st.one_of(
    st.none(),
    st.integers(-3, 260),
    st.integers(65530, 65540),
    st.integers(-(10**6), 10**6),
)


def oracle_valid(proto, f, t):
    """The reference table, written independently."""
    if proto in ("tcp", "udp"):
        return f is not None and t is not None and 0 <= f <= t <= 65535
    if proto in ("icmp", "icmpv6"):
        if proto == "icmpv6" and f is None and t is None:
            return True
        if f is None or t is None:
            return False
        if not (-1 <= f <= 255 and -1 <= t <= 255):
            return False
        return not (f == -1 and t != -1)
    return True


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(CANONICAL_PROTOCOLS), ports, ports)
def test_canonical_ports_property(proto, f, t):
    try:
        result = protocols.canonical_ports(proto, f, t)
    except AwsError as exc:
        assert exc.code in {"InvalidParameterValue", "InvalidPermission.Malformed"}
        assert not oracle_valid(proto, f, t)
        return
    assert oracle_valid(proto, f, t)
    rf, rt = result
    if proto in ("tcp", "udp"):
        assert (rf, rt) == (f, t)
        assert 0 <= rf <= rt <= 65535
    elif proto in ("icmp", "icmpv6"):
        assert -1 <= rf <= 255 and -1 <= rt <= 255
        assert rf != -1 or rt == -1
        assert (rf, rt) == ((f, t) if f is not None else (-1, -1))
    else:
        assert (rf, rt) == (-1, -1)
    # the stored range is itself valid input and a fixed point
    assert protocols.canonical_ports(proto, rf, rt) == (rf, rt)


# --- console text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proto", "f", "t", "text"),
    [
        ("tcp", 22, 22, "22"),
        ("tcp", 8000, 8080, "8000 - 8080"),
        ("udp", 0, 65535, "All"),
        ("icmp", -1, -1, "All"),
        ("icmp", 8, -1, "type 8"),
        ("icmp", 3, 4, "type 3 code 4"),
        ("-1", -1, -1, "All"),
        ("47", -1, -1, "All"),
    ],
)
def test_describe_ports(proto, f, t, text):
    assert protocols.describe_ports(proto, f, t) == text


@pytest.mark.parametrize(
    ("proto", "text"),
    [
        ("-1", "All"),
        ("tcp", "TCP"),
        ("udp", "UDP"),
        ("icmp", "ICMP"),
        ("icmpv6", "ICMPv6"),
        ("47", "GRE (47)"),
        ("132", "SCTP (132)"),
        ("200", "Protocol 200"),
    ],
)
def test_describe_protocol(proto, text):
    assert protocols.describe_protocol(proto) == text
