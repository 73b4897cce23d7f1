"""Address allocation: private IPs in subnets, IPv6 blocks, public IPs and MACs.

Public IPv4 addresses come from documentation ranges (stockade's stand-in internet), so
nothing stockade builds ever collides with a real address. The first half of 198.51.100.0/24
and 203.0.113.0/24 is left for "internet hosts" in tests and demos (203.0.113.10, …).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator

from stockade.domain import errors
from stockade.domain.network import Subnet

PUBLIC_POOL = ("192.0.2.0/24", "198.51.100.128/25", "203.0.113.128/25")
IPV6_POOL = ipaddress.IPv6Network("2001:db8::/32")


def _hosts(cidr: str) -> Iterator[str]:
    """Usable host addresses of a subnet, skipping AWS's reserved five."""
    net = ipaddress.IPv4Network(cidr)
    first, last = int(net.network_address) + 4, int(net.broadcast_address) - 1
    for value in range(first, last + 1):
        yield str(ipaddress.IPv4Address(value))


def usable_count(cidr: str) -> int:
    return ipaddress.IPv4Network(cidr).num_addresses - 5


def allocate_private_ip(subnet: Subnet, used: set[str]) -> str:
    for host in _hosts(subnet.cidr_block):
        if host not in used:
            return host
    raise errors.error(
        "InsufficientFreeAddressesInSubnet",
        f"There are not enough free addresses in subnet '{subnet.subnet_id}' to satisfy the "
        "requested number of instances.",
    )


def allocate_public_ip(used: set[str]) -> str:
    for block in PUBLIC_POOL:
        for host in ipaddress.IPv4Network(block).hosts():
            if str(host) not in used:
                return str(host)
    raise errors.error(
        "AddressLimitExceeded", "The maximum number of public addresses has been reached."
    )


def allocate_vpc_ipv6(used: set[str]) -> str:
    """A free /56 inside 2001:db8::/32 (AWS would hand out one of Amazon's)."""
    for _ in range(1000):
        offset = secrets.randbelow(1 << 24)
        block = ipaddress.IPv6Network((int(IPV6_POOL.network_address) + (offset << 72), 56))
        if str(block) not in used:
            return str(block)
    raise errors.error("CidrLimitExceeded", "No IPv6 CIDR block is available.")


def allocate_ipv6_address(subnet_ipv6: str, used: set[str]) -> str:
    net = ipaddress.IPv6Network(subnet_ipv6)
    for _ in range(1000):
        host = net.network_address + 4 + secrets.randbelow(net.num_addresses - 8)
        if str(host) not in used:
            return str(host)
    raise errors.error("InsufficientFreeAddressesInSubnet", "No free IPv6 address in subnet")


def new_mac() -> str:
    return "02:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(5))
