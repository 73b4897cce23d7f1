"""Rules as a human types them — ``stockade sg allow``/``nacl add-entry`` options, the
console's rule forms — turned into the service layer's requests.

One parser for both faces, so ``22``, ``8000-8080``, ``all`` and ICMP ``TYPE[:CODE]`` mean
the same on the command line and in the browser. Values are only split and converted
here; the domain checks them (with AWS's errors) when the service receives the request.
``what`` names the input a message points at (``--port`` on the CLI, ``Port range`` in the
console).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from stockade.domain import errors, protocols, well_known_ports
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.service.contracts import NetworkAclEntryRequest, RuleUpdate

#: one number as typed: ASCII digits, an optional minus (ICMP's -1) — not what ``int()``
#: also takes (``+22``, ``2_2``, other scripts' digits), which no port is written as
_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)


def _number(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def parse_ports(
    protocol: str, port: str | None, what: str = "port"
) -> tuple[int | None, int | None]:
    """A group rule's ports: ``22``, ``8000-8080``, ``all``; ICMP ``TYPE[:CODE]``. A
    separator typed needs its second half (``22-`` is no port, ``8:`` no code)."""
    if port is None:
        return None, None
    text = port.strip().lower()
    if text in ("all", "-1"):
        return (0, 65535) if protocol in ("tcp", "udp") else (-1, -1)
    try:
        if protocol in ("icmp", "icmpv6"):
            kind, found, code = text.partition(":")
            return _number(kind), _number(code) if found else -1
        low, found, high = text.partition("-")
        return _number(low), _number(high if found else low)
    except ValueError:
        raise errors.invalid_parameter_value(
            f"Invalid {what} '{port}': use 22, 8000-8080 or all (ICMP: TYPE[:CODE])"
        ) from None


def build_permission(
    proto: str | None,
    port: str | None,
    service: str | None,
    cidrs: Sequence[str],
    source_groups: Sequence[str],
    prefix_lists: Sequence[str],
    description: str | None,
    peers_named: str = "--cidr, --source-group or --prefix-list",
    port_named: str = "--port",
) -> IpPermission:
    """One permission: a well-known ``service`` (its protocol and ports) or ``proto`` and
    ``port``; each CIDR (IPv4 or IPv6), group and prefix list one peer."""
    from_port: int | None
    to_port: int | None
    if service:
        svc = well_known_ports.lookup(service)
        protocol, from_port, to_port = svc.protocol, svc.from_port, svc.to_port
        if protocol == "-1":
            from_port = to_port = None
    else:
        protocol = protocols.canonical_protocol(proto or "tcp")
        from_port, to_port = parse_ports(protocol, port, port_named)
    if not (cidrs or source_groups or prefix_lists):
        raise errors.missing_parameter(peers_named)
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


def peer_permission(
    proto: str | None, port: str | None, service: str | None, peer: str, description: str | None
) -> IpPermission:
    """A permission with one peer typed in one box, as AWS's console takes it: a CIDR,
    a group id (``sg-``) or a prefix list id (``pl-``)."""
    peer = peer.strip()
    groups = [peer] if peer.startswith("sg-") else []
    lists = [peer] if peer.startswith("pl-") else []
    cidrs = [peer] if peer and not (groups or lists) else []
    return build_permission(
        proto,
        port,
        service,
        cidrs,
        groups,
        lists,
        description or None,
        "Source or destination",
        "Port range",
    )


def rule_update(rule_id: str, permission: IpPermission) -> RuleUpdate:
    """A one-peer permission (:func:`peer_permission`'s) as ModifySecurityGroupRules'
    new definition of ``rule_id``: the same typing as adding a rule, so an edit and an
    add read ``22``, ``all`` or a peer box alike; the service validates it."""
    v4, v6 = permission.ip_ranges, permission.ipv6_ranges
    lists, groups = permission.prefix_list_ids, permission.groups
    boxes = (*v4, *v6, *lists)  # (value, description) each
    description = boxes[0][1] if boxes else (groups[0].description if groups else None)
    return RuleUpdate(
        rule_id,
        permission.ip_protocol,
        permission.from_port,
        permission.to_port,
        cidr_ipv4=v4[0][0] if v4 else None,
        cidr_ipv6=v6[0][0] if v6 else None,
        prefix_list_id=lists[0][0] if lists else None,
        referenced_group_id=groups[0].group_id if groups else None,
        description=description,
    )


def numbers(text: str | None, what: str, ports: bool) -> tuple[int | None, int | None]:
    """ACL ports ``"22"`` → (22, 22), ``"1024-65535"`` → (1024, 65535); ICMP ``"3:4"`` →
    (3, 4), ``"3"`` → (3, None) (all codes), ``"-1"`` → (-1, None)."""
    if text is None or not text.strip():
        return None, None
    first, found, second = text.strip().partition("-" if ports else ":")
    try:
        low = _number(first)
        high = _number(second) if found else (low if ports else None)
    except ValueError:
        raise errors.invalid_parameter_value(f"Invalid value '{text}' for {what}.") from None
    return low, high


def acl_entry_request(
    rule_number: int | None,
    egress: bool,
    action: str,
    protocol: str,
    cidr: str,
    ports: str | None,
    icmp: str | None,
    names: tuple[str, str] = ("--ports", "--icmp"),
) -> NetworkAclEntryRequest:
    """A network ACL entry as typed (``cidr`` IPv4 or IPv6; ``names``: what the ports and
    ICMP inputs are called in messages)."""
    port_from, port_to = numbers(ports, names[0], ports=True)
    icmp_type, icmp_code = numbers(icmp, names[1], ports=False)
    six = ":" in cidr
    return NetworkAclEntryRequest(
        rule_number,
        egress,
        action,
        protocol,
        cidr_block=None if six else cidr,
        ipv6_cidr_block=cidr if six else None,
        port_from=port_from,
        port_to=port_to,
        icmp_type=icmp_type,
        icmp_code=icmp_code,
    )
