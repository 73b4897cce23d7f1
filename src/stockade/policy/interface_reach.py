"""Whether an interface can take part in traffic, and whether the internet can reach it.

One definition, read by every face that asks: the path of a flow (``path`` and, vectorised,
``bulk_path``), the exposure findings (``exposure``) and the audit's grading
(``analysis.exposure_grade``). Before it existed the exposure findings required a running
instance while the audit's grading did not, so a stopped instance was "not exposed" to one
and "critical" to the other.

The internet reaches an interface over one address family only when all hold:

- the interface is attached to an instance that is running (a stopped instance answers
  nothing; its auto-assigned public IPv4 is even released);
- it has a public address of that family (a public IPv4 / Elastic IP, or an IPv6 address
  in global unicast, see :func:`stockade.domain.addresses.is_public`);
- its VPC has an internet gateway attached;
- its subnet's route table routes (some of) the internet to that gateway — a public IP in
  a subnet without such a route is reachable neither way (AWS: the replies cannot leave),
  and a subnet whose default route goes to a NAT or egress-only gateway lets nothing in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.addressing import is_public_address, try_parse_address
from stockade.policy.route_advice import route_text
from stockade.policy.routes import internet_route, table_of


class EndState(IntEnum):
    """Whether an interface can send or receive at all (values are the bulk arrays')."""

    OK = 0
    NOT_ATTACHED = 1  # attached to no instance
    NOT_RUNNING = 2  # its instance is not running (or not in the snapshot)


def end_state(snapshot: Snapshot, eni: NetworkInterface) -> EndState:
    if eni.instance_id is None:
        return EndState.NOT_ATTACHED
    instance = snapshot.instance_by_id.get(eni.instance_id)
    return EndState.OK if instance is not None and instance.is_running else EndState.NOT_RUNNING


def public_address(eni: NetworkInterface, family: int) -> str | None:
    """The interface's internet-routable address of that family, if any."""
    if family == 4:
        return eni.public_ip
    for text in eni.ipv6_addresses:
        parsed = try_parse_address(text)
        if parsed and parsed[0] == 6 and is_public_address(6, parsed[1]):
            return text
    return None


@dataclass(frozen=True)
class InternetReach:
    """The facts that decide whether the internet reaches one interface over one family."""

    eni_id: str
    vpc_id: str
    family: int
    state: EndState
    instance_id: str | None
    instance_state: str | None  # None when not attached or not in the snapshot
    public_address: str | None
    gateway_id: str | None  # the VPC's attached internet gateway
    subnet_id: str = ""
    route_table_id: str = ""  # the subnet's table ("" for an implied main table)
    internet_route: str | None = None  # its route to the gateway (``0.0.0.0/0 → igw-…``)

    @property
    def reachable(self) -> bool:
        return (
            self.state is EndState.OK
            and self.public_address is not None
            and self.gateway_id is not None
            and self.internet_route is not None
        )

    @property
    def why_not(self) -> tuple[str, ...]:
        """Every missing fact, in the words the findings use (empty when reachable)."""
        out = []
        if self.state is EndState.NOT_ATTACHED:
            out.append("the interface is not attached to an instance")
        elif self.state is EndState.NOT_RUNNING:
            out.append(f"instance {self.instance_id} is {self.instance_state or 'unknown'}")
        if self.gateway_id is None:
            out.append(f"{self.vpc_id} has no internet gateway attached")
        elif self.internet_route is None:
            table = self.route_table_id or f"the main route table of {self.vpc_id}"
            out.append(
                f"{self.subnet_id}'s route table ({table}) has no IPv{self.family} route to "
                f"internet gateway {self.gateway_id}"
            )
        if self.public_address is None:
            out.append(f"no public IPv{self.family} address")
        return tuple(out)


def internet_reach(snapshot: Snapshot, eni: NetworkInterface, family: int) -> InternetReach:
    instance = snapshot.instance_by_id.get(eni.instance_id) if eni.instance_id else None
    gateway = snapshot.internet_gateway_for(eni.vpc_id)
    table = table_of(snapshot, eni.subnet_id)
    route = internet_route(snapshot, eni.subnet_id, family)
    return InternetReach(
        eni.eni_id,
        eni.vpc_id,
        family,
        end_state(snapshot, eni),
        eni.instance_id,
        None if instance is None else str(instance.state),
        public_address(eni, family),
        None if gateway is None else gateway.igw_id,
        eni.subnet_id,
        table.route_table_id if table is not None else "",
        None if route is None or route.route is None else route_text(route.route),
    )
