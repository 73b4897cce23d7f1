"""Conntrack accounting in a VPC router namespace: packets and bytes per connection.

With ``net.netfilter.nf_conntrack_acct=1`` (per namespace; it applies to connections
created afterwards) every conntrack entry counts the packets and bytes (IP length) of
each direction. Accepted flows are counted from there, never per logged packet:

- a periodic dump (pyroute2's ``NFCTSocket``) gives the running totals of live entries;
- the ``DESTROY`` event of an entry carries its final totals, so a connection that ends
  between two dumps is not lost.

An entry is keyed by its tuple *as the instances' interfaces see it*: the original
source before SNAT and the reply's source (the real destination, after DNAT), with their
ports — exactly the addresses the rule chains see and log (they run in ``forward``).

pyroute2 0.9 opens its netlink socket lazily, in the namespace of the thread that first
uses it: the dump runs with the thread inside the router namespace, and the socket is
used and closed by that one thread only.
"""

from __future__ import annotations

import errno
import socket
import struct

from pyroute2.netlink.nfnetlink.nfctsocket import NFCTSocket, nfct_msg

from stockade.dataplane import netns
from stockade.dataplane.flowlog_flows import Counted
from stockade.dataplane.flowlog_window import FlowTuple
from stockade.dataplane.nflog import NETLINK_NETFILTER

#: Legacy netlink group bit of conntrack DESTROY events (linux/netfilter/nfnetlink_compat.h).
_DESTROY_GROUP = 4
_IPCTNL_MSG_CT_DELETE = (1 << 8) | 2  # NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE
_PORTED = (6, 17)


def enable(namespace: str) -> None:
    """Turn on per-connection accounting in a router namespace (new connections on)."""
    netns.sysctl(namespace, {"netfilter.nf_conntrack_acct": "1"})


class Accounting:
    """One router namespace's conntrack totals: dumps and DESTROY events.

    Created by any thread; :meth:`dump` and :meth:`close_dumper` belong to one thread (the
    flow-log reader's), :attr:`events` is a plain socket to ``select`` on.
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        with netns.entered(namespace):
            self.events = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.events.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.events.bind((0, _DESTROY_GROUP))
        self.events.setblocking(False)
        self._dumper: NFCTSocket | None = None

    def dump(self) -> list[Counted]:
        """Every live entry's totals (entries without accounting are left out)."""
        with netns.entered(self.namespace):
            if self._dumper is None:
                self._dumper = NFCTSocket(nfgen_family=socket.AF_UNSPEC)
            messages = list(self._dumper.dump())
        return [c for c in map(counted, messages) if c is not None]

    def destroyed(self) -> list[Counted]:
        """Final totals of the entries destroyed since the last call (non-blocking);
        raises ``OSError(ENOBUFS)`` when the kernel dropped events."""
        out: list[Counted] = []
        while True:
            try:
                data = self.events.recv(1 << 16)
            except BlockingIOError:
                return out
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if length < 16:
                    break
                if kind == _IPCTNL_MSG_CT_DELETE:
                    message = nfct_msg(data[offset : offset + length])
                    message.decode()
                    entry = counted(message)
                    if entry is not None:
                        out.append(entry)
                offset += (length + 3) & ~3

    def close_dumper(self) -> None:
        """Close the dump socket (from the thread that used it)."""
        if self._dumper is not None:
            self._dumper.close()
            self._dumper = None

    def close(self) -> None:
        self.events.close()


def counted(message: nfct_msg) -> Counted | None:
    """The totals of one conntrack message, or ``None`` without accounting."""
    orig_packets = message.get_nested("CTA_COUNTERS_ORIG", "CTA_COUNTERS_PACKETS")
    reply_packets = message.get_nested("CTA_COUNTERS_REPLY", "CTA_COUNTERS_PACKETS")
    if orig_packets is None or reply_packets is None:
        return None
    proto = message.get_nested("CTA_TUPLE_ORIG", "CTA_TUPLE_PROTO", "CTA_PROTO_NUM")
    source = _address(message, "CTA_TUPLE_ORIG", "SRC")
    destination = _address(message, "CTA_TUPLE_REPLY", "SRC")  # the real one, after DNAT
    if proto is None or source is None or destination is None:
        return None
    sport = dport = 0
    if proto in _PORTED:
        sport = message.get_nested("CTA_TUPLE_ORIG", "CTA_TUPLE_PROTO", "CTA_PROTO_SRC_PORT")
        dport = message.get_nested("CTA_TUPLE_REPLY", "CTA_TUPLE_PROTO", "CTA_PROTO_SRC_PORT")
    return Counted(
        int(message.get("CTA_ID") or 0),
        FlowTuple(source, destination, int(sport or 0), int(dport or 0), int(proto)),
        (
            int(orig_packets),
            int(message.get_nested("CTA_COUNTERS_ORIG", "CTA_COUNTERS_BYTES") or 0),
        ),
        (
            int(reply_packets),
            int(message.get_nested("CTA_COUNTERS_REPLY", "CTA_COUNTERS_BYTES") or 0),
        ),
    )


def _address(message: nfct_msg, tuple_name: str, end: str) -> str | None:
    for family in ("V4", "V6"):
        value = message.get_nested(tuple_name, "CTA_TUPLE_IP", f"CTA_IP_{family}_{end}")
        if value is not None:
            return str(value)
    return None


def is_overflow(exc: OSError) -> bool:
    """The kernel dropped messages because the socket's buffer was full."""
    return exc.errno == errno.ENOBUFS
