"""Terraform AWS provider call sequences, replayed with boto3, one resource at a time.

Each test makes the provider's calls in its order (shared/reference/iac-clients.md §2):
create, the waiters' refreshes, the read every plan repeats, an update, and the destroy,
reading only what the provider reads, unguarded where it indexes without a check. So a
missing field, a state the waiter does not know, or a refused call fails here as it fails
``terraform apply``. aws_instance's own read and lifecycle are replayed in
tests/api_server/test_client_sequences.py; here it only takes part in the destroy order.
"""

from __future__ import annotations

import uuid

from clients.terraform import error_code, find_one, tags, wait_state

AMI = "ami-0123456789abcdef0"


def _tag_spec(kind: str, name: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def _vpc(ec2, cidr: str = "10.30.0.0/16") -> str:
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_tag_spec("vpc", "tf"))["Vpc"]
    return wait_state(lambda: _vpc_state(ec2, vpc["VpcId"]), ["pending"], ["available"])["VpcId"]


def _vpc_state(ec2, vpc_id: str):
    vpc = find_one(ec2.describe_vpcs, "Vpcs", "VpcId", vpc_id, VpcIds=[vpc_id])
    return vpc, vpc and vpc["State"]


def _subnet(ec2, vpc_id: str, cidr: str = "10.30.1.0/24") -> str:
    subnet = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock=cidr,
        AvailabilityZone="us-east-1a",
        TagSpecifications=_tag_spec("subnet", "tf"),
    )["Subnet"]
    return subnet["SubnetId"]


def _subnet_state(ec2, subnet_id: str):
    found = find_one(ec2.describe_subnets, "Subnets", "SubnetId", subnet_id, SubnetIds=[subnet_id])
    return found, found and found["State"]


def _vpc_attribute(ec2, vpc_id: str, name: str) -> bool:
    answer = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=name)
    return bool(answer[name[:1].upper() + name[1:]]["Value"])


def test_aws_vpc_create_modify_cidr_destroy(ec2):
    vpc_id = _vpc(ec2)
    # enable_dns_hostnames = true differs from the default: one Modify, then its waiter
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    wait_state(
        lambda: (None, str(_vpc_attribute(ec2, vpc_id, "enableDnsHostnames")).lower()),
        ["false"],
        ["true"],
    )
    for _ in range(3):  # three plans: the same answer each time
        vpc, _state = _vpc_state(ec2, vpc_id)
        assert vpc["OwnerId"] and vpc["DhcpOptionsId"] and vpc["InstanceTenancy"] == "default"
        assert vpc["IsDefault"] is False and tags(vpc) == {"Name": "tf"}
        assert [_vpc_attribute(ec2, vpc_id, a) for a in
                ("enableDnsHostnames", "enableDnsSupport", "enableNetworkAddressUsageMetrics")] == [
            True, True, False]  # fmt: skip
    # update: assign_generated_ipv6_cidr_block = true, then wait for "associated"
    association = ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)
    association_id = association["Ipv6CidrBlockAssociation"]["AssociationId"]

    def cidr_state():
        vpc, _ = _vpc_state(ec2, vpc_id)
        for a in vpc["Ipv6CidrBlockAssociationSet"]:
            if a["AssociationId"] == association_id:
                return a, a["Ipv6CidrBlockState"]["State"]
        return None, None

    found = wait_state(cidr_state, ["associating"], ["associated"])
    assert found["Ipv6CidrBlock"].endswith("::/56") and found["Ipv6Pool"] == "Amazon"
    ec2.delete_vpc(VpcId=vpc_id)
    assert _vpc_state(ec2, vpc_id) == (None, None)
    assert error_code(ec2.delete_vpc, VpcId=vpc_id) == "InvalidVpcID.NotFound"  # = destroyed


def _ipv4_association(ec2, association_id: str):
    """The provider's FindVPCCIDRBlockAssociationByID: DescribeVpcs filtered by the id, then
    the association of that id in the set."""
    vpcs = ec2.describe_vpcs(
        Filters=[{"Name": "cidr-block-association.association-id", "Values": [association_id]}]
    )["Vpcs"]
    for vpc in vpcs:
        for a in vpc["CidrBlockAssociationSet"]:
            if a["AssociationId"] == association_id:
                return (vpc, a), a["CidrBlockState"]["State"]
    return None, None


def test_aws_vpc_ipv4_cidr_block_association_with_a_subnet(ec2):
    """aws_vpc_ipv4_cidr_block_association (and an aws_subnet in its block): associate and
    wait for "associated", read it back on every plan, destroy the subnet, disassociate and
    wait for it to be gone; a second destroy finds nothing to do."""
    vpc_id = _vpc(ec2, "10.31.0.0/16")
    answer = ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.32.0.0/16")
    association_id = answer["CidrBlockAssociation"]["AssociationId"]
    wait_state(lambda: _ipv4_association(ec2, association_id), ["associating"], ["associated"])
    subnet_id = _subnet(ec2, vpc_id, "10.32.1.0/24")
    for _ in range(2):  # plans read the association back unchanged
        (vpc, found), state = _ipv4_association(ec2, association_id)
        assert (vpc["VpcId"], found["CidrBlock"], state) == (vpc_id, "10.32.0.0/16", "associated")
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.disassociate_vpc_cidr_block(AssociationId=association_id)
    wait_state(lambda: _ipv4_association(ec2, association_id), ["disassociating"], [""])
    assert (
        error_code(ec2.disassociate_vpc_cidr_block, AssociationId=association_id)
        == "InvalidVpcCidrBlockAssociationID.NotFound"
    )
    ec2.delete_vpc(VpcId=vpc_id)


def test_aws_subnet_attributes_and_delete_retry(ec2):
    vpc_id = _vpc(ec2)
    subnet_id = _subnet(ec2, vpc_id)
    wait_state(lambda: _subnet_state(ec2, subnet_id), ["pending"], ["available"])
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    wait_state(
        lambda: (None, str(_subnet_state(ec2, subnet_id)[0]["MapPublicIpOnLaunch"])),
        ["False"],
        ["True"],
    )
    for _ in range(2):  # every plan
        subnet, _ = _subnet_state(ec2, subnet_id)
        assert subnet["SubnetArn"].endswith(f":subnet/{subnet_id}")
        assert subnet["AvailabilityZoneId"] == "use1-az1" or subnet["AvailabilityZoneId"]
        assert subnet["MapPublicIpOnLaunch"] is True
        assert subnet["AssignIpv6AddressOnCreation"] is False
        assert subnet["EnableDns64"] is False and subnet["Ipv6Native"] is False
    # an interface left in the subnet: the delete is refused, the provider looks for VPC
    # endpoints, cleans the interface up, and the retry succeeds
    eni = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]
    assert error_code(ec2.delete_subnet, SubnetId=subnet_id) == "DependencyViolation"
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    assert ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"] == []
    leftovers = ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [subnet_id]}]
    )["NetworkInterfaces"]
    assert [n["NetworkInterfaceId"] for n in leftovers] == [eni["NetworkInterfaceId"]]
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=subnet_id)
    assert _subnet_state(ec2, subnet_id) == (None, None)
    ec2.delete_vpc(VpcId=vpc_id)


def _igw_attachment_state(ec2, igw_id: str, vpc_id: str):
    igw = find_one(
        ec2.describe_internet_gateways,
        "InternetGateways",
        "InternetGatewayId",
        igw_id,
        InternetGatewayIds=[igw_id],
    )
    if igw is None or not igw["Attachments"]:
        return igw, None
    [attachment] = igw["Attachments"]  # the waiter needs exactly one
    assert attachment["VpcId"] == vpc_id
    return igw, attachment["State"]


def test_aws_internet_gateway_attach_detach(ec2):
    vpc_id = _vpc(ec2)
    igw = ec2.create_internet_gateway(TagSpecifications=_tag_spec("internet-gateway", "tf"))
    igw_id = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    found = wait_state(
        lambda: _igw_attachment_state(ec2, igw_id, vpc_id), ["attaching"], ["available"]
    )
    assert found["OwnerId"] and tags(found) == {"Name": "tf"}
    # an attached gateway cannot go: the provider detaches first
    assert error_code(ec2.delete_internet_gateway, InternetGatewayId=igw_id) == (
        "DependencyViolation"
    )
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    wait_state(lambda: _igw_attachment_state(ec2, igw_id, vpc_id), ["detaching", "available"], [""])
    assert error_code(ec2.detach_internet_gateway, InternetGatewayId=igw_id, VpcId=vpc_id) == (
        "Gateway.NotAttached"  # what a retried detach meets: treated as done
    )
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    assert _igw_attachment_state(ec2, igw_id, vpc_id) == (None, None)
    ec2.delete_vpc(VpcId=vpc_id)


def _table(ec2, table_id: str):
    return find_one(
        ec2.describe_route_tables, "RouteTables", "RouteTableId", table_id, RouteTableIds=[table_id]
    )


def _managed_routes(table: dict) -> list[dict]:
    """The routes the provider manages: not ``local``, not propagated."""
    return [
        r
        for r in table["Routes"]
        if r.get("GatewayId") != "local" and r["Origin"] != "EnableVgwRoutePropagation"
    ]


def _association_state(ec2, association_id: str):
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.route-table-association-id", "Values": [association_id]}]
    )["RouteTables"]
    for table in tables:
        for a in table["Associations"]:
            if a["RouteTableAssociationId"] == association_id:
                return a, a["AssociationState"]["State"]
    return None, None


def test_aws_route_table_routes_and_association(ec2):
    vpc_id = _vpc(ec2)
    subnet_id = _subnet(ec2, vpc_id)
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    created = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tag_spec("route-table", "tf"))
    table_id = created["RouteTable"]["RouteTableId"]
    wait_state(lambda: (None, "ready" if _table(ec2, table_id) else None), [], ["ready"],
               occurrences=2)  # fmt: skip
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)

    def route_state():
        routes = [r for r in _table(ec2, table_id)["Routes"]
                  if r.get("DestinationCidrBlock") == "0.0.0.0/0"]  # fmt: skip
        return (routes[0], routes[0]["State"]) if routes else (None, None)

    assert wait_state(route_state, [], ["active"])["GatewayId"] == igw_id
    for _ in range(2):  # every plan: the local route is dropped, so no diff
        table = _table(ec2, table_id)
        [local] = [r for r in table["Routes"] if r.get("GatewayId") == "local"]
        assert local["DestinationCidrBlock"] == "10.30.0.0/16"
        assert local["Origin"] == "CreateRouteTable" and local["State"] == "active"
        managed = [(r["DestinationCidrBlock"], r["GatewayId"], r["Origin"])
                   for r in _managed_routes(table)]  # fmt: skip
        assert managed == [("0.0.0.0/0", igw_id, "CreateRoute")]
        assert table["PropagatingVgws"] == [] and tags(table) == {"Name": "tf"}
    # aws_route_table_association
    association_id = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)[
        "AssociationId"
    ]
    association = wait_state(lambda: _association_state(ec2, association_id), [], ["associated"])
    assert association["SubnetId"] == subnet_id and association["Main"] is False
    # update: the route now targets an interface (its read describes the interface), and
    # the association moves to another table (its ID becomes the new association's)
    eni_id = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    ec2.replace_route(
        RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=eni_id
    )
    [route] = _managed_routes(_table(ec2, table_id))
    assert route["NetworkInterfaceId"] == eni_id and "GatewayId" not in route
    ec2.describe_network_interfaces(NetworkInterfaceIds=[route["NetworkInterfaceId"]])
    other_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    replaced = ec2.replace_route_table_association(
        AssociationId=association_id, RouteTableId=other_id
    )["NewAssociationId"]
    moved = wait_state(lambda: _association_state(ec2, replaced), [], ["associated"])
    assert moved["RouteTableId"] == other_id and _association_state(ec2, association_id) == (
        None,
        None,
    )
    # destroy: route, association, tables (in the provider's order)
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0")
    assert error_code(
        ec2.delete_route, RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0"
    ) == "InvalidRoute.NotFound"  # fmt: skip
    ec2.disassociate_route_table(AssociationId=replaced)
    for table in (table_id, other_id):
        ec2.delete_route_table(RouteTableId=table)
        assert _table(ec2, table) is None
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=vpc_id)


def _acl(ec2, acl_id: str):
    return find_one(
        ec2.describe_network_acls, "NetworkAcls", "NetworkAclId", acl_id, NetworkAclIds=[acl_id]
    )


def _acl_entries(acl: dict) -> list[tuple]:
    """The entries the provider keeps (the 32767 defaults are AWS's), as it reads them:
    ``PortRange`` only on tcp/udp, ``CidrBlock`` only on IPv4 entries."""
    return sorted(
        (e["Egress"], e["RuleNumber"], e["Protocol"], e["RuleAction"],
         e.get("CidrBlock") or e["Ipv6CidrBlock"],
         (e["PortRange"]["From"], e["PortRange"]["To"]) if e["Protocol"] in ("6", "17") else None)
        for e in acl["Entries"]
        if e["RuleNumber"] != 32767
    )  # fmt: skip


def test_aws_network_acl_rules_and_association(ec2):
    vpc_id = _vpc(ec2)
    subnet_id = _subnet(ec2, vpc_id)
    acl_id = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=_tag_spec("network-acl", "tf"))[
        "NetworkAcl"
    ]["NetworkAclId"]
    for egress, number, protocol, cidr, ports in (
        (False, 100, "6", "0.0.0.0/0", (443, 443)),
        (False, 110, "6", "0.0.0.0/0", (1024, 65535)),
        (False, 120, "-1", "2001:db8::/32", None),
        (True, 100, "-1", "0.0.0.0/0", None),
    ):  # aws_network_acl_rule, one call each
        entry = {"NetworkAclId": acl_id, "RuleNumber": number, "Protocol": protocol,
                 "RuleAction": "allow", "Egress": egress}  # fmt: skip
        entry["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
        if ports:
            entry["PortRange"] = {"From": ports[0], "To": ports[1]}
        ec2.create_network_acl_entry(**entry)
    # aws_network_acl's subnet_ids: find the subnet's current (default) association, replace it
    [current] = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"]
    assert current["IsDefault"] is True
    [old] = [a for a in current["Associations"] if a["SubnetId"] == subnet_id]
    new_association = ec2.replace_network_acl_association(
        AssociationId=old["NetworkAclAssociationId"], NetworkAclId=acl_id
    )["NewAssociationId"]
    for _ in range(2):  # every plan
        acl = _acl(ec2, acl_id)
        assert acl["IsDefault"] is False and tags(acl) == {"Name": "tf"}
        assert _acl_entries(acl) == [
            (False, 100, "6", "allow", "0.0.0.0/0", (443, 443)),
            (False, 110, "6", "allow", "0.0.0.0/0", (1024, 65535)),
            (False, 120, "-1", "allow", "2001:db8::/32", None),
            (True, 100, "-1", "allow", "0.0.0.0/0", None),
        ]
        for entry in acl["Entries"]:  # what AWS omits, stockade omits
            assert entry["Protocol"] != "-1" or "PortRange" not in entry
            assert "Ipv6CidrBlock" not in entry or "CidrBlock" not in entry
        # aws_network_acl_association reads by its association ID
        [by_association] = ec2.describe_network_acls(
            Filters=[{"Name": "association.association-id", "Values": [new_association]}]
        )["NetworkAcls"]
        assert by_association["NetworkAclId"] == acl_id
    # update: a rule changed is a rule replaced (delete + create); then destroy: the subnet
    # goes back to the default ACL, the rules and the ACL go
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=110, Egress=False)
    ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=110, Protocol="17",
                                 RuleAction="deny", Egress=False, CidrBlock="203.0.113.0/24",
                                 PortRange={"From": 53, "To": 53})  # fmt: skip
    assert (False, 110, "17", "deny", "203.0.113.0/24", (53, 53)) in _acl_entries(_acl(ec2, acl_id))
    assert error_code(ec2.delete_network_acl, NetworkAclId=acl_id) == "DependencyViolation"
    [default_acl] = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"]
    ec2.replace_network_acl_association(
        AssociationId=new_association, NetworkAclId=default_acl["NetworkAclId"]
    )
    ec2.delete_network_acl(NetworkAclId=acl_id)
    assert _acl(ec2, acl_id) is None
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=vpc_id)


def _group(ec2, group_id: str):
    return find_one(
        ec2.describe_security_groups, "SecurityGroups", "GroupId", group_id, GroupIds=[group_id]
    )


def _rule(ec2, rule_id: str) -> dict | None:
    return find_one(
        ec2.describe_security_group_rules,
        "SecurityGroupRules",
        "SecurityGroupRuleId",
        rule_id,
        SecurityGroupRuleIds=[rule_id],
    )


def _terraform_group(ec2, vpc_id: str, name: str) -> str:
    """aws_security_group's create: the group, found 3 times in a row, default egress gone."""
    group_id = ec2.create_security_group(
        GroupName=name,
        Description="Managed by Terraform",
        VpcId=vpc_id,
        TagSpecifications=_tag_spec("security-group", name),
    )["GroupId"]
    wait_state(lambda: (None, "found" if _group(ec2, group_id) else None), [], ["found"],
               occurrences=3)  # fmt: skip
    everywhere = {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0}
    ec2.revoke_security_group_egress(
        GroupId=group_id, IpPermissions=[{**everywhere, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    ipv6 = error_code(
        ec2.revoke_security_group_egress,
        GroupId=group_id,
        IpPermissions=[{**everywhere, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
    )
    assert ipv6 in (None, "InvalidPermission.NotFound")
    return group_id


def test_aws_security_group_and_rule_resources(ec2):
    vpc_id = _vpc(ec2)
    web = _terraform_group(ec2, vpc_id, "tf-web")
    app = _terraform_group(ec2, vpc_id, "tf-app")
    group = _group(ec2, web)
    assert group["IpPermissionsEgress"] == [] and group["OwnerId"] and group["VpcId"] == vpc_id
    # aws_vpc_security_group_ingress_rule: one source per rule, its ID read without a check
    created = {}
    for name, permission in {
        "https": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                  "IpRanges": [{"CidrIp": "198.51.100.0/24", "Description": "office"}]},
        "from-web": {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
                     "UserIdGroupPairs": [{"GroupId": web}]},
        "all-v6": {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/64"}]},
    }.items():  # fmt: skip
        answer = ec2.authorize_security_group_ingress(
            GroupId=app,
            IpPermissions=[permission],
            TagSpecifications=_tag_spec("security-group-rule", name),
        )
        assert answer["Return"] is True
        created[name] = answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        assert created[name].startswith("sgr-")
    for _ in range(2):  # every plan
        https, from_web, all_v6 = (_rule(ec2, created[n]) for n in ("https", "from-web", "all-v6"))
        for rule, name in ((https, "https"), (from_web, "from-web"), (all_v6, "all-v6")):
            assert rule["GroupId"] == app and rule["IsEgress"] is False
            assert tags(rule) == {"Name": name}
        assert (https["IpProtocol"], https["FromPort"], https["ToPort"]) == ("tcp", 443, 443)
        assert https["CidrIpv4"] == "198.51.100.0/24" and https["Description"] == "office"
        assert from_web["ReferencedGroupInfo"]["GroupId"] == web
        assert from_web["ReferencedGroupInfo"]["UserId"] == group["OwnerId"]
        assert (all_v6["FromPort"], all_v6["ToPort"]) == (-1, -1)  # the provider nulls them
        assert all_v6["CidrIpv6"] == "2001:db8::/64" and "Description" not in all_v6
    # web is referenced by app's rule: it cannot be deleted yet (Terraform retries)
    assert error_code(ec2.delete_security_group, GroupId=web) == "DependencyViolation"
    # update in place (ModifySecurityGroupRules) for every source type, the rule keeping its
    # ID; a rule's source kind cannot change (AWS refuses it; tests/api_server/test_rules.py)
    lists = {
        p["PrefixListName"].rsplit(".", 1)[1]: p["PrefixListId"]
        for p in ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "owner-id", "Values": ["AWS"]}]
        )["PrefixLists"]
    }
    created["to-s3"] = ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                        "PrefixListIds": [{"PrefixListId": lists["s3"]}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]  # fmt: skip
    owner = group["OwnerId"]
    for name, protocol, source, check in (
        ("https", "tcp", {"CidrIpv4": "203.0.113.0/24"}, ("CidrIpv4", "203.0.113.0/24")),
        ("all-v6", "-1", {"CidrIpv6": "2001:db8:1::/48"}, ("CidrIpv6", "2001:db8:1::/48")),
        ("to-s3", "tcp", {"PrefixListId": lists["dynamodb"]}, ("PrefixListId", lists["dynamodb"])),
        ("from-web", "tcp", {"ReferencedGroupId": app},
         ("ReferencedGroupInfo", {"GroupId": app, "UserId": owner})),
    ):  # fmt: skip
        ports = {} if protocol == "-1" else {"FromPort": 443, "ToPort": 443}
        rule = {"IpProtocol": protocol, **ports, "Description": "moved", **source}
        assert ec2.modify_security_group_rules(
            GroupId=app,
            SecurityGroupRules=[{"SecurityGroupRuleId": created[name], "SecurityGroupRule": rule}],
        )["Return"]
        read = _rule(ec2, created[name])
        assert read[check[0]] == check[1] and read["Description"] == "moved"
        assert read["IpProtocol"] == protocol and read["FromPort"] == ports.get("FromPort", -1)
    # the legacy aws_security_group_rule: authorize by permission, poll the group until the
    # rule shows, edit its description, revoke by permission
    legacy = {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
              "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}  # fmt: skip
    assert ec2.authorize_security_group_egress(GroupId=app, IpPermissions=[legacy])["Return"]

    def legacy_state():
        found = [p for p in _group(ec2, app)["IpPermissionsEgress"] if p["IpProtocol"] == "udp"]
        return (found[0], "present") if found else (None, None)

    shown = wait_state(legacy_state, [], ["present"])
    assert shown["IpRanges"] == [{"CidrIp": "10.30.0.0/16"}] and shown["UserIdGroupPairs"] == []
    described = {**legacy, "IpRanges": [{"CidrIp": "10.30.0.0/16", "Description": "dns"}]}
    ec2.update_security_group_rule_descriptions_egress(GroupId=app, IpPermissions=[described])
    assert legacy_state()[0]["IpRanges"] == described["IpRanges"]
    ec2.revoke_security_group_egress(GroupId=app, IpPermissions=[legacy])
    # destroy: the rules by ID, then the groups (web only once nothing references it)
    ec2.revoke_security_group_ingress(GroupId=app, SecurityGroupRuleIds=[created["all-v6"]])
    gone = error_code(ec2.describe_security_group_rules, SecurityGroupRuleIds=[created["all-v6"]])
    assert gone == "InvalidSecurityGroupRuleId.NotFound"
    lambda_enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "group-id", "Values": [app]},
                 {"Name": "description", "Values": ["AWS Lambda VPC ENI*"]}]
    )["NetworkInterfaces"]  # fmt: skip
    assert lambda_enis == []
    remaining = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [app]}])
    ids = [r["SecurityGroupRuleId"] for r in remaining["SecurityGroupRules"] if not r["IsEgress"]]
    assert sorted(ids) == sorted([created["https"], created["from-web"], created["to-s3"]])
    ec2.revoke_security_group_ingress(GroupId=app, SecurityGroupRuleIds=ids)
    for group_id in (app, web):
        ec2.delete_security_group(GroupId=group_id)
        assert _group(ec2, group_id) is None
    ec2.delete_vpc(VpcId=vpc_id)


def _eni_state(ec2, eni_id: str):
    eni = find_one(
        ec2.describe_network_interfaces,
        "NetworkInterfaces",
        "NetworkInterfaceId",
        eni_id,
        NetworkInterfaceIds=[eni_id],
    )
    return eni, eni and eni["Status"]


def _attachment_state(ec2, attachment_id: str):
    found = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.attachment-id", "Values": [attachment_id]}]
    )["NetworkInterfaces"]
    return (found[0], found[0]["Attachment"]["Status"]) if found else (None, None)


def _instance(ec2, subnet_id: str, groups: list[str]) -> str:
    iid = ec2.run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        ClientToken=str(uuid.uuid4()),
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet_id, "Groups": groups}],
    )["Instances"][0]["InstanceId"]  # fmt: skip

    def state():
        reservations = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
        [found] = reservations[0]["Instances"]
        return found, found["State"]["Name"]

    wait_state(state, ["pending"], ["running"])
    return iid


def _terminate(ec2, iid: str) -> None:
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[iid])

    def state():
        [found] = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
        return found, found["State"]["Name"]

    wait_state(state, ["pending", "running", "shutting-down", "stopping", "stopped"],
               ["terminated"])  # fmt: skip


def test_aws_network_interface_attach_detach(ec2):
    vpc_id = _vpc(ec2)
    subnet_id = _subnet(ec2, vpc_id)
    group = _terraform_group(ec2, vpc_id, "tf-eni")
    eni_id = ec2.create_network_interface(
        SubnetId=subnet_id,
        Groups=[group],
        PrivateIpAddresses=[{"PrivateIpAddress": "10.30.1.20", "Primary": True}],
        TagSpecifications=_tag_spec("network-interface", "tf"),
    )["NetworkInterface"]["NetworkInterfaceId"]
    wait_state(lambda: _eni_state(ec2, eni_id), ["pending"], ["available"])
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.30.1.21"])
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=eni_id, SourceDestCheck={"Value": False}
    )
    iid = _instance(ec2, subnet_id, [group])
    attachment_id = ec2.attach_network_interface(
        NetworkInterfaceId=eni_id, InstanceId=iid, DeviceIndex=1
    )["AttachmentId"]
    wait_state(lambda: _attachment_state(ec2, attachment_id), ["attaching"], ["attached"])
    for _ in range(2):  # every plan
        eni, _ = _eni_state(ec2, eni_id)
        assert eni["Attachment"]["InstanceId"] == iid and eni["Attachment"]["DeviceIndex"] == 1
        assert eni["Attachment"]["DeleteOnTermination"] is False
        assert sorted((p["PrivateIpAddress"], p["Primary"]) for p in eni["PrivateIpAddresses"]) == [
            ("10.30.1.20", True), ("10.30.1.21", False)]  # fmt: skip
        assert [g["GroupId"] for g in eni["Groups"]] == [group]
        assert eni["SourceDestCheck"] is False and tags(eni, "TagSet") == {"Name": "tf"}
    # destroy: force-detach, wait for "available", delete
    ec2.detach_network_interface(AttachmentId=attachment_id, Force=True)
    wait_state(lambda: _eni_state(ec2, eni_id), ["in-use", "detaching"], ["available"])
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert _eni_state(ec2, eni_id) == (None, None)
    assert error_code(ec2.delete_network_interface, NetworkInterfaceId=eni_id) == (
        "InvalidNetworkInterfaceID.NotFound"
    )
    _terminate(ec2, iid)


def _nat_state(ec2, nat_id: str):
    nat = find_one(
        ec2.describe_nat_gateways, "NatGateways", "NatGatewayId", nat_id, NatGatewayIds=[nat_id]
    )
    return nat, nat and nat["State"]


def test_aws_eip_association_and_nat_gateway(ec2):
    vpc_id = _vpc(ec2)
    subnet_id = _subnet(ec2, vpc_id)
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    # aws_eip (domain = "vpc") + aws_eip_association on an interface
    allocation = ec2.allocate_address(Domain="vpc", TagSpecifications=_tag_spec("elastic-ip", "tf"))
    allocation_id = allocation["AllocationId"]
    eni_id = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    association_id = ec2.associate_address(
        AllocationId=allocation_id, NetworkInterfaceId=eni_id, AllowReassociation=True
    )["AssociationId"]
    for _ in range(2):  # every plan
        [address] = ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"]
        assert address["Domain"] == "vpc" and address["PublicIp"] == allocation["PublicIp"]
        assert address["AssociationId"] == association_id
        assert address["NetworkInterfaceId"] == eni_id and tags(address) == {"Name": "tf"}
        assert address["PrivateIpAddress"]
    ec2.disassociate_address(AssociationId=association_id)
    [address] = ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"]
    assert "AssociationId" not in address
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    # aws_nat_gateway on that address: pending -> available, then deleting -> deleted
    nat_id = ec2.create_nat_gateway(
        SubnetId=subnet_id,
        AllocationId=allocation_id,
        ConnectivityType="public",
        TagSpecifications=_tag_spec("natgateway", "tf"),
    )["NatGateway"]["NatGatewayId"]
    nat = wait_state(lambda: _nat_state(ec2, nat_id), ["pending"], ["available"])
    [nat_address] = nat["NatGatewayAddresses"]
    assert nat_address["AllocationId"] == allocation_id
    assert nat_address["PublicIp"] == allocation["PublicIp"]
    assert nat_address["NetworkInterfaceId"].startswith("eni-") and nat_address["PrivateIp"]
    assert nat["SubnetId"] == subnet_id and nat["VpcId"] == vpc_id
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    wait_state(lambda: _nat_state(ec2, nat_id), ["deleting"], ["deleted", ""])
    ec2.release_address(AllocationId=allocation_id)
    assert error_code(ec2.describe_addresses, AllocationIds=[allocation_id]) == (
        "InvalidAllocationID.NotFound"
    )
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=vpc_id)


def test_destroy_in_the_providers_order_needs_no_retry(ec2):
    """A whole stack destroyed in Terraform's order: every delete succeeds the first time
    (a ``DependencyViolation`` here would be a dependency stockade invents)."""
    vpc_id = _vpc(ec2)
    subnet_id = _subnet(ec2, vpc_id)
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    association_id = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)[
        "AssociationId"
    ]
    group = _terraform_group(ec2, vpc_id, "tf-stack")
    rule_id = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "198.51.100.7/32"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]  # fmt: skip
    iid = _instance(ec2, subnet_id, [group])
    eni_id = ec2.create_network_interface(SubnetId=subnet_id, Groups=[group])["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    _terminate(ec2, iid)
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule_id])
    ec2.delete_security_group(GroupId=group)
    ec2.disassociate_route_table(AssociationId=association_id)
    ec2.delete_route_table(RouteTableId=table_id)
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=vpc_id)
    assert [v["IsDefault"] for v in ec2.describe_vpcs()["Vpcs"]] == [True]
    # terminated instances stay describable (botocore's instance_terminated relies on it)
    [gone] = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
    assert gone["State"]["Name"] == "terminated"
