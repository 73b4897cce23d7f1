"""EC2 NetworkAcl shapes back into network ACLs: the inverse of :mod:`stockade.shapes.network_acls`.

Strict for ``import aws`` (ids, CIDRs, protocols, actions and rule numbers checked and made
canonical, each problem located), lenient for the remote client. Entries are read as they
are — the ``*`` entries (32767/32768) included — not through the request checks, which
refuse the numbers AWS reserves for itself.
"""

from __future__ import annotations

from stockade.domain.network_acl import (
    DEFAULT_DENY_V6,
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    RuleAction,
    canonical_protocol,
)
from stockade.shapes.fields import Node, Origin, cidr, owner, resource_id

_ACTIONS = {a.value: a for a in RuleAction}


def network_acl(n: Node, origin: Origin) -> NetworkAcl:
    acl_id = resource_id(n, "NetworkAclId", "acl")
    return NetworkAcl(
        network_acl_id=acl_id,
        vpc_id=resource_id(n, "VpcId", "vpc"),
        owner_id=owner(n, origin),
        region=origin.region,
        is_default=n.flag("IsDefault"),
        entries=tuple(_entry(e) for e in n.items("Entries")),
        associations=tuple(
            NetworkAclAssociation(
                resource_id(a, "NetworkAclAssociationId", "aclassoc"),
                resource_id(a, "SubnetId", "subnet"),
            )
            for a in n.items("Associations")
        ),
        tags=n.tags(),
    )


def _entry(e: Node) -> NetworkAclEntry:
    number = e.integer("RuleNumber")
    if e.strict and not 1 <= number <= DEFAULT_DENY_V6:
        raise e.problem(f"expected a rule number from 1 to {DEFAULT_DENY_V6}", "RuleNumber")
    action = e.text("RuleAction")
    if action not in _ACTIONS:
        raise e.problem(f"expected allow or deny, got {action!r}", "RuleAction")
    protocol = e.canonical("Protocol", canonical_protocol, e.text("Protocol"))
    six = e.has("Ipv6CidrBlock")
    block = cidr(e, "Ipv6CidrBlock", 6) if six else cidr(e, "CidrBlock", 4)
    ports = e.opt_obj("PortRange")
    icmp = e.opt_obj("IcmpTypeCode")
    return NetworkAclEntry(
        rule_number=number,
        egress=e.flag("Egress"),
        action=_ACTIONS[action],
        protocol=protocol,
        cidr=block,
        port_range=None if ports is None else (ports.integer("From"), ports.integer("To")),
        icmp_type=None if icmp is None else icmp.integer("Type"),
        icmp_code=None if icmp is None else icmp.opt_integer("Code"),
    )
