"""Fuzzing the request parser: whatever arrives, the only exception is an AwsError (4xx)."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stockade.api.parse import parse_params, parse_request
from stockade.domain.errors import CODES, AwsError

from .wire_helpers import wire_pairs

ACTIONS = [
    "CreateSecurityGroup",
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "DescribeSecurityGroups",
    "DescribeSecurityGroupRules",
    "ModifySecurityGroupRules",
    "CreateManagedPrefixList",
    "ModifyManagedPrefixList",
    "RunInstances",
    "ModifyNetworkInterfaceAttribute",
    "ModifyInstanceAttribute",
    "CreateTags",
    "DescribeInstances",
    "CreateVpc",
    "DescribeSpotPriceHistory",
]

# Valid wire names to mutate, so the fuzzer gets deep into the shapes.
SEED_PARAMS = dict(
    [
        (
            "AuthorizeSecurityGroupIngress",
            {
                "GroupId": "sg",
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 1,
                        "ToPort": 2,
                        "IpRanges": [{"CidrIp": "c", "Description": "d"}],
                        "UserIdGroupPairs": [{"GroupId": "g"}],
                    }
                ],
                "TagSpecifications": [{"ResourceType": "r", "Tags": [{"Key": "k", "Value": "v"}]}],
                "DryRun": True,
            },
        ),
        (
            "DescribeSecurityGroups",
            {
                "GroupIds": ["a"],
                "Filters": [{"Name": "n", "Values": ["v"]}],
                "MaxResults": 5,
                "NextToken": "t",
            },
        ),
        (
            "RunInstances",
            {
                "ImageId": "i",
                "MinCount": 1,
                "MaxCount": 1,
                "NetworkInterfaces": [
                    {
                        "DeviceIndex": 0,
                        "Groups": ["g"],
                        "ConnectionTrackingSpecification": {"UdpTimeout": 3},
                    }
                ],
                "UserData": "x",
                "BlockDeviceMappings": [{"Ebs": {"VolumeSize": 1}}],
            },
        ),
        (
            "ModifyInstanceAttribute",
            {"InstanceId": "i", "UserData": {"Value": b"x"}, "SourceDestCheck": {"Value": True}},
        ),
        ("DescribeSpotPriceHistory", {"StartTime": "2026-01-01T00:00:00Z"}),
    ]
)
SEED_PAIRS = {action: wire_pairs(action, params) for action, params in SEED_PARAMS.items()}
SEED_KEYS = sorted({key for pairs in SEED_PAIRS.values() for key, _ in pairs})

odd_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
)  # includes lone surrogates, controls, RTL marks, astral planes
numbers = st.integers().map(str) | st.sampled_from(
    [
        "",
        "-",
        "+1",
        "1e3",
        "0x10",
        "١٢",
        "９",
        "9" * 5000,
        "1_000",
        " 1",
        "true",
        "NaN",
        "Infinity",
        "2026-13-45T99:99:99Z",
        "9999-12-31T23:59:59Z",
        "-99999999999",
        "==",
    ]
)
values = odd_text | numbers | st.sampled_from(["true", "false", "TRUE", "sg-1", "AAAA"])


@st.composite
def keys(draw: Any) -> str:
    base = draw(st.sampled_from(SEED_KEYS))
    mutation = draw(st.integers(0, 6))
    if mutation == 0:
        return base
    if mutation == 1:
        return (
            base
            + "."
            + draw(
                st.sampled_from(
                    ["1", "0", "-1", "01", "99999999999", "2147483648", "1.2.3", "", "x", "٣"]
                )
            )
        )
    if mutation == 2:
        parts = base.split(".")
        index = draw(st.integers(0, len(parts) - 1))
        parts[index] = draw(odd_text)
        return ".".join(parts)
    if mutation == 3:
        return base.replace("1", str(draw(st.integers(-5, 10**12))), 1)
    if mutation == 4:
        return ".".join([base] * draw(st.integers(2, 40)))
    if mutation == 5:
        return base.lower()
    return draw(odd_text)


wrong_types = st.one_of(
    st.none(),
    st.integers(),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.lists(values, min_size=2, max_size=3),
)

params = st.dictionaries(keys(), values | wrong_types, max_size=25)


def _check(call) -> None:
    try:
        call()
    except AwsError as error:
        event(error.code)
        assert error.code in CODES
        assert 400 <= error.status < 500
        assert error.message
    else:
        event("parsed")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=st.sampled_from(ACTIONS), raw=params)
def test_parse_params_raises_only_aws_errors(action: str, raw: dict) -> None:
    _check(lambda: parse_params(action, raw))


@settings(max_examples=400, deadline=None)
@given(
    raw=st.one_of(
        st.dictionaries(st.sampled_from(["Action", "Version"]) | keys(), values, max_size=8),
        st.lists(st.tuples(st.sampled_from(["Action"]) | keys(), values), max_size=8),
        st.lists(st.tuples(odd_text, values | wrong_types), max_size=4),
        st.none(),
        st.integers(),
        st.text(max_size=10),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.integers(), values, max_size=3),
    )
)
def test_parse_request_raises_only_aws_errors(raw: Any) -> None:
    _check(lambda: parse_request(raw))


@settings(max_examples=200, deadline=None)
@given(action=st.sampled_from(ACTIONS), name=odd_text)
def test_unknown_action_names(action: str, name: str) -> None:
    _check(lambda: parse_request({"Action": action + name}))


@st.composite
def mostly_valid(draw: Any) -> dict:
    """Valid pairs with a few mutated keys or values: reaches deep, then trips."""
    action = draw(st.sampled_from(sorted(SEED_PAIRS)))
    pairs = SEED_PAIRS[action]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=len(pairs) // 2, max_size=20))
    raw = {}
    for key, value in chosen:
        roll = draw(st.integers(0, 9))
        if roll == 0:
            key = draw(keys())
        elif roll == 1:
            value = draw(values | wrong_types)
        raw[key] = value
    return action, raw


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mostly_valid())
def test_mostly_valid_params_raise_only_aws_errors(case: tuple[str, dict]) -> None:
    action, raw = case
    _check(lambda: parse_params(action, raw))


def test_huge_lists_parse_quickly() -> None:
    raw = {f"GroupId.{i}": f"sg-{i:017x}" for i in range(1, 20001)}
    raw.update({f"Filter.{i}.Value.{j}": "v" for i in range(1, 51) for j in range(1, 201)})
    raw.update({f"Filter.{i}.Name": "group-id" for i in range(1, 51)})
    start = time.perf_counter()
    parsed = parse_params("DescribeSecurityGroups", raw)
    elapsed = time.perf_counter() - start
    assert len(parsed["GroupIds"]) == 20000 and len(parsed["Filters"]) == 50
    assert elapsed < 10.0  # linear: ~0.1 s; a quadratic parse would take minutes
