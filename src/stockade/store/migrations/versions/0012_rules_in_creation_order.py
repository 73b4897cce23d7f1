"""``sg_rules`` and ``security_groups`` keyed by ``seq``: stored in creation order, no
scope index.

Why (issue 10, the write path): on SQLite every b-tree a commit changes is at least one
more WAL frame -- two ``pwrite`` calls and its bytes in the fsync the caller waits for.
An authorize of four rules wrote ~19 frames on 1 KiB pages, ~3 of them for
``ix_sg_rules_scope`` alone. Keyed by ``seq`` (SQLite's ``INTEGER PRIMARY KEY``, the rowid
itself), the table's own b-tree is already in creation order: listing a scope's rules is
one pass in key order with no sort, so the scope index goes, and ``rule_id`` -- the old
primary key -- becomes a unique constraint (still the by-id look-up's index).

``security_groups`` the same (a create writes one of its rows): ``group_id`` becomes a
unique constraint -- still the key ``sg_rules.group_id`` refers to -- and
``ix_security_groups_scope`` goes.

SQLite changes a primary key only by copying the table: a new table, the rows copied, the
old one dropped, the new one renamed. The copies are written out, not reflected, so the
offline render has what it needs. Foreign keys are on during a migration, and dropping a
table they point at deletes its rows with their cascade: so both tables are copied first,
the rules' copy referring to the groups' copy, and only then are the old tables dropped
(nothing refers to the old groups any more) and the copies renamed (SQLite points the
rules' reference at the new name). The ``scope_counts`` triggers go with the old groups
table and are created again (:mod:`stockade.store.migrations.scope_count_triggers`);
the rows copied into the new table fire none (the counts stay right). PostgreSQL swaps the
constraints in place (the rules' foreign key is dropped with the old primary key and made
again on the unique constraint) and keeps ``seq`` a ``BIGINT``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockade.store.migrations.scope_count_triggers import SQLITE_TRIGGERS

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_REFERENCE_PEERS = "peer_kind IN ('group', 'prefix-list')"
_RULES_GROUP_KEY = "fk_sg_rules_group_id_security_groups"
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


def _keyed_head(table: str, id_column: str, *, keyed_by_seq: bool) -> list[sa.schema.SchemaItem]:
    """The id, ``seq`` and scope columns both tables start with, and their key: ``seq``
    (SQLite's ``INTEGER PRIMARY KEY``) with the id unique, or (as before 0012) the id."""
    key = "seq" if keyed_by_seq else id_column
    seq_type = sa.Integer() if keyed_by_seq else sa.BigInteger()
    unique_id = [sa.UniqueConstraint(id_column, name=f"uq_{table}_{id_column}")]
    return [
        sa.Column(id_column, sa.String(), nullable=False),
        sa.Column("seq", seq_type, nullable=False, autoincrement=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint(key, name=f"pk_{table}"),
        *(unique_id if keyed_by_seq else []),
    ]


def _rules_table(name: str, groups: str, *, keyed_by_seq: bool) -> None:
    """Create ``sg_rules`` under ``name`` (its groups in table ``groups``), keyed by ``seq``
    or (as before) by ``rule_id``; its constraints keep ``sg_rules``'s names, as the rename
    leaves them."""
    op.create_table(
        name,
        *_keyed_head("sg_rules", "rule_id", keyed_by_seq=keyed_by_seq),
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
            [f"{groups}.group_id"],
            name=_RULES_GROUP_KEY,
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(*_IDENTITY, name="uq_sg_rules_identity"),
    )


_GROUP_COLUMNS = "group_id, seq, account, region, vpc_id, name, name_key, description"


def _groups_table(name: str, *, keyed_by_seq: bool) -> None:
    """Create ``security_groups`` under ``name``, keyed as :func:`_keyed_head` says."""
    op.create_table(
        name,
        *_keyed_head("security_groups", "group_id", keyed_by_seq=keyed_by_seq),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.UniqueConstraint("vpc_id", "name_key", name="uq_security_groups_vpc_id_name_key"),
    )


def _copy_sqlite_tables(*, keyed_by_seq: bool) -> None:
    """Copy both tables without deleting a rule (module docstring): the copies first, the
    rules' copy referring to the groups' copy; then the old rules, the old groups (no rule
    refers to them any more: nothing cascades) and their triggers go; then the renames,
    which point the rules' reference at ``security_groups`` again."""
    _groups_table("security_groups_copy", keyed_by_seq=keyed_by_seq)
    op.execute(
        f"INSERT INTO security_groups_copy ({_GROUP_COLUMNS}) "
        f"SELECT {_GROUP_COLUMNS} FROM security_groups"
    )
    _rules_table("sg_rules_copy", "security_groups_copy", keyed_by_seq=keyed_by_seq)
    op.execute(f"INSERT INTO sg_rules_copy ({_COLUMNS}) SELECT {_COLUMNS} FROM sg_rules")
    op.drop_table("sg_rules")
    for name in ("added", "removed", "moved"):
        op.execute(f"DROP TRIGGER scope_counts_group_{name}")
    op.drop_table("security_groups")
    op.rename_table("security_groups_copy", "security_groups")
    op.rename_table("sg_rules_copy", "sg_rules")
    op.create_index(
        "ix_sg_rules_reference",
        "sg_rules",
        ["peer_value", "peer_kind"],
        unique=False,
        sqlite_where=sa.text(_REFERENCE_PEERS),
    )
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def _key_postgres_table(table: str, id_column: str, *, keyed_by_seq: bool) -> None:
    """Key ``table`` in place by ``seq`` (its id then a unique constraint) or, as before
    0012, by its id. The rules' foreign key hangs on the groups' key: it is dropped first
    and made again on the new one."""
    groups = table == "security_groups"
    if groups:
        op.drop_constraint(_RULES_GROUP_KEY, "sg_rules", type_="foreignkey")
    op.drop_constraint(f"pk_{table}", table, type_="primary")
    if keyed_by_seq:
        op.create_unique_constraint(f"uq_{table}_{id_column}", table, [id_column])
        op.create_primary_key(f"pk_{table}", table, ["seq"])
    else:
        op.create_primary_key(f"pk_{table}", table, [id_column])
        op.drop_constraint(f"uq_{table}_{id_column}", table, type_="unique")
    if groups:
        op.create_foreign_key(
            _RULES_GROUP_KEY,
            "sg_rules",
            "security_groups",
            ["group_id"],
            ["group_id"],
            ondelete="CASCADE",
        )


def upgrade() -> None:
    op.drop_index("ix_sg_rules_scope", table_name="sg_rules")
    op.drop_index("ix_security_groups_scope", table_name="security_groups")
    if _dialect() == "sqlite":
        _copy_sqlite_tables(keyed_by_seq=True)
        return
    _key_postgres_table("sg_rules", "rule_id", keyed_by_seq=True)
    _key_postgres_table("security_groups", "group_id", keyed_by_seq=True)


def downgrade() -> None:
    if _dialect() == "sqlite":
        _copy_sqlite_tables(keyed_by_seq=False)
    else:
        _key_postgres_table("security_groups", "group_id", keyed_by_seq=False)
        _key_postgres_table("sg_rules", "rule_id", keyed_by_seq=False)
    op.create_index("ix_sg_rules_scope", "sg_rules", ["account", "region", "seq"], unique=False)
    op.create_index(
        "ix_security_groups_scope", "security_groups", ["account", "region", "seq"], unique=False
    )
