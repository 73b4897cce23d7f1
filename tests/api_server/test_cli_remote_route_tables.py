"""``stockade route-table`` with ``--endpoint``: the local CLI flows, through a live server."""

from __future__ import annotations

import json

import pytest
from api_server.test_cli_remote import run  # noqa: F401 - the remote CLI fixture
from cli import test_route_table as local


@pytest.fixture
def vpc(run) -> str:  # noqa: F811
    return json.loads(run("vpc", "create", "10.0.0.0/16", "--internet-gateway", "--json").stdout)[
        "VpcId"
    ]


def test_public_subnet_flow(run, vpc):  # noqa: F811
    local.test_public_subnet_flow(run, vpc)


def test_replace_route_and_set_main(run, vpc):  # noqa: F811
    local.test_replace_route_and_set_main(run, vpc)


def test_errors_are_the_same_one_line(run, vpc):  # noqa: F811
    local.test_errors_are_one_line_with_the_aws_code(run, vpc)
