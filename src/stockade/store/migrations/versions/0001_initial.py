"""The initial schema: every table of ``stockade.store.schema`` as of 0.1.

Written out in full (not generated from ``schema.metadata`` at run time) so that this
migration keeps meaning the same thing after ``schema.py`` evolves.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("revision", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("resource_ids", sa.Text(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_change_log")),
    )
    op.create_table(
        "instances",
        sa.Column("instance_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("reservation_id", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("subnet_id", sa.String(), nullable=False),
        sa.Column("availability_zone", sa.String(), nullable=False),
        sa.Column("image_id", sa.String(), nullable=False),
        sa.Column("instance_type", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("launch_time", sa.String(), nullable=False),
        sa.Column("primary_eni_id", sa.String(), nullable=False),
        sa.Column("key_name", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_instances")),
    )
    op.create_index("ix_instances_scope", "instances", ["account", "region", "seq"], unique=False)
    op.create_table(
        "internet_gateways",
        sa.Column("igw_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("igw_id", name=op.f("pk_internet_gateways")),
    )
    op.create_index(
        "ix_internet_gateways_scope",
        "internet_gateways",
        ["account", "region", "seq"],
        unique=False,
    )
    op.create_index(
        op.f("ix_internet_gateways_vpc_id"), "internet_gateways", ["vpc_id"], unique=False
    )
    op.create_table(
        "network_interfaces",
        sa.Column("eni_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("subnet_id", sa.String(), nullable=False),
        sa.Column("availability_zone", sa.String(), nullable=False),
        sa.Column("private_ip", sa.String(), nullable=False),
        sa.Column("mac_address", sa.String(), nullable=False),
        sa.Column("public_ip", sa.String(), nullable=True),
        sa.Column("associate_public_ip", sa.Boolean(), nullable=False),
        sa.Column("instance_id", sa.String(), nullable=True),
        sa.Column("device_index", sa.Integer(), nullable=True),
        sa.Column("attachment_id", sa.String(), nullable=True),
        sa.Column("delete_on_termination", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("source_dest_check", sa.Boolean(), nullable=False),
        sa.Column("tcp_established_timeout", sa.Integer(), nullable=False),
        sa.Column("udp_stream_timeout", sa.Integer(), nullable=False),
        sa.Column("udp_timeout", sa.Integer(), nullable=False),
        sa.Column("connection_tracking_set", sa.Boolean(), nullable=False),
        sa.Column("interface_type", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("eni_id", name=op.f("pk_network_interfaces")),
    )
    op.create_index(
        op.f("ix_network_interfaces_instance_id"),
        "network_interfaces",
        ["instance_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_interfaces_public_ip"), "network_interfaces", ["public_ip"], unique=False
    )
    op.create_index(
        "ix_network_interfaces_scope",
        "network_interfaces",
        ["account", "region", "seq"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_interfaces_subnet_id"), "network_interfaces", ["subnet_id"], unique=False
    )
    op.create_index(
        op.f("ix_network_interfaces_vpc_id"), "network_interfaces", ["vpc_id"], unique=False
    )
    op.create_table(
        "partitions",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("initialized", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account", "region", name=op.f("pk_partitions")),
    )
    op.create_table(
        "prefix_lists",
        sa.Column("prefix_list_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("address_family", sa.String(), nullable=False),
        sa.Column("max_entries", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("prefix_list_id", name=op.f("pk_prefix_lists")),
    )
    op.create_index(
        "ix_prefix_lists_scope", "prefix_lists", ["account", "region", "seq"], unique=False
    )
    op.create_table(
        "security_groups",
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_security_groups")),
        sa.UniqueConstraint("vpc_id", "name_key", name=op.f("uq_security_groups_vpc_id_name_key")),
    )
    op.create_index(
        "ix_security_groups_scope", "security_groups", ["account", "region", "seq"], unique=False
    )
    op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_revision")),
    )
    op.create_table(
        "subnets",
        sa.Column("subnet_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("cidr_block", sa.String(), nullable=False),
        sa.Column("availability_zone", sa.String(), nullable=False),
        sa.Column("availability_zone_id", sa.String(), nullable=False),
        sa.Column("ipv6_cidr_block", sa.String(), nullable=True),
        sa.Column("map_public_ip_on_launch", sa.Boolean(), nullable=False),
        sa.Column("assign_ipv6_address_on_creation", sa.Boolean(), nullable=False),
        sa.Column("default_for_az", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("subnet_id", name=op.f("pk_subnets")),
    )
    op.create_index("ix_subnets_scope", "subnets", ["account", "region", "seq"], unique=False)
    op.create_index(op.f("ix_subnets_vpc_id"), "subnets", ["vpc_id"], unique=False)
    op.create_table(
        "tags",
        sa.Column("resource_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "key", name=op.f("pk_tags")),
    )
    op.create_index("ix_tags_scope", "tags", ["account", "region"], unique=False)
    op.create_table(
        "vpcs",
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("cidr_block", sa.String(), nullable=False),
        sa.Column("ipv6_cidr_block", sa.String(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("instance_tenancy", sa.String(), nullable=False),
        sa.Column("dhcp_options_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("vpc_id", name=op.f("pk_vpcs")),
    )
    op.create_index("ix_vpcs_scope", "vpcs", ["account", "region", "seq"], unique=False)
    op.create_table(
        "eni_groups",
        sa.Column("eni_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["eni_id"],
            ["network_interfaces.eni_id"],
            name=op.f("fk_eni_groups_eni_id_network_interfaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("eni_id", "position", name=op.f("pk_eni_groups")),
    )
    op.create_index(op.f("ix_eni_groups_group_id"), "eni_groups", ["group_id"], unique=False)
    op.create_table(
        "eni_ipv6_addresses",
        sa.Column("eni_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["eni_id"],
            ["network_interfaces.eni_id"],
            name=op.f("fk_eni_ipv6_addresses_eni_id_network_interfaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("eni_id", "position", name=op.f("pk_eni_ipv6_addresses")),
    )
    op.create_index(
        op.f("ix_eni_ipv6_addresses_address"), "eni_ipv6_addresses", ["address"], unique=False
    )
    op.create_table(
        "prefix_list_entries",
        sa.Column("prefix_list_id", sa.String(), nullable=False),
        sa.Column("cidr", sa.String(), nullable=False),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["prefix_list_id"],
            ["prefix_lists.prefix_list_id"],
            name=op.f("fk_prefix_list_entries_prefix_list_id_prefix_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "prefix_list_id", "cidr", "first_version", name=op.f("pk_prefix_list_entries")
        ),
    )
    op.create_table(
        "sg_rules",
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("owner_id", sa.String(), nullable=False),
        sa.Column("is_egress", sa.Boolean(), nullable=False),
        sa.Column("protocol", sa.String(), nullable=False),
        sa.Column("from_port", sa.Integer(), nullable=False),
        sa.Column("to_port", sa.Integer(), nullable=False),
        sa.Column("peer_kind", sa.String(), nullable=False),
        sa.Column("peer_value", sa.String(), nullable=False),
        sa.Column("peer_owner", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["security_groups.group_id"],
            name=op.f("fk_sg_rules_group_id_security_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_sg_rules")),
        sa.UniqueConstraint(
            "group_id",
            "is_egress",
            "protocol",
            "from_port",
            "to_port",
            "peer_kind",
            "peer_value",
            "peer_owner",
            name="uq_sg_rules_identity",
        ),
    )
    op.create_index("ix_sg_rules_group", "sg_rules", ["group_id", "seq"], unique=False)
    op.create_index("ix_sg_rules_peer", "sg_rules", ["peer_value", "peer_kind"], unique=False)
    op.create_index("ix_sg_rules_scope", "sg_rules", ["account", "region", "seq"], unique=False)

    # The single revision row every write transaction locks and bumps.
    store_revision = sa.table(
        "store_revision",
        sa.column("id", sa.Integer),
        sa.column("revision", sa.BigInteger),
        sa.column("next_seq", sa.BigInteger),
    )
    op.bulk_insert(store_revision, [{"id": 1, "revision": 0, "next_seq": 1}])


def downgrade() -> None:
    op.drop_index("ix_sg_rules_scope", table_name="sg_rules")
    op.drop_index("ix_sg_rules_peer", table_name="sg_rules")
    op.drop_index("ix_sg_rules_group", table_name="sg_rules")
    op.drop_table("sg_rules")
    op.drop_table("prefix_list_entries")
    op.drop_index(op.f("ix_eni_ipv6_addresses_address"), table_name="eni_ipv6_addresses")
    op.drop_table("eni_ipv6_addresses")
    op.drop_index(op.f("ix_eni_groups_group_id"), table_name="eni_groups")
    op.drop_table("eni_groups")
    op.drop_index("ix_vpcs_scope", table_name="vpcs")
    op.drop_table("vpcs")
    op.drop_index("ix_tags_scope", table_name="tags")
    op.drop_table("tags")
    op.drop_index(op.f("ix_subnets_vpc_id"), table_name="subnets")
    op.drop_index("ix_subnets_scope", table_name="subnets")
    op.drop_table("subnets")
    op.drop_table("store_revision")
    op.drop_index("ix_security_groups_scope", table_name="security_groups")
    op.drop_table("security_groups")
    op.drop_index("ix_prefix_lists_scope", table_name="prefix_lists")
    op.drop_table("prefix_lists")
    op.drop_table("partitions")
    op.drop_index(op.f("ix_network_interfaces_vpc_id"), table_name="network_interfaces")
    op.drop_index(op.f("ix_network_interfaces_subnet_id"), table_name="network_interfaces")
    op.drop_index("ix_network_interfaces_scope", table_name="network_interfaces")
    op.drop_index(op.f("ix_network_interfaces_public_ip"), table_name="network_interfaces")
    op.drop_index(op.f("ix_network_interfaces_instance_id"), table_name="network_interfaces")
    op.drop_table("network_interfaces")
    op.drop_index(op.f("ix_internet_gateways_vpc_id"), table_name="internet_gateways")
    op.drop_index("ix_internet_gateways_scope", table_name="internet_gateways")
    op.drop_table("internet_gateways")
    op.drop_index("ix_instances_scope", table_name="instances")
    op.drop_table("instances")
    op.drop_table("change_log")
