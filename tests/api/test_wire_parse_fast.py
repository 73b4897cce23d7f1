"""The fast (route) parse and the general (tree) parse give the same answer for any input.

``parse_params`` answers a regular request by per-name routes (``regular_params``) and
hands anything else to the general walk (``general_params``), the one source of error
messages. These tests generate requests of real operations as boto3 sends them, mutate
some, and check that the fast path either declines or answers exactly (``repr``: types and
key order included) what the general walk answers -- and that the combination answers the
general walk's value or error, code and message.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stockade.api import parse_fast
from stockade.api.model import input_shape, operation_names
from stockade.api.parse import general_params, parse_params
from stockade.api.parse_fast import action_routes, regular_params
from stockade.api.parse_plan import action_plan
from stockade.domain.errors import AwsError

from .wire_helpers import synthesize, wire_pairs

ACTIONS = [
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DescribeSecurityGroups",
    "ModifySecurityGroupRules",
    "RunInstances",
    "ModifyNetworkInterfaceAttribute",
    "ModifyInstanceAttribute",
    "CreateManagedPrefixList",
    "DescribeSpotPriceHistory",
    "CreateTags",
]

#: Segments that break a name: bad indexes, unknown or mis-cased members, empty ones.
BAD_SEGMENTS = ["0", "01", "-1", "+1", "2147483648", "99999999999", "٣", "x", "", "groupId"]
#: Segments that keep a name regular where an index belongs (gaps are legal).
GOOD_INDEXES = ["1", "2", "3", "7", "10", "2147483647"]
#: Values that no non-string scalar accepts, or only some do.
ODD_VALUES = ["", "abc", "1.5", "-", "true", "TRUE", "2147483648", "-9" * 12, "0x1", "==", " 1"]


def _outcome(call: Any) -> tuple[str, ...]:
    """What a parse answers, comparable exactly: the value's repr or the error's code and
    message."""
    try:
        return ("value", repr(call()))
    except AwsError as error:
        return ("error", error.code, error.message)


def _value_for(shape: Shape, depth: int, regular: bool) -> st.SearchStrategy[Any]:
    """boto3-side values for ``shape``: every required member when ``regular``, lists of
    1-3 items, structures of at least one member, containers cut off below a few levels."""
    kind = shape.type_name
    if kind == "structure":
        members = {
            name: _value_for(member, depth + 1, regular)
            for name, member in shape.members.items()
            if depth < 4 or member.type_name not in ("structure", "list")
        }
        required = {n: s for n, s in members.items() if regular and n in shape.required_members}
        optional = {n: s for n, s in members.items() if n not in required}
        if not members:
            return st.nothing()
        # an empty structure sends nothing: where the model requires it, it is missing
        return st.fixed_dictionaries(required, optional=optional).filter(bool)
    if kind == "list":
        return st.lists(_value_for(shape.member, depth + 1, regular), min_size=1, max_size=3)
    if kind == "string":
        return st.text(max_size=6) | st.sampled_from(["sg-1", "10.0.0.0/16", "tcp"])
    if kind == "integer":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "long":
        return st.integers(-(2**63), 2**63 - 1)
    if kind == "boolean":
        return st.booleans()
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "timestamp":
        return st.datetimes(
            min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        )
    if kind == "blob":
        return st.binary(max_size=6)
    raise AssertionError(f"unexpected shape type {kind}")


_STRATEGIES: dict[tuple[str, bool], st.SearchStrategy[Any]] = {}


def _params(action: str, regular: bool) -> st.SearchStrategy[Any]:
    key = (action, regular)
    if key not in _STRATEGIES:
        shape = input_shape(action)
        assert shape is not None
        _STRATEGIES[key] = _value_for(shape, 0, regular)
    return _STRATEGIES[key]


@st.composite
def regular_requests(draw: Any) -> tuple[str, list[tuple[str, str]]]:
    action = draw(st.sampled_from(ACTIONS))
    return action, wire_pairs(action, draw(_params(action, True)), validate=False)


def _mutate(draw: Any, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One change a client could make: most break the request, some keep it regular."""
    if not pairs:
        return [(draw(st.sampled_from(["Foo", "GroupId.1.X", "Action"])), "v")]
    at = draw(st.integers(0, len(pairs) - 1))
    key, value = pairs[at]
    parts = key.split(".")
    segment = draw(st.integers(0, len(parts) - 1))
    kind = draw(st.integers(0, 11))
    if kind == 0:  # a name dropped (a required member may go missing)
        return pairs[:at] + pairs[at + 1 :]
    if kind in (1, 2):  # a segment renamed: bad index, unknown member, or a legal gap
        pool = BAD_SEGMENTS + (GOOD_INDEXES if parts[segment].isdigit() else [])
        parts[segment] = draw(st.sampled_from(pool + [parts[segment].lower()]))
        return [*pairs, (".".join(parts), value)]
    if kind == 3:  # a segment more, under a scalar
        return [*pairs, (key + "." + draw(st.sampled_from(["1", "Value", "x"])), value)]
    if kind == 4:  # a value on a structure or a list (empty: AWS's empty list)
        return [*pairs, (".".join(parts[:segment]) or "Action", draw(st.sampled_from(["", "v"])))]
    if kind == 5:  # a value of the wrong type
        return [*pairs[:at], (key, draw(st.sampled_from(ODD_VALUES))), *pairs[at + 1 :]]
    if kind == 6:  # protocol parameters, skipped by both
        extra = draw(st.sampled_from(["Action", "Version", "X-Amz-Date", "X-Amz-Foo.1"]))
        return [(extra, "x"), *pairs]
    if kind == 7:  # the same names in another order (changes the params' key order)
        return draw(st.permutations(pairs))
    if kind == 8:  # too deep or too long
        return [*pairs, (key + ".1" * draw(st.sampled_from([12, 30])), value)]
    if kind == 9:
        return [*pairs, (key + "x" * draw(st.sampled_from([300, 600])), value)]
    if kind == 10:  # a list or structure emptied: legal, and left to the general path
        prefix = ".".join(parts[: max(segment, 1)])
        kept = [(k, v) for k, v in pairs if k != prefix and not k.startswith(prefix + ".")]
        return [*kept, (prefix, "")]
    return [*pairs[:at], (key, draw(st.text(max_size=3))), *pairs[at + 1 :]]  # any text


@st.composite
def mutated_requests(draw: Any) -> tuple[str, list[tuple[str, str]]]:
    action = draw(st.sampled_from(ACTIONS))
    regular = draw(st.booleans())
    pairs = wire_pairs(action, draw(_params(action, regular)), validate=False)
    for _ in range(draw(st.integers(1, 3))):
        pairs = _mutate(draw, pairs)
    return action, pairs


def _check_same(action: str, pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    """Both paths on one request; how it was answered: by the fast path, or the general
    path's outcome (the fast path declined)."""
    flat = dict(pairs)  # duplicates are _flatten's business, before either path
    routes = action_routes(action)
    general = _outcome(lambda: general_params(routes.plan, flat))
    fast = regular_params(routes, flat)
    if fast is not None:
        assert ("value", repr(fast)) == general
    assert _outcome(lambda: parse_params(action, flat)) == general
    if fast is not None:
        return ("fast",)
    return general[:2] if general[0] == "error" else ("general value",)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=regular_requests())
def test_regular_requests_take_the_fast_path_to_the_same_params(request: Any) -> None:
    assert _check_same(*request) == ("fast",)


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=mutated_requests())
def test_mutated_requests_get_the_general_paths_answer(request: Any) -> None:
    event(" ".join(_check_same(*request))[:40])


def test_every_operation_takes_the_fast_path_to_the_same_params() -> None:
    """All ~830 EC2 operations, fully populated as botocore sends them."""
    for action in sorted(operation_names()):
        shape = input_shape(action)
        assert shape is not None
        params = synthesize(shape, seed=len(action)) or {}
        assert _check_same(action, wire_pairs(action, params, validate=False)) == ("fast",), action


def test_each_irregularity_is_left_to_the_general_path() -> None:
    """One of each: the fast path declines, the error is the general path's."""
    base = [("GroupId", "sg-1"), ("IpPermissions.1.FromPort", "22")]
    cases = {
        "unknown member": [*base, ("IpPermissions.1.Port", "1")],
        "index zero": [*base, ("IpPermissions.0.ToPort", "1")],
        "index with a leading zero": [*base, ("IpPermissions.01.ToPort", "1")],
        "value on a structure": [*base, ("IpPermissions.1", "x")],
        "value on a list": [*base, ("IpPermissions", "x")],
        "segment under a scalar": [*base, ("GroupId.1", "x")],
        "not an integer": [("GroupId", "sg-1"), ("IpPermissions.1.FromPort", "22.0")],
        "integer out of range": [("GroupId", "sg-1"), ("IpPermissions.1.FromPort", "2147483648")],
        "not a boolean": [*base, ("DryRun", "yes")],
        "empty segment": [*base, ("IpPermissions..FromPort", "1")],
        "too many segments": [*base, ("IpPermissions" + ".1" * 24, "1")],
    }
    routes = action_routes("AuthorizeSecurityGroupIngress")
    for name, pairs in cases.items():
        flat = dict(pairs)
        assert regular_params(routes, flat) is None, name
        general = _outcome(lambda flat=flat: general_params(routes.plan, flat))
        assert general[0] == "error", name
        parsed = _outcome(lambda flat=flat: parse_params("AuthorizeSecurityGroupIngress", flat))
        assert parsed == general, name
    missing = action_routes("RunInstances")
    flat = {"MinCount": "1", "ImageId": "ami-1"}
    assert regular_params(missing, flat) is None
    assert _outcome(lambda: parse_params("RunInstances", flat)) == (
        "error",
        "MissingParameter",
        "The request must contain the parameter MaxCount",
    )


def test_an_empty_list_is_read_by_the_general_path() -> None:
    """``GroupId=`` (AWS's empty list, which botocore never sends) is legal but not regular."""
    flat = {"GroupId": ""}
    assert regular_params(action_routes("DescribeSecurityGroups"), flat) is None
    assert parse_params("DescribeSecurityGroups", flat) == {"GroupIds": []}


def test_key_order_and_index_order_are_the_general_paths() -> None:
    flat = {
        "IpPermissions.3.FromPort": "3",
        "GroupId": "sg-1",
        "IpPermissions.1.IpRanges.2.CidrIp": "b",
        "IpPermissions.1.IpRanges.1.CidrIp": "a",
        "IpPermissions.1.FromPort": "1",
    }
    fast = regular_params(action_routes("AuthorizeSecurityGroupIngress"), flat)
    assert fast is not None
    assert repr(fast) == repr(
        {
            "IpPermissions": [
                {"IpRanges": [{"CidrIp": "a"}, {"CidrIp": "b"}], "FromPort": 1},
                {"FromPort": 3},
            ],
            "GroupId": "sg-1",
        }
    )
    _check_same("AuthorizeSecurityGroupIngress", list(flat.items()))


def test_routes_held_are_bounded_and_dropping_them_changes_no_answer(monkeypatch: Any) -> None:
    """Any index is a legal name, so the routes kept are capped (all actions together):
    past the cap they are all dropped and made again as names come."""
    monkeypatch.setattr(parse_fast, "_MAX_ROUTES", 50)
    for start in range(0, 400, 40):
        flat = {f"GroupId.{i}": f"sg-{i}" for i in range(start + 1, start + 41)}
        assert parse_params("DescribeSecurityGroups", flat) == {"GroupIds": list(flat.values())}
        held = sum(len(routes.routes) for routes in parse_fast._actions.values())
        assert held <= 50


def test_threads_parsing_while_routes_are_dropped_get_the_general_answers(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(parse_fast, "_MAX_ROUTES", 30)
    requests = [
        (
            "AuthorizeSecurityGroupIngress",
            {
                "GroupId": "sg-1",
                **{f"IpPermissions.{n}.FromPort": str(n) for n in range(1, 12)},
                **{f"IpPermissions.{n}.IpRanges.{m}.CidrIp": "x" for n in (2, 5) for m in (1, 3)},
            },
        ),
        ("DescribeSecurityGroups", {f"Filter.{n}.Value.1": "v" for n in range(1, 15)}),
        ("RunInstances", {"MinCount": "1", "MaxCount": "2", "ImageId": "ami-1"}),
        ("RunInstances", {"MinCount": "1", "ImageId": "ami-1"}),  # MaxCount missing
    ]
    expected = [
        _outcome(lambda flat=flat, action=action: general_params(action_plan(action), flat))
        for action, flat in requests
    ]
    failures: list[str] = []

    def parse_many(offset: int) -> None:
        for round_ in range(150):
            i = (round_ + offset) % len(requests)
            action, flat = requests[i]
            got = _outcome(lambda action=action, flat=flat: parse_params(action, flat))
            if got != expected[i]:
                failures.append(f"{action}: {got} != {expected[i]}")

    threads = [threading.Thread(target=parse_many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
