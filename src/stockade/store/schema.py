"""The store's tables, as SQLAlchemy Core metadata (the single source of truth for the schema).

Design notes, so the reasons survive the next migration:

* Every resource table has a ``seq`` column. ``list_*`` must return objects in creation
  order, and the natural keys are random AWS-style ids, so creation order is recorded
  explicitly. Values come from ``store_revision.next_seq``, a store-wide counter that
  writers bump under the write lock, so the column is portable (no dialect-specific
  autoincrement on a non-key column) and replacing an object keeps its ``seq``.
* Every resource row carries ``account``/``region`` so ``list_*`` and ``snapshot()`` can
  select one scope with an index, while id lookups stay global (ids are unique).
* ``security_groups.name_key`` is ``lower(name)`` computed in Python: EC2 compares group
  names case-insensitively, and a plain column with a unique constraint enforces that on
  every database without expression indexes.
* ``sg_rules.peer_owner`` is ``''`` (never NULL) for peers without an owner, because NULLs
  are distinct in unique constraints and the rule-identity constraint would not hold.
* ``prefix_list_entries`` keeps history: a row is valid for versions
  ``first_version..last_version`` (``last_version`` NULL = still current), so
  ``prefix_list_entries(id, version)`` can answer for past versions.
* Foreign keys exist only where a row is owned by another row (rules by their group,
  entries by their prefix list, membership/address rows by their interface). References
  between resources (subnet → VPC, rule → peer group, …) are checked by the service layer,
  which must produce EC2's error codes rather than integrity errors.
* Every index is one more b-tree insert per row (migration 0009 measured ~4-6 us each on
  SQLite), so the hot tables carry only indexes a query uses: a group's rules are found
  through the rule-identity constraint (it starts with ``group_id``), and the peer index
  holds only rules whose peer is a group or a prefix list (:data:`REFERENCE_PEERS`).
* ``scope_counts`` holds each scope's number of security groups (the quota check reads one
  row instead of counting thousands). Triggers on ``security_groups`` keep it, created by
  migration 0009 (dialect-specific SQL, not part of this metadata): a later migration that
  rebuilds ``security_groups`` (SQLite batch mode copies the table and drops its triggers)
  must create them again.
* ``change_log.revision`` is SQLite's ``INTEGER PRIMARY KEY`` (the rowid: one b-tree, not
  two), PostgreSQL's ``BIGINT``.
* ``sg_rules`` and ``security_groups`` are keyed by ``seq`` (SQLite's rowid; the id is a
  unique constraint) and have no scope index (migration 0012): their rows are stored in
  creation order, so a scope's rules or groups are one pass over the table in key order
  with no sort, and a write adds no ``(account, region, seq)`` entry -- on SQLite every
  b-tree a write touches is one more WAL frame on the commit the caller waits for. A
  store with many scopes reads the others' rows too when it lists one; the by-id,
  by-name, by-group and by-reference look-ups (every call on the write path) keep their
  indexes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)

#: Deterministic constraint names, so migrations can refer to (and drop) them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _scope_columns() -> list[Column]:
    """The columns every resource row carries: creation order and (account, region)."""
    return [
        Column("seq", BigInteger, nullable=False),
        Column("account", String, nullable=False),
        Column("region", String, nullable=False),
    ]


vpcs = Table(
    "vpcs",
    metadata,
    Column("vpc_id", String, primary_key=True),
    *_scope_columns(),
    Column("cidr_block", String, nullable=False),
    Column("ipv6_cidr_block", String),
    Column("is_default", Boolean, nullable=False),
    Column("state", String, nullable=False),
    Column("instance_tenancy", String, nullable=False),
    Column("dhcp_options_id", String, nullable=False),
    Column("enable_dns_support", Boolean, nullable=False),
    Column("enable_dns_hostnames", Boolean, nullable=False),
    Column("enable_network_address_usage_metrics", Boolean, nullable=False),
    #: the IPv4 blocks after the primary, a JSON list in association order (0011); NULL: none
    Column("secondary_cidr_blocks", Text),
    Index("ix_vpcs_scope", "account", "region", "seq"),
)

subnets = Table(
    "subnets",
    metadata,
    Column("subnet_id", String, primary_key=True),
    *_scope_columns(),
    Column("vpc_id", String, nullable=False, index=True),
    Column("cidr_block", String, nullable=False),
    Column("availability_zone", String, nullable=False),
    Column("availability_zone_id", String, nullable=False),
    Column("ipv6_cidr_block", String),
    Column("map_public_ip_on_launch", Boolean, nullable=False),
    Column("assign_ipv6_address_on_creation", Boolean, nullable=False),
    Column("default_for_az", Boolean, nullable=False),
    Column("state", String, nullable=False),
    Index("ix_subnets_scope", "account", "region", "seq"),
)

internet_gateways = Table(
    "internet_gateways",
    metadata,
    Column("igw_id", String, primary_key=True),
    *_scope_columns(),
    Column("vpc_id", String, index=True),
    Index("ix_internet_gateways_scope", "account", "region", "seq"),
)

nat_gateways = Table(
    "nat_gateways",
    metadata,
    Column("nat_gateway_id", String, primary_key=True),
    *_scope_columns(),
    Column("vpc_id", String, nullable=False, index=True),
    Column("subnet_id", String, nullable=False, index=True),
    Column("private_ip", String, nullable=False),
    Column("create_time", String, nullable=False),
    Column("connectivity_type", String, nullable=False),
    Column("state", String, nullable=False),
    Column("allocation_id", String),
    Column("public_ip", String),
    Column("network_interface_id", String),
    Column("delete_time", String),
    Column("client_token", String),
    Index("ix_nat_gateways_scope", "account", "region", "seq"),
)

egress_only_internet_gateways = Table(
    "egress_only_internet_gateways",
    metadata,
    Column("egress_only_internet_gateway_id", String, primary_key=True),
    *_scope_columns(),
    Column("vpc_id", String, index=True),
    Index("ix_egress_only_internet_gateways_scope", "account", "region", "seq"),
)

#: ``public_ip`` is unique across every scope: the public pool is shared, and an address
#: is held by one allocation at a time.
elastic_ips = Table(
    "elastic_ips",
    metadata,
    Column("allocation_id", String, primary_key=True),
    *_scope_columns(),
    Column("public_ip", String, nullable=False, unique=True),
    Column("domain", String, nullable=False),
    Column("public_ipv4_pool", String, nullable=False),
    Column("association_id", String, index=True),
    Column("network_interface_id", String, index=True),
    Column("private_ip", String),
    Column("instance_id", String),
    Column("nat_gateway_id", String),
    Index("ix_elastic_ips_scope", "account", "region", "seq"),
)

#: The key of the two tables every create and authorize writes: SQLite's
#: ``INTEGER PRIMARY KEY`` -- the rowid itself --, PostgreSQL's ``BIGINT`` (module docstring).
_SEQ_KEY = BigInteger().with_variant(Integer, "sqlite")

security_groups = Table(
    "security_groups",
    metadata,
    Column("group_id", String, nullable=False, unique=True),
    Column("seq", _SEQ_KEY, primary_key=True, autoincrement=False),
    Column("account", String, nullable=False),
    Column("region", String, nullable=False),
    Column("vpc_id", String, nullable=False),
    Column("name", String, nullable=False),
    Column("name_key", String, nullable=False),
    Column("description", String, nullable=False),
    UniqueConstraint("vpc_id", "name_key"),
)

#: The rules ``ix_sg_rules_reference`` holds: those whose peer is looked up by value. A query
#: that wants the index must repeat this condition as is (SQLite matches it word for word).
REFERENCE_PEERS = text("peer_kind IN ('group', 'prefix-list')")

sg_rules = Table(
    "sg_rules",
    metadata,
    Column("rule_id", String, nullable=False, unique=True),
    Column("seq", _SEQ_KEY, primary_key=True, autoincrement=False),
    Column("account", String, nullable=False),
    Column("region", String, nullable=False),
    Column(
        "group_id",
        String,
        ForeignKey("security_groups.group_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("owner_id", String, nullable=False),
    Column("is_egress", Boolean, nullable=False),
    Column("protocol", String, nullable=False),
    Column("from_port", Integer, nullable=False),
    Column("to_port", Integer, nullable=False),
    Column("peer_kind", String, nullable=False),
    Column("peer_value", String, nullable=False),
    Column("peer_owner", String, nullable=False),  # '' when the peer has no owner
    Column("description", String),
    UniqueConstraint(
        "group_id",
        "is_egress",
        "protocol",
        "from_port",
        "to_port",
        "peer_kind",
        "peer_value",
        "peer_owner",
        name="uq_sg_rules_identity",
    ),
    Index(
        "ix_sg_rules_reference",
        "peer_value",
        "peer_kind",
        sqlite_where=REFERENCE_PEERS,
        postgresql_where=REFERENCE_PEERS,
    ),
)

prefix_lists = Table(
    "prefix_lists",
    metadata,
    Column("prefix_list_id", String, primary_key=True),
    *_scope_columns(),
    Column("name", String, nullable=False),
    Column("address_family", String, nullable=False),
    Column("max_entries", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("first_version", Integer, nullable=False),  # oldest version with known entries
    Column("state", String, nullable=False),
    Index("ix_prefix_lists_scope", "account", "region", "seq"),
)

prefix_list_entries = Table(
    "prefix_list_entries",
    metadata,
    Column(
        "prefix_list_id",
        String,
        ForeignKey("prefix_lists.prefix_list_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("cidr", String, primary_key=True),
    Column("first_version", Integer, primary_key=True),
    Column("last_version", Integer),  # NULL: part of the current version
    Column("description", String),
)

network_interfaces = Table(
    "network_interfaces",
    metadata,
    Column("eni_id", String, primary_key=True),
    *_scope_columns(),
    Column("vpc_id", String, nullable=False, index=True),
    Column("subnet_id", String, nullable=False, index=True),
    Column("availability_zone", String, nullable=False),
    Column("private_ip", String, nullable=False),
    Column("mac_address", String, nullable=False),
    Column("public_ip", String, index=True),
    Column("associate_public_ip", Boolean, nullable=False),
    Column("instance_id", String, index=True),
    Column("device_index", Integer),
    Column("attachment_id", String),
    Column("delete_on_termination", Boolean, nullable=False),
    Column("description", String, nullable=False),
    Column("source_dest_check", Boolean, nullable=False),
    Column("tcp_established_timeout", Integer, nullable=False),
    Column("udp_stream_timeout", Integer, nullable=False),
    Column("udp_timeout", Integer, nullable=False),
    Column("connection_tracking_set", Boolean, nullable=False),
    Column("interface_type", String, nullable=False),
    Index("ix_network_interfaces_scope", "account", "region", "seq"),
)

eni_groups = Table(
    "eni_groups",
    metadata,
    Column(
        "eni_id",
        String,
        ForeignKey("network_interfaces.eni_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("group_id", String, nullable=False, index=True),
)

eni_secondary_ipv4_addresses = Table(
    "eni_secondary_ipv4_addresses",
    metadata,
    Column(
        "eni_id",
        String,
        ForeignKey("network_interfaces.eni_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("address", String, nullable=False, index=True),
)

eni_ipv6_addresses = Table(
    "eni_ipv6_addresses",
    metadata,
    Column(
        "eni_id",
        String,
        ForeignKey("network_interfaces.eni_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("address", String, nullable=False, index=True),
)

instances = Table(
    "instances",
    metadata,
    Column("instance_id", String, primary_key=True),
    *_scope_columns(),
    Column("reservation_id", String, nullable=False),
    Column("vpc_id", String, nullable=False),
    Column("subnet_id", String, nullable=False),
    Column("availability_zone", String, nullable=False),
    Column("image_id", String, nullable=False),
    Column("instance_type", String, nullable=False),
    Column("state", String, nullable=False),
    Column("launch_time", String, nullable=False),
    Column("primary_eni_id", String, nullable=False),
    Column("key_name", String),
    Index("ix_instances_scope", "account", "region", "seq"),
)

route_tables = Table(
    "route_tables",
    metadata,
    Column("route_table_id", String, primary_key=True),
    *_scope_columns(),
    Column("vpc_id", String, nullable=False, index=True),
    Index("ix_route_tables_scope", "account", "region", "seq"),
)

#: A table's routes in their order (``position``); the destination is unique per table.
route_table_routes = Table(
    "route_table_routes",
    metadata,
    Column(
        "route_table_id",
        String,
        ForeignKey("route_tables.route_table_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("destination", String, nullable=False),
    Column("target", String, nullable=False),
    Column("origin", String, nullable=False),
    Column("instance_id", String),
    UniqueConstraint("route_table_id", "destination"),
)

#: Associations by their own id (DisassociateRouteTable names only that); a subnet has at
#: most one explicit association (the unique ``subnet_id``; NULLs are distinct).
route_table_associations = Table(
    "route_table_associations",
    metadata,
    Column("association_id", String, primary_key=True),
    Column(
        "route_table_id",
        String,
        ForeignKey("route_tables.route_table_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False),
    Column("main", Boolean, nullable=False),
    Column("subnet_id", String, unique=True),
    Column("gateway_id", String),
)

network_acls = Table(
    "network_acls",
    metadata,
    Column("network_acl_id", String, primary_key=True),
    *_scope_columns(),
    Column("vpc_id", String, nullable=False, index=True),
    Column("is_default", Boolean, nullable=False),
    Index("ix_network_acls_scope", "account", "region", "seq"),
)

#: An ACL's entries, keyed as AWS keys them: (direction, rule number). Ports only for
#: TCP/UDP, ICMP type/code only for ICMP; NULL otherwise.
network_acl_entries = Table(
    "network_acl_entries",
    metadata,
    Column(
        "network_acl_id",
        String,
        ForeignKey("network_acls.network_acl_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("egress", Boolean, primary_key=True),
    Column("rule_number", Integer, primary_key=True),
    Column("rule_action", String, nullable=False),
    Column("protocol", String, nullable=False),
    Column("cidr", String, nullable=False),
    Column("port_from", Integer),
    Column("port_to", Integer),
    Column("icmp_type", Integer),
    Column("icmp_code", Integer),
)

#: Subnet associations by their own id (ReplaceNetworkAclAssociation names only that); a
#: subnet has exactly one (the unique ``subnet_id``).
network_acl_associations = Table(
    "network_acl_associations",
    metadata,
    Column("association_id", String, primary_key=True),
    Column(
        "network_acl_id",
        String,
        ForeignKey("network_acls.network_acl_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False),
    Column("subnet_id", String, nullable=False, unique=True),
)

#: One row per peering, seen from both sides: ``account``/``region`` are the requester's,
#: ``accepter_account``/``accepter_region`` the accepter's (indexed: each scope lists the
#: peerings with either side in it). Address blocks are JSON arrays, as last seen.
vpc_peering_connections = Table(
    "vpc_peering_connections",
    metadata,
    Column("vpc_peering_connection_id", String, primary_key=True),
    *_scope_columns(),
    Column("requester_vpc_id", String, nullable=False, index=True),
    Column("requester_cidr_blocks", Text, nullable=False),
    Column("requester_ipv6_cidr_blocks", Text, nullable=False),
    Column("requester_allow_dns", Boolean, nullable=False),
    Column("accepter_vpc_id", String, nullable=False, index=True),
    Column("accepter_account", String, nullable=False),
    Column("accepter_region", String, nullable=False),
    Column("accepter_cidr_blocks", Text, nullable=False),
    Column("accepter_ipv6_cidr_blocks", Text, nullable=False),
    Column("accepter_allow_dns", Boolean, nullable=False),
    Column("status", String, nullable=False),
    Column("status_message", String, nullable=False),
    Column("expiration_time", String),
    Index("ix_vpc_peering_connections_scope", "account", "region", "seq"),
    Index("ix_vpc_peering_connections_accepter", "accepter_account", "accepter_region", "seq"),
)

tags = Table(
    "tags",
    metadata,
    Column("resource_id", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("account", String, nullable=False),
    Column("region", String, nullable=False),
    Column("value", String, nullable=False),
    Index("ix_tags_scope", "account", "region"),
)

#: Attributes AWS keeps on a resource that stockade has no row of its own for (an
#: instance's monitoring and metadata options and instance-profile association, a root
#: volume's size and type, an Elastic IP's PTR record, a DHCP options set's
#: configurations): one JSON value per (resource, name), scoped like tags (migration 0010).
resource_settings = Table(
    "resource_settings",
    metadata,
    Column("resource_id", String, primary_key=True),
    Column("name", String, primary_key=True),
    Column("account", String, nullable=False),
    Column("region", String, nullable=False),
    Column("value", Text, nullable=False),
    Index("ix_resource_settings_scope", "account", "region", "name"),
)

partitions = Table(
    "partitions",
    metadata,
    Column("account", String, primary_key=True),
    Column("region", String, primary_key=True),
    Column("initialized", Boolean, nullable=False),
)

#: Exactly one row (id = 1): the revision and the creation-order counter. Writers lock it.
store_revision = Table(
    "store_revision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("revision", BigInteger, nullable=False),
    Column("next_seq", BigInteger, nullable=False),
)

change_log = Table(
    "change_log",
    metadata,
    Column(
        "revision",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("account", String, nullable=False),
    Column("region", String, nullable=False),
    Column("resource_ids", Text, nullable=False),  # JSON array of ids
    Column("committed_at", DateTime(timezone=True), nullable=False),
)

#: Each scope's number of security groups, kept by triggers (module docstring).
scope_counts = Table(
    "scope_counts",
    metadata,
    Column("account", String, primary_key=True),
    Column("region", String, primary_key=True),
    Column("security_groups", BigInteger, nullable=False),
)

#: The id of the single ``store_revision`` row.
REVISION_ROW_ID = 1
#: The row's id written into a statement's text (the hot statements then bind only what
#: their callers give: see ``prepared.py``).
REVISION_ROW: ColumnElement[int] = literal_column(str(REVISION_ROW_ID))

#: Reachability Analyzer paths (migration 0006). Filters are JSON objects (``PathFilter``'s
#: fields), NULL when the path has none.
network_insights_paths = Table(
    "network_insights_paths",
    metadata,
    Column("path_id", String, primary_key=True),
    *_scope_columns(),
    Column("created_date", String, nullable=False),
    Column("source", String, nullable=False),
    Column("destination", String),
    Column("source_ip", String),
    Column("destination_ip", String),
    Column("protocol", String, nullable=False),
    Column("destination_port", Integer),
    Column("filter_at_source", Text),
    Column("filter_at_destination", Text),
    Column("client_token", String),
    Index("ix_network_insights_paths_scope", "account", "region", "seq"),
)

#: Their analyses, each with its result as it was when it ran (``findings``: the EC2 shapes,
#: JSON). A path with analyses cannot be deleted (AWS's rule), so no cascade is needed.
network_insights_analyses = Table(
    "network_insights_analyses",
    metadata,
    Column("analysis_id", String, primary_key=True),
    *_scope_columns(),
    Column("path_id", String, nullable=False, index=True),
    Column("start_date", String, nullable=False),
    Column("status", String, nullable=False),
    Column("status_message", String),
    Column("warning_message", String),
    Column("findings", Text, nullable=False),
    Column("additional_accounts", Text, nullable=False),  # JSON arrays
    Column("filter_in_arns", Text, nullable=False),
    Column("filter_out_arns", Text, nullable=False),
    Column("client_token", String),
    Index("ix_network_insights_analyses_scope", "account", "region", "seq"),
)

#: VPC Flow Logs (migration 0008): one row per flow log, of one VPC, subnet or interface.
#: The destination is stored as given; stockade delivers records to its local files only.
flow_logs = Table(
    "flow_logs",
    metadata,
    Column("flow_log_id", String, primary_key=True),
    *_scope_columns(),
    Column("creation_time", String, nullable=False),
    Column("resource_id", String, nullable=False, index=True),
    Column("traffic_type", String, nullable=False),
    Column("log_destination_type", String, nullable=False),
    Column("log_destination", String),
    Column("log_group_name", String),
    Column("deliver_logs_permission_arn", String),
    Column("log_format", Text, nullable=False),
    Column("max_aggregation_interval", Integer, nullable=False),
    Index("ix_flow_logs_scope", "account", "region", "seq"),
)
