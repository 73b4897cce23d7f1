"""One resolved flow as the path checks see it (:class:`Leg`), and the helpers they share.

``path`` builds a :class:`Leg` once both ends are resolved; the checks of
:mod:`stockade.policy.path_checks` (addresses and gateways) and
:mod:`stockade.policy.route_checks` (route tables) read it. The route lookups a flow needs
are computed on first use, once per flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.addressing import address_text, block_bounds, try_parse_address
from stockade.policy.decision import Blocker
from stockade.policy.reasons import CODE, Reason
from stockade.policy.route_change import Remedy, RouteChange, remedy_text
from stockade.policy.routes import Hop, RouteLookup, lookup
from stockade.policy.topology import REASON, Check, EndKind


@dataclass
class End:
    """One end of a flow as ``path`` resolves it: what was given, and what it is."""

    given: str
    eni: NetworkInterface | None = None
    instance: Instance | None = None
    address: int | None = None
    kind: EndKind = EndKind.EXTERNAL
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Leg:
    """One resolved flow: both ends with their addresses (the input of every check)."""

    snapshot: Snapshot
    family: int
    src: End
    dst: End
    #: the source address past the path (what the return route is looked up for); set by
    #: ``path`` once the case is known
    seen: int | None = None

    @property
    def s(self) -> int:
        assert self.src.address is not None
        return self.src.address

    @property
    def d(self) -> int:
        assert self.dst.address is not None
        return self.dst.address

    @property
    def e1(self) -> NetworkInterface:
        assert self.src.eni is not None
        return self.src.eni

    @property
    def e2(self) -> NetworkInterface:
        assert self.dst.eni is not None
        return self.dst.eni

    @cached_property
    def forward(self) -> RouteLookup:
        """The source subnet's route to the destination address."""
        return lookup(self.snapshot, self.e1.subnet_id, self.family, self.d)

    @cached_property
    def back(self) -> RouteLookup:
        """The destination subnet's route for the reply (to the source as seen there)."""
        assert self.seen is not None
        return lookup(self.snapshot, self.e2.subnet_id, self.family, self.seen)

    @cached_property
    def nat_onward(self) -> RouteLookup | None:
        """The NAT gateway's subnet's route to the destination (when the source routes to
        a NAT gateway the snapshot holds)."""
        nat = self.forward.facts.nat
        if nat is None or self.forward.hop is not Hop.NAT:
            return None
        return lookup(self.snapshot, nat.subnet_id, self.family, self.d)


def v4(text: str) -> int:
    return try_parse_address(text)[1]  # type: ignore[index]


def inside(cidr: str, value: int) -> bool:
    _, lo, hi = block_bounds(cidr)
    return lo <= value <= hi


def text_of(family: int, value: int) -> str:
    return address_text(family, value)


def fail(
    check: Check, component: str | None, ctype: str, message: str, remedy: Remedy | None = None
) -> Blocker:
    return blocker(REASON[check], component, ctype, message, remedy)


def blocker(
    reason: Reason, component: str | None, ctype: str, message: str, remedy: Remedy | None = None
) -> Blocker:
    """A blocker with its fix in words (``remedy``) and, when the fix is one complete
    route-table change, that change too (what the console applies)."""
    change = remedy if isinstance(remedy, RouteChange) else None
    text = None if remedy is None else remedy_text(remedy)
    return Blocker(
        CODE[reason], reason, component, ctype, message, remedy=text, route_change=change
    )
