"""A peering's ``VpcInfo`` shows each live side's VPC blocks as they are now, through boto3
on a real loopback server: an IPv6 /56 or a secondary IPv4 block associated with (or taken
from) a VPC after its peering was made appears in (or leaves) that side's
``CidrBlockSet`` / ``Ipv6CidrBlockSet``, for either side, either account; an ended
peering keeps the blocks it had when it ended."""

from __future__ import annotations

import itertools

import pytest
from api_server.api_helpers import client

#: second accounts, apart from the conftest's counter and test_peering's
_peers = itertools.count(710000000001)


@pytest.fixture
def bob(endpoint):
    ec2 = client(endpoint, str(next(_peers)))
    ec2.describe_vpcs()
    return ec2


def _vpc(ec2, cidr: str) -> str:
    return ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def _shown(ec2, pcx_id: str) -> dict:
    [peering] = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])[
        "VpcPeeringConnections"
    ]
    return peering


def _ipv6(info: dict) -> list[str]:
    return [b["Ipv6CidrBlock"] for b in info.get("Ipv6CidrBlockSet", [])]


def _ipv4(info: dict) -> list[str]:
    return [b["CidrBlock"] for b in info.get("CidrBlockSet", [])]


def _add_ipv6(ec2, vpc_id: str) -> tuple[str, str]:
    """The /56 AWS gave the VPC and its association id."""
    answer = ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)
    association = answer["Ipv6CidrBlockAssociation"]
    return association["Ipv6CidrBlock"], association["AssociationId"]


def _peer(requester, requester_vpc: str, accepter, accepter_vpc: str, owner: str | None) -> str:
    kwargs = {"PeerOwnerId": owner} if owner else {}
    created = requester.create_vpc_peering_connection(
        VpcId=requester_vpc, PeerVpcId=accepter_vpc, **kwargs
    )["VpcPeeringConnection"]
    pcx_id = created["VpcPeeringConnectionId"]
    accepter.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    return pcx_id


def test_ipv6_associated_after_peering_shows_on_that_side(ec2):
    a, b = _vpc(ec2, "10.60.0.0/16"), _vpc(ec2, "10.61.0.0/16")
    pcx_id = _peer(ec2, a, ec2, b, None)
    assert _ipv6(_shown(ec2, pcx_id)["RequesterVpcInfo"]) == []

    a_block, a_association = _add_ipv6(ec2, a)
    b_block, _ = _add_ipv6(ec2, b)
    shown = _shown(ec2, pcx_id)
    assert _ipv6(shown["RequesterVpcInfo"]) == [a_block]
    assert _ipv6(shown["AccepterVpcInfo"]) == [b_block]

    ec2.disassociate_vpc_cidr_block(AssociationId=a_association)
    shown = _shown(ec2, pcx_id)
    assert _ipv6(shown["RequesterVpcInfo"]) == []
    assert _ipv6(shown["AccepterVpcInfo"]) == [b_block]
    assert _ipv4(shown["RequesterVpcInfo"]) == ["10.60.0.0/16"]


def test_secondary_ipv4_taken_away_leaves_the_side(ec2):
    a, b = _vpc(ec2, "10.62.0.0/16"), _vpc(ec2, "10.63.0.0/16")
    pcx_id = _peer(ec2, a, ec2, b, None)
    added = ec2.associate_vpc_cidr_block(VpcId=b, CidrBlock="10.64.0.0/16")
    assert _ipv4(_shown(ec2, pcx_id)["AccepterVpcInfo"]) == ["10.63.0.0/16", "10.64.0.0/16"]

    ec2.disassociate_vpc_cidr_block(AssociationId=added["CidrBlockAssociation"]["AssociationId"])
    assert _ipv4(_shown(ec2, pcx_id)["AccepterVpcInfo"]) == ["10.63.0.0/16"]


def test_the_other_account_sees_the_change_too(ec2, bob, api_store):
    a = _vpc(ec2, "10.65.0.0/16")
    b = _vpc(bob, "10.66.0.0/16")
    bob_account = bob.describe_vpcs(VpcIds=[b])["Vpcs"][0]["OwnerId"]
    pcx_id = _peer(ec2, a, bob, b, bob_account)

    before = api_store.revision()
    b_block, _ = _add_ipv6(bob, b)
    # the change names the peering, so a data-plane follower of the other account re-reads
    [change] = [c for c in api_store.changes_since(before) if b in c.resource_ids]
    assert pcx_id in change.resource_ids
    a_block, _ = _add_ipv6(ec2, a)
    for viewer in (ec2, bob):
        shown = _shown(viewer, pcx_id)
        assert _ipv6(shown["AccepterVpcInfo"]) == [b_block]
        assert _ipv6(shown["RequesterVpcInfo"]) == [a_block]


def test_pending_accepter_shows_no_blocks_until_accepted(ec2, bob):
    a = _vpc(ec2, "10.67.0.0/16")
    b = _vpc(bob, "10.68.0.0/16")
    bob_account = bob.describe_vpcs(VpcIds=[b])["Vpcs"][0]["OwnerId"]
    pcx_id = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerOwnerId=bob_account)[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    a_block, _ = _add_ipv6(ec2, a)
    b_block, _ = _add_ipv6(bob, b)
    pending = _shown(ec2, pcx_id)
    assert _ipv6(pending["RequesterVpcInfo"]) == [a_block]
    assert _ipv4(pending["AccepterVpcInfo"]) == []
    assert _ipv6(pending["AccepterVpcInfo"]) == []

    bob.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    active = _shown(ec2, pcx_id)
    assert _ipv4(active["AccepterVpcInfo"]) == ["10.68.0.0/16"]
    assert _ipv6(active["AccepterVpcInfo"]) == [b_block]


def test_a_deleted_peering_keeps_the_blocks_it_ended_with(ec2):
    a, b = _vpc(ec2, "10.69.0.0/16"), _vpc(ec2, "10.70.0.0/16")
    pcx_id = _peer(ec2, a, ec2, b, None)
    a_block, a_association = _add_ipv6(ec2, a)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)

    ec2.disassociate_vpc_cidr_block(AssociationId=a_association)
    ec2.associate_vpc_cidr_block(VpcId=a, CidrBlock="10.71.0.0/16")
    shown = _shown(ec2, pcx_id)
    assert shown["Status"]["Code"] == "deleted"
    assert _ipv6(shown["RequesterVpcInfo"]) == [a_block]
    assert _ipv4(shown["RequesterVpcInfo"]) == ["10.69.0.0/16"]
