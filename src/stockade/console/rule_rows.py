"""Rules as the console's tables show them, and the console's rule forms as requests.

Rows: a security group rule in AWS's console columns (Security group rule ID, IP version,
Type, Protocol, Port range, Source/Destination, Description — the cells from
:func:`stockade.view.tables.rule_cells`, the CLI's, so both faces say the same) with its
hit count and last hit when the data plane counts them; a network ACL entry in its
console columns (:func:`stockade.view.tables.acl_entry_cells`).

Forms: a rule form is a Type (a well-known service, or a custom protocol and port range),
one peer and a description — the shape of AWS's "Edit inbound rules" row; it becomes the
same ``IpPermission`` a CLI ``sg allow`` does (:mod:`stockade.view.rule_input`), so the
service layer validates it with AWS's errors. Editing a rule fills the same form from the
rule (:func:`edit_fields`: a custom Type, so its protocol and ports stay editable) and sends
it as ModifySecurityGroupRules' new definition (:func:`update_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from starlette.datastructures import FormData

from stockade.console import traffic
from stockade.domain import errors, well_known_ports
from stockade.domain.network_acl import NetworkAcl
from stockade.domain.permissions import IpPermission
from stockade.domain.security_group import PeerKind, SecurityGroupRule
from stockade.service.contracts import NetworkAclEntryRequest, RuleUpdate
from stockade.view import rule_input, tables

NO_DATA = "—"

#: a rule form's custom Types: the protocol each stands for (``None``: the protocol field)
CUSTOM_TYPES: dict[str, str | None] = {
    "Custom TCP": "tcp",
    "Custom UDP": "udp",
    "Custom ICMP - IPv4": "icmp",
    "Custom ICMP - IPv6": "icmpv6",
    "Custom protocol": None,
}
#: what a rule form's Type offers: the custom ones, then the well-known services
RULE_TYPES: tuple[str, ...] = (
    *CUSTOM_TYPES,
    *(
        s.name
        for s in well_known_ports.SERVICES
        if s.name not in ("SFTP", "Ping", "Ping IPv6", "PMTUD", "PMTUD IPv6")
    ),
)
#: a network ACL form's Types: a protocol each (custom ones take the port or ICMP field)
ACL_TYPES: dict[str, str] = {
    "All traffic": "-1",
    "Custom TCP": "tcp",
    "Custom UDP": "udp",
    "Custom ICMP - IPv4": "icmp",
    "Custom ICMP - IPv6": "icmpv6",
    **{
        s.name: s.protocol
        for s in well_known_ports.SERVICES
        if s.protocol in ("tcp", "udp") and s.from_port == s.to_port
    },
}


@dataclass(frozen=True)
class RuleHitsView:
    """What the table shows of a rule's hits: a count and a last hit, or ``—`` for each."""

    count: str
    last_hit: str


@dataclass(frozen=True)
class RuleRow:
    rule: SecurityGroupRule
    ip_version: str
    cells: list[str]  # Type, Protocol, Port range, Source/Destination, Description
    peer_group: str | None  # the referenced group's id, linked
    hits: RuleHitsView


def _ip_version(rule: SecurityGroupRule) -> str:
    kind = rule.spec.peer.kind
    return {PeerKind.CIDR_V4: "IPv4", PeerKind.CIDR_V6: "IPv6"}.get(kind, NO_DATA)


def _hits_view(hits: Mapping[str, traffic.RuleHits] | None, rule_id: str) -> RuleHitsView:
    if hits is None:
        return RuleHitsView(NO_DATA, NO_DATA)
    found = hits.get(rule_id)
    if found is None:
        return RuleHitsView("0", NO_DATA)
    last = found.last_hit
    last_text = NO_DATA if last is None else last.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return RuleHitsView(str(found.count), last_text)


def rule_rows(
    rules: tuple[SecurityGroupRule, ...],
    names: Mapping[str, str],
    hits: Mapping[str, traffic.RuleHits] | None,
) -> tuple[list[RuleRow], list[RuleRow]]:
    """Inbound and outbound rows; ``hits`` ``None`` when nothing counts them."""
    rows: tuple[list[RuleRow], list[RuleRow]] = ([], [])
    for rule in rules:
        peer = rule.spec.peer
        rows[rule.is_egress].append(
            RuleRow(
                rule,
                _ip_version(rule),
                tables.rule_cells(rule, names),
                peer.value if peer.kind is PeerKind.GROUP and peer.value in names else None,
                _hits_view(hits, rule.rule_id),
            )
        )
    return rows


def acl_rows(acl: NetworkAcl, egress: bool) -> list[tuple[Any, list[str]]]:
    """One direction's entries in evaluation order (``*`` last): (entry, its cells)."""
    mine = sorted((e for e in acl.entries if e.egress == egress), key=lambda e: e.rule_number)
    return [(e, [str(c) for c in tables.acl_entry_cells(e)]) for e in mine]


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def direction_of(form: FormData) -> bool:
    """``True`` for outbound (egress); anything but ``egress``/``ingress`` is refused."""
    direction = _field(form, "direction")
    if direction not in ("ingress", "egress"):
        raise errors.invalid_parameter_value(f"Unknown direction '{direction[:20]}'.")
    return direction == "egress"


def permission_of(form: FormData) -> IpPermission:
    """A rule form (``type``, ``protocol``, ``ports``, ``peer``, ``description``) as one
    permission; the service validates it."""
    kind = _field(form, "type") or "Custom TCP"
    description = _field(form, "description") or None
    if kind in CUSTOM_TYPES:
        protocol = CUSTOM_TYPES[kind] or _field(form, "protocol")
        ports = _field(form, "ports") or None
        return rule_input.peer_permission(protocol, ports, None, _field(form, "peer"), description)
    return rule_input.peer_permission(None, None, kind, _field(form, "peer"), description)


def update_of(rule_id: str, form: FormData) -> RuleUpdate:
    """An edited rule's form (the fields of :func:`permission_of`) as its new definition."""
    return rule_input.rule_update(rule_id, permission_of(form))


#: the custom Type that edits a rule of each protocol (others: "Custom protocol")
_EDIT_TYPES = {protocol: kind for kind, protocol in CUSTOM_TYPES.items() if protocol}


def edit_fields(rule: SecurityGroupRule) -> dict[str, str]:
    """The rule form filled with ``rule`` as it is — what saving it unchanged sends back.

    A custom Type rather than the well-known service the table names (``SSH``): a service
    fixes its ports, and an edit is mostly about the ports or the peer."""
    spec = rule.spec
    protocol, low, high = spec.protocol, spec.from_port, spec.to_port
    if protocol == "-1":
        kind, ports = "All traffic", ""
    elif protocol in ("tcp", "udp"):
        kind, ports = _EDIT_TYPES[protocol], str(low) if low == high else f"{low}-{high}"
    elif protocol in ("icmp", "icmpv6"):
        code = "" if high == -1 else f":{high}"
        kind, ports = _EDIT_TYPES[protocol], "all" if low == -1 else f"{low}{code}"
    else:
        kind, ports = "Custom protocol", ""
    return {
        "type": kind,
        "protocol": protocol if kind == "Custom protocol" else "",
        "ports": ports,
        "peer": spec.peer.value,
        "description": rule.description or "",
    }


def acl_entry_of(form: FormData) -> NetworkAclEntryRequest:
    """An ACL entry form (``rule_number``, ``direction``, ``type``, ``ports``, ``icmp``,
    ``cidr``, ``action``) as CreateNetworkAclEntry's request."""
    number_text = _field(form, "rule_number")
    try:
        number = int(number_text) if number_text else None
    except ValueError:
        raise errors.invalid_parameter_value(
            f"Invalid rule number '{number_text[:20]}': a whole number from 1 to 32766."
        ) from None
    kind = _field(form, "type") or "All traffic"
    if kind not in ACL_TYPES:
        raise errors.invalid_parameter_value(f"Unknown type '{kind[:40]}'.")
    protocol = ACL_TYPES[kind]
    ports = _field(form, "ports") or None
    if kind not in CUSTOM_TYPES and protocol != "-1":
        service = well_known_ports.lookup(kind)
        ports = str(service.from_port)
    return rule_input.acl_entry_request(
        number,
        direction_of(form),
        _field(form, "action") or "allow",
        protocol,
        _field(form, "cidr"),
        ports if protocol in ("tcp", "udp") else None,
        (_field(form, "icmp") or "-1") if protocol in ("icmp", "icmpv6") else None,
        ("Port range", "ICMP type[:code]"),
    )
