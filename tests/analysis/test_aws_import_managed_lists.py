"""Importing a real account's AWS-managed prefix lists: kept as AWS's, resolved by name."""

from __future__ import annotations

import shutil

from stockade.analysis.aws_import import import_directory, load_directory
from stockade.domain.aws_prefix_lists import AWS_OWNER
from stockade.store.sql import SqlStore

from .conftest import MAIN, MAIN_DIR, PEER

S3 = "com.amazonaws.us-east-1.s3"


def _lists(store: SqlStore, scope) -> list:
    with store.read(scope) as tx:
        return list(tx.snapshot().prefix_lists)


def test_an_imported_aws_list_stays_aws_s_and_replaces_the_stand_in(store):
    for scope in (MAIN, PEER):  # every account of the region sees AWS's lists
        s3 = [p for p in _lists(store, scope) if p.name == S3]
        assert [(p.prefix_list_id, p.owner_id) for p in s3] == [("pl-63a5400a", AWS_OWNER)]
        assert len(s3[0].entries) == 2  # the account's pl-63a5400a.json, not the stand-in


def test_an_aws_list_without_entries_gets_the_catalogue_s_stand_in(tmp_path):
    root = tmp_path / "aws"
    target = root / MAIN.account / MAIN.region
    shutil.copytree(MAIN_DIR, target)
    (target / "pl-63a5400a.json").unlink()
    _, warnings = load_directory(root)
    assert any("pl-63a5400a" in w and "stand-in" in w for w in warnings)
    store = SqlStore.open(str(tmp_path / "db.sqlite"))
    try:
        import_directory(store, root)
        [s3] = [p for p in _lists(store, MAIN) if p.name == S3]
        assert s3.prefix_list_id == "pl-63a5400a"  # the id the account's rules reference
        assert [e.cidr for e in s3.entries] == ["198.51.100.128/26"]
    finally:
        store.close()
