"""The per-resource settings (migration 0010's ``resource_settings``) in ``export aws`` and
``import aws``: what a user expects to round-trip beside the network.

Each goes out as the file the AWS CLI prints it in, so the import reads AWS's own output
as well as stockade's:

* an instance's detailed monitoring, metadata options and IAM instance profile: inside
  ``instances.json`` (describe-instances), the profile's association (its id and time) in
  ``iam-instance-profile-associations.json``; without that file an instance's
  ``IamInstanceProfile`` becomes an association whose id is derived from the pair;
* DHCP options sets: ``dhcp-options.json`` (a VPC names its set in ``vpcs.json``);
* Elastic IPs' PTR records: ``addresses-attribute.json`` (describe-addresses-attribute
  ``--attribute domain-name``, whose top-level key is ``Addresses`` too: the layout tells
  it by its items' ``PtrRecord``); AWS's default reverse name is no record;
* root-volume modifications: ``volumes-modifications.json``, each as it stands when the
  export reads the store; the volume's current size, type and performance are the last
  modification's target, and its state follows from its start time on import (the starts
  of earlier modifications within EC2's rolling window are not in the file: after an
  import only the last counts). A modification of a volume that is no instance's root
  volume here (AWS's own volume ids, say) is skipped with a warning: stockade models root
  volumes only.

Values are checked by the domain's rules (``shapes/read_settings.py``); a bad one is a
located problem, raised before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stockade.analysis.aws_network import Parsed, origin, parsed
from stockade.domain.dhcp_options import DHCP_OPTIONS, DhcpOptions, option_sets
from stockade.domain.elastic_ip import PTR_RECORD
from stockade.domain.instance_options import (
    IAM_INSTANCE_PROFILE,
    METADATA_OPTIONS,
    MONITORING,
    InstanceOptions,
    MetadataOptions,
    ProfileAssociation,
    options_by_instance,
)
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.domain.volume_modification_timeline import progress_at
from stockade.domain.volume_modifications import MODIFICATION, VOLUME_SETTINGS, Modification
from stockade.domain.volumes import root_volume
from stockade.shapes import instances as instance_shapes
from stockade.shapes import read_settings
from stockade.shapes import settings as shapes
from stockade.shapes.fields import Node
from stockade.store.repository import Transaction

#: file name -> top-level key, written after the core files
FILES = {
    "dhcp-options.json": "DhcpOptions",
    "iam-instance-profile-associations.json": "IamInstanceProfileAssociations",
    "addresses-attribute.json": "Addresses",
    "volumes-modifications.json": "VolumesModifications",
}

#: (resource id, setting name, value): one row of ``resource_settings`` to write
Setting = tuple[str, str, Any]


# -- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSettings:
    """One scope's settings as the store holds them (read in the export's transaction)."""

    monitoring: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)
    ptr_records: dict[str, Any] = field(default_factory=dict)
    modifications: dict[str, Any] = field(default_factory=dict)
    dhcp_options: tuple[DhcpOptions, ...] = ()
    #: when they were read: what a modification's progress is shown at
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def read(cls, tx: Transaction) -> StoredSettings:
        return cls(
            monitoring=tx.list_settings(MONITORING),
            metadata=tx.list_settings(METADATA_OPTIONS),
            profiles=tx.list_settings(IAM_INSTANCE_PROFILE),
            ptr_records=tx.list_settings(PTR_RECORD),
            modifications=tx.list_settings(MODIFICATION),
            dhcp_options=tuple(option_sets(tx.list_settings_with_tags(DHCP_OPTIONS))),
        )

    def instance_options(self) -> dict[str, InstanceOptions]:
        return options_by_instance(self.monitoring, self.metadata, self.profiles)


def documents(snapshot: Snapshot, stored: StoredSettings) -> dict[str, dict[str, Any]]:
    """File name -> JSON document (pure), as the API's Describe calls answer."""
    live = {v.volume_id for v in map(root_volume, snapshot.instances) if v is not None}
    modifications = {k: Modification.from_value(v) for k, v in stored.modifications.items()}
    profiles = sorted(
        (ProfileAssociation.from_value(v) for v in stored.profiles.values()),
        key=lambda a: a.association_id,
    )
    items = {
        "DhcpOptions": [shapes.dhcp_options(d) for d in stored.dhcp_options],
        "IamInstanceProfileAssociations": [
            instance_shapes.profile_association(a, "associated") for a in profiles
        ],
        "Addresses": [
            shapes.address_attribute(e, stored.ptr_records.get(e.allocation_id))
            for e in snapshot.elastic_ips
        ],
        "VolumesModifications": [
            shapes.volume_modification(m, progress_at(m.start_time, stored.read_at))
            for volume_id, m in modifications.items()
            if volume_id in live
        ],
    }
    return {name: {key: items[key]} for name, key in FILES.items()}


# -- import --------------------------------------------------------------------------------


@dataclass
class ParsedSettings:
    """The settings one scope's files give, ready to write; DHCP options sets carry tags."""

    values: list[Setting] = field(default_factory=list)
    dhcp_options: list[Parsed] = field(default_factory=list)


def parse(
    docs: Callable[[str], list[Node]],
    scope: Scope,
    instances: list[Parsed],
    addresses: list[Parsed],
    warn: list[str],
) -> ParsedSettings:
    """The settings of one scope, from its files (``docs(kind)``) and the instances and
    Elastic IPs already parsed from them."""
    out = ParsedSettings()
    for doc in docs("dhcp_options"):
        for item in doc.items("DhcpOptions"):
            found = parsed(read_settings.dhcp_options(item, origin(scope)), item)
            out.dhcp_options.append(found)
            out.values.append((found.obj.dhcp_options_id, DHCP_OPTIONS, found.obj.as_value()))
    out.values += _instance_settings(docs("profile_associations"), scope, instances)
    out.values += _ptr_records(docs("address_attributes"), scope, addresses)
    out.values += _modifications(docs("volume_modifications"), instances, warn)
    return out


def _instance_settings(
    association_docs: list[Node], scope: Scope, instances: list[Parsed]
) -> list[Setting]:
    launched = {p.obj.instance_id: p for p in instances}
    associations: dict[str, ProfileAssociation] = {}
    for doc in association_docs:
        for item in doc.items("IamInstanceProfileAssociations"):
            association = read_settings.profile_association(item, origin(scope))
            if association is None:
                continue
            if association.instance_id not in launched:
                raise item.problem(
                    "no such instance in the files (or it is terminated)", "InstanceId"
                )
            associations[association.instance_id] = association
    out: list[Setting] = []
    for iid, p in launched.items():
        if read_settings.monitoring(p.node):
            out.append((iid, MONITORING, True))
        metadata = read_settings.metadata_options(p.node)
        if metadata != MetadataOptions():
            out.append((iid, METADATA_OPTIONS, metadata.as_value()))
        profile = associations.get(iid) or read_settings.instance_profile(
            p.node, iid, p.obj.launch_time, origin(scope)
        )
        if profile is not None:
            out.append((iid, IAM_INSTANCE_PROFILE, profile.as_value()))
    return out


def _ptr_records(docs: list[Node], scope: Scope, addresses: list[Parsed]) -> list[Setting]:
    held = {p.obj.allocation_id for p in addresses}
    out: list[Setting] = []
    for doc in docs:
        for item in doc.items("Addresses"):
            allocation_id, record = read_settings.ptr_record(item, scope.region)
            if allocation_id not in held:
                raise item.problem("no such Elastic IP in addresses.json", "AllocationId")
            if record is not None:
                out.append((allocation_id, PTR_RECORD, record))
    return out


def _modifications(docs: list[Node], instances: list[Parsed], warn: list[str]) -> list[Setting]:
    """Each root volume's latest modification, and its target as the volume's settings."""
    live = {v.volume_id for v in (root_volume(p.obj) for p in instances) if v is not None}
    latest: dict[str, Modification] = {}
    skipped: list[str] = []
    for doc in docs:
        for item in doc.items("VolumesModifications"):
            modification = read_settings.volume_modification(item)
            if modification is None:
                continue
            volume_id = modification.volume_id
            if volume_id not in live:
                skipped.append(volume_id)
            elif volume_id not in latest or latest[volume_id].start_time < modification.start_time:
                latest[volume_id] = modification
    out: list[Setting] = []
    for volume_id, modification in latest.items():
        out.append((volume_id, VOLUME_SETTINGS, modification.target.as_value()))
        out.append((volume_id, MODIFICATION, modification.as_value()))
    if skipped:
        warn.append(
            "volume modifications skipped (stockade models instances' root volumes only, "
            f"named after their instance): {', '.join(skipped)}"
        )
    return out
