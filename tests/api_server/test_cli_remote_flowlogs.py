"""``stockade flowlogs create|list|delete`` and ``instance assign-ip|unassign-ip`` with
``--endpoint``: the tests/cli flows, unchanged, through a live server."""

from __future__ import annotations

import json

import pytest
from api_server.test_cli_remote import run  # noqa: F401 - the remote CLI fixture
from cli import test_flowlogs_and_ips_cli as local

__all__ = ["run"]


@pytest.fixture
def vpc(run) -> str:  # noqa: F811
    return json.loads(run("vpc", "create", "10.0.0.0/16", "--json").stdout)["VpcId"]


def test_flow_logs(run, vpc):  # noqa: F811
    local.test_flow_log_flow(run, vpc)


def test_secondary_ips(run, vpc):  # noqa: F811
    local.test_secondary_ip_flow(run, vpc)
