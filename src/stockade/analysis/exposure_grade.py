"""How exposed an interface or group is, as Prowler grades instance exposure.

The same open port matters more on an interface the internet can actually reach. Whether
it can is :func:`stockade.policy.interface_reach.internet_reach` — the definition the path
of a flow and the exposure findings use — so ``critical`` here is exactly "exposed" there:

- **critical**: the internet reaches the interface over the family (running instance,
  public address, internet gateway on its VPC, and its subnet routes to it: a public
  subnet);
- **high**: a public address, but one step away (no internet gateway, no route to it —
  a private subnet —, the instance is stopped, or the interface is attached to nothing);
- **medium**: private addresses only (reachable from inside, or through a load balancer or
  NAT stockade does not model);
- **low**: a group attached to nothing (it would be exposed the moment it is used).

"Its subnet routes to an attached internet gateway" is Prowler's "public subnet".
"""

from __future__ import annotations

from collections.abc import Iterable

from stockade.analysis.findings import Severity
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.interface_reach import internet_reach


def interface_grade(snapshot: Snapshot, eni: NetworkInterface, family: int) -> tuple[Severity, str]:
    reach = internet_reach(snapshot, eni, family)
    public = reach.public_address
    if reach.reachable:
        return Severity.CRITICAL, (
            f"{eni.eni_id} has public address {public} and its subnet {reach.subnet_id} "
            f"routes {reach.internet_route} (internet gateway of {eni.vpc_id})"
        )
    if public:
        return Severity.HIGH, (
            f"{eni.eni_id} has public address {public} but {'; '.join(reach.why_not)}"
        )
    return Severity.MEDIUM, f"{eni.eni_id} has no public IPv{family} address"


def group_grade(
    snapshot: Snapshot,
    group_id: str,
    family: int,
    among: Iterable[NetworkInterface] | None = None,
) -> tuple[Severity, str]:
    """The grade of the most exposed interface carrying the group (of ``among``, when
    only those expose it: the others' subnet ACLs deny it)."""
    members = {e.eni_id: e for e in snapshot.members_by_group.get(group_id, ())}
    if among is not None:
        members = {e.eni_id: e for e in among if e.eni_id in members} or members
    if not members:
        return Severity.LOW, "attached to no interface (exposed as soon as it is used)"
    graded = [interface_grade(snapshot, e, family) for _, e in sorted(members.items())]
    return max(graded, key=lambda g: g[0])
