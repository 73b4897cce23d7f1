"""Small hand-built snapshots for audit and reachability tests."""

from __future__ import annotations

from dataclasses import replace

from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    default_entries,
    deny_all_entries,
    entry,
)
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.scope import Scope
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.state import Snapshot

SCOPE = Scope("123456789012", "us-east-1")
VPC = "vpc-0000000000000000a"
SUBNET = "subnet-0000000000000000a"


def peer(value: str) -> Peer:
    if value.startswith("sg-"):
        return Peer(PeerKind.GROUP, value, SCOPE.account)
    if value.startswith("pl-"):
        return Peer(PeerKind.PREFIX_LIST, value)
    return Peer(PeerKind.CIDR_V6 if ":" in value else PeerKind.CIDR_V4, value)


def group_id(name: str) -> str:
    """``sg-`` + 17 hex digits derived from a short name (``web`` → ``sg-…776562``)."""
    return "sg-" + name.encode().hex().rjust(17, "0")[-17:]


def rule_id(group: str, n: int) -> str:
    """The n-th rule of a group built here."""
    return f"sgr-{group[-14:]}{n:03x}"


def world(
    groups: dict[str, list[tuple]],
    *,
    public: bool = True,
    gateway: bool = True,
    attached: dict[str, list[str]] | None = None,
    prefix_lists: dict[str, list[str]] | None = None,
    state: InstanceState = InstanceState.RUNNING,
) -> Snapshot:
    """``groups``: id -> [(egress, protocol, from, to, peer), …]. ``attached``: instance
    name -> group ids (default: one instance carrying every group), each in ``state``."""
    sgs, rules = [], []
    for gid, specs in groups.items():
        sgs.append(
            SecurityGroup(gid, gid.removeprefix("sg-"), gid, VPC, SCOPE.account, SCOPE.region)
        )
        for n, (egress, proto, lo, hi, target) in enumerate(specs):
            rules.append(
                SecurityGroupRule(
                    rule_id(gid, n),
                    gid,
                    SCOPE.account,
                    RuleSpec(egress, proto, lo, hi, peer(target)),
                    description=f"rule {n}",
                )
            )
    attached = attached if attached is not None else {"a": list(groups)}
    enis, instances = [], []
    for n, (name, gids) in enumerate(sorted(attached.items()), start=1):
        eni_id, instance_id = f"eni-{n:017x}", f"i-{n:017x}"
        enis.append(
            NetworkInterface(
                eni_id,
                SCOPE.account,
                SCOPE.region,
                VPC,
                SUBNET,
                "us-east-1a",
                f"10.0.0.{10 + n}",
                f"0e:00:00:00:00:{n:02x}",
                tuple(gids),
                ipv6_addresses=(f"2001:db8:1:1::{n:x}",),
                public_ip=f"203.0.113.{n}" if public else None,
                instance_id=instance_id,
                device_index=0,
            )
        )
        instances.append(
            Instance(
                instance_id,
                SCOPE.account,
                SCOPE.region,
                "r-0",
                VPC,
                SUBNET,
                "us-east-1a",
                "ami-0",
                "t3.micro",
                state,
                "2024-01-01T00:00:00+00:00",
                eni_id,
                tags=(("Name", name),),
            )
        )
    lists = tuple(
        PrefixList(
            pl,
            pl,
            "IPv6" if ":" in cidrs[0] else "IPv4",
            10,
            1,
            SCOPE.account,
            SCOPE.region,
            tuple(PrefixListEntry(c) for c in cidrs),
        )
        for pl, cidrs in (prefix_lists or {}).items()
    )
    return Snapshot(
        vpcs=(Vpc(VPC, SCOPE.account, SCOPE.region, "10.0.0.0/16", "2001:db8:1::/56"),),
        subnets=(
            Subnet(
                SUBNET, VPC, SCOPE.account, SCOPE.region, "10.0.0.0/24", "us-east-1a", "use1-az1"
            ),
        ),
        internet_gateways=(
            InternetGateway("igw-0000000000000000a", SCOPE.account, SCOPE.region, VPC),
        )
        if gateway
        else (),
        groups=tuple(sgs),
        rules=tuple(rules),
        prefix_lists=lists,
        interfaces=tuple(enis),
        instances=tuple(instances),
    )


ACL = "acl-0000000000000000a"


def acl_entry(
    number: int,
    egress: bool,
    action: str,
    protocol: str,
    cidr: str,
    ports: tuple[int, int] | None = None,
    icmp: tuple[int, int] | None = None,
) -> NetworkAclEntry:
    """One entry, checked as CreateNetworkAclEntry checks it."""
    v6 = ":" in cidr
    return entry(
        number,
        egress,
        action,
        protocol,
        None if v6 else cidr,
        cidr if v6 else None,
        port_range=ports,
        icmp=icmp,
    )


def with_acl(
    snapshot: Snapshot,
    *entries: NetworkAclEntry,
    acl_id: str = ACL,
    subnets: tuple[str, ...] = (SUBNET,),
) -> Snapshot:
    """The snapshot with a custom ACL of those entries (and its ``*`` denies) on
    ``subnets`` (none: an ACL filtering nothing), next to the VPC's default ACL."""
    custom = NetworkAcl(
        acl_id,
        VPC,
        SCOPE.account,
        SCOPE.region,
        False,
        (*entries, *deny_all_entries(True)),
        tuple(NetworkAclAssociation(f"aclassoc-{n:017x}", s) for n, s in enumerate(subnets)),
    )
    default = NetworkAcl(
        "acl-00000000000000def", VPC, SCOPE.account, SCOPE.region, True, default_entries(True)
    )
    return replace(snapshot, network_acls=(*snapshot.network_acls, default, custom))
