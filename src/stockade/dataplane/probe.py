"""Real packets between namespaces: listeners, and probes that report what happened.

Sockets are opened inside a namespace (:func:`stockade.dataplane.netns.entered`) and then
driven from one thread, so hundreds of probes run at once and a timeout costs its length
once per batch rather than once per probe. Outcomes:

- ``connected`` — TCP handshake completed, a UDP datagram was answered, an ICMP or other
  packet arrived at the destination (with ``reply``: its answer came back — the echo or
  timestamp reply of an ICMP query, the listener's echo of another protocol's packet,
  which network ACLs judge on its own way back);
- ``refused`` — the destination answered "nothing here" (TCP RST, ICMP port unreachable):
  the packet *was* allowed through;
- ``unreachable`` — a router said there is no route (the world's routers never do);
- ``timeout`` — nothing came back: the packet was dropped somewhere.

A flow is *allowed* exactly when the outcome is ``connected`` or ``refused``.
"""

from __future__ import annotations

import errno
import itertools
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from stockade.dataplane import netns
from stockade.domain.network_acl import reply_icmp_type

ALLOWED = ("connected", "refused")
IP_FREEBIND, IPV6_FREEBIND = 15, 78
IP_TRANSPARENT, IPV6_TRANSPARENT = 19, 75
_counter = itertools.count(1)


def _family(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def open_socket(namespace: str, family: int, kind: int, proto: int = 0) -> socket.socket:
    with netns.entered(namespace):
        return socket.socket(family, kind, proto)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _token() -> bytes:
    return f"stk-probe-{os.getpid()}-{next(_counter)}".encode()


class Listeners:
    """TCP listeners, UDP echo servers and raw receivers in namespaces, served by a thread.

    TCP connections are accepted and closed; UDP datagrams are echoed; raw sockets (ICMP,
    ICMPv6, other protocols) record the probe tokens they see in :attr:`seen`.
    """

    def __init__(self) -> None:
        self._sockets: dict[int, tuple[str, socket.socket]] = {}
        self._answering: set[int] = set()  # raw sockets that echo what they see
        self.seen: set[bytes] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _add(self, kind: str, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sockets[sock.fileno()] = (kind, sock)

    def tcp(self, namespace: str, port: int, address: str = "::") -> None:
        sock = open_socket(namespace, _family(address), socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if ":" in address:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((address, port))
        sock.listen(512)
        self._add("tcp", sock)

    def udp(self, namespace: str, port: int, address: str = "::") -> None:
        sock = open_socket(namespace, _family(address), socket.SOCK_DGRAM)
        if ":" in address:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((address, port))
        self._add("udp", sock)

    def raw(self, namespace: str, family: int, proto: int, answer: bool = False) -> None:
        """See every packet of protocol ``proto`` arriving in the namespace; with
        ``answer`` (not ICMP: the kernel answers its queries) send each probe's token back
        to its sender, as a reply a ``reply`` probe waits for."""
        kind = f"raw{4 if family == socket.AF_INET else 6}/{proto}"
        sock = open_socket(namespace, family, socket.SOCK_RAW, proto)
        self._add(kind, sock)
        if answer and proto not in (1, 58):
            self._answering.add(sock.fileno())

    def start(self) -> Listeners:
        self._thread = threading.Thread(target=self._serve, name="stk-listeners", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select(list(self._sockets), [], [], 0.05)
            for fd in ready:
                kind, sock = self._sockets[fd]
                try:
                    if kind == "tcp":
                        conn, _ = sock.accept()
                        conn.close()
                    elif kind == "udp":
                        data, peer = sock.recvfrom(2048)
                        sock.sendto(data, peer)
                    else:
                        data, peer = sock.recvfrom(65535)
                        token = _own_token(kind, data)
                        if token and not token.startswith(_ANSWER):
                            self.seen.add(token)
                            if fd in self._answering:
                                sock.sendto(_ANSWER + token, (peer[0], 0))
                except OSError:
                    continue

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for _, sock in self._sockets.values():
            sock.close()
        self._sockets.clear()

    def __enter__(self) -> Listeners:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


#: What an answering listener puts before the token it sends back (never itself answered).
_ANSWER = b"re:"


def _own_token(kind: str, data: bytes) -> bytes | None:
    """The probe token right after the packet's own headers — not one quoted inside an
    ICMP error about some other packet."""
    family, proto = kind[3], int(kind.split("/")[1])
    offset = (data[0] & 0x0F) * 4 if family == "4" and data else 0
    if proto in (1, 58):
        offset += 8
    payload = data[offset:]
    return payload if payload.startswith((b"stk-probe-", _ANSWER)) else None


@dataclass
class Probe:
    """One flow to try: from a namespace (optionally from a given source address)."""

    namespace: str
    destination: str
    protocol: str  # tcp | udp | icmp | icmpv6 | a protocol number
    port: int = 0  # tcp/udp destination port; ICMP type << 8 | code
    source: str | None = None  # bind to this address (may be one it does not own)
    reply: bool = False  # a raw probe waits for its answer (see the module's outcomes)
    outcome: str = "pending"
    _sock: socket.socket | None = None
    _token: bytes = b""
    _answer: tuple[int, int] | None = None  # (ICMP type, identifier) of the awaited reply

    @property
    def allowed(self) -> bool:
        return self.outcome in ALLOWED

    def start(self) -> None:
        fam = _family(self.destination)
        if self.protocol == "tcp":
            self._sock = open_socket(self.namespace, fam, socket.SOCK_STREAM)
            self._bind()
            self._sock.setblocking(False)
            code = self._sock.connect_ex((self.destination, self.port))
            if code not in (0, errno.EINPROGRESS):
                self.outcome = _classify(code)
        elif self.protocol == "udp":
            self._sock = open_socket(self.namespace, fam, socket.SOCK_DGRAM)
            self._bind()
            self._sock.setblocking(False)
            self._token = _token()
            try:
                self._sock.connect((self.destination, self.port))
                self._sock.send(self._token)
            except OSError as exc:
                self.outcome = _classify(exc.errno or 0)
        else:
            self._send_raw(fam)

    def _bind(self) -> None:
        if self.source is None or self._sock is None:
            return
        # FREEBIND lets it bind an address the namespace lacks; TRANSPARENT lets the
        # kernel route from it (root only): how a test pretends to be a spoofing instance.
        if ":" in self.source:
            self._sock.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
            self._sock.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
        else:
            self._sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            self._sock.setsockopt(socket.IPPROTO_IP, IP_TRANSPARENT, 1)
        self._sock.bind((self.source, 0))

    def _send_raw(self, fam: int) -> None:
        number = {"icmp": 1, "icmpv6": 58}.get(self.protocol)
        proto = number if number is not None else int(self.protocol)
        self._sock = open_socket(self.namespace, fam, socket.SOCK_RAW, proto)
        self._bind()
        self._sock.setblocking(False)
        self._token = _token()
        if proto in (1, 58):
            icmp_type, code = self.port >> 8, self.port & 0xFF
            ident = int.from_bytes(os.urandom(2), "big")  # unrelated probes never pair up
            answer = reply_icmp_type(proto, icmp_type)
            if answer is not None:
                self._answer = (answer, ident)
            header = struct.pack("!BBHHH", icmp_type, code, 0, ident, 1)
            packet = header + self._token
            if proto == 1:  # the kernel computes ICMPv6 checksums itself
                packet = (
                    header[:2] + struct.pack("!H", _checksum(packet)) + header[4:] + self._token
                )
        else:
            packet = self._token
        try:
            self._sock.sendto(packet, (self.destination, 0))
        except OSError as exc:
            self.outcome = _classify(exc.errno or 0)

    def poll(self, seen: set[bytes]) -> None:
        """Update :attr:`outcome` from whatever arrived (non-blocking)."""
        if self.outcome != "pending" or self._sock is None:
            return
        if self.protocol == "tcp":
            code = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                self.outcome = _classify(code)
                return
            try:
                self._sock.getpeername()
                self.outcome = "connected"
            except OSError:
                pass
        elif self.protocol == "udp":
            try:
                data = self._sock.recv(2048)
                if data == self._token:
                    self.outcome = "connected"
            except BlockingIOError:
                pass
            except OSError as exc:
                self.outcome = _classify(exc.errno or 0)
        elif self.reply and (self._answer is not None or self.protocol not in ("icmp", "icmpv6")):
            if self._answered():
                self.outcome = "connected"
        elif self._token in seen:
            self.outcome = "connected"

    def _answered(self) -> bool:
        """Whether the answer to this raw probe arrived on its own socket (which sees every
        packet of its protocol reaching the namespace)."""
        assert self._sock is not None
        while True:
            try:
                data = self._sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return False
            if ":" not in self.destination and data:
                data = data[(data[0] & 0x0F) * 4 :]  # IPv4 raw sockets see the IP header
            if self._answer is not None:
                if len(data) >= 8 and (data[0], int.from_bytes(data[4:6], "big")) == self._answer:
                    return True
            elif data == _ANSWER + self._token:
                return True

    def close(self) -> None:
        if self._sock is not None:
            if self.protocol == "tcp":
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._sock.close()
            self._sock = None


def _classify(code: int) -> str:
    if code == errno.ECONNREFUSED:
        return "refused"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "unreachable"
    if code == errno.ETIMEDOUT:
        return "timeout"
    return f"error {errno.errorcode.get(code, code)}"


def run(
    probes: Sequence[Probe],
    timeout: float = 0.5,
    listeners: Listeners | None = None,
    keep_open: bool = False,
) -> list[str]:
    """Start every probe, wait until each has an outcome or ``timeout`` passes."""
    seen = listeners.seen if listeners is not None else set()
    try:
        for probe in probes:
            probe.start()
        deadline = time.monotonic() + timeout
        while True:
            for probe in probes:
                probe.poll(seen)
            if all(p.outcome != "pending" for p in probes) or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        for probe in probes:
            if probe.outcome == "pending":
                probe.outcome = "timeout"
        return [p.outcome for p in probes]
    finally:
        if not keep_open:
            for probe in probes:
                probe.close()


def probe_one(
    namespace: str,
    destination: str,
    protocol: str = "tcp",
    port: int = 0,
    timeout: float = 0.5,
    listeners: Listeners | None = None,
    source: str | None = None,
) -> str:
    return run([Probe(namespace, destination, protocol, port, source)], timeout, listeners)[0]


def listen_all(
    listeners: Listeners,
    namespaces: Iterable[str],
    tcp: Iterable[int] = (),
    udp: Iterable[int] = (),
    raw: Iterable[int] = (),
    answer: bool = False,
) -> None:
    """Open the same listeners in several namespaces (dual-stack TCP/UDP, raw per family;
    ``answer``: raw listeners of other protocols than ICMP echo each probe back)."""
    for name in namespaces:
        for port in tcp:
            listeners.tcp(name, port)
        for port in udp:
            listeners.udp(name, port)
        for proto in raw:
            fams = {1: (socket.AF_INET,), 58: (socket.AF_INET6,)}.get(
                proto, (socket.AF_INET, socket.AF_INET6)
            )
            for fam in fams:
                listeners.raw(name, fam, proto, answer)


class NewFlowFlood:
    """New UDP flows from a namespace, as fast as one thread sends them: every datagram has
    a fresh source port, so every one is a *new* connection the rules must decide (an
    established flow passes on conntrack alone). Used to look for moments where a change
    of the ruleset rejects what both the old and the new rules allow. IPv4 only."""

    def __init__(self, namespace: str, destination: str, port: int) -> None:
        self._sock = open_socket(namespace, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
        self.destination, self.port, self.sent = destination, port, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="stk-flood", daemon=True)

    def _loop(self) -> None:
        source = 1024
        while not self._stop.is_set():
            source = source + 1 if source < 65000 else 1024
            header = struct.pack("!HHHH", source, self.port, 8, 0)  # no checksum (IPv4)
            self._sock.sendto(header, (self.destination, 0))
            self.sent += 1

    def __enter__(self) -> NewFlowFlood:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sock.close()
