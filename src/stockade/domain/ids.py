"""AWS resource ids and ARNs.

New ids are ``<prefix>-`` + 17 lower-case hex digits, as AWS issues them since 2018; they
rise with time (:class:`_RisingIds` says why). Parsing also accepts the 8-hex form of
older accounts (and of AWS-managed prefix lists), because imported real-world state
carries such ids.
"""

from __future__ import annotations

import os
import re
import threading
import time

from stockade.domain import errors

PREFIXES = (
    "sg",
    "sgr",
    "vpc",
    "subnet",
    "eni",
    "i",
    "pl",
    "igw",
    "r",
    "rtb",
    "rtbassoc",
    "nat",
    "eigw",
    "eipalloc",
    "eipassoc",
    "pcx",
    "acl",
    "aclassoc",
    "nip",
    "nia",
    "fl",
    "vgw",
    "tgw",
    "vpce",
    "vol",
    "dopt",
    "iip-assoc",
)

_ID_RE = {p: re.compile(rf"^{p}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})\Z") for p in PREFIXES}

#: ARN resource type per id prefix.
_ARN_TYPE = {
    "sg": "security-group",
    "sgr": "security-group-rule",
    "vpc": "vpc",
    "subnet": "subnet",
    "eni": "network-interface",
    "i": "instance",
    "pl": "prefix-list",
    "igw": "internet-gateway",
    "rtb": "route-table",
    "nat": "natgateway",
    "eigw": "egress-only-internet-gateway",
    "eipalloc": "elastic-ip",
    "pcx": "vpc-peering-connection",
    "acl": "network-acl",
    "nip": "network-insights-path",
    "nia": "network-insights-analysis",
    "fl": "vpc-flow-log",
    "vol": "volume",
    "dopt": "dhcp-options",
}


class _RandomHex:
    """Hex digits from the OS's random source, read a few kilobytes at a time.

    Why: every created resource (and every request id) needs fresh random digits, and
    ``secrets.token_hex`` makes one ``getrandom`` system call per id -- a measurable part
    of a short write's own time. The digits are the same quality (``os.urandom``); a
    forked child drops the buffer it inherited, so parent and child never hand out the
    same digits."""

    _CHUNK = 2048  # bytes read at once: 4,096 digits, 240 ids

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._digits = ""
        self._at = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()  # a lock held at the fork stays held in the child
        self._digits, self._at = "", 0

    def take(self, count: int) -> str:
        with self._lock:
            at = self._at
            if at + count > len(self._digits):
                self._digits, at = os.urandom(max(self._CHUNK, count)).hex(), 0
            self._at = at + count
            return self._digits[at : at + count]


random_hex = _RandomHex().take


class _RisingIds:
    """The 68 bits behind a new id: the second it was made (the high 32 bits, counted
    from 2020), then 36 bits that start at a random point in each second and count up.

    Why rising: every id is a key of a unique index (``sg_rules.rule_id``,
    ``security_groups.group_id``...). Random keys land on random leaves, so a call that
    adds four rules dirtied four leaf pages of that index, and every dirty page is one
    more WAL frame -- two ``pwrite`` calls and its bytes in the fsync -- on the write the
    caller waits for. Rising keys land on the index's last leaf, together.

    Unique: one process counts up within a second (and past a clock that steps back), so
    it never repeats itself; two processes (a forked child, a CLI beside the server)
    start at independent random points of a 2^35-wide range, so they collide only if
    their runs of ids within the same second overlap -- about (n1 + n2) / 2^35 for n1 and
    n2 ids that second -- and then the store's unique constraint refuses the write whole
    (nothing half-applied). AWS's ids are opaque: nothing reads meaning into them, and
    these reveal no more than the second a resource was made.
    """

    EPOCH_S = 1_577_836_800  # 2020-01-01T00:00:00Z
    _LOW_BITS = 36

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._last = 0  # a child starts its own run: it must not count on from the parent's

    def next(self) -> int:
        second = (int(time.time()) - self.EPOCH_S) << self._LOW_BITS
        with self._lock:
            if second > self._last:  # a new second: 35 random bits, room to count up
                self._last = second | int(random_hex(9), 16) >> 1
            else:
                self._last += 1
            return self._last


_rising = _RisingIds()


def new_id(prefix: str) -> str:
    """A fresh id such as ``sg-0d3a9f1c2b4e5a607``: 17 hex digits that rise with time."""
    if prefix not in _ID_RE:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}-{_rising.next():017x}"


def new_request_id() -> str:
    """A request id as AWS writes them: a random (version 4) UUID's text."""
    h = random_hex(31)
    return f"{h[:8]}-{h[8:12]}-4{h[12:15]}-{'89ab'[int(h[15], 16) & 3]}{h[16:19]}-{h[19:]}"


def is_valid(prefix: str, value: str) -> bool:
    return bool(_ID_RE[prefix].match(value))


def kind_of(value: str) -> str | None:
    """The prefix of a well-formed id (``"sg"`` for ``sg-…``), else ``None``."""
    for prefix, pattern in _ID_RE.items():
        if pattern.match(value):
            return prefix
    return None


def check(prefix: str, value: str | None) -> str:
    """Return ``value`` if it is a well-formed id of this kind, else raise ``*.Malformed``."""
    if not value or not is_valid(prefix, value):
        raise errors.malformed_id(prefix, value or "")
    return value


def arn(region: str, account: str, resource_id: str) -> str:
    """The ARN of a resource from its id (``arn:aws:ec2:<region>:<account>:<type>/<id>``)."""
    prefix = resource_id.split("-", 1)[0]
    return f"arn:aws:ec2:{region}:{account}:{_ARN_TYPE[prefix]}/{resource_id}"


def resource_type(resource_id: str) -> str | None:
    """The tagging resource type (``security-group``, ``vpc``…) of an id, if known."""
    kind = kind_of(resource_id)
    return _ARN_TYPE.get(kind) if kind else None
