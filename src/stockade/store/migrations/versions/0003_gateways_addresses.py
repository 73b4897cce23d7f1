"""NAT gateways, egress-only internet gateways, Elastic IPs, and the VPC attributes.

Written out in full (not generated from ``schema.metadata``) so it keeps meaning the same
thing after ``schema.py`` evolves. Existing VPCs take AWS's defaults: DNS support on, DNS
hostnames on only in a default VPC, Network Address Usage metrics off.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_VPC_ATTRIBUTES = (
    ("enable_dns_support", sa.true()),
    ("enable_dns_hostnames", sa.false()),
    ("enable_network_address_usage_metrics", sa.false()),
)


def upgrade() -> None:
    for name, default in _VPC_ATTRIBUTES:
        op.add_column("vpcs", sa.Column(name, sa.Boolean(), nullable=False, server_default=default))
    vpcs = sa.table(
        "vpcs",
        sa.column("is_default", sa.Boolean()),
        sa.column("enable_dns_hostnames", sa.Boolean()),
    )
    op.execute(vpcs.update().where(vpcs.c.is_default.is_(True)).values(enable_dns_hostnames=True))
    op.create_table(
        "nat_gateways",
        sa.Column("nat_gateway_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("subnet_id", sa.String(), nullable=False),
        sa.Column("private_ip", sa.String(), nullable=False),
        sa.Column("create_time", sa.String(), nullable=False),
        sa.Column("connectivity_type", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("allocation_id", sa.String(), nullable=True),
        sa.Column("public_ip", sa.String(), nullable=True),
        sa.Column("network_interface_id", sa.String(), nullable=True),
        sa.Column("delete_time", sa.String(), nullable=True),
        sa.Column("client_token", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("nat_gateway_id", name=op.f("pk_nat_gateways")),
    )
    op.create_index(
        "ix_nat_gateways_scope", "nat_gateways", ["account", "region", "seq"], unique=False
    )
    op.create_index(op.f("ix_nat_gateways_vpc_id"), "nat_gateways", ["vpc_id"], unique=False)
    op.create_index(op.f("ix_nat_gateways_subnet_id"), "nat_gateways", ["subnet_id"], unique=False)
    op.create_table(
        "egress_only_internet_gateways",
        sa.Column("egress_only_internet_gateway_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint(
            "egress_only_internet_gateway_id", name=op.f("pk_egress_only_internet_gateways")
        ),
    )
    op.create_index(
        "ix_egress_only_internet_gateways_scope",
        "egress_only_internet_gateways",
        ["account", "region", "seq"],
        unique=False,
    )
    op.create_index(
        op.f("ix_egress_only_internet_gateways_vpc_id"),
        "egress_only_internet_gateways",
        ["vpc_id"],
        unique=False,
    )
    op.create_table(
        "elastic_ips",
        sa.Column("allocation_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("public_ip", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=False),
        sa.Column("public_ipv4_pool", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=True),
        sa.Column("network_interface_id", sa.String(), nullable=True),
        sa.Column("private_ip", sa.String(), nullable=True),
        sa.Column("instance_id", sa.String(), nullable=True),
        sa.Column("nat_gateway_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("allocation_id", name=op.f("pk_elastic_ips")),
        sa.UniqueConstraint("public_ip", name=op.f("uq_elastic_ips_public_ip")),
    )
    op.create_index(
        "ix_elastic_ips_scope", "elastic_ips", ["account", "region", "seq"], unique=False
    )
    op.create_index(
        op.f("ix_elastic_ips_association_id"), "elastic_ips", ["association_id"], unique=False
    )
    op.create_index(
        op.f("ix_elastic_ips_network_interface_id"),
        "elastic_ips",
        ["network_interface_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_elastic_ips_network_interface_id"), table_name="elastic_ips")
    op.drop_index(op.f("ix_elastic_ips_association_id"), table_name="elastic_ips")
    op.drop_index("ix_elastic_ips_scope", table_name="elastic_ips")
    op.drop_table("elastic_ips")
    op.drop_index(
        op.f("ix_egress_only_internet_gateways_vpc_id"),
        table_name="egress_only_internet_gateways",
    )
    op.drop_index(
        "ix_egress_only_internet_gateways_scope", table_name="egress_only_internet_gateways"
    )
    op.drop_table("egress_only_internet_gateways")
    op.drop_index(op.f("ix_nat_gateways_subnet_id"), table_name="nat_gateways")
    op.drop_index(op.f("ix_nat_gateways_vpc_id"), table_name="nat_gateways")
    op.drop_index("ix_nat_gateways_scope", table_name="nat_gateways")
    op.drop_table("nat_gateways")
    with op.batch_alter_table("vpcs") as batch:
        for name, _ in reversed(_VPC_ATTRIBUTES):
            batch.drop_column(name)
