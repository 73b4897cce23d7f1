"""Instances: launch, lifecycle and their security groups (those of the primary interface).

The store keeps the settled state (running, stopped, terminated); the calls that change it
report AWS's transitional state (pending, stopping, shutting-down) as EC2 does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from stockade.domain import errors, ids
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.instance_types import launchable_type
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import Subnet
from stockade.domain.volumes import root_volume_id
from stockade.service import lookups, secondary_addresses
from stockade.service.addresses import free_elastic_ip, without_automatic_ip
from stockade.service.context import ServiceContext
from stockade.service.contracts import InstanceDetail, InterfaceSpec, LaunchRequest, StateChange
from stockade.service.instance_options import drop_profile
from stockade.service.interfaces import (
    attached,
    check_group_set,
    detached,
    new_interface,
    with_public_ip,
)
from stockade.service.tags import apply_tags, tag_new
from stockade.store.repository import Transaction

MAX_INSTANCES_PER_CALL = 1000


def _detail(tx: Transaction, instance: Instance) -> InstanceDetail:
    return InstanceDetail(instance, tuple(tx.list_interfaces(instance_id=instance.instance_id)))


class InstanceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def run(self, request: LaunchRequest) -> list[InstanceDetail]:
        """Launch ``max_count`` instances, each with a primary interface (and any extra
        ones asked for); groups default to the VPC's default group."""
        r = request
        if not 1 <= r.min_count <= r.max_count:
            raise errors.invalid_parameter_value(
                "MinCount must be at least 1 and no greater than MaxCount"
            )
        if r.max_count > MAX_INSTANCES_PER_CALL:
            raise errors.invalid_value(
                "MaxCount", r.max_count, f"At most {MAX_INSTANCES_PER_CALL}."
            )
        if r.interfaces and (r.group_ids or r.group_names or r.subnet_id):
            raise errors.invalid_combination(
                "Network interfaces and an instance-level security groups or subnet may not be "
                "specified on the same request"
            )
        if r.max_count > 1 and any(s.network_interface_id for s in r.interfaces):
            raise errors.invalid_combination(
                "An existing network interface can be attached to one instance only: "
                "MaxCount must be 1 when NetworkInterfaceId is given"
            )
        if r.group_names and r.subnet_id:
            raise errors.invalid_combination(
                "The parameter groupName cannot be used with the parameter subnet"
            )
        launchable_type(r.instance_type)
        with self.ctx.write() as tx:
            specs = self._interface_specs(tx, r)
            reservation_id = "r-" + ids.new_id("i").split("-", 1)[1]  # one per call, as in EC2
            launched = [self._launch_one(tx, r, specs, reservation_id) for _ in range(r.max_count)]
            return [_detail(tx, i) for i in launched]

    def _interface_specs(self, tx: Transaction, r: LaunchRequest) -> list[InterfaceSpec]:
        if r.interfaces:
            if not any(s.device_index == 0 for s in r.interfaces):
                raise errors.invalid_parameter_value(
                    "When specifying network interfaces, one must have device index 0"
                )
            return sorted(r.interfaces, key=lambda s: s.device_index or 0)
        by_name = [lookups.group_in_default_vpc(tx, name).group_id for name in r.group_names]
        return [
            InterfaceSpec(
                0,
                r.subnet_id,
                (*r.group_ids, *by_name),
                r.associate_public_ip,
                r.private_ip,
                tracking=r.tracking,
            )
        ]

    def _subnet_for(self, tx: Transaction, subnet_id: str | None) -> Subnet:
        if subnet_id:
            return lookups.subnet(tx, subnet_id)
        vpc = tx.default_vpc()
        subnets = [s for s in tx.list_subnets(vpc.vpc_id) if s.default_for_az] if vpc else []
        if not subnets:
            raise errors.error(
                "VPCIdNotSpecified", "No default VPC for this user: specify a subnet."
            )
        return subnets[0]

    def _launch_one(
        self, tx: Transaction, r: LaunchRequest, specs: list[InterfaceSpec], reservation_id: str
    ) -> Instance:
        instance_id = ids.new_id("i")
        enis: list[NetworkInterface] = []
        for spec in specs:
            if spec.network_interface_id:
                eni = lookups.interface(tx, spec.network_interface_id)
                if eni.instance_id:
                    raise errors.interface_in_use(eni.eni_id)
            else:
                subnet = self._subnet_for(tx, spec.subnet_id)
                groups = check_group_set(tx, subnet, spec.group_ids, self.ctx.quotas, True)
                wants_public = (
                    spec.associate_public_ip
                    if spec.associate_public_ip is not None
                    else subnet.map_public_ip_on_launch and spec.device_index == 0
                )
                eni = new_interface(
                    tx,
                    subnet,
                    groups,
                    private_ip=spec.private_ip,
                    ipv6_count=spec.ipv6_count,
                    associate_public_ip=bool(wants_public),
                    tracking=spec.tracking,
                    description=spec.description or "",
                    quotas=self.ctx.quotas,
                )
                eni = replace(eni, delete_on_termination=True)
                eni = secondary_addresses.at_creation(
                    tx, eni, spec.secondary_ips, spec.secondary_count, self.ctx.quotas
                )
            eni = attached(eni, instance_id, spec.device_index)
            tx.put_interface(with_public_ip(tx, eni))  # store first: the next IP must differ
            enis.append(eni)
        primary = enis[0]
        if any(e.vpc_id != primary.vpc_id for e in enis):
            raise errors.invalid_parameter_value("All network interfaces must be in the same VPC")
        instance = Instance(
            instance_id,
            tx.scope.account,
            tx.scope.region,
            reservation_id,
            primary.vpc_id,
            primary.subnet_id,
            primary.availability_zone,
            r.image_id,
            r.instance_type,
            InstanceState.RUNNING,
            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            primary.eni_id,
            key_name=r.key_name,
        )
        tx.put_instance(instance)
        instance = replace(instance, tags=tag_new(tx, [instance_id], r.tags))
        for eni in enis:  # an existing interface keeps its tags: merge
            apply_tags(tx, eni.eni_id, r.interface_tags)
        return instance

    def describe(self, instance_ids: Sequence[str] = ()) -> list[InstanceDetail]:
        with self.ctx.read() as tx:
            if instance_ids:
                found = [lookups.instance(tx, i) for i in instance_ids]
            else:
                found = tx.list_instances()
            return [_detail(tx, i) for i in found]

    def get(self, instance_id: str) -> InstanceDetail:
        return self.describe([instance_id])[0]

    def _transition(self, instance_ids: Sequence[str], action: str) -> list[StateChange]:
        if not instance_ids:
            raise errors.missing_parameter("InstanceId")
        with self.ctx.write() as tx:
            instances = [lookups.instance(tx, i) for i in dict.fromkeys(instance_ids)]
            changes = []
            for inst in instances:
                changes.append(_TRANSITIONS[action](tx, inst))
            return changes

    def start(self, instance_ids: Sequence[str]) -> list[StateChange]:
        return self._transition(instance_ids, "start")

    def stop(self, instance_ids: Sequence[str]) -> list[StateChange]:
        return self._transition(instance_ids, "stop")

    def terminate(self, instance_ids: Sequence[str]) -> list[StateChange]:
        return self._transition(instance_ids, "terminate")

    def modify_groups(self, instance_id: str, group_ids: Sequence[str]) -> InstanceDetail:
        """Replace the primary interface's groups (ModifyInstanceAttribute GroupId.N)."""
        if not group_ids:
            raise errors.missing_parameter("GroupId")
        with self.ctx.write() as tx:
            inst = lookups.instance(tx, instance_id)
            if inst.state is InstanceState.TERMINATED:
                raise errors.incorrect_instance_state(instance_id, inst.state.value, "modified")
            enis = tx.list_interfaces(instance_id=instance_id)
            if len(enis) > 1:
                raise errors.multiple_interfaces(instance_id)
            subnet = lookups.subnet(tx, enis[0].subnet_id)
            groups = check_group_set(tx, subnet, group_ids, self.ctx.quotas, instance_call=True)
            tx.put_interface(replace(enis[0], group_ids=groups))
            return _detail(tx, inst)

    def modify_type(self, instance_id: str, type_name: str) -> InstanceDetail:
        """Change a stopped instance's type (AWS refuses it while the instance runs)."""
        launchable_type(type_name)
        with self.ctx.write() as tx:
            inst = lookups.instance(tx, instance_id)
            if inst.state is not InstanceState.STOPPED:
                raise errors.not_stopped(instance_id)
            changed = replace(inst, instance_type=type_name)
            tx.put_instance(changed)
            return _detail(tx, changed)


def _stop(tx: Transaction, inst: Instance) -> StateChange:
    if inst.state is InstanceState.TERMINATED:
        raise errors.incorrect_instance_state(inst.instance_id, inst.state.value, "stopped")
    if inst.state is InstanceState.STOPPED:
        return StateChange(inst.instance_id, inst.state, inst.state)
    tx.put_instance(replace(inst, state=InstanceState.STOPPED))
    for eni in tx.list_interfaces(instance_id=inst.instance_id):
        # AWS releases auto-assigned public IPs; an Elastic IP stays associated
        tx.put_interface(without_automatic_ip(tx, eni))
    return StateChange(inst.instance_id, inst.state, InstanceState.STOPPING)


def _start(tx: Transaction, inst: Instance) -> StateChange:
    if inst.state is InstanceState.TERMINATED:
        raise errors.incorrect_instance_state(inst.instance_id, inst.state.value, "started")
    if inst.state is InstanceState.RUNNING:
        return StateChange(inst.instance_id, inst.state, inst.state)
    tx.put_instance(replace(inst, state=InstanceState.RUNNING))
    for eni in tx.list_interfaces(instance_id=inst.instance_id):
        tx.put_interface(with_public_ip(tx, eni))
    return StateChange(inst.instance_id, inst.state, InstanceState.PENDING)


def _terminate(tx: Transaction, inst: Instance) -> StateChange:
    if inst.state is InstanceState.TERMINATED:
        return StateChange(inst.instance_id, inst.state, inst.state)
    tx.put_instance(replace(inst, state=InstanceState.TERMINATED))
    tx.set_tags(root_volume_id(inst.instance_id), {})  # the root volume goes with it
    drop_profile(tx, inst.instance_id)
    for eni in tx.list_interfaces(instance_id=inst.instance_id):
        free_elastic_ip(tx, eni.eni_id)  # the allocation stays with the account
        if eni.delete_on_termination:
            tx.delete_interface(eni.eni_id)
        else:
            tx.put_interface(detached(eni))
    return StateChange(inst.instance_id, inst.state, InstanceState.SHUTTING_DOWN)


_TRANSITIONS = {"start": _start, "stop": _stop, "terminate": _terminate}
