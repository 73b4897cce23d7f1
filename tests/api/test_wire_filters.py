"""Describe filters (wildcards, AND/OR, tag:<key>) and MaxResults/NextToken pagination."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.api.filters import (
    compile_filters,
    filters_for,
    tag_candidates,
    wildcard_regex,
)
from stockade.api.pagination import (
    check_max_results,
    decode_next_token,
    encode_next_token,
    max_results_range,
    paginate,
    query_fingerprint,
)
from stockade.domain.errors import AwsError

WEB = {
    "group-id": ["sg-1"],
    "group-name": ["web"],
    "vpc-id": ["vpc-1"],
    "ip-permission.from-port": [22, 443],
    "ip-permission.cidr": ["10.0.0.0/16", "0.0.0.0/0"],
    "ip-permission.protocol": ["tcp"],
    **tag_candidates([{"Key": "Env", "Value": "prod"}]),
}
DB = {
    "group-id": ["sg-2"],
    "group-name": ["db"],
    "vpc-id": ["vpc-1"],
    "ip-permission.from-port": [5432],
    "ip-permission.cidr": ["10.0.0.0/16"],
    "ip-permission.protocol": ["tcp"],
    **tag_candidates({"Env": "dev", "Owner": "TeamA"}),
}


def names(filters) -> list[str]:
    fs = filters_for("DescribeSecurityGroups", filters)
    return [r["group-name"][0] for r in (WEB, DB) if fs.matches(r)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], ["web", "db"]),
        ([{"Name": "group-name", "Values": ["web"]}], ["web"]),
        ([{"Name": "group-name", "Values": ["web", "db"]}], ["web", "db"]),  # values ORed
        (
            [{"Name": "group-name", "Values": ["web"]}, {"Name": "vpc-id", "Values": ["vpc-2"]}],
            [],
        ),  # filters ANDed
        ([{"Name": "group-name", "Values": ["WEB"]}], []),  # case-sensitive
        ([{"Name": "group-name", "Values": ["w*"]}], ["web"]),
        ([{"Name": "group-name", "Values": ["?b"]}], ["db"]),
        ([{"Name": "group-id", "Values": ["sg-*"]}], ["web", "db"]),
        ([{"Name": "ip-permission.from-port", "Values": ["22"]}], ["web"]),
        # "any combination of rules": port 443 from one rule, cidr 10/16 from another
        (
            [
                {"Name": "ip-permission.from-port", "Values": ["443"]},
                {"Name": "ip-permission.cidr", "Values": ["10.0.0.0/16"]},
            ],
            ["web"],
        ),
        ([{"Name": "tag:Env", "Values": ["prod"]}], ["web"]),
        ([{"Name": "tag:Env", "Values": ["*"]}], ["web", "db"]),
        ([{"Name": "tag:Owner", "Values": ["Team?"]}], ["db"]),
        ([{"Name": "tag:Missing", "Values": ["*"]}], []),
        ([{"Name": "tag-key", "Values": ["Owner"]}], ["db"]),
    ],
)
def test_security_group_filters(filters, expected) -> None:
    assert names(filters) == expected


def test_mapping_form_and_lazy_candidates() -> None:
    fs = compile_filters({"group-name": ["db"]}, {"group-name"})
    asked = []

    def lazy(name: str):
        asked.append(name)
        return DB.get(name, ())

    assert fs.matches(lazy) and asked == ["group-name"]
    assert fs.values("group-name") == ["db"] and fs.names == ("group-name",)
    assert fs.select([WEB, DB], lambda r: r) == [DB]
    assert compile_filters(None, set()).select([WEB, DB], lambda r: r) == [WEB, DB]


@pytest.mark.parametrize(
    "filters",
    [
        [{"Name": "Group-Name", "Values": ["web"]}],
        [{"Name": "bogus", "Values": ["x"]}],
        [{"Name": "tag:", "Values": ["x"]}],
    ],
)
def test_unknown_filter_name(filters) -> None:
    with pytest.raises(AwsError) as info:
        filters_for("DescribeSecurityGroups", filters)
    assert info.value.code == "InvalidParameterValue"
    assert info.value.message == f"The filter '{filters[0]['Name']}' is invalid"


def test_tag_filters_only_where_the_model_lists_them() -> None:
    with pytest.raises(AwsError):
        filters_for("DescribeManagedPrefixLists", [{"Name": "tag:Env", "Values": ["x"]}])
    filters_for("DescribeSecurityGroupRules", [{"Name": "tag:Env", "Values": ["x"]}])


def test_filter_without_name_or_values() -> None:
    with pytest.raises(AwsError) as info:
        filters_for("DescribeSecurityGroups", [{"Values": ["x"]}])
    assert info.value.code == "MissingParameter"
    with pytest.raises(AwsError) as info:
        filters_for("DescribeSecurityGroups", [{"Name": "group-id"}])
    assert info.value.code == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("\\*amazon\\?\\\\", "*amazon?\\", True),  # the AWS docs' own example
        ("\\*amazon\\?\\\\", "xamazonx\\", False),
        ("a*", "a\nb", True),
        ("*", "", True),
        ("a.b", "axb", False),  # regex metacharacters are literal
        ("(x)[y]", "(x)[y]", True),
        ("a\\", "a\\", True),  # a trailing backslash is literal
    ],
)
def test_wildcards_and_escapes(pattern: str, text: str, matches: bool) -> None:
    fs = compile_filters([{"Name": "n", "Values": [pattern]}], {"n"})
    assert fs.matches({"n": [text]}) is matches


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab*?.", max_size=8), st.text(alphabet="ab.", max_size=8))
def test_wildcards_agree_with_fnmatch(pattern: str, text: str) -> None:
    regex = wildcard_regex(pattern)
    got = (text == pattern) if regex is None else bool(regex.fullmatch(text))
    assert got == fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def test_hostile_wildcards_do_not_backtrack() -> None:
    fs = compile_filters([{"Name": "n", "Values": ["*a" * 60 + "*b"]}], {"n"})
    assert not fs.matches({"n": ["a" * 2000]})


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="ab*?", max_size=6), min_size=1, max_size=6),
    st.lists(st.text(alphabet="ab", max_size=6), min_size=1, max_size=4),
)
def test_one_filters_values_compiled_together_match_as_each_alone(values, texts) -> None:
    """The combined alternation (and its memo) answers as the values one by one would."""
    fs = compile_filters([{"Name": "n", "Values": values}], {"n"})
    for text in texts * 2:  # the second round is answered from the memo
        alone = any(
            compile_filters([{"Name": "n", "Values": [v]}], {"n"}).matches({"n": [text]})
            for v in values
        )
        assert fs.matches({"n": [text]}) is alone


def test_filter_values_are_limited_per_call_across_filters() -> None:
    allowed = {"a", "b"}
    compile_filters([{"Name": "a", "Values": ["x"] * 150}, {"Name": "b", "Values": ["*"] * 50}],
                    allowed)  # fmt: skip
    with pytest.raises(AwsError) as info:
        compile_filters(
            [{"Name": "a", "Values": ["x"] * 150}, {"Name": "b", "Values": ["*"] * 51}], allowed
        )
    assert info.value.code == "FilterLimitExceeded"
    assert info.value.message == (
        "The maximum number of filter values specified on a single call is 200"
    )
    with pytest.raises(AwsError, match="FilterLimitExceeded"):  # checked before names
        compile_filters([{"Name": "nope", "Values": ["*"] * 100_000}], allowed)


def test_worst_legal_filter_cost_is_bounded() -> None:
    """200 wildcard values over 1,000 resources x 20 candidates: one regex per filter and a
    memo per distinct text keep this well under a second (it was values x texts calls)."""
    import time

    fs = compile_filters(
        [{"Name": n, "Values": [f"*{n}*z{i}?*q*" for i in range(49)] + ["*"]} for n in "abcd"],
        set("abcd"),
    )
    resources = [{n: [f"{n}-{r}-{c}" for c in range(20)] for n in "abcd"} for r in range(1000)]
    started = time.perf_counter()
    assert len(fs.select(resources, lambda r: r)) == 1000
    assert time.perf_counter() - started < 5


def test_candidate_values_are_compared_as_text() -> None:
    fs = compile_filters(
        [{"Name": "is-default", "Values": ["true"]}, {"Name": "port", "Values": ["2?"]}],
        {"is-default", "port"},
    )
    assert fs.matches({"is-default": [True], "port": [22, None]})
    assert not fs.matches({"is-default": [False], "port": [22]})


# --- pagination -------------------------------------------------------------------------------


def test_max_results_range_comes_from_the_model() -> None:
    assert max_results_range("DescribeSecurityGroups") == (5, 1000)
    assert max_results_range("DescribeStaleSecurityGroups") == (5, 255)
    assert max_results_range("GetManagedPrefixListEntries") == (1, 100)
    assert max_results_range("DescribeInstances") == (None, None)
    assert max_results_range("CreateTags") == (None, None)


@pytest.mark.parametrize(
    ("value", "ok"),
    [(None, True), (5, True), (1000, True), (4, False), (1001, False), (0, False), (-1, False)],
)
def test_check_max_results(value, ok) -> None:
    if ok:
        assert check_max_results("DescribeSecurityGroups", value) == value
    else:
        with pytest.raises(AwsError) as info:
            check_max_results("DescribeSecurityGroups", value)
        assert info.value.code == "InvalidParameterValue"
        assert "between 5 and 1000" in info.value.message


def test_check_max_results_explicit_bounds_win() -> None:
    assert check_max_results("DescribeInstances", 10**6) == 10**6
    with pytest.raises(AwsError):
        check_max_results("DescribeInstances", 4, minimum=5, maximum=1000)


def test_pages_walk_all_items_once() -> None:
    items = [f"sg-{i:03d}" for i in range(23)][::-1]
    fp = query_fingerprint({"Filters": [{"Name": "vpc-id", "Values": ["v"]}], "MaxResults": 5})
    seen, token, pages = [], None, 0
    while True:
        page, token = paginate(items, key=str, max_results=5, next_token=token, fingerprint=fp)
        seen += page
        pages += 1
        if token is None:
            break
    assert seen == sorted(items) and pages == 5


def test_pages_are_stable_when_items_change_between_calls() -> None:
    fp = query_fingerprint({})
    page, token = paginate(
        ["b", "d", "f", "h"], key=str, max_results=2, next_token=None, fingerprint=fp
    )
    assert page == ["b", "d"]
    page, token = paginate(
        ["a", "c", "f", "h"], key=str, max_results=2, next_token=token, fingerprint=fp
    )
    assert page == ["f", "h"] and token is None


def test_no_max_results_returns_everything_in_order() -> None:
    assert paginate(["b", "a"], key=str, max_results=None, next_token=None, fingerprint="x") == (
        ["b", "a"],
        None,
    )
    assert paginate([], key=str, max_results=5, next_token=None, fingerprint="x") == ([], None)


def test_fingerprint_ignores_paging_members_and_binds_scope() -> None:
    base = {"GroupIds": ["sg-1"]}
    assert query_fingerprint(base) == query_fingerprint(
        dict(base, MaxResults=5, NextToken="t", DryRun=False)
    )
    assert query_fingerprint(base) != query_fingerprint({"GroupIds": ["sg-2"]})
    assert query_fingerprint(base, "acct-1") != query_fingerprint(base, "acct-2")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "!!!",
        "é",
        "x" * 5000,
        encode_next_token("sg-1", "otherquery"),
        "c3RrMQ==",
        "c3RrMXxhYmM=",
    ],
)
def test_bad_tokens_are_invalid_next_token(token: str) -> None:
    with pytest.raises(AwsError) as info:
        decode_next_token(token, query_fingerprint({}))
    assert info.value.code == "InvalidNextToken"


def test_token_round_trip_and_empty_token() -> None:
    fp = query_fingerprint({})
    assert decode_next_token(encode_next_token("sg-é|x", fp), fp) == "sg-é|x"
    assert decode_next_token("", fp) is None and decode_next_token(None, fp) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzzed_tokens_only_raise_invalid_next_token(token: str) -> None:
    try:
        decode_next_token(token, "fp")
    except AwsError as error:
        assert error.code == "InvalidNextToken"
