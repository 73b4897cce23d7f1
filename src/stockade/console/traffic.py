"""What the running data plane knows, for the console: whether it is on, its flow-log
records as they are written, and how often each rule allowed a connection.

The data plane runs beside the server (``stockade serve``'s agent child, or the demo's
agent in-process); the console learns of it from :class:`ConsoleConfig`: ``dataplane``
gives the agent's status (its world's prefix and store among it) and ``dataplane_state``
is the directory the agent writes flow logs and counters to. Everything here reads what the
agent wrote or the kernel counted; nothing changes the world.

**Rule hits** come from the kernel's per-rule counters (:mod:`stockade.dataplane.counters`),
not from flow-log usage (:mod:`stockade.analysis.flowlog_usage`). Why: every rule chain
starts with a counter that only a connection's first packet reaches, so the counter *is*
the number of connections the rule let through — on every interface, covered by a flow log
or not, and up to date now rather than when an aggregation interval closes (up to 600 s
later); flow-log usage would re-decide aggregated records to guess which rule matched.
Counts survive full rewrites (banked in the state directory); last-hit times are the
flow-log reader's (the NFLOG of each connection's first accepted packet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stockade.console.config import ConsoleConfig
from stockade.dataplane.names import World, store_id
from stockade.domain import protocols
from stockade.domain.errors import AwsError

#: What the page says when the data plane is off, and how to turn it on.
HOW_TO_TURN_ON = (
    "Run `stockade serve` as root with nftables (`--dataplane on` insists), "
    "or `make demo` as root in a terminal."
)


@dataclass(frozen=True)
class LiveDataPlane:
    """The running data plane's world (namespace prefix and owner) and state directory."""

    world: World
    state_dir: Path


def live_dataplane(config: ConsoleConfig) -> LiveDataPlane | None:
    """The data plane when its agent runs now; ``None`` when it is off (or restarting)."""
    if config.dataplane is None or config.dataplane_state is None:
        return None
    status = config.dataplane()
    prefix, store = status.get("world"), status.get("store")
    # the supervisor says "state"; an in-process agent (the demo's) runs while it answers
    if status.get("state", "running") != "running" or not isinstance(prefix, str):
        return None
    world = World(prefix)
    if isinstance(store, str):  # the owner the agent marks its namespaces with
        world = world.owned_by(store_id(store))
    return LiveDataPlane(world, Path(config.dataplane_state))


def why_off(config: ConsoleConfig) -> str:
    """One line: why the data plane is not running (its supervisor's reason when known)."""
    status = config.dataplane() if config.dataplane is not None else {}
    reason, state = status.get("reason"), status.get("state")
    # starting and restarting pass; anything else (off, refused, stopped) is off for now
    word = state if state in ("starting", "restarting") else "off"
    if isinstance(reason, str) and reason:
        return f"The data plane is {word}: {reason.rstrip('.')}."
    if word != "off":
        return f"The data plane is {word}."
    return "The data plane is off: this server runs the API and the analyzer only."


# -- rule hit counts ------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleHits:
    """Connections a rule let through on this machine, and when it last did."""

    count: int
    last_hit: datetime | None


def rule_hits(config: ConsoleConfig) -> Mapping[str, RuleHits] | None:
    """Rule id → its hits, for every rule the data plane has counted; ``None`` when it is
    off, as nothing counts then (call it off the event loop: see :func:`counted_hits`)."""
    live = live_dataplane(config)
    return None if live is None else counted_hits(live)


def counted_hits(live: LiveDataPlane) -> Mapping[str, RuleHits]:
    """Rule id → its hits in the running data plane.

    Reads the kernel (every VPC router's table) and the state directory: call it off the
    event loop (``await console.run(...)``). Rule ids are unique, so the caller picks its
    own rules out of the mapping.
    """
    from stockade.dataplane.counters import rule_hits as counted

    return {
        hit.rule_id: RuleHits(
            hit.connections,
            datetime.fromtimestamp(hit.last_hit, UTC) if hit.last_hit else None,
        )
        for hit in counted(live.world, live.state_dir)
    }


# -- flow-log records -----------------------------------------------------------------------

ACTIONS = ("ACCEPT", "REJECT")


@dataclass(frozen=True)
class FlowRecord:
    """One flow-log record (default version-2 format), as the live page shows it."""

    account: str
    interface: str
    source: str
    destination: str
    source_port: str
    destination_port: str
    protocol: str
    packets: str
    bytes: str
    start: str
    end: str
    action: str
    status: str

    @classmethod
    def of(cls, fields: list[str]) -> FlowRecord:
        """From a split record line (:func:`stockade.dataplane.flowlog_tail.is_record`)."""
        return cls(*fields[1:])

    def as_event(self, label: str = "") -> dict[str, str]:
        """What the page's script shows: the record, its protocol's name, its time in
        ISO form and ``label`` (the interface's instance, by Name)."""
        try:
            name = protocols.describe_protocol(protocols.canonical_protocol(self.protocol))
        except AwsError:  # not a protocol number: shown as written
            name = self.protocol
        end = datetime.fromtimestamp(int(self.end), UTC) if self.end.isdigit() else None
        return {
            "interface": self.interface,
            "label": label,
            "source": self.source,
            "destination": self.destination,
            "source_port": self.source_port,
            "destination_port": self.destination_port,
            "protocol": name,
            "packets": self.packets,
            "bytes": self.bytes,
            "time": end.strftime("%H:%M:%S") if end else "-",
            "action": self.action,
            "status": self.status,
        }


@dataclass(frozen=True)
class RecordFilter:
    """Which records a viewer sees: its account's, optionally one interface and action.

    ``NODATA`` records (a quiet interface, every interval) are left out: they say nothing
    happened. ``SKIPDATA`` ones stay, since they say records were lost.
    """

    account: str
    interface: str = ""
    action: str = ""

    def keeps(self, record: FlowRecord) -> bool:
        return (
            record.account == self.account
            and record.status != "NODATA"
            and (not self.interface or record.interface == self.interface)
            and (not self.action or record.action == self.action)
        )
