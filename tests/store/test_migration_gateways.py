"""Migration 0003 on a store made before it: existing VPCs take AWS's attribute defaults
(DNS hostnames on only in the default VPC), and the gateway tables start empty."""

from __future__ import annotations

from sqlalchemy import text

from stockade.domain.scope import Scope
from stockade.store.sql import SqlStore
from store.migrated import migrated_to


def test_vpcs_of_an_older_store_take_the_default_attributes(tmp_path):
    with migrated_to(f"sqlite:///{tmp_path / 'old.db'}", "0001") as conn:
        for seq, vpc_id, default in (
            (1, "vpc-0123456789abcdef0", True),
            (2, "vpc-0123456789abcdef1", False),
        ):
            conn.execute(
                text(
                    "INSERT INTO vpcs (vpc_id, seq, account, region, cidr_block, is_default, "
                    "state, instance_tenancy, dhcp_options_id) VALUES (:id, 1, '123456789012', "
                    "'us-east-1', '172.31.0.0/16', :default, 'available', 'default', 'default')"
                ),
                {"id": vpc_id, "seq": seq, "default": default},
            )
    store = SqlStore.open(str(tmp_path / "old.db"))  # upgrades to head
    try:
        with store.read(Scope("123456789012", "us-east-1")) as tx:
            vpcs = {v.vpc_id: v for v in tx.list_vpcs()}
            default, other = vpcs["vpc-0123456789abcdef0"], vpcs["vpc-0123456789abcdef1"]
            assert (default.enable_dns_support, default.enable_dns_hostnames) == (True, True)
            assert (other.enable_dns_support, other.enable_dns_hostnames) == (True, False)
            assert not default.enable_network_address_usage_metrics
            assert tx.list_elastic_ips() == [] and tx.list_nat_gateways() == []
    finally:
        store.close()
