"""Fields IaC clients read from stockade's answers that once were missing (regressions
found by tests/clients: Terraform's and Ansible's real call sequences)."""

from __future__ import annotations


def test_subnet_answers_carry_the_fields_terraform_reads(ec2, vpc_id):
    """aws_subnet's read sets enable_dns64, ipv6_native and the private DNS name options
    from every answer; AWS always sends them (false / ``ip-name`` for a plain subnet)."""
    created = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.9.0/24")["Subnet"]
    [described] = ec2.describe_subnets(SubnetIds=[created["SubnetId"]])["Subnets"]
    for subnet in (created, described):
        assert subnet["EnableDns64"] is False
        assert subnet["Ipv6Native"] is False
        assert subnet["MapCustomerOwnedIpOnLaunch"] is False
        assert subnet["PrivateDnsNameOptionsOnLaunch"] == {
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": False,
            "EnableResourceNameDnsAAAARecord": False,
        }
