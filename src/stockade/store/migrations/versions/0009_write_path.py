"""The write path's schema: fewer b-trees per write, the group quota read in O(1).

Measured on the hot write path (``bench/write_path.py``): every index a row carries is one
more b-tree insert per row (~4-6 us each on SQLite), and the group quota check counted every
group of the scope on each create (~0.1-0.3 ms at 2,000-2,500 groups). So:

* ``scope_counts``: one row per (account, region) holding its number of security groups,
  kept by triggers on ``security_groups`` (insert, delete, and an update that moves a row to
  another scope), so every writer -- the API, imports, a raw statement -- keeps it right
  without the store having to remember. Filled from the existing groups here.
* ``sg_rules``: ``ix_sg_rules_group (group_id, seq)`` is dropped -- the rule-identity
  constraint's index starts with ``group_id`` and serves every by-group look-up (a group's
  few rules are sorted by ``seq`` after); ``ix_sg_rules_peer`` becomes
  ``ix_sg_rules_reference``, partial over the rules whose peer is a group or a prefix list
  (the only peers ever looked up by value: "who references this group / list"), so CIDR
  rules, most rules, skip it.
* ``change_log.revision`` becomes SQLite's ``INTEGER PRIMARY KEY`` (the rowid itself: no
  separate primary-key b-tree); PostgreSQL keeps its ``BIGINT``.

Written out in full, as 0001 is: triggers are dialect-specific SQL. Follows
``0008_flow_logs``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockade.store.migrations.scope_count_triggers import SQLITE_TRIGGERS as _SQLITE_TRIGGERS

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: The partial index's condition, as ``schema.REFERENCE_PEERS`` spells it (SQLite uses a
#: partial index only for a query that repeats its condition word for word).
_REFERENCE_PEERS = "peer_kind IN ('group', 'prefix-list')"

_POSTGRES_TRIGGERS = (
    """
    CREATE FUNCTION scope_counts_follow_groups() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.account = NEW.account AND OLD.region = NEW.region THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE scope_counts SET security_groups = security_groups - 1
            WHERE account = OLD.account AND region = OLD.region;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO scope_counts (account, region, security_groups)
            VALUES (NEW.account, NEW.region, 1)
            ON CONFLICT (account, region)
            DO UPDATE SET security_groups = scope_counts.security_groups + 1;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER scope_counts_follow_groups
    AFTER INSERT OR DELETE OR UPDATE OF account, region ON security_groups
    FOR EACH ROW EXECUTE FUNCTION scope_counts_follow_groups()
    """,
)


def _dialect() -> str:
    return op.get_context().dialect.name


def _change_log(revision_type: sa.types.TypeEngine) -> sa.Table:
    """``change_log`` as batch mode copies it (given, not reflected: the offline render
    has no database to reflect)."""
    return sa.Table(
        "change_log",
        sa.MetaData(),
        sa.Column("revision", revision_type, nullable=False, autoincrement=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("resource_ids", sa.Text(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("revision", name="pk_change_log"),
    )


def upgrade() -> None:
    op.create_table(
        "scope_counts",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("security_groups", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account", "region", name=op.f("pk_scope_counts")),
    )
    op.execute(
        "INSERT INTO scope_counts (account, region, security_groups) "
        "SELECT account, region, COUNT(*) FROM security_groups GROUP BY account, region"
    )
    for statement in _SQLITE_TRIGGERS if _dialect() == "sqlite" else _POSTGRES_TRIGGERS:
        op.execute(statement)

    op.drop_index("ix_sg_rules_group", table_name="sg_rules")
    op.drop_index("ix_sg_rules_peer", table_name="sg_rules")
    op.create_index(
        "ix_sg_rules_reference",
        "sg_rules",
        ["peer_value", "peer_kind"],
        unique=False,
        sqlite_where=sa.text(_REFERENCE_PEERS),
        postgresql_where=sa.text(_REFERENCE_PEERS),
    )

    if _dialect() == "sqlite":
        # SQLite alters a column's type only by copying the table (batch mode does that).
        with op.batch_alter_table(
            "change_log", recreate="always", copy_from=_change_log(sa.BigInteger())
        ) as batch:
            batch.alter_column(
                "revision",
                type_=sa.Integer(),
                existing_type=sa.BigInteger(),
                existing_nullable=False,
                autoincrement=False,
            )


def downgrade() -> None:
    if _dialect() == "sqlite":
        with op.batch_alter_table(
            "change_log", recreate="always", copy_from=_change_log(sa.Integer())
        ) as batch:
            batch.alter_column(
                "revision",
                type_=sa.BigInteger(),
                existing_type=sa.Integer(),
                existing_nullable=False,
                autoincrement=False,
            )
    op.drop_index("ix_sg_rules_reference", table_name="sg_rules")
    op.create_index("ix_sg_rules_peer", "sg_rules", ["peer_value", "peer_kind"], unique=False)
    op.create_index("ix_sg_rules_group", "sg_rules", ["group_id", "seq"], unique=False)
    if _dialect() == "sqlite":
        for name in ("added", "removed", "moved"):
            op.execute(f"DROP TRIGGER scope_counts_group_{name}")
    else:
        op.execute("DROP TRIGGER scope_counts_follow_groups ON security_groups")
        op.execute("DROP FUNCTION scope_counts_follow_groups()")
    op.drop_table("scope_counts")
