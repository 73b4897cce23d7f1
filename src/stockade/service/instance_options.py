"""Monitor/UnmonitorInstances, ModifyInstanceMetadataOptions and the IAM instance-profile
associations (Associate/Disassociate/ReplaceIamInstanceProfileAssociation,
DescribeIamInstanceProfileAssociations), and the same options given to RunInstances.

The values and their checks are :mod:`stockade.domain.instance_options`; they are kept as
resource settings of the instance, so they survive restarts and a refused call writes
nothing. A terminated instance takes no changes and loses its profile association.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from stockade.domain import errors, ids
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.instance_options import (
    IAM_INSTANCE_PROFILE,
    METADATA_OPTIONS,
    MONITORING,
    InstanceOptions,
    MetadataOptions,
    ProfileAssociation,
    changed_metadata_options,
    options_by_instance,
    profile_arn,
)
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.store.repository import Transaction


@dataclass(frozen=True)
class MetadataRequest:
    """ModifyInstanceMetadataOptions' (and RunInstances' ``MetadataOptions``) members."""

    http_tokens: str | None = None
    hop_limit: int | None = None
    http_endpoint: str | None = None
    http_protocol_ipv6: str | None = None
    instance_metadata_tags: str | None = None

    def applied_to(self, current: MetadataOptions) -> MetadataOptions:
        return changed_metadata_options(
            current,
            self.http_tokens,
            self.hop_limit,
            self.http_endpoint,
            self.http_protocol_ipv6,
            self.instance_metadata_tags,
        )


def _changeable(tx: Transaction, instance_id: str | None, action: str) -> Instance:
    instance = lookups.instance(tx, instance_id)
    if instance.state in (InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN):
        raise errors.incorrect_instance_state(instance.instance_id, instance.state.value, action)
    return instance


def _associations(tx: Transaction) -> list[ProfileAssociation]:
    return [
        ProfileAssociation.from_value(v) for v in tx.list_settings(IAM_INSTANCE_PROFILE).values()
    ]


def _named(
    associations: list[ProfileAssociation], association_id: str | None
) -> ProfileAssociation:
    ids.check("iip-assoc", association_id)
    for association in associations:
        if association.association_id == association_id:
            return association
    raise errors.not_found("iip-assoc", association_id or "")


def _association(tx: Transaction, association_id: str | None) -> ProfileAssociation:
    return _named(_associations(tx), association_id)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def drop_profile(tx: Transaction, instance_id: str) -> None:
    """A terminated instance's association goes with it."""
    tx.set_setting(instance_id, IAM_INSTANCE_PROFILE, None)


class InstanceOptionService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def options(self) -> dict[str, InstanceOptions]:
        """Every instance's options that differ from the defaults, by instance id."""
        with self.ctx.read() as tx:
            return options_by_instance(
                tx.list_settings(MONITORING),
                tx.list_settings(METADATA_OPTIONS),
                tx.list_settings(IAM_INSTANCE_PROFILE),
            )

    def set_monitoring(self, instance_ids: Sequence[str], enabled: bool) -> list[str]:
        """Detailed monitoring on or off for each instance (all or none); their ids."""
        if not instance_ids:
            raise errors.missing_parameter("InstanceId")
        action = "monitored" if enabled else "unmonitored"
        with self.ctx.write() as tx:
            found = [_changeable(tx, iid, action).instance_id for iid in instance_ids]
            for iid in found:
                tx.set_setting(iid, MONITORING, True if enabled else None)
            return found

    def modify_metadata_options(
        self, instance_id: str | None, request: MetadataRequest
    ) -> tuple[str, MetadataOptions]:
        with self.ctx.write() as tx:
            instance = _changeable(tx, instance_id, "modified")
            current = tx.settings_of(instance.instance_id).get(METADATA_OPTIONS)
            options = request.applied_to(MetadataOptions.from_value(current))
            tx.set_setting(instance.instance_id, METADATA_OPTIONS, options.as_value())
            return instance.instance_id, options

    def apply_at_launch(
        self,
        instance_ids: Sequence[str],
        monitoring: bool,
        metadata: MetadataRequest | None,
        profile: str | None,
    ) -> dict[str, InstanceOptions]:
        """RunInstances' options for the instances it launched (checked before launch by
        :meth:`check_launch`, so this cannot refuse); each instance's options as set, by id
        (none when every option is the default)."""
        if not (monitoring or metadata or profile):
            return {}
        options = metadata.applied_to(MetadataOptions()) if metadata is not None else None
        launched: dict[str, InstanceOptions] = {}
        with self.ctx.write() as tx:
            for iid in instance_ids:
                if monitoring:
                    tx.set_setting(iid, MONITORING, True)
                if options is not None:
                    tx.set_setting(iid, METADATA_OPTIONS, options.as_value())
                association = None
                if profile is not None:
                    association = ProfileAssociation(ids.new_id("iip-assoc"), iid, profile, _now())
                    tx.set_setting(iid, IAM_INSTANCE_PROFILE, association.as_value())
                launched[iid] = InstanceOptions(
                    monitoring, options or MetadataOptions(), association
                )
        return launched

    def check_launch(
        self, metadata: MetadataRequest | None, arn: str | None, name: str | None
    ) -> str | None:
        """Check RunInstances' options before anything launches; the profile's ARN."""
        if metadata is not None:
            metadata.applied_to(MetadataOptions())
        if arn is None and name is None:
            return None
        return profile_arn(self.ctx.scope.account, arn, name)

    # -- IAM instance profiles ---------------------------------------------------------------

    def associate_profile(
        self, instance_id: str | None, arn: str | None, name: str | None
    ) -> ProfileAssociation:
        resolved = profile_arn(self.ctx.scope.account, arn, name)
        with self.ctx.write() as tx:
            instance = _changeable(tx, instance_id, "associated")
            if IAM_INSTANCE_PROFILE in tx.settings_of(instance.instance_id):
                raise errors.error(
                    "IncorrectState",
                    f"There is an existing association for instance {instance.instance_id}",
                )
            association = ProfileAssociation(
                ids.new_id("iip-assoc"), instance.instance_id, resolved, _now()
            )
            tx.set_setting(instance.instance_id, IAM_INSTANCE_PROFILE, association.as_value())
            return association

    def disassociate_profile(self, association_id: str | None) -> ProfileAssociation:
        with self.ctx.write() as tx:
            association = _association(tx, association_id)
            drop_profile(tx, association.instance_id)
            return association

    def replace_profile(
        self, association_id: str | None, arn: str | None, name: str | None
    ) -> ProfileAssociation:
        """A new association (a new id) with the other profile, as AWS replaces one."""
        resolved = profile_arn(self.ctx.scope.account, arn, name)
        with self.ctx.write() as tx:
            old = _association(tx, association_id)
            association = ProfileAssociation(
                ids.new_id("iip-assoc"), old.instance_id, resolved, _now()
            )
            tx.set_setting(old.instance_id, IAM_INSTANCE_PROFILE, association.as_value())
            return association

    def profile_associations(self, association_ids: Sequence[str] = ()) -> list[ProfileAssociation]:
        with self.ctx.read() as tx:
            found = _associations(tx)  # one read, however many are named
        if association_ids:
            return [_named(found, a) for a in dict.fromkeys(association_ids)]
        return sorted(found, key=lambda a: a.association_id)
