"""VPC Flow Logs: one record per new connection accepted or rejected at an interface.

Every rule chain logs (NFLOG) the first packet it accepts, and each interface's reject
chain the first packet it drops; a reader thread per VPC router turns those into VPC Flow
Logs version 2 records, appended to ``<state dir>/flowlogs/<vpc id>.log``::

    version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes
    start end action log-status

Like AWS, a connection between two instances appears once per interface (egress at the
source, ingress at the destination), and an internet client's connection shows the
instance's *private* address (the gateway translated it before the rules ran). Unlike
AWS, records are written at once, not per aggregation interval, and count the first packet
only (packets 1, bytes its length). The reader also remembers when each rule last allowed
something (``<state dir>/hits/<vpc id>.json``): AWS has no such thing.
"""

from __future__ import annotations

import fcntl
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from stockade.dataplane import netns, nflog
from stockade.dataplane.names import LOG_GROUP

log = logging.getLogger(__name__)

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
          "packets bytes start end action log-status")
_SIOCGIFNAME = 0x8910
#: Interface lookup: router-side ifname → (interface id, account id).
Lookup = Callable[[str], tuple[str, str] | None]


def flowlog_path(state_dir: Path, vpc_id: str) -> Path:
    return state_dir / "flowlogs" / f"{vpc_id}.log"


def hits_path(state_dir: Path, vpc_id: str) -> Path:
    return state_dir / "hits" / f"{vpc_id}.json"


class FlowLogReader:
    """Reads one router namespace's NFLOG group and writes its flow-log file."""

    def __init__(self, namespace: str, vpc_id: str, state_dir: Path, lookup: Lookup) -> None:
        self.namespace = namespace
        self.vpc_id = vpc_id
        self.state_dir = state_dir
        self.lookup = lookup
        self.hits: dict[str, list[float]] = {}  # rule id -> [count, last unix time]
        self._names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._ioctl: socket.socket | None = None
        self._saved_at = 0.0

    def start(self) -> FlowLogReader:
        with netns.entered(self.namespace):
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                       nflog.NETLINK_NETFILTER)
            self._ioctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        nflog.subscribe(self._sock, LOG_GROUP)
        self._sock.settimeout(0.2)
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
        self._thread = threading.Thread(target=self._loop, name=f"stk-flowlog-{self.vpc_id}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._save_hits(force=True)
        for sock in (self._sock, self._ioctl):
            if sock is not None:
                sock.close()
        self._sock = self._ioctl = None

    def _loop(self) -> None:
        assert self._sock is not None
        path = flowlog_path(self.state_dir, self.vpc_id)
        with open(path, "a", buffering=1) as out:
            while not self._stop.is_set():
                try:
                    data = self._sock.recv(1 << 16)
                except TimeoutError:
                    self._save_hits()
                    continue
                except OSError as exc:
                    if self._stop.is_set():
                        return
                    log.warning("flow-log reader of %s: %s", self.vpc_id, exc)  # e.g. ENOBUFS
                    continue
                lines = list(self._records(nflog.parse(data)))
                if lines:
                    out.write("".join(lines))
                self._save_hits()

    def _records(self, packets: Iterator[nflog.Logged]) -> Iterator[str]:
        now = int(time.time())
        for packet in packets:
            words = packet.prefix.split()
            if len(words) < 2:
                continue
            action = "ACCEPT" if words[0] == "A" else "REJECT"
            device = packet.indev if words[1] == "eg" else packet.outdev
            found = self.lookup(self._name(device)) if device else None
            if found is None:
                continue
            eni_id, account = found
            if action == "ACCEPT" and len(words) > 2:
                entry = self.hits.setdefault(words[2], [0, 0.0])
                entry[0] += 1
                entry[1] = time.time()
            yield (f"2 {account} {eni_id} {packet.src} {packet.dst} {packet.sport} "
                   f"{packet.dport} {packet.proto} 1 {packet.length} {now} {now} {action} OK\n")

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


def read_records(state_dir: Path, eni_id: str | None = None) -> Iterator[list[str]]:
    """Every record of every VPC's file (split into fields), optionally for one interface."""
    for path in sorted((state_dir / "flowlogs").glob("*.log")):
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) == 14 and fields[0] == "2" and (eni_id is None or
                                                          fields[2] == eni_id):
                yield fields


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
