"""Network interfaces: where groups attach. Shared checks for an interface's group set and
connection-tracking timeouts live here, used by instance calls too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids, text
from stockade.domain.addresses import check_private_ip
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.network import Subnet
from stockade.domain.quotas import Quotas
from stockade.domain.tags import RawTags
from stockade.service import addressing, ipv6_addresses, lookups, secondary_addresses
from stockade.service.addresses import elastic_ip_follows, free_elastic_ip
from stockade.service.context import ServiceContext
from stockade.service.contracts import TrackingRequest
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction


def check_group_set(
    tx: Transaction,
    subnet: Subnet,
    group_ids: Sequence[str],
    quotas: Quotas,
    instance_call: bool = False,
) -> tuple[str, ...]:
    """Validate an interface's groups: existing, in the subnet's VPC, within the quota.
    None given means the VPC's default group (AWS's rule at launch and ENI creation)."""
    if not group_ids:
        default = tx.find_group_by_name(subnet.vpc_id, "default")
        return (default.group_id,) if default else ()
    unique = tuple(dict.fromkeys(group_ids))
    for gid in unique:
        ids.check("sg", gid)
        group = tx.get_group(gid)
        if group is None or group.owner_id != tx.scope.account:
            raise errors.group_not_found_in_vpc(gid, subnet.vpc_id)
        if group.vpc_id != subnet.vpc_id:
            raise errors.different_networks_at_launch(gid, subnet.subnet_id)
    if len(unique) > quotas.groups_per_interface:
        raise errors.groups_per_interface_limit(instance_call)
    return unique


def new_interface(
    tx: Transaction,
    subnet: Subnet,
    group_ids: tuple[str, ...],
    *,
    private_ip: str | None = None,
    ipv6_count: int | None = None,
    associate_public_ip: bool = False,
    tracking: TrackingRequest | None = None,
    description: str = "",
    quotas: Quotas,
) -> NetworkInterface:
    """Build (not store) an interface with allocated addresses."""
    if tx.count_interfaces() >= quotas.interfaces_per_region:
        raise errors.error(
            "NetworkInterfaceLimitExceeded",
            "The maximum number of network interfaces has been reached.",
        )
    used = tx.used_private_ips(subnet.subnet_id)
    ip = (
        check_private_ip(subnet.cidr_block, subnet.subnet_id, private_ip, used)
        if private_ip
        else addressing.allocate_private_ip(subnet, used)
    )
    wants_v6 = ipv6_count if ipv6_count is not None else int(subnet.assign_ipv6_address_on_creation)
    if wants_v6 and not subnet.ipv6_cidr_block:
        raise errors.invalid_parameter_value(
            f"The subnet {subnet.subnet_id} has no IPv6 CIDR block; "
            "IPv6 addresses cannot be assigned."
        )
    block: str = subnet.ipv6_cidr_block or ""  # checked above whenever addresses are wanted
    v6: list[str] = []
    for _ in range(wants_v6 or 0):
        address = addressing.allocate_ipv6_address(block, used)
        used.add(address)  # distinct from the subnet's taken addresses and from each other
        v6.append(address)
    return NetworkInterface(
        ids.new_id("eni"),
        tx.scope.account,
        tx.scope.region,
        subnet.vpc_id,
        subnet.subnet_id,
        subnet.availability_zone,
        ip,
        addressing.new_mac(),
        group_ids,
        ipv6_addresses=tuple(v6),
        associate_public_ip=associate_public_ip,
        description=description,
        connection_tracking=(tracking or TrackingRequest()).applied_to(ConnectionTracking()),
        connection_tracking_set=tracking is not None,
    )


def attached(eni: NetworkInterface, instance_id: str, device_index: int | None) -> NetworkInterface:
    """The interface attached to an instance at a device index, under a new attachment id."""
    attachment = "eni-attach-" + ids.new_id("eni").split("-", 1)[1]
    return replace(
        eni, instance_id=instance_id, device_index=device_index, attachment_id=attachment
    )


def detached(eni: NetworkInterface) -> NetworkInterface:
    """The interface detached from its instance (its public IPv4 goes with the attachment)."""
    return replace(eni, instance_id=None, device_index=None, attachment_id=None, public_ip=None)


def with_public_ip(tx: Transaction, eni: NetworkInterface) -> NetworkInterface:
    """Give a running instance's interface its public IPv4, if it wants one."""
    if eni.associate_public_ip and eni.public_ip is None:
        return replace(eni, public_ip=addressing.allocate_public_ip(tx.used_public_ips()))
    return eni


class InterfaceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def create(
        self,
        subnet_id: str,
        group_ids: Sequence[str] = (),
        private_ip: str | None = None,
        description: str | None = None,
        tracking: TrackingRequest | None = None,
        ipv6_count: int | None = None,
        tags: RawTags = (),
        secondary_ips: Sequence[str] = (),
        secondary_count: int | None = None,
    ) -> NetworkInterface:
        with self.ctx.write() as tx:
            subnet = lookups.subnet(tx, subnet_id)
            groups = check_group_set(tx, subnet, group_ids, self.ctx.quotas)
            eni = new_interface(
                tx,
                subnet,
                groups,
                private_ip=private_ip,
                ipv6_count=ipv6_count,
                tracking=tracking,
                description=text.rule_description(description) or "",
                quotas=self.ctx.quotas,
            )
            eni = secondary_addresses.at_creation(
                tx, eni, secondary_ips, secondary_count, self.ctx.quotas
            )
            tx.put_interface(eni)
            return replace(eni, tags=tag_new(tx, [eni.eni_id], tags))

    def describe(self, eni_ids: Sequence[str] = ()) -> list[NetworkInterface]:
        with self.ctx.read() as tx:
            if eni_ids:
                return [lookups.interface(tx, e) for e in eni_ids]
            return tx.list_interfaces()

    def delete(self, eni_id: str) -> None:
        with self.ctx.write() as tx:
            eni = lookups.interface(tx, eni_id)
            if eni.instance_id:
                raise errors.error(
                    "InvalidNetworkInterface.InUse",
                    f"The network interface '{eni_id}' is currently in use.",
                )
            free_elastic_ip(tx, eni_id)
            tx.delete_interface(eni_id)

    def attach(self, eni_id: str, instance_id: str, device_index: int | None) -> str:
        """Attach to an instance at a device index; returns the attachment id."""
        if device_index is None:
            raise errors.missing_parameter("DeviceIndex")
        with self.ctx.write() as tx:
            eni = lookups.interface(tx, eni_id)
            instance = lookups.instance(tx, instance_id)
            if instance.state.value not in ("running", "stopped"):
                raise errors.incorrect_instance_state(instance_id, instance.state.value, "attached")
            if eni.instance_id:
                raise errors.interface_in_use(eni_id)
            if eni.vpc_id != instance.vpc_id or eni.availability_zone != instance.availability_zone:
                raise errors.invalid_parameter_value(
                    f"The network interface {eni_id} and instance {instance_id} are not in the "
                    "same VPC and availability zone."
                )
            if any(
                e.device_index == device_index for e in tx.list_interfaces(instance_id=instance_id)
            ):
                raise errors.invalid_parameter_value(
                    f"Instance '{instance_id}' already has an interface attached at device "
                    f"index '{device_index}'."
                )
            eni = attached(eni, instance_id, device_index)
            eni = elastic_ip_follows(tx, eni, eni.public_ip)
            if instance.is_running and device_index == 0:
                eni = with_public_ip(tx, eni)
            tx.put_interface(eni)
            return eni.attachment_id  # type: ignore[return-value]

    def detach(self, attachment_id: str) -> None:
        with self.ctx.write() as tx:
            eni = next((e for e in tx.list_interfaces() if e.attachment_id == attachment_id), None)
            if eni is None:
                raise errors.error(
                    "InvalidAttachmentID.NotFound",
                    f"The attachment ID '{attachment_id}' does not exist",
                )
            if eni.device_index == 0:
                raise errors.error(
                    "OperationNotPermitted",
                    "The network interface at device index 0 cannot be detached.",
                )
            tx.put_interface(elastic_ip_follows(tx, detached(eni), eni.public_ip))

    def assign_private_ips(
        self,
        eni_id: str,
        addresses: Sequence[str] = (),
        count: int | None = None,
        allow_reassignment: bool = False,
    ) -> NetworkInterface:
        """Add secondary private IPv4 addresses, named or counted (``secondary_addresses``)."""
        with self.ctx.write() as tx:
            eni = lookups.interface(tx, eni_id)
            changed = secondary_addresses.assign(
                tx, eni, addresses, count, allow_reassignment, self.ctx.quotas
            )
            for updated in changed:
                tx.put_interface(updated)
            return changed[0]

    def unassign_private_ips(self, eni_id: str, addresses: Sequence[str]) -> NetworkInterface:
        with self.ctx.write() as tx:
            eni = secondary_addresses.unassign(lookups.interface(tx, eni_id), addresses)
            tx.put_interface(eni)
            return eni

    def assign_ipv6_addresses(
        self, eni_id: str, addresses: Sequence[str] = (), count: int | None = None
    ) -> tuple[NetworkInterface, list[str]]:
        """Add IPv6 addresses of the subnet's /64, named or counted (``ipv6_addresses``)."""
        with self.ctx.write() as tx:
            eni = lookups.interface(tx, eni_id)
            eni, assigned = ipv6_addresses.assign(tx, eni, addresses, count, self.ctx.quotas)
            tx.put_interface(eni)
            return eni, assigned

    def unassign_ipv6_addresses(self, eni_id: str, addresses: Sequence[str]) -> NetworkInterface:
        with self.ctx.write() as tx:
            eni = ipv6_addresses.unassign(lookups.interface(tx, eni_id), addresses)
            tx.put_interface(eni)
            return eni

    def modify_attribute(
        self,
        eni_id: str,
        group_ids: Sequence[str] | None = None,
        tracking: TrackingRequest | None = None,
        description: str | None = None,
        source_dest_check: bool | None = None,
    ) -> NetworkInterface:
        """Change one attribute: the whole group set (ids only, at least one), conntrack
        timeouts, the description or source/destination checking."""
        given = [x is not None for x in (group_ids, tracking, description, source_dest_check)]
        if sum(given) != 1:
            raise errors.invalid_combination(
                "Exactly one attribute of the network interface can be modified per request."
            )
        with self.ctx.write() as tx:
            eni = lookups.interface(tx, eni_id)
            if group_ids is not None:
                if not group_ids:
                    raise errors.missing_parameter("SecurityGroupId")
                subnet = lookups.subnet(tx, eni.subnet_id)
                eni = replace(
                    eni, group_ids=check_group_set(tx, subnet, group_ids, self.ctx.quotas)
                )
            if tracking is not None:
                eni = replace(
                    eni,
                    connection_tracking=tracking.applied_to(eni.connection_tracking),
                    connection_tracking_set=True,
                )
            if description is not None:
                eni = replace(eni, description=text.rule_description(description) or "")
            if source_dest_check is not None:
                eni = replace(eni, source_dest_check=source_dest_check)
            tx.put_interface(eni)
            return eni
