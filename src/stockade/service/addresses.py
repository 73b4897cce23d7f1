"""Elastic IPs: allocate, associate, disassociate, release, describe.

An associated Elastic IP *is* its interface's ``public_ip`` (see
:mod:`stockade.domain.elastic_ip`): associating overwrites the automatic public IPv4 (AWS
releases it), disassociating gives the interface a fresh automatic one when it wants one
and its instance has a single interface, as AWS does. The helpers at the top are what the
instance and interface calls use so that stop keeps an Elastic IP and terminate frees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids
from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.interface import NetworkInterface
from stockade.domain.tags import RawTags
from stockade.service import addressing, lookups
from stockade.service.context import ServiceContext
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction


def elastic_ip_on(tx: Transaction, eni_id: str) -> ElasticIp | None:
    """The Elastic IP associated with the interface, if any (a scope holds a handful)."""
    return next((e for e in tx.list_elastic_ips() if e.network_interface_id == eni_id), None)


def without_automatic_ip(tx: Transaction, eni: NetworkInterface) -> NetworkInterface:
    """The interface after a stop: an automatic public IPv4 is released, an Elastic IP stays."""
    if eni.public_ip is None or elastic_ip_on(tx, eni.eni_id) is not None:
        return eni
    return replace(eni, public_ip=None)


def free_elastic_ip(tx: Transaction, eni_id: str) -> None:
    """Disassociate whatever Elastic IP the interface holds (terminate, delete): the
    allocation stays with the account. The interface itself is the caller's to change."""
    eip = elastic_ip_on(tx, eni_id)
    if eip is not None:
        tx.put_elastic_ip(unassociated(eip))


def elastic_ip_follows(
    tx: Transaction, eni: NetworkInterface, public_ip: str | None
) -> NetworkInterface:
    """The interface after an attach or detach: an Elastic IP is associated with the
    interface, so it stays (``public_ip`` is the address it had) and its record names the
    new instance, if any; an automatic address is the caller's business."""
    eip = elastic_ip_on(tx, eni.eni_id)
    if eip is None:
        return eni
    if eip.instance_id != eni.instance_id:
        tx.put_elastic_ip(replace(eip, instance_id=eni.instance_id))
    return replace(eni, public_ip=public_ip)


def unassociated(eip: ElasticIp) -> ElasticIp:
    """The address with no association (it stays allocated)."""
    return replace(
        eip,
        association_id=None,
        network_interface_id=None,
        private_ip=None,
        instance_id=None,
        nat_gateway_id=None,
    )


def check_unassociated(eip: ElasticIp) -> None:
    """An address already in use may not be taken (NAT gateways, AllowReassociation=false)."""
    if eip.is_associated:
        raise errors.error(
            "Resource.AlreadyAssociated",
            f"Elastic IP address [{eip.allocation_id}] is already associated",
        )


def _interface_back(tx: Transaction, eni: NetworkInterface) -> NetworkInterface:
    """The interface after losing its Elastic IP: a new automatic public IPv4 if it wants one,
    is attached to a running instance, and that instance has no other interface."""
    eni = replace(eni, public_ip=None)
    if not eni.associate_public_ip or not eni.instance_id:
        return eni
    instance = tx.get_instance(eni.instance_id)
    if instance is None or not instance.is_running:
        return eni
    if len(tx.list_interfaces(instance_id=eni.instance_id)) > 1:
        return eni
    return replace(eni, public_ip=addressing.allocate_public_ip(tx.used_public_ips()))


def _target_interface(
    tx: Transaction, instance_id: str | None, eni_id: str | None
) -> NetworkInterface:
    if instance_id and eni_id:
        raise errors.invalid_combination(
            "You may specify either an instance ID or a network interface ID, not both"
        )
    if eni_id:
        return lookups.interface(tx, eni_id)
    if not instance_id:
        raise errors.missing_parameter("InstanceId")
    instance = lookups.instance(tx, instance_id)
    if instance.state.value in ("terminated", "shutting-down"):
        raise errors.incorrect_instance_state(instance_id, instance.state.value, "associated")
    enis = tx.list_interfaces(instance_id=instance_id)
    if len(enis) != 1:
        raise errors.multiple_interfaces(instance_id)
    return enis[0]


class AddressService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def allocate(self, domain: str | None = None, tags: RawTags = ()) -> ElasticIp:
        # EC2-Classic is gone: an address is always a VPC one. Ansible's ec2_eip still asks
        # for "standard" unless in_vpc is set, so that is taken too ([UNVERIFIED]: what AWS
        # answers it today) and gets a "vpc" address, which Ansible then associates by id.
        if domain not in (None, "vpc", "standard"):
            raise errors.invalid_value("Domain", domain, "It must be 'vpc' or 'standard'.")
        with self.ctx.write() as tx:
            if len(tx.list_elastic_ips()) >= self.ctx.quotas.elastic_ips_per_region:
                raise errors.error(
                    "AddressLimitExceeded", "The maximum number of addresses has been reached."
                )
            eip = ElasticIp(
                ids.new_id("eipalloc"),
                addressing.allocate_public_ip(tx.used_public_ips()),
                tx.scope.account,
                tx.scope.region,
            )
            tx.put_elastic_ip(eip)
            return replace(eip, tags=tag_new(tx, [eip.allocation_id], tags))

    def associate(
        self,
        allocation_id: str | None,
        instance_id: str | None = None,
        eni_id: str | None = None,
        private_ip: str | None = None,
        allow_reassociation: bool | None = None,
        public_ip: str | None = None,
    ) -> ElasticIp:
        """Associate with an instance (its only interface) or an interface; returns the
        address with its new association. Reassociation is automatic unless
        ``allow_reassociation`` is false, as in a VPC-only account."""
        strict = allow_reassociation is False
        with self.ctx.write() as tx:
            eip = self._named(tx, allocation_id, public_ip)
            eni = _target_interface(tx, instance_id, eni_id)
            if private_ip is not None and private_ip != eni.private_ip:
                raise errors.invalid_parameter_value(
                    f"The private IP address {private_ip} is not assigned to the network "
                    f"interface {eni.eni_id}"
                )
            if not any(g.vpc_id == eni.vpc_id for g in tx.list_internet_gateways()):
                raise errors.error(
                    "Gateway.NotAttached",
                    f"Network {eni.vpc_id} is not attached to any internet gateway",
                )
            if eip.nat_gateway_id or (strict and eip.is_associated):
                check_unassociated(eip)
            held = elastic_ip_on(tx, eni.eni_id)
            if held is not None and held.allocation_id != eip.allocation_id:
                if strict:
                    check_unassociated(held)
                tx.put_elastic_ip(unassociated(held))
            if eip.network_interface_id and eip.network_interface_id != eni.eni_id:
                previous = tx.get_interface(eip.network_interface_id)
                if previous is not None:
                    tx.put_elastic_ip(unassociated(eip))
                    tx.put_interface(_interface_back(tx, previous))
            eip = replace(
                eip,
                association_id=ids.new_id("eipassoc"),
                network_interface_id=eni.eni_id,
                private_ip=eni.private_ip,
                instance_id=eni.instance_id,
                nat_gateway_id=None,
            )
            tx.put_elastic_ip(eip)
            tx.put_interface(replace(eni, public_ip=eip.public_ip))
            return eip

    def disassociate(self, association_id: str | None = None, public_ip: str | None = None) -> None:
        with self.ctx.write() as tx:
            if association_id is None and public_ip is None:
                raise errors.missing_parameter("AssociationId")
            if association_id is not None:
                ids.check("eipassoc", association_id)
                eip = next(
                    (e for e in tx.list_elastic_ips() if e.association_id == association_id),
                    None,
                )
                if eip is None:
                    raise errors.not_found("eipassoc", association_id)
            else:
                eip = self._named(tx, None, public_ip)
                if not eip.is_associated:
                    return
            if eip.nat_gateway_id:
                raise errors.error(
                    "OperationNotPermitted",
                    f"The address {eip.public_ip} is in use by NAT gateway {eip.nat_gateway_id}; "
                    "delete the NAT gateway to free it.",
                )
            tx.put_elastic_ip(unassociated(eip))
            eni = tx.get_interface(eip.network_interface_id or "")
            if eni is not None:
                tx.put_interface(_interface_back(tx, eni))

    def release(self, allocation_id: str | None = None, public_ip: str | None = None) -> None:
        with self.ctx.write() as tx:
            eip = self._named(tx, allocation_id, public_ip)
            if eip.is_associated:
                raise errors.error(
                    "InvalidIPAddress.InUse",
                    f"The address with allocation id [{eip.allocation_id}] is in use",
                )
            tx.delete_elastic_ip(eip.allocation_id)
            tx.drop_settings(eip.allocation_id)  # its PTR record goes with it

    def describe(
        self, public_ips: Sequence[str] = (), allocation_ids: Sequence[str] = ()
    ) -> list[ElasticIp]:
        """The scope's addresses, or those named (every name must exist)."""
        with self.ctx.read() as tx:
            if not public_ips and not allocation_ids:
                return tx.list_elastic_ips()
            wanted = {lookups.elastic_ip(tx, a).allocation_id for a in allocation_ids}
            wanted |= {self._named(tx, None, ip).allocation_id for ip in public_ips}
            return [e for e in tx.list_elastic_ips() if e.allocation_id in wanted]

    @staticmethod
    def _named(tx: Transaction, allocation_id: str | None, public_ip: str | None) -> ElasticIp:
        """An address by allocation id, else by public IP (``InvalidAddress.NotFound``)."""
        if allocation_id is not None or public_ip is None:
            if allocation_id is None:
                raise errors.missing_parameter("AllocationId")
            return lookups.elastic_ip(tx, allocation_id)
        found = next((e for e in tx.list_elastic_ips() if e.public_ip == public_ip), None)
        if found is None:
            raise errors.error("InvalidAddress.NotFound", f"Address '{public_ip}' not found.")
        return found
