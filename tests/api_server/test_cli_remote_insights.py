"""``stockade insights`` with ``--endpoint``: the local CLI flows, through a live server."""

from __future__ import annotations

from api_server.test_cli_remote import run  # noqa: F401 - the remote CLI fixture
from cli import test_insights as local


def test_path_create_analyze_list_delete(run):  # noqa: F811
    local.test_path_create_analyze_list_delete(run)


def test_errors_are_the_same_one_line(run):  # noqa: F811
    local.test_errors_are_one_line_with_the_aws_code(run)
