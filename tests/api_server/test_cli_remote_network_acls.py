"""``stockade nacl`` with ``--endpoint``: the local CLI flows, through a live server."""

from __future__ import annotations

from api_server.test_cli_remote import run  # noqa: F401 - the remote CLI fixture
from cli import test_nacl as local


def test_private_subnet_flow(run):  # noqa: F811
    local.test_private_subnet_flow(run)


def test_errors_are_the_same_one_line(run):  # noqa: F811
    local.test_errors_are_one_line_with_the_aws_code(run)
