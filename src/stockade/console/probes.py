"""The live page's probe: one real connection attempt, beside the analyzer's verdict.

"Connect from 203.0.113.10 to web:22 now": the source is an instance of the caller's scope
(the probe runs in its namespace and aims at the destination's private address) or an
internet address from the documentation ranges (a transient internet host holds it for
the probe, which aims at the destination's public address, as the internet would). The
attempt is :mod:`stockade.dataplane.probe`'s — the demo's and the data-plane tests' — and
the analyzer judges the very same flow (same ends, addresses, protocol and port) with
:func:`stockade.policy.decide`, so the two answers can be compared.

IPv6 as well, as the data plane carries it between instances and from the internet: an
IPv6 internet source (2001:db8::/32, outside every VPC's block) aims at the destination's
IPv6 address — AWS has no public IPv6 apart from it, nothing translates — and the
destination may be named by one of its addresses (``2001:db8:…``) to probe that address
from an instance. Packets stay in their family: an end without an address of the family
gets a one-line answer saying so rather than a generic refusal.

Bounded: the attempt gives up after :data:`PROBE_TIMEOUT_S` ("timed out": dropped on the
way), and probes run one at a time (two internet probes from one address would need one
host each), a probe waiting at most :data:`QUEUE_S` for the one before it.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

from stockade.console.traffic import LiveDataPlane
from stockade.domain.errors import AwsError
from stockade.domain.instance import Instance
from stockade.domain.instance_names import named_instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy import Decision, Flow, decide
from stockade.policy.addressing import try_parse_address
from stockade.view.verdict import because

#: The attempt's time limit; with the transient host's set-up a probe stays under 2 s.
PROBE_TIMEOUT_S = 1.5
QUEUE_S = 5.0
PROTOCOLS = ("tcp", "udp")
#: How the page words each outcome of :mod:`stockade.dataplane.probe`.
OUTCOME_TEXT = {
    "connected": "connected",
    "refused": "refused (allowed; nothing listens)",
    "timeout": "timed out (dropped)",
    "unreachable": "unreachable (no route)",
}

_one_at_a_time = threading.Lock()


class ProbeRefused(ValueError):
    """A probe that cannot be run as asked, with the one-line reason."""


@dataclass(frozen=True)
class ProbeAnswer:
    """A probe's real outcome and the analyzer's verdict on the same flow."""

    source: str  # as the caller named it
    destination: str
    address: str  # where the packets went
    protocol: str
    port: int
    outcome: str  # connected | refused | timeout | unreachable | error …
    decision: Decision
    seconds: float

    @property
    def really_allowed(self) -> bool:
        return self.outcome in ("connected", "refused")

    @property
    def agree(self) -> bool:
        return self.really_allowed == self.decision.allowed

    @property
    def outcome_text(self) -> str:
        return OUTCOME_TEXT.get(self.outcome, self.outcome)

    @property
    def because(self) -> str:
        return because(self.decision)


def instance_named(snapshot: Snapshot, given: str) -> Instance:
    """An instance of the snapshot by id or by its (unique) Name tag."""
    given = given.strip()
    if given.startswith("i-"):
        found = snapshot.instance_by_id.get(given)
        if found is None:
            raise ProbeRefused(f"The instance ID '{given[:40]}' does not exist.")
        return found
    try:
        return named_instance(snapshot.instances, given)
    except AwsError as exc:
        raise ProbeRefused(
            f"{exc.message}: name an instance (Name tag or id) or an internet address."
        ) from None


def run_probe(
    live: LiveDataPlane,
    snapshot: Snapshot,
    source: str,
    destination: str,
    port: int,
    protocol: str = "tcp",
) -> ProbeAnswer:
    """Probe ``destination:port`` from ``source`` now; :class:`ProbeRefused` when it
    cannot be (unknown ends, an address outside the documentation ranges, a busy prober)."""
    from stockade.dataplane import netns
    from stockade.dataplane.probe import Probe, run

    if protocol not in PROTOCOLS:
        raise ProbeRefused(f"A probe is tcp or udp, not '{protocol[:20]}'.")
    if not 0 < port < 65536:
        raise ProbeRefused(f"The port must be 1-65535, not {port}.")
    target, named_address = _target(snapshot, destination)
    if not target.is_running:
        raise ProbeRefused(f"{target.instance_id} is {target.state.value}: nothing to reach.")
    eni = snapshot.interface_by_id[target.primary_eni_id]
    place: AbstractContextManager[str]
    if try_parse_address(source) is not None:
        flow_source = str(ipaddress.ip_address(source.strip()))
        six = ":" in flow_source
        _check_internet_source(snapshot, flow_source)
        address = named_address or _internet_facing(eni, six, _name(target, destination))
        _same_family(flow_source, address)
        place = _internet_host(live, flow_source)
    else:
        origin = instance_named(snapshot, source)
        address, flow_source = named_address or eni.private_ip, origin.instance_id
        if ":" in address and not _ipv6_of(snapshot, origin):
            raise ProbeRefused(
                f"{_name(origin, source)} has no IPv6 address, so it sends no IPv6: probe "
                f"{_name(target, destination)} at an IPv4 address, or give {origin.instance_id} "
                "an IPv6 address."
            )
        namespace = live.world.instance(origin.instance_id)
        if not origin.is_running or not netns.exists(namespace):
            raise ProbeRefused(f"{origin.instance_id} is not running in the data plane.")
        place = nullcontext(namespace)
    decision = decide(snapshot, Flow(flow_source, address, protocol, port))
    if not _one_at_a_time.acquire(timeout=QUEUE_S):
        raise ProbeRefused("Another probe is still running: try again in a moment.")
    try:
        started = time.monotonic()
        with place as namespace:
            try:
                (outcome,) = run([Probe(namespace, address, protocol, port)], PROBE_TIMEOUT_S)
            except OSError as exc:  # the namespace went away meanwhile
                raise ProbeRefused(f"The probe could not run: {exc.strerror or exc}.") from None
        seconds = time.monotonic() - started
    finally:
        _one_at_a_time.release()
    return ProbeAnswer(
        source.strip(), destination.strip(), address, protocol, port, outcome, decision, seconds
    )


def _name(instance: Instance, given: str) -> str:
    """How the answer names an instance: as the caller did, unless by an address."""
    given = given.strip()
    return instance.instance_id if try_parse_address(given) is not None else given


def _ipv6_of(snapshot: Snapshot, instance: Instance) -> tuple[str, ...]:
    return tuple(
        a for eni in snapshot.interfaces_of(instance.instance_id) for a in eni.ipv6_addresses
    )


def _target(snapshot: Snapshot, destination: str) -> tuple[Instance, str | None]:
    """The instance ``destination`` names, and the address when it was named by one of
    its addresses (private, public or IPv6; any of its interfaces)."""
    given = destination.strip()
    if try_parse_address(given) is None:
        return instance_named(snapshot, given), None
    address = str(ipaddress.ip_address(given))
    for eni in snapshot.interfaces:
        if eni.instance_id and address in (*eni.private_addresses, eni.public_ip):
            return snapshot.instance_by_id[eni.instance_id], address
    raise ProbeRefused(
        f"No instance of yours has the address {address}: name an instance or one of its addresses."
    )


def _internet_facing(eni: NetworkInterface, six: bool, name: str) -> str:
    """Where the internet sends a probe: the public IPv4 (the private one when there is
    none: the internet has no way to it), or the IPv6 address — AWS's only public IPv6."""
    if not six:
        return eni.public_ip or eni.private_ip
    if not eni.ipv6_addresses:
        raise ProbeRefused(
            f"{name} has no IPv6 address, so no IPv6 reaches it from the internet: probe it "
            "from an IPv4 address, or give it an IPv6 address."
        )
    return eni.ipv6_addresses[0]


def _same_family(source: str, address: str) -> None:
    if (":" in source) != (":" in address):
        words = ("IPv6", "IPv4") if ":" in source else ("IPv4", "IPv6")
        raise ProbeRefused(
            f"From {words[0]} {source} to {words[1]} {address}: packets stay in their family "
            "(nothing translates between them); probe an address of the source's family."
        )


def _check_internet_source(snapshot: Snapshot, address: str) -> None:
    """Documentation ranges only, and not a VPC's own IPv6 block (also from 2001:db8::/32):
    the transient host would take an address the VPC routes."""
    from stockade.dataplane.internet import DOCUMENTATION, is_documentation

    if not is_documentation(address):
        raise ProbeRefused(
            f"An internet source must be an address of the documentation ranges "
            f"({', '.join(DOCUMENTATION)}), not {address[:45]}."
        )
    ip = ipaddress.ip_address(address)
    for vpc in snapshot.vpcs:
        if vpc.ipv6_cidr_block and ip in ipaddress.ip_network(vpc.ipv6_cidr_block):
            raise ProbeRefused(
                f"{address} is in {vpc.vpc_id}'s IPv6 block {vpc.ipv6_cidr_block}, not on the "
                "internet: pick an IPv6 source outside it."
            )


@contextmanager
def _internet_host(live: LiveDataPlane, address: str) -> Iterator[str]:
    """A transient internet host holding ``address`` (checked by
    :func:`_check_internet_source`)."""
    from stockade.dataplane.internet import Internet

    internet = Internet(live.world)
    try:
        namespace = internet.add_host(address)
    except (LookupError, ValueError) as exc:  # no internet yet; the address is taken
        raise ProbeRefused(f"Cannot probe from {address}: {exc}.") from None
    try:
        yield namespace
    finally:
        internet.remove_host(address)
