"""``stockade export aws``: import ∘ export is the identity."""

from __future__ import annotations

import dataclasses
import json

from stockade.analysis.aws_export import export_store
from stockade.analysis.aws_import import import_directory
from stockade.store.sql import SqlStore

from .conftest import FIXTURES, MAIN, MAIN_DIR, comparable, snapshot_of


def _files(root) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.json"))}


def test_import_export_import_gives_the_same_snapshot(store, tmp_path):
    export_store(store, tmp_path / "out")
    again = SqlStore.open(str(tmp_path / "again.db"))
    import_directory(again, tmp_path / "out")
    assert again.scopes() == store.scopes()
    for scope in store.scopes():
        assert comparable(snapshot_of(again, scope)) == comparable(snapshot_of(store, scope))


def test_export_import_export_is_byte_identical(store, tmp_path):
    export_store(store, tmp_path / "one")
    again = SqlStore.open(str(tmp_path / "again.db"))
    import_directory(again, tmp_path / "one")
    export_store(again, tmp_path / "two")
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_export_writes_what_describe_prints(store, tmp_path):
    export_store(store, tmp_path / "out")
    scope_dir = tmp_path / "out" / MAIN.account / MAIN.region
    names = sorted(p.name for p in scope_dir.iterdir())
    assert "security-group-rules.json" in names and "pl-0a1b2c3d4e5f65001.json" in names
    groups = json.loads((scope_dir / "security-groups.json").read_text())["SecurityGroups"]
    original = json.loads((MAIN_DIR / "security-groups.json").read_text())["SecurityGroups"]

    def perms(group: dict) -> set:
        out = set()
        for key in ("IpPermissions", "IpPermissionsEgress"):
            for p in group[key]:
                for kind in ("IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs"):
                    for peer in p[kind]:
                        value = (
                            peer.get("CidrIp")
                            or peer.get("CidrIpv6")
                            or peer.get("PrefixListId")
                            or peer.get("GroupId")
                        )
                        out.add(
                            (
                                key,
                                p["IpProtocol"],
                                p.get("FromPort"),
                                p.get("ToPort"),
                                value,
                                peer.get("Description"),
                            )
                        )
        return out

    assert {g["GroupId"]: perms(g) for g in groups} == {g["GroupId"]: perms(g) for g in original}
    entries = json.loads((scope_dir / "pl-0a1b2c3d4e5f65002.json").read_text())
    assert entries == {"Entries": [{"Cidr": "2001:db8:ffff::/48", "Description": "HQ v6"}]}


def test_cli_export_then_import(cli, tmp_path):
    cli("import", "aws", FIXTURES)
    result = cli("export", "aws", tmp_path / "out", "--account", MAIN.account)
    assert "for 1 account/region(s)" in result.stdout
    cli("import", "aws", tmp_path / "out", "--db", tmp_path / "copy.db")
    first = comparable(snapshot_of(SqlStore.open(str(tmp_path / "cli.db"))))
    copy = comparable(snapshot_of(SqlStore.open(str(tmp_path / "copy.db"))))
    # the copy lacks the peer account, whose group the first snapshot carries as foreign
    assert copy == dataclasses.replace(
        first, groups=tuple(g for g in first.groups if g.owner_id == MAIN.account)
    )
