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
from typing import Protocol

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.routing import RouteTable
from stockade.domain.scope import Scope
from stockade.domain.security_group import SecurityGroup, SecurityGroupRule
from stockade.domain.state import Snapshot


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
        """Public IPv4s in use across every scope (one shared pool)."""

    def count_interfaces(self) -> int: ...

    def get_instance(self, instance_id: str) -> Instance | None: ...
    def list_instances(self, instance_ids: Sequence[str] | None = None) -> list[Instance]: ...
    def put_instance(self, instance: Instance) -> None: ...

    # -- route tables ---------------------------------------------------------------------
    def get_route_table(self, route_table_id: str) -> RouteTable | None:
        """With its routes and associations."""

    def list_route_tables(self, vpc_id: str | None = None) -> list[RouteTable]: ...
    def route_table_by_association(self, association_id: str) -> RouteTable | None:
        """The table of this scope holding the ``rtbassoc-`` association; None if none."""

    def put_route_table(self, table: RouteTable) -> None:
        """Insert or replace a table with all its routes and associations."""

    def delete_route_table(self, route_table_id: str) -> None: ...

    # -- tags -------------------------------------------------------------------------------
    def tags_of(self, resource_id: str) -> dict[str, str]: ...
    def set_tags(self, resource_id: str, tags: dict[str, str]) -> None:
        """Replace all tags of a resource (an empty dict removes them)."""

    def list_tags(self) -> list[tuple[str, str, str]]:
        """(resource_id, key, value) for every tagged resource of this scope."""

    # -- everything at once -----------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """All of this scope's resources (and groups referenced from other scopes)."""

    def touch(self, *resource_ids: str) -> None:
        """Record resources changed by this transaction (for the change log)."""


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

    def write(self, scope: Scope) -> AbstractContextManager[Transaction]:
        """A serialised read-write transaction; commits on success, rolls back on error."""

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
