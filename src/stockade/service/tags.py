"""Tags on any resource: CreateTags, DeleteTags, DescribeTags and TagSpecifications."""

from __future__ import annotations

from collections.abc import Sequence

from stockade.domain import errors, ids
from stockade.domain.tags import RawTags, Tags, check_tags, merged
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.store.repository import Transaction


def apply_tags(tx: Transaction, resource_id: str, tags: RawTags) -> None:
    """Validate tags and merge them into a resource (TagSpecifications on create)."""
    if tags:
        tx.set_tags(resource_id, merged(tx.tags_of(resource_id), check_tags(tags)))


def tag_new(tx: Transaction, resource_ids: Sequence[str], tags: RawTags) -> Tags:
    """Tag resources this transaction just created (so they have no tags yet); returns the
    tags as a getter would read them back (sorted by key), sparing the re-read."""
    checked = merged({}, check_tags(tags)) if tags else {}
    for resource_id in resource_ids if checked else ():
        tx.set_tags(resource_id, checked)
    return tuple(sorted(checked.items()))


def require_resource(tx: Transaction, resource_id: str) -> None:
    """A taggable resource of this scope must exist; otherwise its kind's NotFound error."""
    kind = ids.kind_of(resource_id or "")
    getters = {
        "sg": lookups.group,
        "vpc": lookups.vpc,
        "subnet": lookups.subnet,
        "eni": lookups.interface,
        "i": lookups.instance,
        "pl": lookups.own_prefix_list,  # AWS-managed lists take no tags
        "igw": lookups.internet_gateway,
        "nat": lookups.nat_gateway,
        "eigw": lookups.egress_only_internet_gateway,
        "eipalloc": lookups.elastic_ip,
        "rtb": lookups.route_table,
        "acl": lookups.network_acl,
        "pcx": lookups.peering,
        "nip": lookups.network_insights_path,
        "nia": lookups.network_insights_analysis,
        "fl": lookups.flow_log,
        "vol": lookups.volume,
        "dopt": lookups.dhcp_options,
    }
    if kind == "sgr":
        lookups.rule(tx, resource_id)
        return
    if kind not in getters:
        raise errors.error("InvalidID", f"The ID '{resource_id}' is not valid")
    getters[kind](tx, resource_id)


class TagService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def create_tags(self, resource_ids: Sequence[str], tags: RawTags) -> None:
        if not resource_ids:
            raise errors.missing_parameter("ResourceId")
        checked = check_tags(tags)
        with self.ctx.write() as tx:
            for rid in resource_ids:
                require_resource(tx, rid)
                tx.set_tags(rid, merged(tx.tags_of(rid), checked))

    def delete_tags(
        self, resource_ids: Sequence[str], tags: Sequence[tuple[str, str | None]] = ()
    ) -> None:
        """Remove tags; a tag given with a value is removed only if the value matches; no
        tags at all removes every tag (EC2's rule)."""
        if not resource_ids:
            raise errors.missing_parameter("ResourceId")
        with self.ctx.write() as tx:
            for rid in resource_ids:
                require_resource(tx, rid)
                current = tx.tags_of(rid)
                if not tags:
                    current = {}
                for key, value in tags:
                    if key in current and (value is None or current[key] == value):
                        del current[key]
                tx.set_tags(rid, current)

    def list_tags(self) -> list[tuple[str, str, str]]:
        with self.ctx.read() as tx:
            return tx.list_tags()
