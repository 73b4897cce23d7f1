"""VPC Flow Logs as AWS writes them: one record per flow, interface and aggregation interval.

A reader thread per VPC router writes ``<state dir>/flowlogs/<vpc id>.log`` in the default
format (version 2, :mod:`stockade.dataplane.flowlog_window`)::

    version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes
    start end action log-status

- **Accepted** connections: the rule chains log (NFLOG) the first packet they accept, which
  says at which interface and by which rule; from then on conntrack counts the packets of
  both directions (:mod:`stockade.dataplane.ct_accounting`), read by a periodic dump and
  by each entry's DESTROY event (:mod:`stockade.dataplane.flowlog_flows`). Nothing is
  needed per packet. Connections older than the reader (an agent restart) are adopted
  from its first dump, by their addresses, and counted from then on.
- **Rejected** packets: each interface's reject chain logs every packet it drops; they are
  summed per flow.

Each interval (``max_aggregation_interval``: 600 s by default, 60 s optionally, as AWS;
tests pass shorter ones) ends with one record per flow and direction per interface, with
that interval's packets and bytes, and ``NODATA`` for quiet interfaces (``SKIPDATA`` after
the kernel dropped messages). A flow alive across a boundary gets a record per interval.
Stopping the reader closes the current interval early: nothing pending is lost.

Only interfaces a flow log covers get records (``wanted``: interface id → the actions asked
for, read from the store's ``fl-`` resources when each interval closes; the last answer is
kept if the store cannot be read), as AWS logs nothing without a flow log. A reader given no
``wanted`` (a reconciler fed snapshots directly: tests, the benchmark) logs every interface.

As in AWS, a connection between two instances appears on both interfaces, and an internet
client's connection shows the instance's *private* address (the gateway translated it
before the rules ran). Conntrack is polled ten times per interval (at most 5 s apart) and
at every boundary, so a record's ``start`` and ``end`` are exact for rejected packets and
a connection's first packet, and within one poll otherwise; packets that arrive while the
boundary's poll runs (milliseconds) count in the interval it closes. The reader also
remembers when each rule last allowed something (``<state dir>/hits/<vpc id>.json``): AWS
has no such thing.

A "packet" is what the kernel forwards: a sender's segmentation offload (TSO/GSO on the
instance's veth) hands the router one large packet where a wire would carry several, so
``packets`` can be lower than AWS would count for bulk TCP (``bytes`` by the headers of
the packets not split).
"""

from __future__ import annotations

import fcntl
import json
import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from stockade.dataplane import ct_accounting, netns, nflog
from stockade.dataplane.flowlog_flows import AcceptedFlows, Counted
from stockade.dataplane.flowlog_tail import read_records
from stockade.dataplane.flowlog_window import (
    DEFAULT_INTERVAL,
    HEADER,
    FlowTuple,
    Interface,
    Window,
    covered_lines,
    window_start,
)
from stockade.dataplane.names import LOG_GROUP
from stockade.dataplane.plan import PortPlan

log = logging.getLogger(__name__)

__all__ = ["HEADER", "FlowLogReader", "flowlog_path", "hits_path", "read_hits", "read_records"]

_SIOCGIFNAME = 0x8910
#: Interface lookup: router-side ifname → (interface id, account id).
Lookup = Callable[[str], tuple[str, str] | None]
#: The router's instance ports (for NODATA, and to adopt connections older than the reader).
Ports = Callable[[], Iterable[PortPlan]]
#: Which interfaces flow logs cover, and for which actions (``covered_lines``).
Wanted = Callable[[], Mapping[str, frozenset[str]]]


def flowlog_path(state_dir: Path, vpc_id: str) -> Path:
    return state_dir / "flowlogs" / f"{vpc_id}.log"


def hits_path(state_dir: Path, vpc_id: str) -> Path:
    return state_dir / "hits" / f"{vpc_id}.json"


def poll_period(interval: float) -> float:
    """How often conntrack is dumped: ten times per interval, at most every 5 s."""
    return max(0.05, min(5.0, interval / 10))


class FlowLogReader:
    """Reads one router namespace's NFLOG group and conntrack totals; writes its flow log."""

    def __init__(
        self,
        namespace: str,
        vpc_id: str,
        state_dir: Path,
        lookup: Lookup,
        ports: Ports = lambda: (),
        interval: float = DEFAULT_INTERVAL,
        wanted: Wanted | None = None,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"the aggregation interval must be positive, not {interval!r}")
        self.namespace = namespace
        self.vpc_id = vpc_id
        self.state_dir = state_dir
        self.lookup = lookup
        self.ports = ports
        self.interval = float(interval)
        self.wanted = wanted
        self._covered: Mapping[str, frozenset[str]] = {}
        self.hits: dict[str, list[float]] = {}  # rule id -> [count, last unix time]
        self._names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._ioctl: socket.socket | None = None
        self._accounting: ct_accounting.Accounting | None = None
        self._saved_at = 0.0
        self._flows = AcceptedFlows(grace=max(5.0, 3 * poll_period(self.interval)))
        self._window: Window | None = None
        self._polled = self._started = 0.0
        self._older: list[Counted] | None = None  # connections already there at start

    def start(self) -> FlowLogReader:
        ct_accounting.enable(self.namespace)
        with netns.entered(self.namespace):
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, nflog.NETLINK_NETFILTER)
            self._ioctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        nflog.subscribe(self._sock, LOG_GROUP)
        self._sock.setblocking(False)
        self._accounting = ct_accounting.Accounting(self.namespace)
        try:
            self._older = self._accounting.dump()
        except OSError as exc:
            log.warning("conntrack dump of %s: %s", self.vpc_id, exc)
        path = flowlog_path(self.state_dir, self.vpc_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(HEADER + "\n")
        hits = hits_path(self.state_dir, self.vpc_id)
        if hits.exists():
            try:
                self.hits = json.loads(hits.read_text())
            except ValueError:
                self.hits = {}
        now = time.time()
        self._window = Window(window_start(now, self.interval), self.interval, now)
        self._polled = self._started = now
        self._thread = threading.Thread(
            target=self._loop, name=f"stk-flowlog-{self.vpc_id}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading; the current interval is closed now and its records written."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._save_hits(force=True)
        for sock in (self._sock, self._ioctl):
            if sock is not None:
                sock.close()
        if self._accounting is not None:
            self._accounting.close()
        self._sock = self._ioctl = self._accounting = None

    # -- the reader thread -------------------------------------------------------------------

    def _loop(self) -> None:
        assert self._sock is not None and self._accounting is not None
        path = flowlog_path(self.state_dir, self.vpc_id)
        period = poll_period(self.interval)
        with open(path, "a", buffering=1) as out:
            try:
                while not self._stop.is_set():
                    try:
                        self._step(out, period)
                    except Exception:  # keep logging; a bug must not end flow logs silently
                        log.exception("flow-log reader of %s", self.vpc_id)
                        self._stop.wait(0.5)
            finally:
                self._read_log()
                self._read_destroyed()
                self._poll(out, closing=True)

    def _step(self, out, period: float) -> None:
        """Wait for log messages or DESTROY events until the next poll is due; poll."""
        assert self._sock is not None and self._accounting is not None
        due = min(self._polled + period, self._current().end)
        if time.time() >= due:
            self._poll(out)
            return
        wait = min(0.2, max(0.0, due - time.time()))
        ready, _, _ = select.select([self._sock, self._accounting.events], [], [], wait)
        if self._sock in ready:
            self._read_log()
        if self._accounting.events in ready:
            self._read_destroyed()
        self._save_hits()

    def _current(self) -> Window:
        assert self._window is not None
        return self._window

    def _poll(self, out, closing: bool = False) -> None:
        """Count what conntrack counted since the last poll; close the window if it is over
        (or when ``closing``) and write its records."""
        assert self._accounting is not None
        now = time.time()
        window = self._current()
        self._adopt()
        if self._flows:
            try:
                entries = self._accounting.dump()
            except OSError as exc:  # a dump refused or cut short: counted at the next one
                log.warning("conntrack dump of %s: %s", self.vpc_id, exc)
            else:
                self._flows.count(entries, window, self._polled, now)
                self._flows.count_uncounted(window, now, closing)
                self._flows.forget_gone(entries, now)
        self._polled = now
        if closing or now >= window.end:
            closed = min(now, window.end)
            lines = self._covered_only(window.records(self._interfaces(), closed))
            if lines:
                out.write("".join(lines))
            start = window_start(now, self.interval)
            self._window = Window(start, self.interval, max(start, window.end))

    def _covered_only(self, lines: list[str]) -> list[str]:
        if self.wanted is None:
            return lines
        try:
            self._covered = self.wanted()
        except Exception as exc:  # the store unreadable for a moment: keep the last answer
            log.warning(
                "flow logs of %s unreadable, the last known ones apply: %s", self.vpc_id, exc
            )
        return covered_lines(lines, self._covered)

    def _read_log(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError as exc:
                if ct_accounting.is_overflow(exc):
                    self._current().skipped = True
                    continue
                if not self._stop.is_set():
                    log.warning("flow-log reader of %s: %s", self.vpc_id, exc)
                return
            self._logged(nflog.parse(data))

    def _read_destroyed(self) -> None:
        assert self._accounting is not None
        try:
            entries = self._accounting.destroyed()
        except OSError as exc:
            if ct_accounting.is_overflow(exc):
                self._current().skipped = True
            else:
                log.warning("conntrack events of %s: %s", self.vpc_id, exc)
            return
        if entries:
            self._flows.count(entries, self._current(), self._polled, time.time(), final=True)

    def _logged(self, packets: Iterable[nflog.Logged]) -> None:
        now = time.time()
        window = self._current()
        for packet in packets:
            words = packet.prefix.split()
            if len(words) < 2:
                continue
            device = packet.indev if words[1] == "eg" else packet.outdev
            found = self.lookup(self._name(device)) if device else None
            if found is None:
                continue
            interface = Interface(*found)
            flow = FlowTuple(packet.src, packet.dst, packet.sport, packet.dport, packet.proto)
            if words[0] != "A":
                window.add(interface, flow, "REJECT", 1, packet.length, now, now)
                continue
            self._flows.learn(flow, interface, now, packet.length)
            if len(words) > 2:
                entry = self.hits.setdefault(words[2], [0, 0.0])
                entry[0] += 1
                entry[1] = now

    def _interfaces(self) -> list[Interface]:
        return [Interface(p.eni_id, p.owner_id) for p in self.ports()]

    def _adopt(self) -> None:
        """Connections older than this reader (an agent restart), dumped at its start:
        their interfaces from their addresses, once the router has its ports (a new router
        gets them after its rules); their packets until the start were the previous
        reader's to write — counted from the start on."""
        owners = {
            address: Interface(p.eni_id, p.owner_id)
            for p in self.ports()
            for address in p.addresses
        }
        if self._older is not None and owners:
            self._flows.adopt(self._older, owners, self._started)
            self._older = None

    def _name(self, index: int) -> str:
        name = self._names.get(index)
        if name is None and self._ioctl is not None:
            try:
                raw = fcntl.ioctl(self._ioctl, _SIOCGIFNAME, struct.pack("16si", b"", index))
                name = raw[:16].split(b"\0", 1)[0].decode()
            except OSError:
                return ""
            self._names[index] = name
        return name or ""

    def _save_hits(self, force: bool = False) -> None:
        if not self.hits or (not force and time.monotonic() - self._saved_at < 1.0):
            return
        self._saved_at = time.monotonic()
        path = hits_path(self.state_dir, self.vpc_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.hits))
        tmp.replace(path)


def read_hits(state_dir: Path) -> dict[str, tuple[int, float]]:
    """Rule id → (connections logged, last time) across every VPC."""
    out: dict[str, tuple[int, float]] = {}
    for path in (state_dir / "hits").glob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for rule_id, (count, last) in data.items():
            prev = out.get(rule_id, (0, 0.0))
            out[rule_id] = (prev[0] + int(count), max(prev[1], float(last)))
    return out
