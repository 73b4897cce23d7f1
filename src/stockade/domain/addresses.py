"""CIDR parsing and canonicalisation, exactly as AWS does it.

AWS accepts a CIDR with host bits set and stores its network address
(``10.0.0.5/16`` → ``10.0.0.0/16``); a bare address without a prefix length, an IPv6
CIDR where IPv4 is expected (and vice versa) or anything unparsable is
``InvalidParameterValue: CIDR block <x> is malformed``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Collection, Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from stockade.domain import errors

Network = IPv4Network | IPv6Network


def _malformed(value: object) -> errors.AwsError:
    return errors.invalid_parameter_value(f"CIDR block {value} is malformed")


def parse_cidr(value: str | None, family: int | None = None) -> Network:
    """Parse a CIDR (host bits allowed) of the given family (4, 6 or either)."""
    if not isinstance(value, str) or "/" not in value or value != value.strip():
        raise _malformed(value)
    address, _, length = value.partition("/")
    if not length.isdigit() or (len(length) > 1 and length.startswith("0")):
        raise _malformed(value)
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise _malformed(value) from None
    if "%" in address or (family is not None and network.version != family):
        raise _malformed(value)
    return network


def canonical_cidr(value: str | None, family: int | None = None) -> str:
    """The canonical text of a CIDR: network address, RFC 5952 compressed IPv6.

    Remembered per text (a pure function; errors are not cached): requests name the same
    few CIDRs again and again, and ``ipaddress`` takes ~10 us to parse and print one -- a
    tenth of a rule write's own work."""
    if isinstance(value, str):
        return _canonical_text(value, family)
    return str(parse_cidr(value, family))  # raises: not a CIDR (nor hashable, perhaps)


@functools.lru_cache(maxsize=4096)
def _canonical_text(value: str, family: int | None) -> str:
    return str(parse_cidr(value, family))


@functools.lru_cache(maxsize=16384)
def stored_network(cidr: str) -> Network:
    """A stored (canonical, already validated) CIDR as a network, remembered per text: the
    route and ACL matchers test the same few CIDRs against address after address, and
    ``ipaddress`` takes microseconds to parse one. Bounded, as the CIDRs a store holds are
    not."""
    return ipaddress.ip_network(cidr)


@functools.lru_cache(maxsize=16384)
def stored_address(address: str) -> IPv4Address | IPv6Address:
    """An address (already validated) as ``ipaddress`` parses it, remembered per text."""
    return ipaddress.ip_address(address)


def check_subnet_in_vpc(subnet_cidr: str, vpc_blocks: Iterable[str]) -> None:
    """A subnet's IPv4 block lies inside one of its VPC's IPv4 blocks (``Vpc.ipv4_blocks``;
    else ``InvalidSubnet.Range``): a subnet never spans two blocks."""
    network = IPv4Network(subnet_cidr)
    if not any(network.subnet_of(IPv4Network(block)) for block in vpc_blocks):
        raise errors.error("InvalidSubnet.Range", f"The CIDR '{subnet_cidr}' is invalid.")


def check_subnet_conflict(subnet_cidr: str, others: Iterable[str]) -> None:
    """A subnet's IPv4 block overlaps none of its VPC's other subnets' (else
    ``InvalidSubnet.Conflict``)."""
    network = IPv4Network(subnet_cidr)
    if any(network.overlaps(IPv4Network(other)) for other in others):
        raise errors.error(
            "InvalidSubnet.Conflict", f"The CIDR '{subnet_cidr}' conflicts with another subnet"
        )


def _unused(
    ip: IPv4Address | IPv6Address, address: str, subnet_id: str, used: Collection[str]
) -> str:
    """The address in canonical text, unless an interface of the subnet already has it."""
    canonical = str(ip)
    if canonical in used:
        raise errors.error(
            "InvalidIPAddress.InUse", f"Address {address} is in use in subnet {subnet_id}"
        )
    return canonical


def check_private_ip(subnet_cidr: str, subnet_id: str, address: str, used: Collection[str]) -> str:
    """A primary private IPv4 address for an interface in a subnet: inside the subnet, not
    one of AWS's five reserved addresses (network, +1..+3, broadcast), not in ``used``."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise errors.invalid_value("PrivateIpAddress", address) from None
    net = IPv4Network(subnet_cidr)
    reserved = {int(net.network_address) + k for k in range(4)} | {int(net.broadcast_address)}
    if ip not in net or int(ip) in reserved:
        raise errors.invalid_parameter_value(
            f"Address {address} is not in subnet {subnet_id} or is reserved"
        )
    return _unused(ip, address, subnet_id, used)


def check_ipv6_address(
    subnet_block: str, subnet_id: str, address: str, used: Collection[str]
) -> str:
    """An IPv6 address asked for an interface (AssignIpv6Addresses, ``Ipv6Addresses``):
    inside the subnet's /64, not one of AWS's reserved addresses (the first four and the
    last), not in ``used``; canonical (compressed, lower case)."""
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        raise errors.invalid_value("Ipv6Addresses", address) from None
    net = IPv6Network(subnet_block)
    first, last = int(net.network_address), int(net.broadcast_address)
    if ip not in net or int(ip) < first + 4 or int(ip) == last:
        # [UNVERIFIED] AWS's wording; the code is the one check_private_ip answers.
        raise errors.invalid_parameter_value(
            f"Address {address} is not in subnet {subnet_id}'s IPv6 block or is reserved"
        )
    return _unused(ip, address, subnet_id, used)


def family_of(cidr: str) -> int:
    return 6 if ":" in cidr else 4


def is_internet(cidr: str) -> bool:
    """True for the whole-internet CIDRs ``0.0.0.0/0`` and ``::/0``."""
    return cidr in ("0.0.0.0/0", "::/0")


#: IPv4 ranges no internet host can have (RFC 1918, shared 100.64/10, "this network",
#: loopback, link-local, multicast, reserved): everything else is an internet address.
NOT_INTERNET_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)

#: The IPv6 internet: global unicast, the only space IANA allocates from and the one an
#: internet gateway's ``::/0`` route reaches (AWS gives instances addresses from it). So
#: ULA (fc00::/7), link-local, multicast, loopback — and also NAT64's 64:ff9b::/96 (a NAT
#: gateway's, not an internet gateway's), IPv4-mapped and the unallocated rest — are not.
INTERNET_V6 = ipaddress.IPv6Network("2000::/3")


def is_public(network: Network) -> bool:
    """Whether a network contains addresses an internet host could have.

    IPv4: a CIDR is public unless it lies entirely inside a non-internet range, so wide
    blocks such as 0.0.0.0/1 or 10.0.0.0/7 count as public. IPv6: it is public when it
    overlaps global unicast (2000::/3), so ``::/0`` is and ``fd00::/8`` is not.
    Documentation ranges count as public: they are stockade's stand-in internet. This is
    the one definition of "the internet" (exposure, audit, path, reachability).
    """
    if isinstance(network, IPv6Network):
        return network.overlaps(INTERNET_V6)
    return not any(network.subnet_of(r) for r in NOT_INTERNET_V4)
