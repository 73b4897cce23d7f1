"""The client tests share tests/api_server's real server and per-test accounts.

Imported, not copied: ``endpoint`` (one in-thread ``stockade`` server on 127.0.0.1 for the
session), ``account`` (a fresh 12-digit account per test, so tests never see each other's
resources) and ``ec2`` (a boto3 client for it, retries off so no error is hidden).
"""

from __future__ import annotations

from api_server.conftest import account, api_store, ec2, endpoint, rejected

__all__ = ["account", "api_store", "ec2", "endpoint", "rejected"]
