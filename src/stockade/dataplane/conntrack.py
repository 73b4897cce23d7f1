"""Connection tracking: forget every tracked flow of an address that changed hands.

The routers accept ``ct state established,related`` before any security-group rule, and
NAT an established flow by its conntrack entry, not by the ``nat_dst`` map. So an entry
that outlived its address would carry an old flow to whoever holds the address next: a
terminated instance's clients would reach the instance that inherits its private IP, and a
released public IP would keep translating to its old owner. When an address changes
hands — leaves an interface or arrives at one (:mod:`stockade.dataplane.plan`'s
``addresses_left`` and ``addresses_rehomed``) — every entry naming it, as source or
destination, original or reply direction, is deleted, its NAT mapping with it; a later
packet of the old flow is a *new* one (TCP's loose pick-up of mid-stream packets
included) and meets the rules of the address's new holder.

This is not AWS's rule-removal behaviour, which stockade keeps: a tracked flow survives the
removal of the rule that allowed it. Only an address changing hands ends its flows.

pyroute2's ctnetlink socket does the work. Every dump walks the host's whole conntrack
hash table (262,144 buckets here: ~25 ms on a loaded machine), however few entries the
namespace holds, and pyroute2 decodes each entry it returns in Python (~0.2-0.5 ms). So a
namespace holding no entry at all (``nf_conntrack_count``, O(1)) is skipped — the internet
namespace and idle routers cost nothing; one holding a few is dumped once and filtered
here; one holding many gets kernel-filtered dumps (``CTA_FILTER``, Linux 5.8+), one per
address, direction and end, so only the doomed entries are decoded. Either way each entry
is checked here before it is deleted (a kernel without ``CTA_FILTER`` would return them
all), and deleted by the very tuple the kernel reported, so every protocol (ports, ICMP
ids, GRE keys…) is covered. A pyroute2 socket belongs to the namespace of the thread that
opens it, so all of it runs inside :func:`stockade.dataplane.netns.entered`.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Iterable, Iterator

from pyroute2.netlink import NLM_F_ACK, NLM_F_REQUEST
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.nfnetlink.nfctsocket import (
    IPCTNL_MSG_CT_DELETE,
    NFCTAttrTuple,
    NFCTSocket,
    nfct_msg,
)

from stockade.dataplane import netns

_COUNT = "/proc/sys/net/netfilter/nf_conntrack_count"  # of the reading thread's namespace
_IP_ATTR: dict[int, str] = {socket.AF_INET: "CTA_IP_V4", socket.AF_INET6: "CTA_IP_V6"}
#: Up to this many entries per address, decoding the whole table once beats four walks.
DECODE_LIMIT = 250
_FILTERS = [
    (direction, end) for direction in ("tuple_orig", "tuple_reply") for end in ("saddr", "daddr")
]


def forget(namespace: str, addresses: Iterable[str]) -> int:
    """Delete every conntrack entry of ``namespace`` that names one of ``addresses``;
    returns how many were deleted (0 when the namespace does not exist)."""
    wanted: dict[int, set] = {socket.AF_INET: set(), socket.AF_INET6: set()}
    for address in addresses:
        ip = ipaddress.ip_address(address)
        wanted[socket.AF_INET if ip.version == 4 else socket.AF_INET6].add(ip)
    if not any(wanted.values()):
        return 0
    try:
        with netns.entered(namespace):
            count = _entries()
            if not count:
                return 0
            return sum(_forget(family, ips, count) for family, ips in wanted.items() if ips)
    except LookupError:  # the namespace is gone, and its table with it
        return 0


def _entries() -> int:
    """How many conntrack entries the current namespace holds."""
    try:
        with open(_COUNT) as f:
            return int(f.read())
    except FileNotFoundError:  # conntrack is not even loaded
        return 0


def _forget(family: int, ips: set, count: int) -> int:
    sock = NFCTSocket(nfgen_family=family)
    try:
        doomed = {
            msg.get_attr("CTA_ID"): msg
            for msg in _candidates(sock, family, ips, count)
            if _names_any(msg, family, ips)
        }
        return sum(_delete(sock, msg) for msg in doomed.values())
    finally:
        sock.close()


def _candidates(sock: NFCTSocket, family: int, ips: set, count: int) -> Iterator:
    """The entries that may name one of ``ips``: all of them when there are few, else
    those the kernel's filters pick (an entry may come more than once)."""
    if count <= DECODE_LIMIT * len(ips):
        yield from sock.dump()
        return
    for ip in ips:
        for direction, end in _FILTERS:
            yield from sock.dump(**{direction: NFCTAttrTuple(family=family, **{end: str(ip)})})


def _names_any(msg, family: int, ips: set) -> bool:
    """Whether an entry's original or reply tuple has one of ``ips`` at either end."""
    prefix = _IP_ATTR[family]
    for direction in ("CTA_TUPLE_ORIG", "CTA_TUPLE_REPLY"):
        tuple_ = msg.get_attr(direction)
        addresses = tuple_.get_attr("CTA_TUPLE_IP") if tuple_ is not None else None
        if addresses is None:
            continue
        for end in ("_SRC", "_DST"):
            value = addresses.get_attr(prefix + end)
            if value is not None and ipaddress.ip_address(value) in ips:
                return True
    return False


def _delete(sock: NFCTSocket, msg) -> int:
    """Delete one entry by its original tuple (and zone); 0 if it was already gone."""
    request = nfct_msg()
    request["attrs"] = [["CTA_TUPLE_ORIG", _plain(msg.get_attr("CTA_TUPLE_ORIG"))]]
    zone = msg.get_attr("CTA_ZONE")
    if zone:
        request["attrs"].append(["CTA_ZONE", zone])
    try:
        sock.request(request, IPCTNL_MSG_CT_DELETE, msg_flags=NLM_F_REQUEST | NLM_F_ACK)
    except NetlinkError as exc:
        if exc.code == errno.ENOENT:  # timed out (or deleted) since the dump
            return 0
        raise
    return 1


def _plain(attribute) -> dict:
    """A decoded nested attribute as the ``{"attrs": [[name, value], …]}`` pyroute2
    encodes: the kernel's own tuple, sent back verbatim."""
    return {
        "attrs": [
            [name, _plain(value) if isinstance(value, dict) else value]
            for name, value, *_flags in attribute["attrs"]
        ]
    }
