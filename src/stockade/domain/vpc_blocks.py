"""Which IPv4 block may join a VPC (AssociateVpcCidrBlock with ``CidrBlock``): AWS's rules.

Pure: the service hands in the VPC, its route tables' destinations and its active peers'
blocks. AWS's user guide ("IPv4 CIDR block association restrictions") ties a secondary
block to the primary's range: a VPC keeps to one RFC 1918 range (or to none; public
space and 100.64.0.0/10 may join any VPC), and 198.19.0.0/16 is AWS's own. Every
refusal raises before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network

from stockade.domain import errors
from stockade.domain.network import VPC_MAX_PREFIX, VPC_MIN_PREFIX, Vpc

_RFC1918 = tuple(IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_AWS_RESERVED = IPv4Network("198.19.0.0/16")
#: A block the primary's range forbids although it is the same RFC 1918 range
#: ([UNVERIFIED] both rows of AWS's table as remembered: a primary inside 10.0.0.0/15 may
#: not add from 10.0.0.0/16, a 172.16.0.0/12 primary may not add from 172.31.0.0/16).
_SAME_RANGE_EXCEPTIONS = (
    (IPv4Network("10.0.0.0/15"), IPv4Network("10.0.0.0/16")),
    (IPv4Network("172.16.0.0/12"), IPv4Network("172.31.0.0/16")),
)


def _range_of(network: IPv4Network) -> IPv4Network | None:
    """The RFC 1918 range a block lies in, else ``None`` (public or 100.64.0.0/10)."""
    return next((r for r in _RFC1918 if network.subnet_of(r)), None)


def _restricted(primary: IPv4Network, block: IPv4Network) -> bool:
    if block.overlaps(_AWS_RESERVED):
        return True
    if any(block.overlaps(r) and not block.subnet_of(r) for r in _RFC1918):
        return True  # straddles a private range and the public space
    home = _range_of(block)
    if home is not None and home != _range_of(primary):
        return True  # another RFC 1918 range, or private beside a public/198.19 primary
    return any(
        primary.subnet_of(home) and block.overlaps(banned)
        for home, banned in _SAME_RANGE_EXCEPTIONS
    )


def check_new_ipv4_block(
    vpc: Vpc,
    value: str,
    limit: int,
    route_destinations: Iterable[str] = (),
    peer_blocks: Iterable[str] = (),
) -> str:
    """The canonical text of ``value`` if it may become ``vpc``'s next IPv4 block.

    ``limit`` counts the primary; ``route_destinations`` are the IPv4 destinations of the
    VPC's non-local routes (AWS refuses a block the same as or larger than one, since the
    new local route would take its traffic); ``peer_blocks`` are the IPv4 blocks of the
    VPCs it has an active peering with (AWS refuses an overlap; the codes and wording
    are [UNVERIFIED]: ``CidrLimitExceeded`` for the count, ``InvalidVpc.Range`` else)."""
    network = IPv4Network(value, strict=False)
    text = str(network)
    if not VPC_MIN_PREFIX <= network.prefixlen <= VPC_MAX_PREFIX:
        raise errors.error("InvalidVpc.Range", f"The CIDR '{value}' is invalid.")
    if len(vpc.ipv4_blocks) >= limit:
        raise errors.error(
            "CidrLimitExceeded",
            f"This network '{vpc.vpc_id}' has met its maximum number of allowed CIDRs: {limit}",
        )
    if any(network.overlaps(IPv4Network(b)) for b in vpc.ipv4_blocks):
        raise errors.error(
            "InvalidVpc.Range",
            f"The CIDR '{text}' conflicts with another CIDR block of the VPC {vpc.vpc_id}.",
        )
    if _restricted(IPv4Network(vpc.cidr_block), network):
        raise errors.error(
            "InvalidVpc.Range",
            f"The CIDR '{text}' is restricted. Use a CIDR from the same private address "
            "range as the current VPC CIDR, or use a publicly-routable CIDR.",
        )
    for destination in route_destinations:
        if IPv4Network(destination).subnet_of(network):
            raise errors.error(
                "InvalidVpc.Range",
                f"The CIDR '{text}' is the same as or larger than the destination "
                f"'{destination}' of a route in a route table of the VPC {vpc.vpc_id}.",
            )
    for block in peer_blocks:
        if network.overlaps(IPv4Network(block)):
            raise errors.error(
                "InvalidVpc.Range",
                f"The CIDR '{text}' overlaps the CIDR '{block}' of a VPC peered with {vpc.vpc_id}.",
            )
    return text
