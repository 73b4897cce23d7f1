"""Migration 0002 gives every VPC of an existing store the main route table it would have had."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from stockade.domain.routing import LOCAL, RouteOrigin
from stockade.domain.scope import Scope
from stockade.store.sql import SqlStore
from store.migrated import migrated_to

_VPC = (
    "INSERT INTO vpcs (vpc_id, seq, account, region, cidr_block, ipv6_cidr_block, is_default, "
    "state, instance_tenancy, dhcp_options_id) VALUES (:id, :seq, '123456789012', 'us-east-1', "
    ":cidr, :ipv6, :default, 'available', 'default', 'default')"
)


def test_existing_vpcs_get_main_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with migrated_to(f"sqlite:///{path}", "0001") as conn:  # as the previous version left it
        conn.execute(
            text(_VPC),
            {"id": "vpc-0a", "seq": 1, "cidr": "172.31.0.0/16", "ipv6": None, "default": True},
        )
        conn.execute(
            text(_VPC),
            {
                "id": "vpc-0b",
                "seq": 2,
                "cidr": "10.0.0.0/16",
                "ipv6": "2600:1f18:1::/56",
                "default": False,
            },
        )
        conn.execute(
            text(_VPC),
            {"id": "vpc-0c", "seq": 3, "cidr": "10.1.0.0/16", "ipv6": None, "default": False},
        )
        conn.execute(
            text(
                "INSERT INTO internet_gateways (igw_id, seq, account, region, vpc_id) VALUES "
                "('igw-0a', 4, '123456789012', 'us-east-1', 'vpc-0a'), "
                "('igw-0b', 5, '123456789012', 'us-east-1', 'vpc-0b')"
            )
        )
        conn.execute(text("UPDATE store_revision SET next_seq = 6"))

    store = SqlStore.open(str(path))  # upgrades to head
    try:
        with store.read(Scope()) as tx:
            tables = {t.vpc_id: t for t in tx.list_route_tables()}
        assert set(tables) == {"vpc-0a", "vpc-0b", "vpc-0c"}
        routes = {v: [(r.destination, r.target) for r in t.routes] for v, t in tables.items()}
        assert routes == {
            "vpc-0a": [("172.31.0.0/16", LOCAL), ("0.0.0.0/0", "igw-0a")],
            "vpc-0b": [
                ("10.0.0.0/16", LOCAL),
                ("2600:1f18:1::/56", LOCAL),
                ("0.0.0.0/0", "igw-0b"),
                ("::/0", "igw-0b"),
            ],
            "vpc-0c": [("10.1.0.0/16", LOCAL)],
        }
        assert all(t.is_main and t.subnet_ids == () for t in tables.values())
        assert tables["vpc-0c"].routes[0].origin is RouteOrigin.CREATE_ROUTE_TABLE
        with store._engine.connect() as conn:
            seqs = list(conn.execute(text("SELECT seq FROM route_tables ORDER BY seq")).scalars())
            next_seq = conn.execute(text("SELECT next_seq FROM store_revision")).scalar()
        # later rows keep creation order (other migrations may have taken seqs before)
        assert seqs == list(range(seqs[0], seqs[0] + 3)) and seqs[0] >= 6 and next_seq > seqs[2]
    finally:
        store.close()
