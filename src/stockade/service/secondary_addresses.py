"""Secondary private IPv4 addresses: AssignPrivateIpAddresses and UnassignPrivateIpAddresses.

An interface may hold more private IPv4 addresses than its primary; each is the
interface's as much as the primary is: a reference to one of its groups matches it
(``NetworkInterface.private_addresses``), a flow to it is a flow to the interface, and the
data plane configures it on the instance. Requested addresses obey the primary's rules
(inside the subnet, not reserved, not taken: ``domain.addresses.check_private_ip``); with
``AllowReassignment`` an address another interface of the subnet holds as a *secondary*
moves here (a primary never moves). A refused call changes nothing: everything is checked
before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors
from stockade.domain.addresses import check_private_ip
from stockade.domain.interface import NetworkInterface
from stockade.domain.quotas import Quotas
from stockade.service import addressing, lookups
from stockade.store.repository import Transaction


def _limit_exceeded() -> errors.AwsError:
    # AWS's wording, as its API answers (amazon-vpc-cni-k8s#989, cilium#36428)
    return errors.error(
        "PrivateIpAddressLimitExceeded", "Number of private addresses will exceed limit."
    )


def assign(
    tx: Transaction,
    eni: NetworkInterface,
    addresses: Sequence[str],
    count: int | None,
    allow_reassignment: bool,
    quotas: Quotas,
) -> list[NetworkInterface]:
    """The interface with its new secondary addresses, and every interface an address was
    taken from (reassignment): all to be stored together."""
    if addresses and count is not None:
        raise errors.invalid_combination(
            "The parameters 'privateIpAddresses' and 'secondaryPrivateIpAddressCount' "
            "cannot be used together."
        )
    if not addresses and count is None:
        raise errors.missing_parameter("PrivateIpAddresses")
    if count is not None and count < 1:
        raise errors.invalid_value("SecondaryPrivateIpAddressCount", count, "It must be positive.")
    wanted = len(addresses) if addresses else count or 0
    if len(eni.private_ipv4_addresses) + wanted > quotas.private_ipv4_per_interface:
        raise _limit_exceeded()
    subnet = lookups.subnet(tx, eni.subnet_id)
    used = tx.used_private_ips(subnet.subnet_id)
    if not addresses:
        chosen: list[str] = []
        for _ in range(wanted):
            address = addressing.allocate_private_ip(subnet, used)
            used.add(address)
            chosen.append(address)
        return [replace(eni, secondary_private_ips=(*eni.secondary_private_ips, *chosen))]
    holders = _secondary_holders(tx, eni)
    chosen = []
    for text in dict.fromkeys(addresses):
        movable = allow_reassignment and holders.get(text) is not None
        canonical = check_private_ip(
            subnet.cidr_block, subnet.subnet_id, text, used - {text} if movable else used
        )
        if canonical in eni.private_ipv4_addresses:
            raise errors.error(
                "InvalidIPAddress.InUse",
                f"Address {canonical} is in use in subnet {subnet.subnet_id}",
            )
        chosen.append(canonical)
    losers: dict[str, NetworkInterface] = {}
    for address in chosen:
        holder = holders.get(address)
        if holder is not None:
            current = losers.get(holder.eni_id, holder)
            kept = tuple(a for a in current.secondary_private_ips if a != address)
            losers[holder.eni_id] = replace(current, secondary_private_ips=kept)
    mine = replace(eni, secondary_private_ips=(*eni.secondary_private_ips, *chosen))
    return [mine, *losers.values()]


def at_creation(
    tx: Transaction,
    eni: NetworkInterface,
    addresses: Sequence[str],
    count: int | None,
    quotas: Quotas,
) -> NetworkInterface:
    """A new interface (CreateNetworkInterface, RunInstances) with the secondary addresses
    its request names or counts; stored first, so its primary is taken before they are."""
    if not addresses and count is None:
        return eni
    tx.put_interface(eni)
    mine, *_ = assign(tx, eni, addresses, count, False, quotas)  # a new one moves nothing
    return mine


def _secondary_holders(tx: Transaction, eni: NetworkInterface) -> dict[str, NetworkInterface]:
    """Other interfaces of the subnet, by each secondary address they hold."""
    return {
        address: other
        for other in tx.list_interfaces(subnet_id=eni.subnet_id)
        if other.eni_id != eni.eni_id
        for address in other.secondary_private_ips
    }


def unassign(eni: NetworkInterface, addresses: Sequence[str]) -> NetworkInterface:
    """The interface without those secondary addresses; each must be one of them."""
    if not addresses:
        raise errors.missing_parameter("PrivateIpAddresses")
    gone = set(addresses)
    if not gone <= set(eni.secondary_private_ips):
        # [UNVERIFIED] wording; the primary address is never a secondary one
        raise errors.invalid_parameter_value(
            f"Some of the specified addresses are not assigned to interface {eni.eni_id}"
        )
    return replace(
        eni, secondary_private_ips=tuple(a for a in eni.secondary_private_ips if a not in gone)
    )
