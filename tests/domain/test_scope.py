"""Accounts, regions and availability zones (reference §1.1)."""

from __future__ import annotations

import pytest

from stockade.domain import scope
from stockade.domain.errors import AwsError
from stockade.domain.scope import REGIONS, Scope, availability_zones, check_availability_zone


def test_default_scope():
    s = Scope()
    assert (s.account, s.region) == ("123456789012", "us-east-1")


@pytest.mark.parametrize("account", ["123456789012", "000000000000", "999999999999"])
def test_twelve_digit_accounts(account):
    assert Scope(account, "eu-west-1").account == account


@pytest.mark.parametrize(
    "account",
    [
        "12345678901",
        "1234567890123",
        "",
        "12345678901a",
        "abcdefghijkl",
        " 123456789012",
        "123456789012 ",
        "123456789012\n",
        "1234-5678-9012",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662",
    ],
)
def test_bad_accounts_are_rejected(account):
    # regression: "\d{12}$" accepted a trailing newline and non-ASCII digits
    with pytest.raises(AwsError) as info:
        Scope(account, "us-east-1")
    assert info.value.code == "InvalidParameterValue"


@pytest.mark.parametrize("region", ["us-east-9", "US-EAST-1", "", "mars-1", "us-east-1a"])
def test_unknown_region_is_rejected(region):
    with pytest.raises(AwsError) as info:
        Scope("123456789012", region)
    assert info.value.code == "InvalidParameterValue"


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_every_known_region_is_accepted(region):
    assert Scope(region=region).region == region


def test_scopes_are_values():
    assert Scope() == Scope("123456789012", "us-east-1")
    assert len({Scope(), Scope(), Scope(region="eu-west-1")}) == 2
    assert sorted([Scope(region="us-west-2"), Scope(region="eu-west-1")])[0].region == "eu-west-1"


def test_us_east_1_zones():
    zones = availability_zones("us-east-1")
    assert [z.name for z in zones] == [f"us-east-1{c}" for c in "abcdef"]
    assert [z.zone_id for z in zones] == [f"use1-az{i}" for i in range(1, 7)]
    assert {z.region for z in zones} == {"us-east-1"}


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_zone_naming_in_every_region(region):
    letters, stem = REGIONS[region]
    zones = availability_zones(region)
    assert len(zones) == len(letters) >= 2
    for i, (zone, letter) in enumerate(zip(zones, letters, strict=True), start=1):
        assert zone.name == region + letter
        assert zone.zone_id == f"{stem}-az{i}"
    assert len({z.zone_id for z in zones}) == len(zones)


def test_check_availability_zone_by_name_or_id():
    assert check_availability_zone("us-east-1", "us-east-1b").zone_id == "use1-az2"
    assert check_availability_zone("us-east-1", "use1-az2").name == "us-east-1b"
    assert check_availability_zone("ap-northeast-1", "ap-northeast-1c").zone_id == "apne1-az2"


@pytest.mark.parametrize("zone", ["us-east-1z", "us-west-2a", "use1-az9", "", "us-east-1"])
def test_unknown_zone(zone):
    with pytest.raises(AwsError) as info:
        check_availability_zone("us-east-1", zone)
    assert info.value.code == "InvalidParameterValue"
    assert "us-east-1a, us-east-1b" in info.value.message


def test_defaults_are_known():
    assert scope.DEFAULT_REGION in REGIONS
    Scope(scope.DEFAULT_ACCOUNT, scope.DEFAULT_REGION)
