"""``sg_rules`` keyed by ``seq``: rules stored in creation order, no scope index.

Why (issue 10, the write path): on SQLite every b-tree a commit changes is at least one
more WAL frame -- two ``pwrite`` calls and its bytes in the fsync the caller waits for.
An authorize of four rules wrote ~19 frames on 1 KiB pages, ~3 of them for
``ix_sg_rules_scope`` alone. Keyed by ``seq`` (SQLite's ``INTEGER PRIMARY KEY``, the rowid
itself), the table's own b-tree is already in creation order: listing a scope's rules is
one pass in key order with no sort, so the scope index goes, and ``rule_id`` -- the old
primary key -- becomes a unique constraint (still the by-id look-up's index).

SQLite changes a primary key only by copying the table: a new table, the rows copied, the
old one dropped (no table refers to ``sg_rules``, so nothing cascades), the new one
renamed. The copy is written out, not reflected, so the offline render has what it needs.
PostgreSQL swaps the constraints in place and keeps ``seq`` a ``BIGINT``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_REFERENCE_PEERS = "peer_kind IN ('group', 'prefix-list')"
_COLUMNS = (
    "rule_id, seq, account, region, group_id, owner_id, is_egress, protocol, from_port, "
    "to_port, peer_kind, peer_value, peer_owner, description"
)
_IDENTITY = (
    "group_id",
    "is_egress",
    "protocol",
    "from_port",
    "to_port",
    "peer_kind",
    "peer_value",
    "peer_owner",
)


def _dialect() -> str:
    return op.get_context().dialect.name


def _rules_table(name: str, *, keyed_by_seq: bool) -> None:
    """Create ``sg_rules`` under ``name``, keyed by ``seq`` or (as before) by ``rule_id``;
    its constraints keep ``sg_rules``'s names, as the rename leaves them."""
    key = sa.PrimaryKeyConstraint("seq" if keyed_by_seq else "rule_id", name="pk_sg_rules")
    unique_id = [sa.UniqueConstraint("rule_id", name="uq_sg_rules_rule_id")] if keyed_by_seq else []
    op.create_table(
        name,
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column(
            "seq",
            sa.Integer() if keyed_by_seq else sa.BigInteger(),
            nullable=False,
            autoincrement=False,
        ),
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
            name="fk_sg_rules_group_id_security_groups",
            ondelete="CASCADE",
        ),
        key,
        sa.UniqueConstraint(*_IDENTITY, name="uq_sg_rules_identity"),
        *unique_id,
    )


def _copy_sqlite_rules(*, keyed_by_seq: bool) -> None:
    _rules_table("sg_rules_copy", keyed_by_seq=keyed_by_seq)
    op.execute(f"INSERT INTO sg_rules_copy ({_COLUMNS}) SELECT {_COLUMNS} FROM sg_rules")
    op.drop_table("sg_rules")
    op.rename_table("sg_rules_copy", "sg_rules")
    op.create_index(
        "ix_sg_rules_reference",
        "sg_rules",
        ["peer_value", "peer_kind"],
        unique=False,
        sqlite_where=sa.text(_REFERENCE_PEERS),
    )


def upgrade() -> None:
    if _dialect() == "sqlite":
        _copy_sqlite_rules(keyed_by_seq=True)
        return
    op.drop_index("ix_sg_rules_scope", table_name="sg_rules")
    op.drop_constraint("pk_sg_rules", "sg_rules", type_="primary")
    op.create_unique_constraint("uq_sg_rules_rule_id", "sg_rules", ["rule_id"])
    op.create_primary_key("pk_sg_rules", "sg_rules", ["seq"])


def downgrade() -> None:
    if _dialect() == "sqlite":
        _copy_sqlite_rules(keyed_by_seq=False)
    else:
        op.drop_constraint("pk_sg_rules", "sg_rules", type_="primary")
        op.drop_constraint("uq_sg_rules_rule_id", "sg_rules", type_="unique")
        op.create_primary_key("pk_sg_rules", "sg_rules", ["rule_id"])
    op.create_index("ix_sg_rules_scope", "sg_rules", ["account", "region", "seq"], unique=False)
