"""A VPC's secondary IPv4 blocks (AssociateVpcCidrBlock with ``CidrBlock``, issue 14).

One nullable column on ``vpcs``: the blocks after the primary, a JSON list in association
order. A column, not ``resource_settings``: every read of a VPC (the snapshot the policy
engine and the data plane plan from, a peer VPC in another scope) needs its blocks, and
settings are a second, scoped query. Existing VPCs keep NULL: their primary block only.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("vpcs", sa.Column("secondary_cidr_blocks", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vpcs") as batch:
        batch.drop_column("secondary_cidr_blocks")
