"""VPC Flow Logs as stored resources (CreateFlowLogs / DescribeFlowLogs / DeleteFlowLogs).

Written out in full (not generated from ``schema.metadata``), as 0001 is. A new table only:
no existing row changes meaning. A store without flow logs writes no flow-log records from
this revision on (AWS logs nothing without a flow log).

Follows ``0007_secondary_addresses``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_logs",
        sa.Column("flow_log_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("creation_time", sa.String(), nullable=False),
        sa.Column("resource_id", sa.String(), nullable=False),
        sa.Column("traffic_type", sa.String(), nullable=False),
        sa.Column("log_destination_type", sa.String(), nullable=False),
        sa.Column("log_destination", sa.String(), nullable=True),
        sa.Column("log_group_name", sa.String(), nullable=True),
        sa.Column("deliver_logs_permission_arn", sa.String(), nullable=True),
        sa.Column("log_format", sa.Text(), nullable=False),
        sa.Column("max_aggregation_interval", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow_log_id", name=op.f("pk_flow_logs")),
    )
    op.create_index("ix_flow_logs_scope", "flow_logs", ["account", "region", "seq"], unique=False)
    op.create_index(op.f("ix_flow_logs_resource_id"), "flow_logs", ["resource_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_flow_logs_resource_id"), table_name="flow_logs")
    op.drop_index("ix_flow_logs_scope", table_name="flow_logs")
    op.drop_table("flow_logs")
