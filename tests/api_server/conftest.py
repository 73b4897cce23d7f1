"""A real stockade API server on a random loopback port, and clients for it.

One server per test session (uvicorn in a background thread). Tests stay independent by
each acting as its own account: in open mode a 12-digit access key *is* the account id, so
every test gets a fresh, empty scope (with its default VPC) on the shared server.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_server.api_helpers import client

from stockade.api.app import create_app, serving
from stockade.api.auth import AuthConfig
from stockade.store.sql import SqlStore

_accounts = itertools.count(100000000001)


@pytest.fixture(scope="session")
def api_store(tmp_path_factory) -> Iterator[SqlStore]:
    store = SqlStore.open(str(tmp_path_factory.mktemp("api") / "api.db"))
    yield store
    store.close()


@pytest.fixture(scope="session")
def endpoint(api_store: SqlStore) -> Iterator[str]:
    with serving(create_app(api_store)) as url:
        yield url


@pytest.fixture
def account() -> str:
    return str(next(_accounts))


@pytest.fixture
def ec2(endpoint: str, account: str):
    ec2 = client(endpoint, account)
    ec2.describe_vpcs()  # creates the account's default VPC, so revisions below are stable
    return ec2


@pytest.fixture
def vpc_id(ec2) -> str:
    """A fresh non-default VPC with an attached internet gateway."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return vpc


@pytest.fixture
def aws(endpoint: str, account: str, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run the aws cli (v1) against the server: ``aws("ec2", "describe-vpcs")``."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": account,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
    }

    def run(*args: str, ok: bool = True, endpoint_url: bool = True, extra_env=None):
        cmd = [sys.executable, "-m", "awscli", *args, "--output", "json"]
        if endpoint_url:
            cmd += ["--endpoint-url", endpoint]
        result = subprocess.run(
            cmd, env={**env, **(extra_env or {})}, capture_output=True, text=True, timeout=60
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    return run


@pytest.fixture
def rejected(ec2, api_store: SqlStore):
    """``rejected("Code", ec2.call, **params)``: the call fails with that code, 4xx, and the
    store's revision does not move (a rejected call changes nothing)."""
    from botocore.exceptions import ClientError

    def check(code: str, fn: Callable, **params) -> dict:
        before = api_store.revision()
        with pytest.raises(ClientError) as info:
            fn(**params)
        error = info.value.response["Error"]
        assert error["Code"] == code, error
        status = info.value.response["ResponseMetadata"]["HTTPStatusCode"]
        assert 400 <= status < 500
        assert api_store.revision() == before, "a rejected call must change nothing"
        return error

    return check


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "auth.json"
    path.write_text(
        json.dumps(
            {
                "AKIDALICE": {"secret": "alice-secret", "account": "111111111111"},
                "AKIDBOB": {"secret": "bob-secret", "account": "222222222222"},
            }
        )
    )
    return path


@pytest.fixture
def verified_endpoint(api_store: SqlStore, auth_file: Path) -> Iterator[str]:
    with serving(create_app(api_store, AuthConfig.load(auth_file))) as url:
        yield url
