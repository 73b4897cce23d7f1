"""Hand-built network ACLs for the data-plane tests (the builders know none).

An ACL made here is associated with the given subnets and holds the given entries plus
AWS's ``*`` denies; subnets of no such ACL keep their VPC's implied default ACL (allow
all), as :meth:`stockade.domain.state.Snapshot.network_acl_by_subnet` says.
"""

from __future__ import annotations

import dataclasses
import itertools

from policy.conftest import ACCOUNT, REGION

from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    deny_all_entries,
    entry,
)
from stockade.domain.state import Snapshot

_ids = itertools.count(1)
EPHEMERAL = (32768, 60999)


def rule(
    number: int,
    action: str,
    protocol: str = "-1",
    cidr: str = "0.0.0.0/0",
    ports: tuple[int, int] | None = None,
    icmp: tuple[int, int] | None = None,
    egress: bool = False,
) -> NetworkAclEntry:
    """One entry, checked by the domain's own rules (``ports`` for tcp/udp, ``icmp`` as
    (type, code) for icmp)."""
    v6 = ":" in cidr
    return entry(
        number,
        egress,
        action,
        protocol,
        None if v6 else cidr,
        cidr if v6 else None,
        ports,
        icmp,
    )


def out(*args, **kwargs) -> NetworkAclEntry:
    return rule(*args, egress=True, **kwargs)


def network_acl(vpc_id: str, subnets, *entries: NetworkAclEntry, ipv6: bool = True) -> NetworkAcl:
    n = next(_ids)
    return NetworkAcl(
        network_acl_id=f"acl-{n:017x}",
        vpc_id=vpc_id,
        owner_id=ACCOUNT,
        region=REGION,
        entries=(*entries, *deny_all_entries(ipv6)),
        associations=tuple(
            NetworkAclAssociation(f"aclassoc-{n:08x}{k:09x}", s) for k, s in enumerate(subnets)
        ),
    )


def with_acls(snapshot: Snapshot, *acls: NetworkAcl) -> Snapshot:
    return dataclasses.replace(snapshot, network_acls=tuple(acls))
