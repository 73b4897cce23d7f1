"""DHCP options sets (issue 14): created with EC2's checks, described with filters and
tags, associated with a VPC (``default`` for none), kept while a VPC uses them."""

from __future__ import annotations


def _config(key: str, *values: str) -> dict:
    return {"Key": key, "Values": list(values)}


def test_dhcp_options_lifecycle(ec2, vpc_id, rejected):
    created = ec2.create_dhcp_options(
        DhcpConfigurations=[
            _config("domain-name", "corp.example.com"),
            _config("domain-name-servers", "10.0.0.2", "AmazonProvidedDNS"),
        ],
        TagSpecifications=[
            {"ResourceType": "dhcp-options", "Tags": [{"Key": "Name", "Value": "corp"}]}
        ],
    )["DhcpOptions"]
    dopt = created["DhcpOptionsId"]
    assert dopt.startswith("dopt-")
    assert created["DhcpConfigurations"] == [
        {"Key": "domain-name", "Values": [{"Value": "corp.example.com"}]},
        {
            "Key": "domain-name-servers",
            "Values": [{"Value": "10.0.0.2"}, {"Value": "AmazonProvidedDNS"}],
        },
    ]
    assert created["Tags"] == [{"Key": "Name", "Value": "corp"}]
    [described] = ec2.describe_dhcp_options(DhcpOptionsIds=[dopt])["DhcpOptions"]
    assert described == created
    by_key = ec2.describe_dhcp_options(Filters=[{"Name": "value", "Values": ["corp.example.com"]}])[
        "DhcpOptions"
    ]
    assert [d["DhcpOptionsId"] for d in by_key] == [dopt]
    assert (
        ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [dopt]}])["Tags"][0][
            "ResourceType"
        ]
        == "dhcp-options"
    )

    ec2.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=vpc_id)
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["DhcpOptionsId"] == dopt
    rejected("DependencyViolation", ec2.delete_dhcp_options, DhcpOptionsId=dopt)
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["DhcpOptionsId"] == "default"
    ec2.delete_dhcp_options(DhcpOptionsId=dopt)
    rejected("InvalidDhcpOptionID.NotFound", ec2.describe_dhcp_options, DhcpOptionsIds=[dopt])
    rejected(
        "InvalidDhcpOptionID.NotFound", ec2.associate_dhcp_options, DhcpOptionsId=dopt, VpcId=vpc_id
    )
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [dopt]}])["Tags"] == []


def test_bad_dhcp_options_change_nothing(ec2, vpc_id, rejected):
    for bad in (
        [_config("colour", "blue")],
        [_config("ntp-servers", "ntp.example.com")],
        [_config("domain-name-servers", *(f"10.0.0.{i}" for i in range(1, 6)))],
        [_config("netbios-node-type", "1")],
        [_config("domain-name", "a.example.com"), _config("domain-name", "b.example.com")],
    ):
        rejected("InvalidParameterValue", ec2.create_dhcp_options, DhcpConfigurations=bad)
    rejected("InvalidDhcpOptionsId.Malformed", ec2.delete_dhcp_options, DhcpOptionsId="nope")
    rejected(
        "InvalidVpcID.NotFound",
        ec2.associate_dhcp_options,
        DhcpOptionsId="default",
        VpcId="vpc-0123456789abcdef0",
    )
    assert ec2.describe_dhcp_options()["DhcpOptions"] == []
