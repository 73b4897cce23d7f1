"""Small builders for service tests."""

from __future__ import annotations

from stockade.domain.permissions import GroupPair, IpPermission


def tcp(
    port: int | tuple[int, int],
    *cidrs: str,
    groups: tuple[str, ...] = (),
    prefix_lists: tuple[str, ...] = (),
    desc: str | None = None,
) -> IpPermission:
    low, high = port if isinstance(port, tuple) else (port, port)
    return IpPermission(
        "tcp",
        low,
        high,
        ip_ranges=tuple((c, desc) for c in cidrs if ":" not in c),
        ipv6_ranges=tuple((c, desc) for c in cidrs if ":" in c),
        prefix_list_ids=tuple((p, desc) for p in prefix_lists),
        groups=tuple(GroupPair(group_id=g, description=desc) for g in groups),
    )


def perm(protocol: str, from_port=None, to_port=None, cidr: str = "10.0.0.0/8") -> IpPermission:
    key = "ipv6_ranges" if ":" in cidr else "ip_ranges"
    return IpPermission(protocol, from_port, to_port, **{key: ((cidr, None),)})


def empty_postgres_schema(url: str) -> None:
    """Drop and recreate ``public``: each PostgreSQL test starts from an empty database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def worker_database(url: str, worker: str) -> str:
    """The URL of a database of its own for one pytest-xdist worker, created if missing.

    Every PostgreSQL test drops and recreates ``public`` (:func:`empty_postgres_schema`):
    two workers on one database would drop each other's tables mid-test.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database or 'postgres'}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if found.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def route_to_internet(services, vpc_id: str, igw_id: str) -> str:
    """Route 0.0.0.0/0 (and ::/0 in an IPv6 VPC) from the VPC's main table to its attached
    gateway — what makes a new VPC's subnets public — and return the table's id."""
    from stockade.service.contracts import RouteRequest

    [main] = [
        d.table
        for d in services.route_tables.describe()
        if d.table.vpc_id == vpc_id and d.table.is_main
    ]
    ipv6 = any(r.family == 6 for r in main.routes)
    for default in ("0.0.0.0/0", "::/0") if ipv6 else ("0.0.0.0/0",):
        services.route_tables.create_route(main.route_table_id, RouteRequest.of(default, igw_id))
    return main.route_table_id


def volume_time_passes(store, scope, volume_id: str, delta) -> None:
    """Move a volume's recorded modification starts ``delta`` into the past: for ModifyVolume's
    rules and DescribeVolumesModifications' progress, as if that much time had passed, on a
    server whose clock stays real (no sleeping)."""
    from stockade.domain.volume_modification_timeline import moment, timestamp
    from stockade.domain.volume_modifications import (
        EARLIER_MODIFICATIONS,
        MODIFICATION,
        MODIFICATION_STARTS,
    )

    def earlier(start: str) -> str:
        return timestamp(moment(start) - delta)

    def moved(value: dict) -> dict:
        return {**value, "start_time": earlier(value["start_time"])}

    with store.write(scope) as tx:
        settings = tx.settings_of(volume_id)
        tx.set_setting(volume_id, MODIFICATION, moved(settings[MODIFICATION]))
        before = settings.get(EARLIER_MODIFICATIONS)
        if before is not None:
            tx.set_setting(volume_id, EARLIER_MODIFICATIONS, [moved(m) for m in before])
        starts = settings.get(MODIFICATION_STARTS)
        if starts is not None:
            tx.set_setting(volume_id, MODIFICATION_STARTS, [earlier(s) for s in starts])
