"""NetworkAcl shapes (DescribeNetworkAcls, CreateNetworkAcl).

What AWS leaves out stays out, because clients compare whole dicts (Ansible's
``ec2_vpc_nacl`` re-creates every entry whose dict differs): ``PortRange`` only on TCP/UDP
entries, ``IcmpTypeCode`` only on ICMP ones, ``CidrBlock`` only on IPv4 entries and
``Ipv6CidrBlock`` only on IPv6 ones.
"""

from __future__ import annotations

from typing import Any

from stockade.domain.network_acl import NetworkAcl, NetworkAclAssociation, NetworkAclEntry
from stockade.shapes import tag_list


def entry(e: NetworkAclEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"CidrBlock" if e.family == 4 else "Ipv6CidrBlock": e.cidr}
    out["Egress"] = e.egress
    if e.icmp_type is not None:
        out["IcmpTypeCode"] = {"Code": e.icmp_code, "Type": e.icmp_type}
    if e.port_range is not None:
        out["PortRange"] = {"From": e.port_range[0], "To": e.port_range[1]}
    out["Protocol"] = e.protocol
    out["RuleAction"] = e.action.value
    out["RuleNumber"] = e.rule_number
    return out


def association(a: NetworkAclAssociation, network_acl_id: str) -> dict[str, Any]:
    return {
        "NetworkAclAssociationId": a.association_id,
        "NetworkAclId": network_acl_id,
        "SubnetId": a.subnet_id,
    }


def network_acl(acl: NetworkAcl) -> dict[str, Any]:
    return {
        "Associations": [association(a, acl.network_acl_id) for a in acl.associations],
        "Entries": [entry(e) for e in acl.entries],
        "IsDefault": acl.is_default,
        "NetworkAclId": acl.network_acl_id,
        "Tags": tag_list(acl.tags),
        "VpcId": acl.vpc_id,
        "OwnerId": acl.owner_id,
    }
