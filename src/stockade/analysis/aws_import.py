"""``stockade import aws DIR``: a real account's state, loaded as it is.

The import is a bulk load of *existing* state, so it deliberately bypasses the service
layer's create-time rules (quotas, name checks, "the referenced group must exist"): AWS
already accepted every object, and stale or cross-account references are exactly what an
audit must see. What it does check is the *input*: every field it reads has the right type
and form, references between the files resolve (a subnet's VPC, an interface's groups…),
and the two views of rules agree. Any problem is one :class:`ImportProblem` naming the file
and field, raised before anything is written; the write itself is one store transaction
for all scopes, so an import is all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from stockade.analysis import aws_gateways, aws_groups, aws_instances, aws_network, aws_settings
from stockade.analysis.aws_consistency import check_state
from stockade.analysis.aws_layout import KINDS, Bundle, read_layout
from stockade.analysis.aws_state import ScopeState
from stockade.domain.errors import AwsError
from stockade.domain.scope import REGIONS, Scope
from stockade.shapes.fields import ImportProblem, Node
from stockade.store.batching import chunks
from stockade.store.repository import Store

_ARN_RE = re.compile(r"^arn:aws[a-z-]*:ec2:([a-z0-9-]+):([0-9]{12}|aws):")
_ZONE_RE = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-[0-9]+)")


@dataclass
class ImportReport:
    scopes: list[tuple[Scope, dict[str, int]]]
    warnings: list[str]

    def to_dict(self) -> dict:
        return {
            "imported": [
                {"account": s.account, "region": s.region, **counts} for s, counts in self.scopes
            ],
            "warnings": self.warnings,
        }


def import_directory(store: Store, root: Path) -> ImportReport:
    """Parse and check everything under ``root``, then write it in one transaction."""
    states, warnings = load_directory(root)
    write_states(store, states)
    return ImportReport([(s.scope, s.counts()) for s in states], warnings)


def load_directory(root: Path) -> tuple[list[ScopeState], list[str]]:
    """Read and check (no store involved): the states to write, and warnings."""
    bundles = read_layout(root)
    warnings: list[str] = [w for b in bundles for w in b.ignored]
    merged: dict[Scope, list[Bundle]] = {}
    for bundle in bundles:
        merged.setdefault(scope_of(bundle), []).append(bundle)
    states = [_parse_scope(scope, parts, warnings) for scope, parts in merged.items()]
    return sorted(states, key=lambda s: s.scope), warnings


# -- which account and region ---------------------------------------------------------------


def scope_of(bundle: Bundle) -> Scope:
    """The scope a directory holds: from its path, else from what its files say."""
    accounts, regions = _evidence(bundle)
    account = _one(
        bundle, "account", bundle.account, accounts, "put the files under DIR/ACCOUNT/[REGION/]"
    )
    region = _one(
        bundle, "region", bundle.region, regions, "put the files under DIR/[ACCOUNT/]REGION/"
    )
    try:
        return Scope(account, region)
    except AwsError as exc:
        known = (
            ""
            if region in REGIONS
            else (f" (the domain knows {len(REGIONS)} regions: stockade.domain.scope.REGIONS)")
        )
        raise ImportProblem(bundle.directory, "", exc.message + known) from None


def _one(bundle: Bundle, what: str, given: str | None, seen: set[str], hint: str) -> str:
    if given is not None:
        if seen and given not in seen:
            raise ImportProblem(
                bundle.directory,
                "",
                f"the path says {what} {given} but the files say {', '.join(sorted(seen))}",
            )
        return given
    if len(seen) == 1:
        return next(iter(seen))
    if not seen:
        raise ImportProblem(bundle.directory, "", f"cannot tell the {what}: {hint}")
    raise ImportProblem(
        bundle.directory, "", f"files of several {what}s ({', '.join(sorted(seen))}): {hint}"
    )


def _evidence(bundle: Bundle) -> tuple[set[str], set[str]]:
    accounts: set[str] = set()
    regions: set[str] = set()

    def owner(node: Node, key: str = "OwnerId") -> None:
        value = node.value.get(key)
        if isinstance(value, str) and value.isdigit():
            accounts.add(value)

    def arn(node: Node, key: str) -> None:
        match = _ARN_RE.match(str(node.value.get(key) or ""))
        if match:
            regions.add(match.group(1))
            if match.group(2) != "aws":
                accounts.add(match.group(2))

    def zone(value: object) -> None:
        match = _ZONE_RE.match(value) if isinstance(value, str) else None
        if match:
            regions.add(match.group(1))

    for key, arn_key in (
        ("Vpcs", None),
        ("Subnets", "SubnetArn"),
        ("SecurityGroups", "SecurityGroupArn"),
        ("NetworkInterfaces", None),
        ("InternetGateways", None),
        ("PrefixLists", "PrefixListArn"),
        ("RouteTables", None),
        ("NetworkAcls", None),
    ):
        for doc in bundle.of(KINDS[key]):
            for item in doc.items(key):
                owner(item)
                if arn_key:
                    arn(item, arn_key)
                zone(item.value.get("AvailabilityZone"))
    for doc in bundle.of("rules"):
        for item in doc.items("SecurityGroupRules"):
            owner(item, "GroupOwnerId")
            arn(item, "SecurityGroupRuleArn")
    for doc in bundle.of("instances"):
        for reservation in doc.items("Reservations"):
            owner(reservation)
            for instance in reservation.items("Instances"):
                placement = instance.value.get("Placement")
                zone(placement.get("AvailabilityZone") if isinstance(placement, dict) else None)
    return accounts, regions


# -- parsing and cross-checks ---------------------------------------------------------------


def _parse_scope(scope: Scope, bundles: list[Bundle], warn: list[str]) -> ScopeState:
    def docs(kind: str) -> list[Node]:
        return [d for b in bundles for d in b.of(kind)]

    entries: dict[str, Node] = {}
    for bundle in bundles:
        entries.update(bundle.entries)
    state = ScopeState(scope)
    state.vpcs = aws_network.parse_vpcs(docs("vpcs"), scope, warn)
    state.subnets = aws_network.parse_subnets(docs("subnets"), scope, warn)
    state.internet_gateways = aws_network.parse_internet_gateways(docs("internet_gateways"), scope)
    state.prefix_lists = aws_network.parse_prefix_lists(docs("prefix_lists"), entries, scope, warn)
    state.peerings = aws_network.parse_peerings(docs("peerings"), scope)
    state.groups = aws_groups.parse_groups(docs("groups"), scope)
    rule_docs = docs("rules")
    parsed_rules = aws_groups.parse_rules(rule_docs, scope)
    state.rules, state.rule_tags = aws_groups.combine(state.groups, parsed_rules, bool(rule_docs))
    described = aws_instances.parse_interfaces(docs("interfaces"), scope)
    state.instances, from_instances = aws_instances.parse_instances(docs("instances"), scope, warn)
    known = {p.obj.eni_id for p in described}
    state.interfaces = described + [p for p in from_instances if p.obj.eni_id not in known]
    for p in state.interfaces:
        warn.extend(aws_instances.interface_notes(p))
    state.nat_gateways = aws_gateways.parse_nat_gateways(docs("nat_gateways"), scope)
    state.egress_only_internet_gateways = aws_gateways.parse_egress_only_internet_gateways(
        docs("egress_only_internet_gateways"), scope
    )
    state.addresses = aws_gateways.parse_addresses(docs("addresses"), state.nat_gateways, scope)
    state.route_tables = aws_network.parse_route_tables(docs("route_tables"), scope, warn)
    state.route_tables += aws_network.implied_main_tables(
        state.vpcs, state.internet_gateways, state.route_tables, bundles[0].directory, warn
    )
    state.network_acls = aws_network.parse_network_acls(docs("network_acls"), scope)
    state.network_acls = aws_network.with_implied_network_acls(
        state.vpcs, state.subnets, state.network_acls, bundles[0].directory, warn
    )
    state.settings = aws_settings.parse(docs, scope, state.instances, state.addresses, warn)
    check_state(state, bundles[0].directory)
    aws_gateways.check_references(
        state.addresses,
        state.nat_gateways,
        state.egress_only_internet_gateways,
        {p.obj.vpc_id for p in state.vpcs},
        {p.obj.subnet_id: p.obj.vpc_id for p in state.subnets},
        {p.obj.eni_id for p in state.interfaces},
    )
    return state


# -- writing -------------------------------------------------------------------------------


def write_states(store: Store, states: list[ScopeState]) -> None:
    """One transaction for every scope: all of it lands, or none of it."""
    if not states:
        return
    with store.write(states[0].scope) as tx:
        for state in states:
            tx.scope = state.scope  # the transaction's scope decides tags and partitions
            if tx.is_initialized() or tx.list_vpcs() or tx.list_groups():
                raise ImportProblem(
                    f"{state.scope.account}/{state.scope.region}",
                    "",
                    "the store already holds this account and region: import into a fresh "
                    "database (--db NEW.db)",
                )
            tx.mark_initialized()
            tagged: list[tuple[str, dict[str, str]]] = []
            # (parsed resources, how to store one, its id), in dependency order
            plain: tuple[_Kind, ...] = (
                (state.vpcs, tx.put_vpc, attrgetter("vpc_id")),
                (state.subnets, tx.put_subnet, attrgetter("subnet_id")),
                (state.internet_gateways, tx.put_internet_gateway, attrgetter("igw_id")),
                (state.prefix_lists, tx.put_prefix_list, attrgetter("prefix_list_id")),
                # one row, seen by both sides' scopes
                (state.peerings, tx.put_peering, attrgetter("vpc_peering_connection_id")),
            )
            _put_all(plain, tagged)
            for g in state.groups:
                tx.put_group(g.group)
                tagged.append((g.group.group_id, g.tags))
            for batch in chunks(state.rules):  # bounded rows and statements at any size
                tx.put_rules(batch)
            tagged.extend(state.rule_tags.items())
            after_groups: tuple[_Kind, ...] = (
                (state.interfaces, tx.put_interface, attrgetter("eni_id")),
                (state.instances, tx.put_instance, attrgetter("instance_id")),
                (state.nat_gateways, tx.put_nat_gateway, attrgetter("nat_gateway_id")),
                (
                    state.egress_only_internet_gateways,
                    tx.put_egress_only_internet_gateway,
                    attrgetter("egress_only_internet_gateway_id"),
                ),
                (state.addresses, tx.put_elastic_ip, attrgetter("allocation_id")),
                (state.route_tables, tx.put_route_table, attrgetter("route_table_id")),
                (state.network_acls, tx.put_network_acl, attrgetter("network_acl_id")),
            )
            _put_all(after_groups, tagged)
            # settings last: a DHCP options set is one (tagged), the rest belong to the above
            tagged.extend((p.obj.dhcp_options_id, p.tags) for p in state.settings.dhcp_options)
            for resource_id, name, value in state.settings.values:
                tx.set_setting(resource_id, name, value)
            for resource_id, tags in tagged:
                if tags:
                    tx.set_tags(resource_id, tags)


#: parsed resources of one kind, how to store one, and its id
_Kind = tuple[list, Callable[[Any], None], Callable[[Any], str]]


def _put_all(kinds: tuple[_Kind, ...], tagged: list[tuple[str, dict[str, str]]]) -> None:
    """Store each kind's resources in order, noting their tags for afterwards."""
    for parsed, put, id_of in kinds:
        for p in parsed:
            put(p.obj)
            tagged.append((id_of(p.obj), p.tags))
