"""Addresses as (family, integer) pairs: the one representation the policy engine computes with.

``ipaddress`` objects are convenient but slow and not hashable across families in a useful
way; every matcher here (scalar and compiled) works on plain integers, so the conversion
lives in one place. Families are ``4`` and ``6``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from stockade.domain.addresses import is_public

#: Size of each family's address space (one past the largest address).
SPACE = {4: 1 << 32, 6: 1 << 128}

#: RFC 1918 private ranges and the RFC 6598 shared range, as inclusive integer bounds:
#: internet gateways reject traffic from / to them (Reachability Analyzer's
#: ``IGW_*_RFC1918_*`` and ``IGW_*_RFC6598_*`` codes).
RFC1918 = tuple(
    (int(n.network_address), int(n.broadcast_address))
    for n in map(ipaddress.IPv4Network, ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
)
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
RFC6598 = ((int(_SHARED.network_address), int(_SHARED.broadcast_address)),)


def parse_address(text: str) -> tuple[int, int]:
    """``"10.0.0.5"`` → ``(4, 167772165)``. Raises ``ValueError`` for anything else."""
    address = ipaddress.ip_address(text.strip())
    return address.version, int(address)


def try_parse_address(text: str) -> tuple[int, int] | None:
    """Like :func:`parse_address`, but ``None`` when ``text`` is not an IP address."""
    try:
        return parse_address(text)
    except ValueError:
        return None


def address_text(family: int, value: int) -> str:
    """The canonical text of an address (RFC 5952 for IPv6)."""
    return str(ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value))


def host_cidr(family: int, value: int) -> str:
    """The /32 or /128 block holding exactly one address: the smallest possible peer."""
    return f"{address_text(family, value)}/{32 if family == 4 else 128}"


@lru_cache(maxsize=65536)
def block_bounds(cidr: str) -> tuple[int, int, int]:
    """``"10.0.0.0/8"`` → ``(4, first, last)`` with inclusive integer bounds."""
    network = ipaddress.ip_network(cidr, strict=False)
    return network.version, int(network.network_address), int(network.broadcast_address)


@lru_cache(maxsize=65536)
def is_public_cidr(cidr: str) -> bool:
    """Whether a block holds internet addresses (documentation ranges count, see domain)."""
    return is_public(ipaddress.ip_network(cidr, strict=False))


def is_public_address(family: int, value: int) -> bool:
    """Whether one address is an internet address (an IGW will route it)."""
    return is_public_cidr(host_cidr(family, value))


def in_ranges(value: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= value <= hi for lo, hi in ranges)
