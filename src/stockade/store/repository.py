"""The store's contract with the service layer.

A service call opens one :class:`Transaction` (``with store.write(scope) as tx`` or
``store.read(scope)``), reads and writes domain objects through its repositories, and
either commits everything or nothing. Writes are serialised per store (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: a row lock), so read-check-write sequences never race.
Every committed write transaction bumps the store revision by one and records which
resources it changed, so other processes can follow (``Store.revision``/``changes_since``).

All getters take ids and return frozen domain objects with their tags filled in;
``list_*`` methods are scoped to the transaction's (account, region). Writers take whole
domain objects (``put`` = insert or replace). ``put_*`` ignores the objects' ``tags``
field: tags are written only through ``set_tags`` and read back into every getter.

Callers hold a :class:`Store` (the protocol below); only the code that opens one names
the concrete implementation, :class:`stockade.store.sql.SqlStore`::

    store = SqlStore.open("sqlite:///path/to/stockade.db")   # or a postgresql+psycopg:// URL
    with store.write(scope) as tx: ...          # BEGIN IMMEDIATE ... COMMIT (or ROLLBACK)
    with store.read(scope) as tx: ...           # a consistent read-only view
    store.revision() -> int                     # bumped by every committed write
    store.changes_since(rev) -> list[Change]    # what changed after rev (any process)
    store.subscribe(callback)                   # callback(Change) after each commit here
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.flow_log import FlowLog
from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import NetworkAcl
from stockade.domain.network_insights import NetworkInsightsAnalysis, NetworkInsightsPath
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, RouteTable
from stockade.domain.scope import Scope
from stockade.domain.security_group import RuleSpec, SecurityGroup, SecurityGroupRule
from stockade.domain.state import Snapshot
from stockade.domain.tags import Tags


class HeldWrites(Protocol):
    """A run of write calls holding the writer (:meth:`Store.hold_writes`)."""

    def end_calls(self) -> None:
        """No more calls join the run (call it on the thread that holds the run)."""

    def commit(self) -> None:
        """Commit the run (one flush) and give up the writer; from any thread."""


class WouldBlock(RuntimeError):
    """Writes asked not to wait (:meth:`Store.hold_writes`) would have had to: nothing
    was done, and they may be run where waiting is harmless."""


@dataclass(frozen=True)
class GroupPlace:
    """Where a new security group would go (:meth:`Transaction.group_place`): its VPC,
    whether that VPC has an IPv6 block (the default egress rules depend on it), whether
    a group there already has the name, and how many groups the scope holds."""

    vpc_id: str
    vpc_has_ipv6: bool
    name_taken: bool
    scope_groups: int


@dataclass(frozen=True)
class Change:
    """One committed write transaction: its revision, scope and the resource ids it touched."""

    revision: int
    account: str
    region: str
    resource_ids: tuple[str, ...]


class Transaction(Protocol):
    scope: Scope

    # -- partition ------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        """Whether this scope's default VPC has been created (first use)."""

    def mark_initialized(self) -> None: ...

    # -- VPCs, subnets, gateways -------------------------------------------------------------
    def get_vpc(self, vpc_id: str) -> Vpc | None: ...
    def list_vpcs(self) -> list[Vpc]: ...
    def default_vpc(self) -> Vpc | None:
        """This scope's default VPC (the first, should there be several); None if none."""

    def put_vpc(self, vpc: Vpc) -> None: ...
    def delete_vpc(self, vpc_id: str) -> None: ...

    def get_subnet(self, subnet_id: str) -> Subnet | None: ...
    def list_subnets(self, vpc_id: str | None = None) -> list[Subnet]: ...
    def put_subnet(self, subnet: Subnet) -> None: ...
    def delete_subnet(self, subnet_id: str) -> None: ...

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None: ...
    def list_internet_gateways(self) -> list[InternetGateway]: ...
    def put_internet_gateway(self, igw: InternetGateway) -> None: ...
    def delete_internet_gateway(self, igw_id: str) -> None: ...

    # -- security groups and rules -----------------------------------------------------------
    def get_group(self, group_id: str) -> SecurityGroup | None:
        """Any scope's group by id (references may cross accounts); None if absent."""

    def find_group_by_name(self, vpc_id: str, name: str) -> SecurityGroup | None:
        """The group of that name in the VPC, compared case-insensitively."""

    def find_group_in_default_vpc(self, name: str) -> SecurityGroup | None:
        """The group of that name in this scope's default VPC (None if either is missing):
        a name look-up's VPC and group in one query."""

    def list_groups(
        self, vpc_id: str | None = None, group_ids: Sequence[str] | None = None
    ) -> list[SecurityGroup]:
        """Groups of this scope, in creation order."""

    def count_groups(self) -> int:
        """Groups in this scope (the per-region quota)."""

    def put_group(self, group: SecurityGroup) -> None: ...
    def add_group(self, group: SecurityGroup) -> None:
        """Insert a group with a fresh id (``put_group`` without looking for a row to
        replace); an id already stored is an integrity error, never a silent overwrite."""

    def delete_group(self, group_id: str) -> None:
        """Delete a group with its rules and their tags."""

    def get_rule(self, rule_id: str) -> SecurityGroupRule | None: ...
    def rules_of(self, group_ids: Iterable[str]) -> list[SecurityGroupRule]:
        """The rules of these groups, in creation order."""

    def group_place(self, vpc_id: str | None, name: str) -> GroupPlace | None:
        """What creating a group named ``name`` in this scope's VPC ``vpc_id`` (``None``:
        the default VPC) must check, read at once; ``None`` when there is no such VPC."""

    def rule_specs_of(self, group_id: str) -> list[RuleSpec]:
        """The identities of one group's rules, in no particular order: what a new rule
        is checked against (duplicates, quota) without reading ids, descriptions or tags."""

    def list_rules(self) -> list[SecurityGroupRule]:
        """Every rule of this scope, in creation order."""

    def rules_referencing_group(self, group_id: str) -> list[SecurityGroupRule]:
        """Rules (of any group in any scope) whose peer is this group."""

    def rules_referencing_prefix_list(self, prefix_list_id: str) -> list[SecurityGroupRule]: ...
    def put_rules(self, rules: Iterable[SecurityGroupRule]) -> None:
        """Insert or replace rules (replacing keeps the rule id)."""

    def add_rules(self, group: SecurityGroup, rules: Iterable[SecurityGroupRule]) -> None:
        """Insert rules with fresh ids, all of ``group`` (whose scope their rows take)."""

    def delete_rules(self, rule_ids: Iterable[str]) -> None: ...

    # -- prefix lists --------------------------------------------------------------------------
    def get_prefix_list(self, prefix_list_id: str) -> PrefixList | None:
        """With the current version's entries."""

    def list_prefix_lists(self) -> list[PrefixList]: ...
    def prefix_list_entries(
        self, prefix_list_id: str, version: int
    ) -> list[PrefixListEntry] | None:
        """The entries as of a past or current version; None if that version is unknown."""

    def put_prefix_list(self, prefix_list: PrefixList) -> None:
        """Insert or replace; when ``version`` is new, its entries become that version."""

    def delete_prefix_list(self, prefix_list_id: str) -> None: ...

    # -- interfaces and instances -----------------------------------------------------------
    def get_interface(self, eni_id: str) -> NetworkInterface | None: ...
    def list_interfaces(
        self,
        vpc_id: str | None = None,
        subnet_id: str | None = None,
        instance_id: str | None = None,
        group_id: str | None = None,
    ) -> list[NetworkInterface]: ...
    def put_interface(self, eni: NetworkInterface) -> None: ...
    def delete_interface(self, eni_id: str) -> None: ...
    def used_private_ips(self, subnet_id: str) -> set[str]: ...
    def used_public_ips(self) -> set[str]:
        """Public IPv4s in use across every scope (one shared pool): on interfaces, or
        allocated as Elastic IPs."""

    def count_interfaces(self) -> int: ...

    def get_instance(self, instance_id: str) -> Instance | None: ...
    def list_instances(self, instance_ids: Sequence[str] | None = None) -> list[Instance]: ...
    def instance_ids(self) -> list[str]:
        """This scope's instance ids (terminated ones too), without loading the instances."""

    def put_instance(self, instance: Instance) -> None: ...

    # -- NAT gateways, egress-only internet gateways, Elastic IPs ----------------------------
    def get_nat_gateway(self, nat_gateway_id: str) -> NatGateway | None: ...
    def list_nat_gateways(
        self, vpc_id: str | None = None, subnet_id: str | None = None
    ) -> list[NatGateway]:
        """This scope's NAT gateways, deleted ones included (AWS shows them for a while)."""

    def put_nat_gateway(self, nat: NatGateway) -> None: ...

    def get_egress_only_internet_gateway(
        self, eigw_id: str
    ) -> EgressOnlyInternetGateway | None: ...
    def list_egress_only_internet_gateways(
        self, vpc_id: str | None = None
    ) -> list[EgressOnlyInternetGateway]: ...
    def put_egress_only_internet_gateway(self, eigw: EgressOnlyInternetGateway) -> None: ...
    def delete_egress_only_internet_gateway(self, eigw_id: str) -> None: ...

    def get_elastic_ip(self, allocation_id: str) -> ElasticIp | None: ...
    def list_elastic_ips(self) -> list[ElasticIp]: ...
    def put_elastic_ip(self, eip: ElasticIp) -> None: ...
    def delete_elastic_ip(self, allocation_id: str) -> None: ...
    # -- route tables ---------------------------------------------------------------------
    def get_route_table(self, route_table_id: str) -> RouteTable | None:
        """With its routes and associations."""

    def list_route_tables(self, vpc_id: str | None = None) -> list[RouteTable]: ...
    def route_table_by_association(self, association_id: str) -> RouteTable | None:
        """The table of this scope holding the ``rtbassoc-`` association; None if none."""

    def put_route_table(self, table: RouteTable) -> None:
        """Insert or replace a table with all its routes and associations."""

    def delete_route_table(self, route_table_id: str) -> None: ...

    # -- network ACLs ---------------------------------------------------------------------
    def get_network_acl(self, network_acl_id: str) -> NetworkAcl | None:
        """With its entries and associations."""

    def list_network_acls(self, vpc_id: str | None = None) -> list[NetworkAcl]: ...
    def network_acl_by_association(self, association_id: str) -> NetworkAcl | None:
        """The ACL of this scope holding the ``aclassoc-`` association; None if none."""

    def network_acl_of_subnet(self, subnet_id: str) -> NetworkAcl | None:
        """The ACL the subnet is associated with."""

    def put_network_acl(self, acl: NetworkAcl) -> None:
        """Insert or replace an ACL with all its entries and associations."""

    def delete_network_acl(self, network_acl_id: str) -> None: ...

    # -- tags -------------------------------------------------------------------------------
    def tags_of(self, resource_id: str) -> dict[str, str]: ...
    def set_tags(self, resource_id: str, tags: dict[str, str]) -> None:
        """Replace all tags of a resource (an empty dict removes them)."""

    def list_tags(self) -> list[tuple[str, str, str]]:
        """(resource_id, key, value) for every tagged resource of this scope."""

    # -- VPC peering connections ----------------------------------------------------------
    def get_peering(self, pcx_id: str) -> VpcPeeringConnection | None:
        """The peering of that id if either side is in this scope, else None."""

    def list_peerings(self, vpc_id: str | None = None) -> list[VpcPeeringConnection]:
        """Peerings with a side in this scope (and, given ``vpc_id``, a side in that VPC),
        in creation order, whatever their status."""

    def put_peering(self, peering: VpcPeeringConnection) -> None: ...
    def peered_scopes(self) -> list[Scope]:
        """Other scopes joined to this one by an active peering (a cross-account flow is
        evaluated over this scope's snapshot merged with theirs)."""

    def find_vpc(self, vpc_id: str) -> Vpc | None:
        """A VPC of any scope by id (a peering's other side); None if absent."""

    # -- everything at once -----------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """All of this scope's resources (and groups referenced from other scopes, and the
        peerings with a side in this scope)."""

    def touch(self, *resource_ids: str) -> None:
        """Record resources changed by this transaction (for the change log)."""

    # -- Reachability Analyzer (network insights) -------------------------------------------
    def get_network_insights_path(self, path_id: str) -> NetworkInsightsPath | None: ...
    def list_network_insights_paths(self) -> list[NetworkInsightsPath]: ...
    def put_network_insights_path(self, path: NetworkInsightsPath) -> None: ...
    def delete_network_insights_path(self, path_id: str) -> None: ...
    def get_network_insights_analysis(self, analysis_id: str) -> NetworkInsightsAnalysis | None: ...
    def list_network_insights_analyses(
        self, path_id: str | None = None
    ) -> list[NetworkInsightsAnalysis]:
        """This scope's analyses (of one path, given ``path_id``), oldest first."""

    def put_network_insights_analysis(self, analysis: NetworkInsightsAnalysis) -> None: ...
    def delete_network_insights_analysis(self, analysis_id: str) -> None: ...

    # -- VPC Flow Logs ----------------------------------------------------------------------
    def get_flow_log(self, flow_log_id: str) -> FlowLog | None: ...
    def list_flow_logs(self) -> list[FlowLog]:
        """This scope's flow logs, oldest first."""

    def put_flow_log(self, flow_log: FlowLog) -> None: ...
    def delete_flow_log(self, flow_log_id: str) -> None: ...

    # -- resource settings (attributes of resources without a row of their own) ----------------
    def settings_of(self, resource_id: str) -> dict[str, Any]: ...
    def set_setting(self, resource_id: str, name: str, value: Any | None) -> None:
        """Replace one setting (``None`` removes it)."""

    def drop_settings(self, resource_id: str) -> None: ...
    def list_settings(self, name: str) -> dict[str, Any]:
        """This scope's values of one setting, by resource id."""

    def list_settings_with_tags(self, name: str) -> dict[str, tuple[Any, Tags]]:
        """:meth:`list_settings` with each resource's tags (sorted by key), in one read."""


class CommitCounts(Protocol):
    """How many commits carried how many write calls (``group_commit.CommitStats``; named
    here by shape, as group_commit imports this module)."""

    @property
    def commits(self) -> int: ...
    @property
    def calls(self) -> int: ...


class StoreUrl(Protocol):
    """Where a store lives, as a URL that can be shown without its password."""

    def render_as_string(self, hide_password: bool = True) -> str: ...


class Store(Protocol):
    """What a caller needs from an open store: transactions, the revision and the change
    log. Everything but :meth:`SqlStore.open` is here, so the API server, the service
    context, the data-plane agent and the importer/exporter take any store."""

    @property
    def url(self) -> StoreUrl: ...

    #: What an acknowledged write survives: ``full`` (the disk) or ``process`` (a crash of
    #: this process, not of the machine); ``engines.SQLITE_SYNCHRONOUS`` says more.
    durability: str

    def write(self, scope: Scope) -> AbstractContextManager[Transaction]:
        """A serialised read-write transaction; commits on success, rolls back on error."""

    @property
    def held_writes_supported(self) -> bool:
        """Whether :meth:`hold_writes` can ever hold the writer (else it always raises
        :class:`WouldBlock`)."""

    def hold_writes(self, single: bool = False) -> HeldWrites:
        """From now, every write transaction this thread opens joins one shared
        transaction, each call in its own savepoint (a failed call undoes only its own
        work), until :meth:`HeldWrites.commit` -- nothing of it is durable before.
        ``single``: a run of one call, whose first write needs no savepoint (if it fails,
        the whole transaction is rolled back; a later write of the run then fails).
        Raises :class:`WouldBlock`, having done nothing, if that would mean waiting for
        another writer (stores without group commit always raise it)."""

    def held_writes(self) -> AbstractContextManager[None]:
        """:meth:`hold_writes` for a block, committed on leaving it."""

    def after_durable(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this thread's last write transaction is durable: now,
        unless the thread holds a run (:meth:`hold_writes`), then after the run commits --
        never if it fails. For facts a caller may remember only once they are on disk."""

    def read(self, scope: Scope) -> AbstractContextManager[Transaction]:
        """A consistent read-only view; never bumps the revision."""

    def revision(self) -> int:
        """The revision of the last committed write (0 for a new store)."""

    def scopes(self) -> list[Scope]:
        """Every (account, region) holding state, sorted."""

    def changes_since(self, revision: int) -> list[Change]:
        """Every committed change after ``revision``, oldest first (from any process)."""

    def wait_for_change(self, revision: int, timeout: float) -> int:
        """Block until the revision passes ``revision`` or ``timeout`` seconds elapse;
        returns the current revision."""

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``callback(change)`` after each commit through this object; returns an
        unsubscribe function."""

    def commit_stats(self) -> CommitCounts | None:
        """How many commits carried how many write calls (``None``: no group commit)."""

    def close(self) -> None:
        """Release the store's connections; the object cannot be used afterwards."""
