"""``stockade vpc associate-cidr`` / ``disassociate-cidr`` with ``--endpoint``: the local CLI
flows, through a live server (no local store is created)."""

from __future__ import annotations

import json

import pytest
from api_server.test_cli_remote import run  # noqa: F401 - the remote CLI fixture
from cli import test_vpc_cidr_cli as local


@pytest.fixture
def vpc(run) -> str:  # noqa: F811
    return json.loads(run("vpc", "create", "10.0.0.0/16", "--json").stdout)["VpcId"]


def test_secondary_block_round_trip(run, vpc):  # noqa: F811
    local.test_secondary_block_round_trip(run, vpc)


def test_ipv6_block_disassociated_by_its_id(run):  # noqa: F811
    local.test_ipv6_block_disassociated_by_its_id(run)


def test_refusals_are_one_line_and_change_nothing(run, vpc):  # noqa: F811
    local.test_refusals_are_one_line_and_change_nothing(run, vpc)
