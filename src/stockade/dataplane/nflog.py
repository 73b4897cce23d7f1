"""NFLOG over netlink: subscribe to a log group and decode the packets nftables logs.

``log group N`` hands packets to nfnetlink_log, which is per network namespace, so a
socket opened inside a VPC router namespace sees exactly that router's logs (``log
prefix`` to the kernel log is suppressed outside the initial namespace: reference §3.9).
pyroute2 has no NFLOG support; the protocol is small (linux/netfilter/nfnetlink_log.h).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

NETLINK_NETFILTER = 12
_SUBSYS_ULOG = 4
MSG_PACKET = (_SUBSYS_ULOG << 8) | 0
MSG_CONFIG = (_SUBSYS_ULOG << 8) | 1
_NLM_F_REQUEST, _NLM_F_ACK = 0x1, 0x4
_NLMSG_ERROR = 2
# configuration attributes and commands
_CFG_CMD, _CFG_MODE, _CFG_TIMEOUT, _CFG_QTHRESH = 1, 2, 4, 5
_CMD_BIND = 1
_COPY_PACKET = 2
# packet attributes
_HDR, _TIMESTAMP, _INDEV, _OUTDEV, _PAYLOAD, _PREFIX = 1, 3, 4, 5, 9, 10


@dataclass(frozen=True)
class Logged:
    """One logged packet."""

    prefix: str
    indev: int
    outdev: int
    family: int  # 4 | 6
    src: str
    dst: str
    proto: int
    sport: int
    dport: int
    length: int


def _attr(kind: int, data: bytes) -> bytes:
    length = 4 + len(data)
    return struct.pack("=HH", length, kind) + data + b"\0" * ((4 - length % 4) % 4)


def _message(kind: int, group: int, attrs: bytes, seq: int) -> bytes:
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(group)) + attrs
    return struct.pack("=IHHII", 16 + len(body), kind, _NLM_F_REQUEST | _NLM_F_ACK, seq, 0) + body


def subscribe(sock: socket.socket, group: int, copy_range: int = 128) -> None:
    """Bind ``sock`` (a NETLINK_NETFILTER socket) to log group ``group``, packets copied,
    each delivered at once (queue threshold 1) rather than batched for up to a second."""
    sock.bind((0, 0))
    messages = [
        _attr(_CFG_CMD, struct.pack("=B", _CMD_BIND)),
        _attr(_CFG_MODE, struct.pack("!IBB", copy_range, _COPY_PACKET, 0)),
        _attr(_CFG_QTHRESH, struct.pack("!I", 1)) + _attr(_CFG_TIMEOUT, struct.pack("!I", 1)),
    ]
    for seq, attrs in enumerate(messages, start=1):
        sock.send(_message(MSG_CONFIG, group, attrs, seq))
        _expect_ack(sock)


def _expect_ack(sock: socket.socket) -> None:
    data = sock.recv(65536)
    length, kind = struct.unpack_from("=IH", data)
    if kind == _NLMSG_ERROR:
        (code,) = struct.unpack_from("=i", data, 16)
        if code:
            raise OSError(-code, f"NFLOG configuration refused: {os.strerror(-code)}")


def parse(data: bytes) -> Iterator[Logged]:
    """The logged packets in one netlink datagram."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        if length < 16:
            break
        if kind == MSG_PACKET:
            logged = _packet(data[offset + 20 : offset + length])
            if logged is not None:
                yield logged
        offset += (length + 3) & ~3


def _packet(body: bytes) -> Logged | None:
    attrs: dict[int, bytes] = {}
    pos = 0
    while pos + 4 <= len(body):
        length, kind = struct.unpack_from("=HH", body, pos)
        if length < 4:
            break
        attrs[kind & 0x3FFF] = body[pos + 4 : pos + length]
        pos += (length + 3) & ~3
    payload = attrs.get(_PAYLOAD)
    if not payload:
        return None
    prefix = attrs.get(_PREFIX, b"").split(b"\0", 1)[0].decode(errors="replace")
    indev = struct.unpack("!I", attrs[_INDEV])[0] if _INDEV in attrs else 0
    outdev = struct.unpack("!I", attrs[_OUTDEV])[0] if _OUTDEV in attrs else 0
    return _decode(prefix, indev, outdev, payload)


def _decode(prefix: str, indev: int, outdev: int, packet: bytes) -> Logged | None:
    version = packet[0] >> 4
    if version == 4 and len(packet) >= 20:
        ihl = (packet[0] & 0x0F) * 4
        length, proto = struct.unpack_from("!H", packet, 2)[0], packet[9]
        src, dst = (
            str(ipaddress.IPv4Address(packet[12:16])),
            str(ipaddress.IPv4Address(packet[16:20])),
        )
        l4 = packet[ihl:]
    elif version == 6 and len(packet) >= 40:
        length = struct.unpack_from("!H", packet, 4)[0] + 40
        proto = packet[6]
        src, dst = (
            str(ipaddress.IPv6Address(packet[8:24])),
            str(ipaddress.IPv6Address(packet[24:40])),
        )
        l4 = packet[40:]
    else:
        return None
    sport = dport = 0
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack_from("!HH", l4)
    return Logged(prefix, indev, outdev, version, src, dst, proto, sport, dport, length)
