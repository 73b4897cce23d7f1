"""``SqlStore.open(":memory:")``: SQLite's name for an in-memory database is one, not a file
named ``:memory:`` in the current directory; it is shared by every thread that uses the
store (a real API server's request threads included), private to the store object, and
cannot be opened read-only (there is nothing to read)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from api_server.api_helpers import client

from stockade.api.app import create_app, serving
from stockade.domain.scope import Scope
from stockade.store.failures import StoreError
from stockade.store.sql import SqlStore
from store import store_factories as f
from store.store_factories import random_scope


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's working directory: where a file named ``:memory:`` would appear."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_memory_store_writes_no_file(in_tmp: Path) -> None:
    scope = random_scope()
    store = SqlStore.open(":memory:")
    try:
        vpc = f.vpc(scope)
        with store.write(scope) as tx:
            tx.put_vpc(vpc)
        with store.read(scope) as tx:
            assert [v.vpc_id for v in tx.list_vpcs()] == [vpc.vpc_id]
        assert store.revision() == 1
        assert store.name == ":memory:"
    finally:
        store.close()
    assert list(in_tmp.iterdir()) == []


def test_each_memory_store_is_its_own_database(in_tmp: Path) -> None:
    scope = random_scope()
    first, second = SqlStore.open(":memory:"), SqlStore.open(":memory:")
    try:
        with first.write(scope) as tx:
            tx.put_vpc(f.vpc(scope))
        with second.read(scope) as tx:
            assert tx.list_vpcs() == []
        assert (first.revision(), second.revision()) == (1, 0)
    finally:
        first.close()
        second.close()


def test_memory_store_is_shared_by_threads(in_tmp: Path) -> None:
    """Writers and readers on other threads see one database, not one each."""
    scope = random_scope()
    store = SqlStore.open(":memory:")
    seen: list[int] = []
    try:
        vpcs = [f.vpc(scope) for _ in range(4)]

        def write(vpc) -> None:  # noqa: ANN001
            with store.write(scope) as tx:
                tx.put_vpc(vpc)
            with store.read(scope) as tx:
                seen.append(len(tx.list_vpcs()))

        threads = [threading.Thread(target=write, args=(v,)) for v in vpcs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        with store.read(scope) as tx:
            assert {v.vpc_id for v in tx.list_vpcs()} == {v.vpc_id for v in vpcs}
        assert sorted(seen)[-1] == 4 and all(n >= 1 for n in seen)
    finally:
        store.close()
    assert list(in_tmp.iterdir()) == []


def test_api_server_on_a_memory_store(in_tmp: Path) -> None:
    """A real server on loopback: what one request created, the next one reads."""
    store = SqlStore.open(":memory:")
    try:
        with serving(create_app(store)) as url:
            ec2 = client(url, "123456789012")
            vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
            group = ec2.create_security_group(GroupName="web", Description="w", VpcId=vpc_id)
            ec2.authorize_security_group_ingress(
                GroupId=group["GroupId"],
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "IpRanges": [{"CidrIp": "203.0.113.0/24"}],
                    }
                ],
            )
            [described] = ec2.describe_security_groups(GroupIds=[group["GroupId"]])[
                "SecurityGroups"
            ]
            assert described["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "203.0.113.0/24"}]
        with store.read(Scope("123456789012", "us-east-1")) as tx:
            assert vpc_id in {v.vpc_id for v in tx.list_vpcs()}
    finally:
        store.close()
    assert list(in_tmp.iterdir()) == []


def test_memory_store_cannot_be_opened_read_only(in_tmp: Path) -> None:
    with pytest.raises(StoreError) as info:
        SqlStore.open(":memory:", read_only=True)
    assert "\n" not in str(info.value)
    assert "in-memory" in str(info.value)
    assert list(in_tmp.iterdir()) == []


def test_cli_on_a_memory_store(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--db :memory:`` gives a command a fresh store (its default VPC) and leaves no file,
    even where an old run left a file named ``:memory:`` behind."""
    import json

    from typer.testing import CliRunner

    from stockade.cli.main import app

    monkeypatch.delenv("STOCKADE_ENDPOINT", raising=False)
    (in_tmp / ":memory:").write_text("not a store")
    result = CliRunner().invoke(app, ["vpc", "list", "--db", ":memory:", "--json"])
    assert result.exit_code == 0, result.output
    [vpc] = json.loads(result.stdout)
    assert vpc["IsDefault"] is True
    assert [p.name for p in in_tmp.iterdir()] == [":memory:"]
    assert (in_tmp / ":memory:").read_text() == "not a store"
