"""Reachability Analyzer: network insights paths and analyses (each with its stored result).

Written out in full (not generated from ``schema.metadata``), as 0001 is. New tables only:
no existing row changes meaning.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_insights_paths",
        sa.Column("path_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("created_date", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("destination", sa.String(), nullable=True),
        sa.Column("source_ip", sa.String(), nullable=True),
        sa.Column("destination_ip", sa.String(), nullable=True),
        sa.Column("protocol", sa.String(), nullable=False),
        sa.Column("destination_port", sa.Integer(), nullable=True),
        sa.Column("filter_at_source", sa.Text(), nullable=True),
        sa.Column("filter_at_destination", sa.Text(), nullable=True),
        sa.Column("client_token", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("path_id", name=op.f("pk_network_insights_paths")),
    )
    op.create_index(
        "ix_network_insights_paths_scope",
        "network_insights_paths",
        ["account", "region", "seq"],
        unique=False,
    )
    op.create_table(
        "network_insights_analyses",
        sa.Column("analysis_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("path_id", sa.String(), nullable=False),
        sa.Column("start_date", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_message", sa.String(), nullable=True),
        sa.Column("warning_message", sa.String(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("additional_accounts", sa.Text(), nullable=False),
        sa.Column("filter_in_arns", sa.Text(), nullable=False),
        sa.Column("filter_out_arns", sa.Text(), nullable=False),
        sa.Column("client_token", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("analysis_id", name=op.f("pk_network_insights_analyses")),
    )
    op.create_index(
        "ix_network_insights_analyses_scope",
        "network_insights_analyses",
        ["account", "region", "seq"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_insights_analyses_path_id"),
        "network_insights_analyses",
        ["path_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_network_insights_analyses_path_id"), table_name="network_insights_analyses"
    )
    op.drop_index("ix_network_insights_analyses_scope", table_name="network_insights_analyses")
    op.drop_table("network_insights_analyses")
    op.drop_index("ix_network_insights_paths_scope", table_name="network_insights_paths")
    op.drop_table("network_insights_paths")
