"""AWS resource ids and ARNs.

New ids are ``<prefix>-`` + 17 lower-case hex digits, as AWS issues them since 2018.
Parsing also accepts the 8-hex form of older accounts (and of AWS-managed prefix lists),
because imported real-world state carries such ids.
"""

from __future__ import annotations

import re
import secrets

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


def new_id(prefix: str) -> str:
    """A fresh id such as ``sg-0123456789abcdef0``."""
    if prefix not in _ID_RE:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


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
