"""``view/rule_input``: rules as a person types them on the CLI and in the console.

The parsers only split and convert (the domain judges the values later, with AWS's
errors), so what they must get right is the grammar: ``22``, ``8000-8080``, ``all`` /
``-1``; ICMP ``TYPE[:CODE]``; network ACL ports ``LOW[-HIGH]`` and ICMP ``TYPE[:CODE]`` —
ASCII digits only, both halves present when a separator is typed — and anything else one
``InvalidParameterValue`` whose message is one line naming the input.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockade.domain.errors import AwsError
from stockade.domain.permissions import GroupPair
from stockade.view.rule_input import (
    acl_entry_request,
    build_permission,
    numbers,
    parse_ports,
    peer_permission,
    rule_update,
)

PORT = st.integers(0, 65535)
ICMP_VALUE = st.integers(-1, 255)
SPACE = st.sampled_from(["", " ", "  ", "\t"])


def refused(call, *args) -> str:
    """The one-line message of the ``InvalidParameterValue`` the call raises."""
    with pytest.raises(AwsError) as caught:
        call(*args)
    assert caught.value.code == "InvalidParameterValue"
    message = caught.value.message
    assert "\n" not in message and "\r" not in message
    return message


# -- group rule ports ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "protocol, typed, expected",
    [
        ("tcp", "22", (22, 22)),
        ("tcp", " 8000-8080 ", (8000, 8080)),
        ("udp", "0", (0, 0)),
        ("udp", "65535", (65535, 65535)),
        ("tcp", "0-65535", (0, 65535)),
        ("tcp", "all", (0, 65535)),
        ("udp", "ALL", (0, 65535)),
        ("tcp", "-1", (0, 65535)),
        ("icmp", "8", (8, -1)),  # every code of the type
        ("icmp", "8:0", (8, 0)),
        ("icmp", "3:4", (3, 4)),
        ("icmp", "all", (-1, -1)),
        ("icmp", "-1", (-1, -1)),
        ("icmpv6", "128:0", (128, 0)),
        ("icmpv6", "-1", (-1, -1)),
        ("-1", "all", (-1, -1)),
        ("47", "all", (-1, -1)),
    ],
)
def test_group_rule_ports_as_typed(protocol, typed, expected):
    assert parse_ports(protocol, typed) == expected


def test_no_ports_typed_is_none_for_the_domain_to_judge():
    assert parse_ports("tcp", None) == (None, None)
    assert parse_ports("icmp", None) == (None, None)


@pytest.mark.parametrize(
    "protocol, typed",
    [
        ("tcp", ""),
        ("tcp", "ssh"),
        ("tcp", "1-2-3"),
        ("tcp", "-5"),
        ("tcp", "22-"),  # a range with no end: not port 22
        ("tcp", "-22"),
        ("tcp", "2_2"),  # Python's int() takes digit separators; a port does not
        ("tcp", "+22"),
        ("tcp", "２２"),  # fullwidth digits
        ("udp", "٢٢"),  # Arabic-Indic digits
        ("tcp", "22.0"),
        ("icmp", "8:"),  # a code separator with no code: not "every code"
        ("icmp", ":3"),
        ("icmp", "3:4:5"),
        ("icmp", "8-0"),
        ("icmpv6", "x"),
    ],
)
def test_group_rule_ports_refused_in_one_line_naming_the_input(protocol, typed):
    message = refused(parse_ports, protocol, typed, "Port range")
    assert message.startswith(f"Invalid Port range '{typed}'")
    assert "use 22, 8000-8080 or all (ICMP: TYPE[:CODE])" in message


def test_a_control_character_in_the_input_is_echoed_escaped():
    message = refused(parse_ports, "tcp", "2\n2", "--port")
    assert "\\n" in message or "\\x0a" in message


@given(PORT, PORT, SPACE, SPACE)
def test_any_port_range_reads_back(a, b, before, after):
    low, high = min(a, b), max(a, b)
    assert parse_ports("tcp", f"{before}{low}-{high}{after}") == (low, high)
    assert parse_ports("udp", f"{before}{low}{after}") == (low, low)


@given(ICMP_VALUE, ICMP_VALUE)
def test_any_icmp_type_and_code_reads_back(kind, code):
    assert parse_ports("icmp", f"{kind}:{code}") == (kind, code)
    assert parse_ports("icmpv6", str(kind)) == (kind, -1)


GROUP_PORTS = re.compile(r"\s*(all|-1|[0-9]+(-[0-9]+)?)\s*", re.IGNORECASE | re.ASCII)
ICMP_PORTS = re.compile(r"\s*(all|-?[0-9]+(:-?[0-9]+)?)\s*", re.IGNORECASE | re.ASCII)


@given(st.text(alphabet=st.sampled_from("0123456789-:+_ allALL٢２.\n"), max_size=8))
def test_exactly_the_grammar_is_accepted(typed):
    """Every input either matches the grammar and reads as its numbers, or is refused
    with the one error; nothing else escapes."""
    for protocol, grammar in (("tcp", GROUP_PORTS), ("icmp", ICMP_PORTS)):
        if grammar.fullmatch(typed):
            low, high = parse_ports(protocol, typed)
            assert isinstance(low, int) and isinstance(high, int)
        else:
            refused(parse_ports, protocol, typed)


# -- whole permissions ----------------------------------------------------------------------


def test_a_well_known_service_sets_protocol_and_ports():
    ssh = build_permission(None, None, "ssh", ["203.0.113.0/24"], [], [], None)
    assert (ssh.ip_protocol, ssh.from_port, ssh.to_port) == ("tcp", 22, 22)
    everything = build_permission(None, None, "All traffic", ["10.0.0.0/8"], [], [], None)
    assert (everything.ip_protocol, everything.from_port, everything.to_port) == (
        "-1",
        None,
        None,
    )
    ping = build_permission(None, None, "ping", ["0.0.0.0/0"], [], [], None)
    assert (ping.ip_protocol, ping.from_port) == ("icmp", 8)


def test_a_protocol_by_name_or_number_and_tcp_by_default():
    assert build_permission("6", "22", None, ["::/0"], [], [], None).ip_protocol == "tcp"
    assert build_permission("58", "all", None, ["::/0"], [], [], None).ip_protocol == "icmpv6"
    assert build_permission("all", None, None, ["::/0"], [], [], None).ip_protocol == "-1"
    assert build_permission(None, "443", None, ["::/0"], [], [], None).ip_protocol == "tcp"


@pytest.mark.parametrize(
    "proto, service, expected",
    [
        ("bogus", None, "Invalid value 'bogus' for IP protocol"),
        ("256", None, "Invalid value '256' for IP protocol"),
        (None, "gopher", "Unknown service 'gopher'"),
    ],
)
def test_an_unknown_protocol_or_service_is_one_line(proto, service, expected):
    message = refused(build_permission, proto, "22", service, ["10.0.0.0/8"], [], [], None)
    assert message.startswith(expected)


def test_no_peer_is_a_missing_parameter_named_for_the_face():
    with pytest.raises(AwsError) as cli:
        build_permission("tcp", "22", None, [], [], [], None)
    assert cli.value.code == "MissingParameter"
    assert "--cidr, --source-group or --prefix-list" in cli.value.message
    with pytest.raises(AwsError) as console:
        peer_permission("tcp", "22", None, "   ", "")
    assert console.value.code == "MissingParameter"
    assert "Source or destination" in console.value.message


CIDR_V4 = st.builds(lambda a, n: f"{a}/{n}", st.ip_addresses(v=4).map(str), st.integers(0, 32))
CIDR_V6 = st.builds(lambda a, n: f"{a}/{n}", st.ip_addresses(v=6).map(str), st.integers(0, 128))
IDS = st.text(alphabet="0123456789abcdef", min_size=8, max_size=17)


@given(
    st.lists(st.one_of(CIDR_V4, CIDR_V6), max_size=4),
    st.lists(IDS.map("sg-{}".format), max_size=3),
    st.lists(IDS.map("pl-{}".format), max_size=3),
    st.one_of(st.none(), st.text(max_size=10)),
)
def test_every_peer_lands_in_its_box_in_order_with_the_description(cidrs, groups, lists, text):
    if not (cidrs or groups or lists):
        return
    permission = build_permission("tcp", "22", None, cidrs, groups, lists, text)
    assert [c for c, _ in permission.ip_ranges] == [c for c in cidrs if ":" not in c]
    assert [c for c, _ in permission.ipv6_ranges] == [c for c in cidrs if ":" in c]
    assert [p for p, _ in permission.prefix_list_ids] == lists
    assert permission.groups == tuple(GroupPair(group_id=g, description=text) for g in groups)
    boxes = (*permission.ip_ranges, *permission.ipv6_ranges, *permission.prefix_list_ids)
    assert {d for _, d in boxes} <= {text}


@pytest.mark.parametrize(
    "peer, field",
    [
        ("203.0.113.0/24", "cidr_ipv4"),
        (" 2001:db8::/32 ", "cidr_ipv6"),
        ("sg-0123456789abcdef0", "referenced_group_id"),
        ("pl-0123abcd", "prefix_list_id"),
    ],
)
def test_one_peer_box_becomes_one_rule_update(peer, field):
    permission = peer_permission("icmp", "8:0", None, peer, "ping")
    update = rule_update("sgr-0123456789abcdef0", permission)
    assert (update.ip_protocol, update.from_port, update.to_port) == ("icmp", 8, 0)
    assert getattr(update, field) == peer.strip()
    others = {"cidr_ipv4", "cidr_ipv6", "referenced_group_id", "prefix_list_id"} - {field}
    assert all(getattr(update, other) is None for other in others)
    assert update.description == "ping"
    assert peer_permission("tcp", "22", None, peer, "").groups[:1] in (
        (),
        (GroupPair(group_id=peer.strip()),),
    )


# -- network ACL entries --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, ports, expected",
    [
        ("22", True, (22, 22)),
        ("1024-65535", True, (1024, 65535)),
        (" 0-0 ", True, (0, 0)),
        (None, True, (None, None)),
        ("  ", True, (None, None)),
        ("3:4", False, (3, 4)),
        ("3", False, (3, None)),  # every code
        ("-1", False, (-1, None)),
        ("-1:-1", False, (-1, -1)),
    ],
)
def test_acl_numbers_as_typed(typed, ports, expected):
    assert numbers(typed, "--ports" if ports else "--icmp", ports) == expected


@pytest.mark.parametrize(
    "typed, ports",
    [
        ("22-", True),
        ("-1", True),
        ("1_024", True),
        ("+5", True),
        ("２２", True),
        ("http", True),
        ("3:", False),
        ("1_0", False),
        ("x", False),
    ],
)
def test_acl_numbers_refused_in_one_line(typed, ports):
    what = "--ports" if ports else "--icmp"
    assert refused(numbers, typed, what, ports) == f"Invalid value '{typed}' for {what}."


@given(PORT, PORT, ICMP_VALUE, ICMP_VALUE)
def test_any_acl_range_and_icmp_reads_back(a, b, kind, code):
    low, high = min(a, b), max(a, b)
    assert numbers(f"{low}-{high}", "--ports", True) == (low, high)
    assert numbers(f"{kind}:{code}", "--icmp", False) == (kind, code)


@given(st.one_of(CIDR_V4, CIDR_V6), st.booleans(), st.one_of(st.none(), st.integers(1, 32766)))
def test_an_acl_entry_request_puts_the_cidr_in_its_family(cidr, egress, number):
    request = acl_entry_request(number, egress, "allow", "6", cidr, "80-443", None)
    six = ":" in cidr
    assert (request.cidr_block, request.ipv6_cidr_block) == ((None, cidr) if six else (cidr, None))
    assert (request.rule_number, request.egress, request.port_from, request.port_to) == (
        number,
        egress,
        80,
        443,
    )
    assert (request.icmp_type, request.icmp_code) == (None, None)


def test_an_acl_entry_request_names_the_faces_inputs_in_its_errors():
    message = refused(
        acl_entry_request, 100, False, "allow", "1", "0.0.0.0/0", None, "8:", ("Port", "ICMP")
    )
    assert message == "Invalid value '8:' for ICMP."
