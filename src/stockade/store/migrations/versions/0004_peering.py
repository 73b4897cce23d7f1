"""VPC peering connections: one row per peering, listed by both sides' scopes.

Written out in full (not generated from ``schema.metadata``), as 0001 is. Existing stores
hold no peerings, so no rows are created.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vpc_peering_connections",
        sa.Column("vpc_peering_connection_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("requester_vpc_id", sa.String(), nullable=False),
        sa.Column("requester_cidr_blocks", sa.Text(), nullable=False),
        sa.Column("requester_ipv6_cidr_blocks", sa.Text(), nullable=False),
        sa.Column("requester_allow_dns", sa.Boolean(), nullable=False),
        sa.Column("accepter_vpc_id", sa.String(), nullable=False),
        sa.Column("accepter_account", sa.String(), nullable=False),
        sa.Column("accepter_region", sa.String(), nullable=False),
        sa.Column("accepter_cidr_blocks", sa.Text(), nullable=False),
        sa.Column("accepter_ipv6_cidr_blocks", sa.Text(), nullable=False),
        sa.Column("accepter_allow_dns", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_message", sa.String(), nullable=False),
        sa.Column("expiration_time", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint(
            "vpc_peering_connection_id", name=op.f("pk_vpc_peering_connections")
        ),
    )
    op.create_index(
        "ix_vpc_peering_connections_scope",
        "vpc_peering_connections",
        ["account", "region", "seq"],
        unique=False,
    )
    op.create_index(
        "ix_vpc_peering_connections_accepter",
        "vpc_peering_connections",
        ["accepter_account", "accepter_region", "seq"],
        unique=False,
    )
    op.create_index(
        op.f("ix_vpc_peering_connections_requester_vpc_id"),
        "vpc_peering_connections",
        ["requester_vpc_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_vpc_peering_connections_accepter_vpc_id"),
        "vpc_peering_connections",
        ["accepter_vpc_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("vpc_peering_connections")
