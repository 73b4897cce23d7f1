"""Turning ``sg allow``/``sg revoke`` options into IpPermissions.

``--port 22``, ``--port 8000-8080`` or ``--port all``; for ICMP ``--port TYPE[:CODE]``
(``--port 8`` is echo request, any code). ``--service ssh`` sets protocol and ports from
the well-known catalogue. Each ``--cidr``/``--source-group``/``--prefix-list`` is one peer.
"""

from stockade.domain import errors, protocols, well_known_ports
from stockade.domain.permissions import GroupPair, IpPermission


def parse_ports(protocol: str, port: str | None) -> tuple[int | None, int | None]:
    if port is None:
        return None, None
    text = port.strip().lower()
    if text in ("all", "-1"):
        return (0, 65535) if protocol in ("tcp", "udp") else (-1, -1)
    try:
        if protocol in ("icmp", "icmpv6"):
            kind, _, code = text.partition(":")
            return int(kind), int(code) if code else -1
        low, _, high = text.partition("-")
        return int(low), int(high) if high else int(low)
    except ValueError:
        raise errors.invalid_parameter_value(
            f"Invalid port '{port}': use 22, 8000-8080 or all (ICMP: TYPE[:CODE])"
        ) from None


def build_permission(
    proto: str | None,
    port: str | None,
    service: str | None,
    cidrs: list[str],
    source_groups: list[str],
    prefix_lists: list[str],
    description: str | None,
) -> IpPermission:
    from_port: int | None
    to_port: int | None
    if service:
        svc = well_known_ports.lookup(service)
        protocol, from_port, to_port = svc.protocol, svc.from_port, svc.to_port
        if protocol == "-1":
            from_port = to_port = None
    else:
        protocol = protocols.canonical_protocol(proto or "tcp")
        from_port, to_port = parse_ports(protocol, port)
    if not (cidrs or source_groups or prefix_lists):
        raise errors.missing_parameter("--cidr, --source-group or --prefix-list")
    v4 = tuple((c, description) for c in cidrs if ":" not in c)
    v6 = tuple((c, description) for c in cidrs if ":" in c)
    return IpPermission(
        protocol,
        from_port,
        to_port,
        ip_ranges=v4,
        ipv6_ranges=v6,
        prefix_list_ids=tuple((p, description) for p in prefix_lists),
        groups=tuple(GroupPair(group_id=g, description=description) for g in source_groups),
    )
