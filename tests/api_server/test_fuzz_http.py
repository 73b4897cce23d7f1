"""Hostile input over real HTTP: never a 5xx or a traceback; a rejected call changes nothing.

Requests start from what boto3 would send for a fully populated request of a served action
(botocore's own serializer), then hypothesis mangles them: values replaced by odd unicode,
huge or negative numbers, wrong types; names dropped, renamed or made up; list indexes
blown up. Everything is sent unsigned to the session's open-mode server.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from api.wire_helpers import synthesize, wire_pairs
from api_server.api_helpers import raw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.api.actions import ACTIONS, handler_for
from stockade.api.model import operation_model

handler_for("DescribeVpcs")  # load the registry
SERVED = sorted(ACTIONS)

ODD = st.sampled_from(
    [
        "",
        " ",
        "-1",
        "0",
        "99999999999999999999",
        "1e309",
        "NaN",
        "true",
        "null",
        "[]",
        "{}",
        "sg-",
        "sg-0123456789abcdef0",
        "vpc-zz",
        "10.0.0.0/33",
        "::/129",
        "*",
        "?",
        "\\",
        "\u0000",
        "\ud7ff",
        "\ufffe",
        "é" * 300,
        "🛡️" * 50,
        "<x>&amp;</x>",
        "a" * 5000,
        "%00",
        "%ff%fe",
        "Ω≈ç√∫",
        "\r\n",
        "tcp",
        "icmpv6",
        "-1",
        "65536",
        "2147483648",
    ]
)
VALUE = st.one_of(ODD, st.text(max_size=40), st.integers(-(2**70), 2**70).map(str))


def _base_pairs(action: str, seed: int) -> list[tuple[str, str]]:
    shape = operation_model(action).input_shape
    params = synthesize(shape, seed=seed, max_depth=4) if shape is not None else None
    return wire_pairs(action, params or {}, validate=False)


@st.composite
def requests(draw) -> tuple[str, list[tuple[str, str]]]:
    action = draw(st.sampled_from(SERVED))
    pairs = _base_pairs(action, draw(st.integers(0, 5)))
    pairs = [p for p in pairs if p[0] != "DryRun" and draw(st.booleans())]
    mangled = []
    for key, value in pairs:
        choice = draw(st.integers(0, 5))
        if choice == 0:
            value = draw(VALUE)
        elif choice == 1:
            key = key.replace(".1", f".{draw(st.sampled_from(['0', '99999', '-1', '1.1', 'x']))}")
        mangled.append((key, value))
    extra = draw(st.lists(st.tuples(st.text(min_size=1, max_size=20), VALUE), max_size=3))
    return action, [("Action", action), ("Version", "2016-11-15"), *mangled, *extra]


PROTOCOL = st.sampled_from(["tcp", "UDP", "icmp", "icmpv6", "-1", "6", "47", "256", "all", "", "x"])
PORT = st.one_of(st.integers(-2, 65536), st.sampled_from([2**31 - 1, -(2**31)])).map(str)
CIDR = st.one_of(
    st.sampled_from(
        ["0.0.0.0/0", "10.0.0.5/8", "::/0", "2001:db8::1/64", "10.0.0.0/33", "1.2.3.4"]
    ),
    st.tuples(*[st.integers(0, 300)] * 4, st.integers(0, 40)).map(
        lambda t: f"{t[0]}.{t[1]}.{t[2]}.{t[3]}/{t[4]}"
    ),
)
TEXT = st.one_of(ODD, st.text(max_size=60))


@st.composite
def realistic(draw) -> tuple[str, list[tuple[str, str]]]:
    """Requests that mostly parse, so the services' own checks get fuzzed too."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        pairs = [("GroupName", draw(TEXT)), ("GroupDescription", draw(TEXT))]
        return "CreateSecurityGroup", pairs
    if kind == 1:
        prefix = "IpPermissions.1."
        pairs = [("GroupName", "default"), (prefix + "IpProtocol", draw(PROTOCOL))]
        pairs += [(prefix + "FromPort", draw(PORT)), (prefix + "ToPort", draw(PORT))]
        pairs += [(prefix + "IpRanges.1.CidrIp", draw(CIDR))]
        if draw(st.booleans()):
            pairs += [
                (prefix + "Ipv6Ranges.1.CidrIpv6", draw(CIDR)),
                (prefix + "Ipv6Ranges.1.Description", draw(TEXT)),
            ]
        action = draw(
            st.sampled_from(["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"])
        )
        return action, pairs
    if kind == 2:
        return "CreateVpc", [("CidrBlock", draw(CIDR))]
    if kind == 3:
        return "CreateManagedPrefixList", [
            ("PrefixListName", draw(TEXT)),
            ("MaxEntries", draw(PORT)),
            ("AddressFamily", draw(st.sampled_from(["IPv4", "IPv6", "ipv4", ""]))),
            ("Entry.1.Cidr", draw(CIDR)),
        ]
    if kind == 4:
        return "RunInstances", [
            ("ImageId", draw(TEXT)),
            ("MinCount", draw(st.sampled_from(["0", "1", "2", "-1"]))),
            ("MaxCount", draw(st.sampled_from(["1", "2", "0", "1001", "99999999999"]))),
            ("SecurityGroup.1", draw(st.sampled_from(["default", "nope", ""]))),
            ("PrivateIpAddress", draw(st.sampled_from(["172.31.0.9", "1.2.3.4", "x"]))),
        ]
    return "DescribeSecurityGroups", [
        (
            "Filter.1.Name",
            draw(st.sampled_from(["group-name", "ip-permission.cidr", "tag:x", "x"])),
        ),
        ("Filter.1.Value.1", draw(TEXT)),
        ("MaxResults", draw(PORT)),
    ]


def _encode(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(
        f"{quote(k, safe='', errors='surrogatepass')}={quote(v, safe='', errors='surrogatepass')}"
        for k, v in pairs
    ).encode()


@pytest.fixture(scope="module")
def ready(endpoint):
    raw(endpoint, "Action=DescribeVpcs")  # initialise the default account's scope first
    return endpoint


def _check(endpoint, api_store, body: bytes) -> None:
    before = api_store.revision()
    status, text = raw(endpoint, body)
    assert status < 500, text
    assert "Traceback" not in text and text.startswith("<?xml")
    if status >= 400:
        assert api_store.revision() == before, f"rejected call changed the store: {text}"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_mangled_requests_never_5xx(ready, api_store, request):
    _action, pairs = request
    _check(ready, api_store, _encode(pairs))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=realistic())
def test_plausible_requests_never_5xx(ready, api_store, request):
    action, pairs = request
    _check(ready, api_store, _encode([("Action", action), *pairs]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=300))
def test_random_bytes_never_5xx(ready, api_store, body):
    _check(ready, api_store, body)


@pytest.mark.parametrize(
    "body",
    [
        "Action=DescribeSecurityGroups&"
        + "&".join(f"GroupId.{i}=sg-{i:017x}" for i in range(1, 3001)),
        "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=tcp"
        "&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=1&"
        + "&".join(
            f"IpPermissions.1.IpRanges.{i}.CidrIp=10.{i // 256}.{i % 256}.0/24"
            for i in range(1, 3001)
        ),
        "Action=DescribeVpcs&Filter.1.Name=vpc-id&"
        + "&".join(f"Filter.1.Value.{i}=vpc-{i}*" for i in range(1, 20001)),
        "Action=CreateTags&ResourceId.1=sg-0123456789abcdef0&"
        + "&".join(f"Tag.{i}.Key=k{i}&Tag.{i}.Value=v" for i in range(1, 5001)),
        "Action=DescribeVpcs&Filter.1.Name=vpc-id&Filter.1.Value.1=" + "*a" * 3000 + "b",
        "Action=DescribeVpcs&VpcId.2147483648=vpc-1",
        "Action=DescribeVpcs&" + ".".join(["Filter"] * 30) + "=x",
        "Action=CreateVpc&CidrBlock=10.0.0.0/16&CidrBlock=10.1.0.0/16",
    ],
    ids=[
        "3000-ids",
        "3000-ranges",
        "20000-values",
        "5000-tags",
        "evil-wildcard",
        "huge-index",
        "deep-name",
        "repeated-name",
    ],
)
def test_huge_and_odd_requests(ready, api_store, body):
    _check(ready, api_store, body.encode())
