"""The security groups' internet openings, narrowed by the network ACLs of the subnets.

A port open to the internet in a group is exposed only if the ACL of the interface's
subnet lets the internet's request in *and* the reply back out (stateless: to the
client's ephemeral ports) — :func:`stockade.policy.acl_passage.internet_passage`. A group
on several interfaces is exposed through any of them, so its limit is the union over its
members; a group attached to nothing has no limit (it would be exposed as soon as used).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stockade.analysis.intervals import Interval, intersect, merge
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.acl_passage import AclPassage, internet_passage


@dataclass(frozen=True)
class AclLimit:
    """Per family, what the internet may use through the subnet ACLs of some interfaces."""

    passages: dict[int, tuple[tuple[NetworkInterface, AclPassage], ...]]

    def admitted(self, family: int) -> list[Interval]:
        return merge(iv for _, p in self.passages.get(family, ()) for iv in p.admitted)

    def admitting(self, family: int, services: list[Interval]) -> list[NetworkInterface]:
        """The interfaces whose ACL admits some of ``services``."""
        return [
            e for e, p in self.passages.get(family, ()) if intersect(list(p.admitted), services)
        ]

    def why_denied(self, family: int, services: list[Interval]) -> str:
        """``acl-… (subnet-…): denied by acl-… inbound #90 deny tcp/22 from 0.0.0.0/0``."""
        texts: dict[str, None] = {}
        for _, p in self.passages.get(family, ()):
            for denial in p.denials_of(services):
                texts[denial.text()] = None
        return "; ".join(list(texts)[:3]) + (" …" if len(texts) > 3 else "")

    def acl_ids(self, family: int, services: list[Interval]) -> list[str]:
        ids: dict[str, None] = {}
        for _, p in self.passages.get(family, ()):
            for denial in p.denials_of(services):
                ids.update(dict.fromkeys(e.network_acl_id for e in denial.entries))
        return list(ids)


def acl_limit(snapshot: Snapshot, interfaces: Iterable[NetworkInterface]) -> AclLimit | None:
    """The limit of these interfaces' subnet ACLs; ``None`` when there are none."""
    enis = sorted(interfaces, key=lambda e: e.eni_id)
    if not enis:
        return None
    return AclLimit({f: tuple((e, internet_passage(snapshot, e, f)) for e in enis) for f in (4, 6)})
