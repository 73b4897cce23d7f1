"""Network ACLs: ACLs, their entries and subnet associations; a default ACL for every VPC.

Written out in full (not generated from ``schema.metadata``), as 0001 is. Existing VPCs
get the default ACL they would have had — 100 allow all and the ``*`` deny in both
directions (101 and 32768 for ``::/0`` too in a VPC with IPv6) — and every existing
subnet is associated with its VPC's. The default entries allow everything, so upgrading
changes no verdict and no packet (the same rule as ``Snapshot.implied_default_acl``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import context, op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_acls",
        sa.Column("network_acl_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("network_acl_id", name=op.f("pk_network_acls")),
    )
    op.create_index(
        "ix_network_acls_scope", "network_acls", ["account", "region", "seq"], unique=False
    )
    op.create_index(op.f("ix_network_acls_vpc_id"), "network_acls", ["vpc_id"], unique=False)
    op.create_table(
        "network_acl_entries",
        sa.Column("network_acl_id", sa.String(), nullable=False),
        sa.Column("egress", sa.Boolean(), nullable=False),
        sa.Column("rule_number", sa.Integer(), nullable=False),
        sa.Column("rule_action", sa.String(), nullable=False),
        sa.Column("protocol", sa.String(), nullable=False),
        sa.Column("cidr", sa.String(), nullable=False),
        sa.Column("port_from", sa.Integer(), nullable=True),
        sa.Column("port_to", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_acl_id"],
            ["network_acls.network_acl_id"],
            name=op.f("fk_network_acl_entries_network_acl_id_network_acls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "network_acl_id", "egress", "rule_number", name=op.f("pk_network_acl_entries")
        ),
    )
    op.create_table(
        "network_acl_associations",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("network_acl_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subnet_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_acl_id"],
            ["network_acls.network_acl_id"],
            name=op.f("fk_network_acl_associations_network_acl_id_network_acls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("association_id", name=op.f("pk_network_acl_associations")),
        sa.UniqueConstraint("subnet_id", name=op.f("uq_network_acl_associations_subnet_id")),
    )
    op.create_index(
        op.f("ix_network_acl_associations_network_acl_id"),
        "network_acl_associations",
        ["network_acl_id"],
        unique=False,
    )
    if not context.is_offline_mode():  # rendered SQL has no rows to read
        _default_acls_for_existing_vpcs(op.get_bind())


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def _default_entries(acl: str, ipv6: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for egress in (False, True):
        mine = [(100, "allow", "0.0.0.0/0"), (32767, "deny", "0.0.0.0/0")]
        if ipv6:
            mine += [(101, "allow", "::/0"), (32768, "deny", "::/0")]
        rows += [
            {
                "network_acl_id": acl,
                "egress": egress,
                "rule_number": number,
                "rule_action": action,
                "protocol": "-1",
                "cidr": cidr,
            }
            for number, action, cidr in mine
        ]
    return rows


def _default_acls_for_existing_vpcs(conn: sa.Connection) -> None:
    vpcs = conn.execute(
        sa.text("SELECT vpc_id, account, region, ipv6_cidr_block FROM vpcs ORDER BY seq")
    ).all()
    if not vpcs:
        return
    subnets: dict[str, list[str]] = {}
    for subnet_id, vpc_id in conn.execute(
        sa.text("SELECT subnet_id, vpc_id FROM subnets ORDER BY seq")
    ).all():
        subnets.setdefault(vpc_id, []).append(subnet_id)
    next_seq = int(
        conn.execute(sa.text("SELECT next_seq FROM store_revision WHERE id = 1")).scalar_one()
    )
    acls, entries, associations = [], [], []
    for offset, (vpc_id, account, region, ipv6) in enumerate(vpcs):
        acl = _new_id("acl")
        acls.append(
            {
                "network_acl_id": acl,
                "seq": next_seq + offset,
                "account": account,
                "region": region,
                "vpc_id": vpc_id,
                "is_default": True,
            }
        )
        entries += _default_entries(acl, bool(ipv6))
        associations += [
            {
                "association_id": _new_id("aclassoc"),
                "network_acl_id": acl,
                "position": i,
                "subnet_id": subnet_id,
            }
            for i, subnet_id in enumerate(subnets.get(vpc_id, ()))
        ]
    conn.execute(
        sa.text(
            "INSERT INTO network_acls (network_acl_id, seq, account, region, vpc_id, is_default) "
            "VALUES (:network_acl_id, :seq, :account, :region, :vpc_id, :is_default)"
        ),
        acls,
    )
    conn.execute(
        sa.text(
            "INSERT INTO network_acl_entries (network_acl_id, egress, rule_number, rule_action, "
            "protocol, cidr) VALUES (:network_acl_id, :egress, :rule_number, :rule_action, "
            ":protocol, :cidr)"
        ),
        entries,
    )
    if associations:
        conn.execute(
            sa.text(
                "INSERT INTO network_acl_associations (association_id, network_acl_id, "
                "position, subnet_id) VALUES (:association_id, :network_acl_id, :position, "
                ":subnet_id)"
            ),
            associations,
        )
    conn.execute(
        sa.text("UPDATE store_revision SET next_seq = :n WHERE id = 1"),
        {"n": next_seq + len(vpcs)},
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_network_acl_associations_network_acl_id"), table_name="network_acl_associations"
    )
    op.drop_table("network_acl_associations")
    op.drop_table("network_acl_entries")
    op.drop_index(op.f("ix_network_acls_vpc_id"), table_name="network_acls")
    op.drop_index("ix_network_acls_scope", table_name="network_acls")
    op.drop_table("network_acls")
