"""Route tables: tables, their routes and associations; a main table for every VPC.

Written out in full (not generated from ``schema.metadata``), as 0001 is. Existing VPCs
get the main table they would have had: a local route per CIDR block and, where an
internet gateway is attached, ``0.0.0.0/0`` (and ``::/0`` for an IPv6 VPC) to it — what
state made before route tables meant ("a gateway attached is routed", the same rule as
``Snapshot.implied_main_table``), so upgrading changes no verdict and no packet.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "route_tables",
        sa.Column("route_table_id", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("vpc_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("route_table_id", name=op.f("pk_route_tables")),
    )
    op.create_index(
        "ix_route_tables_scope", "route_tables", ["account", "region", "seq"], unique=False
    )
    op.create_index(op.f("ix_route_tables_vpc_id"), "route_tables", ["vpc_id"], unique=False)
    op.create_table(
        "route_table_routes",
        sa.Column("route_table_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("instance_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["route_table_id"],
            ["route_tables.route_table_id"],
            name=op.f("fk_route_table_routes_route_table_id_route_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("route_table_id", "position", name=op.f("pk_route_table_routes")),
        sa.UniqueConstraint(
            "route_table_id",
            "destination",
            name=op.f("uq_route_table_routes_route_table_id_destination"),
        ),
    )
    op.create_table(
        "route_table_associations",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("route_table_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("main", sa.Boolean(), nullable=False),
        sa.Column("subnet_id", sa.String(), nullable=True),
        sa.Column("gateway_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["route_table_id"],
            ["route_tables.route_table_id"],
            name=op.f("fk_route_table_associations_route_table_id_route_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("association_id", name=op.f("pk_route_table_associations")),
        sa.UniqueConstraint("subnet_id", name=op.f("uq_route_table_associations_subnet_id")),
    )
    op.create_index(
        op.f("ix_route_table_associations_route_table_id"),
        "route_table_associations",
        ["route_table_id"],
        unique=False,
    )
    if not context.is_offline_mode():  # rendered SQL has no rows to read
        _main_tables_for_existing_vpcs(op.get_bind())


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def _main_tables_for_existing_vpcs(conn: sa.Connection) -> None:
    vpcs = conn.execute(
        sa.text(
            "SELECT vpc_id, account, region, cidr_block, ipv6_cidr_block FROM vpcs ORDER BY seq"
        )
    ).all()
    if not vpcs:
        return
    gateways: dict[str, str] = dict(
        conn.execute(
            sa.text("SELECT vpc_id, igw_id FROM internet_gateways WHERE vpc_id IS NOT NULL")
        ).all()
    )
    next_seq = int(
        conn.execute(sa.text("SELECT next_seq FROM store_revision WHERE id = 1")).scalar_one()
    )
    tables, routes, associations = [], [], []
    for offset, (vpc_id, account, region, cidr, ipv6) in enumerate(vpcs):
        rtb = _new_id("rtb")
        tables.append(
            {
                "route_table_id": rtb,
                "seq": next_seq + offset,
                "account": account,
                "region": region,
                "vpc_id": vpc_id,
            }
        )
        mine = [(cidr, "local", "CreateRouteTable")]
        if ipv6:
            mine.append((ipv6, "local", "CreateRouteTable"))
        igw = gateways.get(vpc_id)
        if igw:
            mine.append(("0.0.0.0/0", igw, "CreateRoute"))
            if ipv6:
                mine.append(("::/0", igw, "CreateRoute"))
        routes += [
            {"route_table_id": rtb, "position": i, "destination": d, "target": t, "origin": o}
            for i, (d, t, o) in enumerate(mine)
        ]
        associations.append(
            {
                "association_id": _new_id("rtbassoc"),
                "route_table_id": rtb,
                "position": 0,
                "main": True,
            }
        )
    conn.execute(
        sa.text(
            "INSERT INTO route_tables (route_table_id, seq, account, region, vpc_id) "
            "VALUES (:route_table_id, :seq, :account, :region, :vpc_id)"
        ),
        tables,
    )
    conn.execute(
        sa.text(
            "INSERT INTO route_table_routes (route_table_id, position, destination, target, "
            "origin) VALUES (:route_table_id, :position, :destination, :target, :origin)"
        ),
        routes,
    )
    conn.execute(
        sa.text(
            "INSERT INTO route_table_associations (association_id, route_table_id, position, "
            "main) VALUES (:association_id, :route_table_id, :position, :main)"
        ),
        associations,
    )
    conn.execute(
        sa.text("UPDATE store_revision SET next_seq = :n WHERE id = 1"),
        {"n": next_seq + len(vpcs)},
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_route_table_associations_route_table_id"), table_name="route_table_associations"
    )
    op.drop_table("route_table_associations")
    op.drop_table("route_table_routes")
    op.drop_index(op.f("ix_route_tables_vpc_id"), table_name="route_tables")
    op.drop_index("ix_route_tables_scope", table_name="route_tables")
    op.drop_table("route_tables")
