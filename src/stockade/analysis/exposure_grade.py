"""How exposed an interface or group is, as Prowler grades instance exposure.

The same open port matters more on an interface the internet can actually address:

- **critical**: a public address of the family *and* an internet gateway on its VPC;
- **high**: a public address, but no internet gateway (one attachment away);
- **medium**: attached, private addresses only (reachable from inside, or through a load
  balancer or NAT stockade does not model);
- **low**: a group attached to nothing (it would be exposed the moment it is used).

stockade does not model route tables, so "internet gateway on the VPC" stands in for
Prowler's "public subnet".
"""

from __future__ import annotations

from stockade.analysis.findings import Severity
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.addressing import is_public_address, try_parse_address


def public_address(eni: NetworkInterface, family: int) -> str | None:
    """The interface's internet-routable address of that family, if any."""
    if family == 4:
        return eni.public_ip
    for text in eni.ipv6_addresses:
        parsed = try_parse_address(text)
        if parsed and parsed[0] == 6 and is_public_address(6, parsed[1]):
            return text
    return None


def interface_grade(snapshot: Snapshot, eni: NetworkInterface, family: int) -> tuple[Severity, str]:
    public = public_address(eni, family)
    gateway = snapshot.internet_gateway_for(eni.vpc_id)
    if public and gateway:
        return Severity.CRITICAL, (f"{eni.eni_id} has public address {public} and "
                                   f"{eni.vpc_id} has internet gateway {gateway.igw_id}")
    if public:
        return Severity.HIGH, (f"{eni.eni_id} has public address {public} but {eni.vpc_id} "
                               "has no internet gateway")
    return Severity.MEDIUM, f"{eni.eni_id} has no public IPv{family} address"


def group_grade(snapshot: Snapshot, group_id: str, family: int) -> tuple[Severity, str]:
    """The grade of the most exposed interface carrying the group."""
    members = {e.eni_id: e for e in snapshot.members_by_group.get(group_id, ())}
    if not members:
        return Severity.LOW, "attached to no interface (exposed as soon as it is used)"
    graded = [interface_grade(snapshot, e, family) for _, e in sorted(members.items())]
    return max(graded, key=lambda g: g[0])
