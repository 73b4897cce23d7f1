"""Secondary private IPv4 addresses of network interfaces (AssignPrivateIpAddresses).

Written out in full (not generated from ``schema.metadata``), as 0001 is. A child table
like ``eni_ipv6_addresses``: one row per address, in assignment order. Existing
interfaces have none, so no rows are created and no verdict changes.

Follows ``0006_network_insights``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eni_secondary_ipv4_addresses",
        sa.Column("eni_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["eni_id"],
            ["network_interfaces.eni_id"],
            name=op.f("fk_eni_secondary_ipv4_addresses_eni_id_network_interfaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("eni_id", "position", name=op.f("pk_eni_secondary_ipv4_addresses")),
    )
    op.create_index(
        op.f("ix_eni_secondary_ipv4_addresses_address"),
        "eni_secondary_ipv4_addresses",
        ["address"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_eni_secondary_ipv4_addresses_address"),
        table_name="eni_secondary_ipv4_addresses",
    )
    op.drop_table("eni_secondary_ipv4_addresses")
