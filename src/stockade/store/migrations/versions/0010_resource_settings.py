"""Attributes AWS keeps on resources stockade has no row of its own for (issue 14).

One table, ``resource_settings``: a JSON value per (resource id, name), scoped like tags,
for an instance's monitoring, metadata options and IAM instance-profile association, a
root volume's size and type (ModifyVolume), an Elastic IP's PTR record and a DHCP options
set's configurations. A new table only: no existing row changes meaning (a resource
without settings shows AWS's defaults).

Written out in full (not generated from ``schema.metadata``), as 0001 is.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resource_settings",
        sa.Column("resource_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "name", name=op.f("pk_resource_settings")),
    )
    op.create_index(
        "ix_resource_settings_scope",
        "resource_settings",
        ["account", "region", "name"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_resource_settings_scope", table_name="resource_settings")
    op.drop_table("resource_settings")
