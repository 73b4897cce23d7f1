"""An interface's IPv6 addresses after creation: AssignIpv6Addresses, UnassignIpv6Addresses.

Addresses come from the subnet's /64 (one the subnet must have), named or counted, as
CreateNetworkInterface's ``Ipv6AddressCount`` allocates them (``addressing``); they are
stored in ``eni_ipv6_addresses`` with the ones given at creation, so group references,
the address book and the data plane see them as they see those. Everything is checked
before anything is written: a refused call changes nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors
from stockade.domain.addresses import check_ipv6_address
from stockade.domain.interface import NetworkInterface
from stockade.domain.quotas import Quotas
from stockade.service import addressing, lookups
from stockade.store.repository import Transaction


def assign(
    tx: Transaction,
    eni: NetworkInterface,
    addresses: Sequence[str],
    count: int | None,
    quotas: Quotas,
) -> tuple[NetworkInterface, list[str]]:
    """The interface with its new addresses, and those addresses in order."""
    if addresses and count is not None:
        raise errors.invalid_combination(
            "The parameters 'ipv6Addresses' and 'ipv6AddressCount' cannot be used together."
        )
    if not addresses and count is None:
        raise errors.missing_parameter("Ipv6Addresses")
    if count is not None and count < 1:
        raise errors.invalid_value("Ipv6AddressCount", count, "It must be positive.")
    subnet = lookups.subnet(tx, eni.subnet_id)
    if not subnet.ipv6_cidr_block:
        raise errors.invalid_parameter_value(
            f"The subnet {subnet.subnet_id} has no IPv6 CIDR block; "
            "IPv6 addresses cannot be assigned."
        )
    wanted = len(set(addresses)) if addresses else count or 0
    # [UNVERIFIED] stockade has no per-type limits: the documented per-interface figure
    # (Quotas.private_ipv4_per_interface) bounds each family, with IPv4's error code.
    if len(eni.ipv6_addresses) + wanted > quotas.private_ipv4_per_interface:
        raise errors.error(
            "PrivateIpAddressLimitExceeded", "Number of private addresses will exceed limit."
        )
    used = tx.used_private_ips(subnet.subnet_id)
    chosen: list[str] = []
    for text in dict.fromkeys(addresses):
        chosen.append(check_ipv6_address(subnet.ipv6_cidr_block, subnet.subnet_id, text, used))
    for _ in range(0 if addresses else wanted):
        address = addressing.allocate_ipv6_address(subnet.ipv6_cidr_block, used)
        used.add(address)
        chosen.append(address)
    return replace(eni, ipv6_addresses=(*eni.ipv6_addresses, *chosen)), chosen


def _canonical(text: str) -> str:
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        return text  # not an address: not one of the interface's either


def unassign(eni: NetworkInterface, addresses: Sequence[str]) -> NetworkInterface:
    """The interface without those IPv6 addresses; each must be one of its own."""
    if not addresses:
        raise errors.missing_parameter("Ipv6Addresses")
    held = set(eni.ipv6_addresses)
    gone: set[str] = set()
    for text in addresses:
        canonical = _canonical(text)
        if canonical not in held:
            # [UNVERIFIED] AWS's wording, as UnassignPrivateIpAddresses answers here.
            raise errors.invalid_parameter_value(
                f"Some of the specified addresses are not assigned to interface {eni.eni_id}"
            )
        gone.add(canonical)
    return replace(eni, ipv6_addresses=tuple(a for a in eni.ipv6_addresses if a not in gone))
