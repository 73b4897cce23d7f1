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
  export reads the store: a volume's latest, and before it, oldest first, the earlier ones
  that started within EC2's rolling window, so that an import counts them toward the limit
  on how many may start as the exporting store does (AWS's describe-volumes-modifications
  shows the latest only; a file of it imports alike, only that one counted). The volume's
  current size, type and performance are the latest modification's target, and each state
  follows from its start time on import. A modification of a volume that is no instance's
  root volume here (AWS's own volume ids, say) is skipped with a warning: stockade models
  root volumes only.

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
from stockade.domain.volume_modification_timeline import moment, progress_at, starts_in_window
from stockade.domain.volume_modifications import (
    EARLIER_MODIFICATIONS,
    MODIFICATION,
    VOLUME_SETTINGS,
    Modification,
)
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
    earlier_modifications: dict[str, Any] = field(default_factory=dict)
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
            earlier_modifications=tx.list_settings(EARLIER_MODIFICATIONS),
            dhcp_options=tuple(option_sets(tx.list_settings_with_tags(DHCP_OPTIONS))),
        )

    def instance_options(self) -> dict[str, InstanceOptions]:
        return options_by_instance(self.monitoring, self.metadata, self.profiles)

    def volume_modifications(self, volume_id: str) -> list[Modification]:
        """A volume's modifications ModifyVolume still counts when they are read, oldest
        first, and its latest (whatever its age: DescribeVolumesModifications shows it)."""
        latest = self.modifications.get(volume_id)
        if latest is None:
            return []
        earlier = {
            m.start_time: m
            for m in map(Modification.from_value, self.earlier_modifications.get(volume_id, ()))
        }
        counted = starts_in_window(earlier, self.read_at)  # oldest first
        return [*(earlier[start] for start in counted), Modification.from_value(latest)]


def documents(snapshot: Snapshot, stored: StoredSettings) -> dict[str, dict[str, Any]]:
    """File name -> JSON document (pure), as the API's Describe calls answer."""
    live = {v.volume_id for v in map(root_volume, snapshot.instances) if v is not None}
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
            for volume_id in stored.modifications
            if volume_id in live
            for m in stored.volume_modifications(volume_id)
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
    """Each root volume's modifications: the latest, its target as the volume's settings,
    and the earlier ones, which ModifyVolume counts while they are within its window."""
    live = {v.volume_id for v in (root_volume(p.obj) for p in instances) if v is not None}
    given: dict[str, list[tuple[Node, Modification]]] = {}
    skipped: list[str] = []
    for doc in docs:
        for item in doc.items("VolumesModifications"):
            modification = read_settings.volume_modification(item)
            if modification is None:
                continue
            if modification.volume_id not in live:
                skipped.append(modification.volume_id)
            else:
                given.setdefault(modification.volume_id, []).append((item, modification))
    out: list[Setting] = []
    for volume_id, found in given.items():
        *earlier, latest = _in_sequence(found)
        out.append((volume_id, VOLUME_SETTINGS, latest.target.as_value()))
        out.append((volume_id, MODIFICATION, latest.as_value()))
        if earlier:
            out.append((volume_id, EARLIER_MODIFICATIONS, [m.as_value() for m in earlier]))
    if skipped:
        warn.append(
            "volume modifications skipped (stockade models instances' root volumes only, "
            f"named after their instance): {', '.join(skipped)}"
        )
    return out


def _in_sequence(found: list[tuple[Node, Modification]]) -> list[Modification]:
    """One volume's modifications oldest first, each started after the one before it
    completed (as ModifyVolume lets them start; a file that says otherwise is refused)."""
    ordered = sorted(found, key=lambda pair: moment(pair[1].start_time))
    for (_, before), (item, after) in zip(ordered, ordered[1:], strict=False):
        if moment(before.start_time) == moment(after.start_time):
            raise item.problem(
                f"a second modification of the volume started at {before.start_time}",
                "StartTime",
            )
        if progress_at(before.start_time, moment(after.start_time)).state != "completed":
            raise item.problem(
                f"starts before the volume's modification started at {before.start_time} "
                "completed (a volume's next modification waits for its last one)",
                "StartTime",
            )
    return [m for _, m in ordered]
