"""Resource ids and ARNs (reference §1.1, §4.2, §4.14)."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain import errors, ids
from stockade.domain.errors import AwsError
from stockade.domain.printable import escape_control

FAST = settings(max_examples=150, deadline=None)
CHECKABLE = sorted(errors._ID_ERRORS)  # prefixes that have a *.Malformed code


@pytest.mark.parametrize("prefix", ids.PREFIXES)
def test_new_id_format(prefix):
    made = {ids.new_id(prefix) for _ in range(200)}
    assert len(made) == 200
    for value in made:
        assert re.fullmatch(rf"{prefix}-[0-9a-f]{{17}}", value)
        assert ids.is_valid(prefix, value)
        assert ids.kind_of(value) == prefix


def test_new_id_unknown_prefix():
    with pytest.raises(ValueError):
        ids.new_id("cgw")


@pytest.mark.parametrize(
    ("prefix", "value"),
    [
        ("sg", "sg-0123456789abcdef0"),
        ("sg", "sg-51530134"),  # pre-2018 8-hex form
        ("sgr", "sgr-048f09a719247dce7"),
        ("vpc", "vpc-0a1b2c3d4e5f67890"),
        ("vpc", "vpc-1a2b3c4d"),
        ("subnet", "subnet-0123456789abcdef0"),
        ("eni", "eni-0123456789abcdef0"),
        ("i", "i-0123456789abcdef0"),
        ("r", "r-0123456789abcdef0"),
        ("pl", "pl-63a5400a"),  # AWS-managed list
        ("pl", "pl-0123456789abcdef0"),
        ("igw", "igw-0123456789abcdef0"),
    ],
)
def test_valid_ids(prefix, value):
    assert ids.is_valid(prefix, value)
    if prefix in CHECKABLE:
        assert ids.check(prefix, value) == value
    assert ids.kind_of(value) == prefix


@pytest.mark.parametrize(
    "value",
    [
        "sg-0123456789ABCDEF0",  # upper case
        "SG-0123456789abcdef0",
        "sg-0123456",  # 7
        "sg-012345678",  # 9
        "sg-0123456789abcdef",  # 16
        "sg-0123456789abcdef01",  # 18
        "sg-0123456789abcdeg0",  # not hex
        "sg-",
        "sg0123456789abcdef0",
        "sgr-0123456789abcdef0",
        "123456789012/sg-0123456789abcdef0",  # account-prefixed form
        " sg-0123456789abcdef0",
        "sg-0123456789abcdef0 ",
        "sg-0123456789abcdef0\n",  # regression: "$" matched before a trailing newline
        "sg-12345678\n",
        "",
        "web",
    ],
)
def test_invalid_group_ids(value):
    assert not ids.is_valid("sg", value)
    with pytest.raises(AwsError) as info:
        ids.check("sg", value)
    assert info.value.code == "InvalidGroupId.Malformed"
    # real AWS wording (§4.2)
    # the value is echoed with control characters escaped (one printable line)
    assert info.value.message == f'Invalid id: "{escape_control(value)}" (expecting "sg-...")'


@FAST
@given(st.sampled_from(ids.PREFIXES), st.text(alphabet="0123456789abcdefABCDEFg", max_size=20))
def test_is_valid_accepts_exactly_8_or_17_lowercase_hex(prefix, tail):
    expected = len(tail) in (8, 17) and all(c in "0123456789abcdef" for c in tail)
    assert ids.is_valid(prefix, f"{prefix}-{tail}") is expected


@pytest.mark.parametrize("prefix", CHECKABLE)
@pytest.mark.parametrize("value", [None, "", "nope", "x-0123456789abcdef0"])
def test_check_raises_the_prefixes_malformed_code(prefix, value):
    with pytest.raises(AwsError) as info:
        ids.check(prefix, value)
    assert info.value.code == errors._ID_ERRORS[prefix][0]
    assert info.value.code.endswith(".Malformed")
    shown = escape_control(value or "")
    assert info.value.message == f'Invalid id: "{shown}" (expecting "{prefix}-...")'


@pytest.mark.parametrize(
    ("prefix", "code"),
    [
        ("sg", "InvalidGroupId.Malformed"),
        ("sgr", "InvalidSecurityGroupRuleId.Malformed"),
        ("vpc", "InvalidVpcID.Malformed"),
        ("subnet", "InvalidSubnetID.Malformed"),
        ("eni", "InvalidNetworkInterfaceId.Malformed"),
        ("i", "InvalidInstanceID.Malformed"),
        ("pl", "InvalidPrefixListId.Malformed"),
        ("igw", "InvalidInternetGatewayId.Malformed"),
    ],
)
def test_malformed_codes_per_prefix(prefix, code):
    with pytest.raises(AwsError) as info:
        ids.check(prefix, "bogus")
    assert info.value.code == code


@pytest.mark.parametrize("prefix", CHECKABLE)
def test_check_rejects_another_kinds_id(prefix):
    other = "vpc" if prefix != "vpc" else "subnet"
    with pytest.raises(AwsError):
        ids.check(prefix, ids.new_id(other))


@pytest.mark.parametrize(
    ("resource_id", "arn"),
    [
        (
            "sg-0123456789abcdef0",
            "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0",
        ),
        (
            "sgr-048f09a719247dce7",
            "arn:aws:ec2:us-east-1:123456789012:security-group-rule/sgr-048f09a719247dce7",
        ),
        (
            "pl-0123456789abcdef0",
            "arn:aws:ec2:us-east-1:123456789012:prefix-list/pl-0123456789abcdef0",
        ),
        ("vpc-1a2b3c4d", "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1a2b3c4d"),
        ("subnet-1a2b3c4d", "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1a2b3c4d"),
        ("eni-1a2b3c4d", "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1a2b3c4d"),
        ("i-1a2b3c4d", "arn:aws:ec2:us-east-1:123456789012:instance/i-1a2b3c4d"),
        ("igw-1a2b3c4d", "arn:aws:ec2:us-east-1:123456789012:internet-gateway/igw-1a2b3c4d"),
    ],
)
def test_arn(resource_id, arn):
    assert ids.arn("us-east-1", "123456789012", resource_id) == arn


def test_arn_uses_region_and_account():
    assert ids.arn("eu-west-1", "210987654321", "sg-12345678") == (
        "arn:aws:ec2:eu-west-1:210987654321:security-group/sg-12345678"
    )


@pytest.mark.parametrize(
    ("resource_id", "kind"),
    [
        ("sg-0123456789abcdef0", "security-group"),
        ("sgr-0123456789abcdef0", "security-group-rule"),
        ("vpc-12345678", "vpc"),
        ("pl-63a5400a", "prefix-list"),
        ("eni-12345678", "network-interface"),
        ("sg-XYZ", None),
        ("web", None),
        ("r-0123456789abcdef0", None),  # reservations are not taggable resources here
    ],
)
def test_resource_type(resource_id, kind):
    assert ids.resource_type(resource_id) == kind


def test_kind_of_unknown():
    assert ids.kind_of("cgw-12345678") is None
    assert ids.kind_of("") is None


def test_new_ids_stay_unique_across_buffer_refills():
    """Digits come from a buffer of OS randomness refilled every few kilobytes (a request
    id takes 31 digits of it; a new id only its second's random start): ids made across
    many refills are still all different and well-formed."""
    made = [ids.new_id("sgr") for _ in range(5_000)]
    assert len(set(made)) == len(made)
    assert all(ids.is_valid("sgr", one) for one in made)
    requests = [ids.new_request_id() for _ in range(5_000)]  # some 38 buffers
    assert len(set(requests)) == len(requests)


def test_request_ids_are_version_4_uuids():
    for _ in range(500):
        text = ids.new_request_id()
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_a_forked_child_never_repeats_its_parents_digits():
    """A child inherits the parent's buffer; it must read its own, or the two processes
    would hand out the same ids."""
    ids.new_id("sg")  # the buffer is filled and partly used
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        made = [ids.new_request_id() for _ in range(50)] + [ids.new_id("sg") for _ in range(50)]
        os.write(write, ",".join(made).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split(","))
    os.waitpid(pid, 0)
    # request ids take their digits straight from the buffer: were it shared, the first
    # ids each process made after the fork would be the same
    parent = {ids.new_request_id() for _ in range(50)} | {ids.new_id("sg") for _ in range(50)}
    assert len(child) == 100 and not child & parent


def test_new_ids_rise_so_an_index_of_them_takes_appends(monkeypatch):
    """Ids made one after the other sort in the order they were made -- within a second,
    across seconds, and when the clock steps back -- so a unique index of them grows at
    its last leaf (one WAL page per commit, not one per id)."""
    clock = [1_800_000_000.0]
    monkeypatch.setattr(ids.time, "time", lambda: clock[0])
    made = []
    for step in (0.0, 0.0, 1.0, -5.0, 0.0, 3600.0):
        clock[0] += step
        made += [ids.new_id("sgr") for _ in range(100)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(ids.is_valid("sgr", one) for one in made)


def test_a_new_ids_high_digits_are_the_second_it_was_made(monkeypatch):
    monkeypatch.setattr(ids.time, "time", lambda: 1_893_456_000.0)  # 2030-01-01T00:00:00Z
    later = ids.new_id("sg")
    monkeypatch.setattr(ids.time, "time", lambda: 1_893_456_000.0 + 86_400)
    assert ids.new_id("sg")[3:11] > later[3:11]
    assert int(later[3:11], 16) == 1_893_456_000 - 1_577_836_800
