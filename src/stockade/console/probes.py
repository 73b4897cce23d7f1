"""The live page's probe: one real connection attempt, beside the analyzer's verdict.

"Connect from 203.0.113.10 to web:22 now": the source is an instance of the caller's scope
(the probe runs in its namespace and aims at the destination's private address) or an
internet address from the documentation ranges (a transient internet host holds it for
the probe, which aims at the destination's public address, as the internet would). The
attempt is :mod:`stockade.dataplane.probe`'s — the demo's and the data-plane tests' — and
the analyzer judges the very same flow (same ends, addresses, protocol and port) with
:func:`stockade.policy.decide`, so the two answers can be compared.

Bounded: the attempt gives up after :data:`PROBE_TIMEOUT_S` ("timed out": dropped on the
way), and probes run one at a time (two internet probes from one address would need one
host each), a probe waiting at most :data:`QUEUE_S` for the one before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

from stockade.console.traffic import LiveDataPlane
from stockade.domain.errors import AwsError
from stockade.domain.instance import Instance
from stockade.domain.instance_names import named_instance
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
    target = instance_named(snapshot, destination)
    if not target.is_running:
        raise ProbeRefused(f"{target.instance_id} is {target.state.value}: nothing to reach.")
    eni = snapshot.interface_by_id[target.primary_eni_id]
    place: AbstractContextManager[str]
    if try_parse_address(source) is not None:
        address = eni.public_ip or eni.private_ip  # a private address: the internet has no way
        flow_source = source.strip()
        place = _internet_host(live, flow_source)
    else:
        origin = instance_named(snapshot, source)
        namespace = live.world.instance(origin.instance_id)
        if not origin.is_running or not netns.exists(namespace):
            raise ProbeRefused(f"{origin.instance_id} is not running in the data plane.")
        address, flow_source = eni.private_ip, origin.instance_id
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


@contextmanager
def _internet_host(live: LiveDataPlane, address: str) -> Iterator[str]:
    """A transient internet host holding ``address`` (documentation ranges only)."""
    from stockade.dataplane.internet import Internet, is_documentation

    if ":" in address or not is_documentation(address):
        raise ProbeRefused(
            f"An internet source must be an IPv4 address of the documentation ranges "
            f"(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), not {address[:45]}."
        )
    internet = Internet(live.world)
    try:
        namespace = internet.add_host(address)
    except (LookupError, ValueError) as exc:  # no internet yet; the address is taken
        raise ProbeRefused(f"Cannot probe from {address}: {exc}.") from None
    try:
        yield namespace
    finally:
        internet.remove_host(address)
