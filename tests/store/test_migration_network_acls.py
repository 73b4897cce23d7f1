"""Migration 0005 gives every VPC of an existing store its default network ACL, and every
existing subnet an association with it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from stockade.domain.network_acl import RuleAction, first_match
from stockade.domain.scope import Scope
from stockade.store.sql import SqlStore
from store.migrated import migrated_to

_VPC = (
    "INSERT INTO vpcs (vpc_id, seq, account, region, cidr_block, ipv6_cidr_block, is_default, "
    "state, instance_tenancy, dhcp_options_id) VALUES (:id, :seq, '123456789012', 'us-east-1', "
    ":cidr, :ipv6, false, 'available', 'default', 'default')"
)
_SUBNET = (
    "INSERT INTO subnets (subnet_id, seq, account, region, vpc_id, cidr_block, "
    "availability_zone, availability_zone_id, map_public_ip_on_launch, "
    "assign_ipv6_address_on_creation, default_for_az, state) VALUES (:id, :seq, "
    "'123456789012', 'us-east-1', :vpc, :cidr, 'us-east-1a', 'use1-az1', false, false, false, "
    "'available')"
)


def test_existing_vpcs_get_default_acls_and_subnets_their_association(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with migrated_to(f"sqlite:///{path}", "0001") as conn:  # as the previous version left it
        conn.execute(text(_VPC), {"id": "vpc-0a", "seq": 1, "cidr": "10.0.0.0/16", "ipv6": None})
        conn.execute(
            text(_VPC), {"id": "vpc-0b", "seq": 2, "cidr": "10.1.0.0/16", "ipv6": "2600:1f18::/56"}
        )
        for seq, (subnet, vpc, cidr) in enumerate(
            (
                ("subnet-0a1", "vpc-0a", "10.0.1.0/24"),
                ("subnet-0a2", "vpc-0a", "10.0.2.0/24"),
                ("subnet-0b1", "vpc-0b", "10.1.1.0/24"),
            ),
            start=3,
        ):
            conn.execute(text(_SUBNET), {"id": subnet, "seq": seq, "vpc": vpc, "cidr": cidr})
        conn.execute(text("UPDATE store_revision SET next_seq = 6"))

    store = SqlStore.open(str(path))  # upgrades to head
    try:
        with store.read(Scope()) as tx:
            acls = {a.vpc_id: a for a in tx.list_network_acls()}
            snapshot = tx.snapshot()
        assert set(acls) == {"vpc-0a", "vpc-0b"}
        assert all(a.is_default for a in acls.values())
        assert acls["vpc-0a"].subnet_ids == ("subnet-0a1", "subnet-0a2")
        assert acls["vpc-0b"].subnet_ids == ("subnet-0b1",)
        numbers = {v: {(e.rule_number, e.egress) for e in a.entries} for v, a in acls.items()}
        assert numbers["vpc-0a"] == {(100, False), (100, True), (32767, False), (32767, True)}
        assert numbers["vpc-0b"] == numbers["vpc-0a"] | {
            (101, False),
            (101, True),
            (32768, False),
            (32768, True),
        }
        assert acls["vpc-0a"].entry(False, 100).action is RuleAction.ALLOW  # type: ignore[union-attr]
        # nothing changes for existing state: every subnet's ACL allows everything
        for subnet_id, acl in snapshot.network_acl_by_subnet.items():
            assert acl.network_acl_id.startswith("acl-"), subnet_id
            assert first_match(acl, False, 4, "192.0.2.1", 6, 22)[1]
        assert first_match(acls["vpc-0b"], True, 6, "2001:db8::1", 17, 53)[1]
        with store._engine.connect() as conn:
            seqs = list(conn.execute(text("SELECT seq FROM network_acls ORDER BY seq")).scalars())
            next_seq = conn.execute(text("SELECT next_seq FROM store_revision")).scalar()
        # 0002 (route tables) may have run before or after: seqs stay unique and ordered
        assert len(seqs) == 2 and seqs[1] == seqs[0] + 1 and next_seq > seqs[1]
    finally:
        store.close()
