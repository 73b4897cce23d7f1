"""Stockade for people testing their own code: a real EC2 API server per test.

Like moto's ``mock_aws``, but the rules are AWS's: the code under test talks over HTTP to a
real stockade server (on a free loopback port, in a background thread, with a fresh store
in a temporary directory), so validation, error codes, quotas, default VPCs and security
group semantics are stockade's — the same as the CLI and the data plane use.

As a context manager::

    import stockade.testing

    def test_my_code():
        with stockade.testing.server() as ec2:
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]

As a pytest plugin (``pytest -p stockade.testing``; installed, stockade also registers it
as a ``pytest11`` entry point, so the fixtures are there without ``-p``)::

    def test_my_code(stockade_server):
        ec2 = stockade_server.ec2          # a ready boto3 EC2 client
        my_code(endpoint_url=stockade_server.endpoint)

``stockade_server`` also sets ``AWS_ENDPOINT_URL`` and dummy credentials for the test, so
code that builds its own boto3 clients reaches the server unchanged; ``stockade_ec2`` is
the EC2 client alone. No request leaves the machine: the server listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: The account the clients act as: in open mode a 12-digit access key *is* the account.
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class Server:
    """A running stockade server: its endpoint and clients acting as ``account``."""

    endpoint: str
    account: str = ACCOUNT
    region: str = REGION
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def client(self, service: str = "ec2", region: str | None = None) -> Any:
        """A boto3 client of ``service`` (``ec2`` or ``sts``) for this server (cached)."""
        import boto3
        from botocore.config import Config

        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=key[1],
                aws_access_key_id=self.account,
                aws_secret_access_key="stockade",
                # no retries: an error the test should see is not hidden by a second try
                config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            )
        return self._clients[key]

    @property
    def ec2(self) -> Any:
        return self.client("ec2")

    @property
    def sts(self) -> Any:
        return self.client("sts")

    def environment(self) -> dict[str, str]:
        """What a process needs to reach this server with its own clients."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.account,
            "AWS_SECRET_ACCESS_KEY": "stockade",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


@contextlib.contextmanager
def running(account: str = ACCOUNT, region: str = REGION) -> Iterator[Server]:
    """A server with a fresh, empty store (removed afterwards), stopped on exit."""
    from stockade.api.app import create_app, serving
    from stockade.store.sql import SqlStore

    with tempfile.TemporaryDirectory(prefix="stockade-test-") as tmp:
        store = SqlStore.open(str(Path(tmp) / "stockade.db"))
        try:
            with serving(create_app(store)) as endpoint:
                yield Server(endpoint, account, region)
        finally:
            store.close()


@contextlib.contextmanager
def server(account: str = ACCOUNT, region: str = REGION) -> Iterator[Any]:
    """``with stockade.testing.server() as ec2:`` — a boto3 EC2 client of a fresh server
    (its endpoint: ``ec2.meta.endpoint_url``)."""
    with running(account, region) as running_server:
        yield running_server.ec2


@pytest.fixture
def stockade_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A fresh stockade server for one test; the test's environment points boto3 at it."""
    with running() as running_server:
        for name, value in running_server.environment().items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        yield running_server


@pytest.fixture
def stockade_ec2(stockade_server: Server) -> Any:
    """The boto3 EC2 client of :func:`stockade_server`."""
    return stockade_server.ec2


__all__ = ["ACCOUNT", "REGION", "Server", "running", "server", "stockade_ec2", "stockade_server"]
