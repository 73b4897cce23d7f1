"""VPC peering through boto3 on a real loopback server, two accounts (open mode: the access
key is the account): lifecycle, filters, pagination, waiters, errors, security-group
references across the peering, stale groups and re-peering."""

from __future__ import annotations

import itertools

import pytest
from api_server.api_helpers import client, out

#: second accounts, apart from the conftest's counter (100000000001 and up)
_peers = itertools.count(700000000001)


@pytest.fixture
def peer_account() -> str:
    return str(next(_peers))


@pytest.fixture
def bob(endpoint, peer_account):
    ec2 = client(endpoint, peer_account)
    ec2.describe_vpcs()  # the account's default VPC now, so revisions below are stable
    return ec2


def vpc(ec2, cidr: str) -> str:
    return ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def names(answer: dict) -> list[str]:
    return [p["VpcPeeringConnectionId"] for p in answer["VpcPeeringConnections"]]


def test_cross_account_lifecycle(ec2, bob, account, peer_account, rejected):
    a, b = vpc(ec2, "10.1.0.0/16"), vpc(bob, "10.2.0.0/16")
    created = ec2.create_vpc_peering_connection(
        VpcId=a,
        PeerVpcId=b,
        PeerOwnerId=peer_account,
        TagSpecifications=[
            {"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "Name", "Value": "a-b"}]}
        ],
    )["VpcPeeringConnection"]
    pid = created["VpcPeeringConnectionId"]
    assert created["Status"] == {
        "Code": "pending-acceptance",
        "Message": f"Pending Acceptance by {peer_account}",
    }
    assert created["RequesterVpcInfo"]["CidrBlock"] == "10.1.0.0/16"
    assert created["RequesterVpcInfo"]["OwnerId"] == account
    assert created["AccepterVpcInfo"]["OwnerId"] == peer_account
    assert "CidrBlock" not in created["AccepterVpcInfo"]  # shown once accepted
    assert created["ExpirationTime"].year >= 2026
    assert created["Tags"] == [{"Key": "Name", "Value": "a-b"}]
    ec2.get_waiter("vpc_peering_connection_exists").wait(
        VpcPeeringConnectionIds=[pid], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    assert names(bob.describe_vpc_peering_connections()) == [pid]
    rejected("OperationNotPermitted", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid)
    accepted = bob.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)
    assert accepted["VpcPeeringConnection"]["Status"]["Code"] == "active"
    assert accepted["VpcPeeringConnection"]["AccepterVpcInfo"]["CidrBlockSet"] == [
        {"CidrBlock": "10.2.0.0/16"}
    ]
    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)["Return"] is True
    [seen] = bob.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])[
        "VpcPeeringConnections"
    ]
    assert seen["Status"] == {"Code": "deleted", "Message": f"Deleted by {account}"}
    ec2.get_waiter("vpc_peering_connection_deleted").wait(
        VpcPeeringConnectionIds=[pid], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )


def test_describe_filters_and_pages(ec2, bob, account, peer_account):
    a = vpc(ec2, "10.1.0.0/16")
    peers = [vpc(bob, f"10.{i}.0.0/16") for i in range(2, 6)]
    mine = vpc(ec2, "10.9.0.0/16")
    pids = [
        ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerOwnerId=peer_account)[
            "VpcPeeringConnection"
        ]["VpcPeeringConnectionId"]
        for b in peers
    ]
    same = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=mine)["VpcPeeringConnection"]
    assert same["Status"]["Code"] == "pending-acceptance"  # same account: accepted by hand
    failed = ec2.create_vpc_peering_connection(VpcId=mine, PeerVpcId=vpc(ec2, "10.9.128.0/17"))[
        "VpcPeeringConnection"
    ]
    assert failed["Status"]["Code"] == "failed"
    bob.accept_vpc_peering_connection(VpcPeeringConnectionId=pids[0])
    ec2.create_tags(Resources=[pids[1]], Tags=[{"Key": "team", "Value": "db"}])

    def find(*filters: tuple[str, str]) -> list[str]:
        given = [{"Name": n, "Values": [v]} for n, v in filters]
        return sorted(names(ec2.describe_vpc_peering_connections(Filters=given)))

    assert find(("status-code", "active")) == [pids[0]]
    assert find(("status-code", "failed")) == [failed["VpcPeeringConnectionId"]]
    assert find(("accepter-vpc-info.vpc-id", peers[2])) == [pids[2]]
    assert find(("accepter-vpc-info.owner-id", peer_account)) == sorted(pids)
    assert find(("accepter-vpc-info.cidr-block", "10.2.0.0/16")) == [pids[0]]
    assert len(find(("requester-vpc-info.vpc-id", a))) == 5
    assert find(("requester-vpc-info.cidr-block", "10.9.0.0/16")) == [
        failed["VpcPeeringConnectionId"]
    ]
    assert find(("tag:team", "db")) == [pids[1]]
    assert find(("status-message", "Active")) == [pids[0]]
    assert find(("vpc-peering-connection-id", pids[2])) == [pids[2]]
    paged = ec2.get_paginator("describe_vpc_peering_connections").paginate(
        PaginationConfig={"PageSize": 5}
    )
    pages = [names(page) for page in paged]
    assert [len(p) for p in pages] == [5, 1]
    every = [pid for p in pages for pid in p]
    assert sorted(every) == sorted([*pids, same["VpcPeeringConnectionId"], failed[
        "VpcPeeringConnectionId"]])  # fmt: skip


def test_errors(ec2, bob, peer_account, rejected):
    a, b = vpc(ec2, "10.1.0.0/16"), vpc(bob, "10.2.0.0/16")
    rejected(
        "InvalidVpcPeeringConnectionId.Malformed",
        ec2.accept_vpc_peering_connection,
        VpcPeeringConnectionId="pcx-x",
    )
    rejected(
        "InvalidVpcPeeringConnectionID.NotFound",
        ec2.describe_vpc_peering_connections,
        VpcPeeringConnectionIds=["pcx-0123456789abcdef0"],
    )
    rejected("InvalidVpcID.NotFound", ec2.create_vpc_peering_connection, VpcId=a, PeerVpcId=b)
    rejected(
        "UnsupportedOperation",
        ec2.create_vpc_peering_connection,
        VpcId=a,
        PeerVpcId=b,
        PeerOwnerId=peer_account,
        PeerRegion="eu-west-1",
    )
    pid = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerOwnerId=peer_account)[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    rejected(
        "VpcPeeringConnectionAlreadyExists",
        bob.create_vpc_peering_connection,
        VpcId=b,
        PeerVpcId=a,
        PeerOwnerId=ec2.describe_vpcs(VpcIds=[a])["Vpcs"][0]["OwnerId"],
    )
    rejected(
        "InvalidStateTransition",
        ec2.modify_vpc_peering_connection_options,
        VpcPeeringConnectionId=pid,
        RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
    )
    assert bob.reject_vpc_peering_connection(VpcPeeringConnectionId=pid)["Return"] is True
    rejected(
        "InvalidStateTransition", bob.accept_vpc_peering_connection, VpcPeeringConnectionId=pid
    )


def _allow_from(group_id: str, user_id: str, pcx: str | None = None) -> list[dict]:
    pair = {"GroupId": group_id, "UserId": user_id}
    if pcx:
        pair["VpcPeeringConnectionId"] = pcx
    return [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [pair]}]


def test_references_across_the_peering_go_stale_and_come_back(
    ec2, bob, account, peer_account, rejected
):
    a, b = vpc(ec2, "10.1.0.0/16"), vpc(bob, "10.2.0.0/16")
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=a)["GroupId"]
    db = bob.create_security_group(GroupName="db", Description="db", VpcId=b)["GroupId"]
    pid = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerOwnerId=peer_account)[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    # pending: the peer's group answers as if it did not exist
    rejected(
        "InvalidGroup.NotFound",
        bob.authorize_security_group_ingress,
        GroupId=db,
        IpPermissions=_allow_from(app, account),
    )
    bob.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)
    bob.authorize_security_group_ingress(GroupId=db, IpPermissions=_allow_from(app, account, pid))
    [group] = bob.describe_security_groups(GroupIds=[db])["SecurityGroups"]
    [pair] = group["IpPermissions"][0]["UserIdGroupPairs"]
    assert pair == {
        "UserId": account,
        "GroupId": app,
        "GroupName": "app",
        "VpcId": a,
        "VpcPeeringConnectionId": pid,
        "PeeringStatus": "active",
    }

    def referenced_info() -> dict:
        rules = bob.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [db]}])
        [info] = [
            r["ReferencedGroupInfo"]
            for r in rules["SecurityGroupRules"]
            if "ReferencedGroupInfo" in r
        ]
        return info

    assert referenced_info() == {
        "GroupId": app,
        "UserId": account,
        "VpcId": a,
        "VpcPeeringConnectionId": pid,
        "PeeringStatus": "active",
    }
    refs = ec2.describe_security_group_references(GroupId=[app])["SecurityGroupReferenceSet"]
    assert refs == [{"GroupId": app, "ReferencingVpcId": b, "VpcPeeringConnectionId": pid}]
    assert bob.describe_stale_security_groups(VpcId=b)["StaleSecurityGroupSet"] == []

    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)
    [stale] = bob.describe_stale_security_groups(VpcId=b)["StaleSecurityGroupSet"]
    assert (stale["GroupId"], stale["GroupName"], stale["VpcId"]) == (db, "db", b)
    [perm] = stale["StaleIpPermissions"]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("tcp", 5432, 5432)
    assert perm["UserIdGroupPairs"] == [
        {
            "UserId": account,
            "GroupId": app,
            "GroupName": "app",
            "VpcId": a,
            "VpcPeeringConnectionId": pid,
            "PeeringStatus": "deleted",
        }
    ]
    assert stale["StaleIpPermissionsEgress"] == []
    assert referenced_info()["PeeringStatus"] == "deleted"
    assert ec2.describe_security_group_references(GroupId=[app])["SecurityGroupReferenceSet"] == []

    again = bob.create_vpc_peering_connection(VpcId=b, PeerVpcId=a, PeerOwnerId=account)[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=again)
    assert bob.describe_stale_security_groups(VpcId=b)["StaleSecurityGroupSet"] == []


def test_aws_cli_requests_and_describes_a_peering(ec2, aws):
    a, b = vpc(ec2, "10.1.0.0/16"), vpc(ec2, "10.2.0.0/16")
    created = out(aws("ec2", "create-vpc-peering-connection", "--vpc-id", a, "--peer-vpc-id", b))
    pid = created["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert created["VpcPeeringConnection"]["Status"]["Code"] == "pending-acceptance"
    aws("ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", pid)
    described = out(aws("ec2", "describe-vpc-peering-connections", "--filters",
                        "Name=status-code,Values=active"))  # fmt: skip
    assert [p["VpcPeeringConnectionId"] for p in described["VpcPeeringConnections"]] == [pid]
