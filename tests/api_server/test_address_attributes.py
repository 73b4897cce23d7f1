"""An Elastic IP's PTR record (issue 14): DescribeAddressesAttribute shows AWS's default
reverse name until ModifyAddressAttribute sets one; ResetAddressAttribute takes it back;
bad input changes nothing."""

from __future__ import annotations


def _ptr(ec2, allocation_id: str) -> str:
    [address] = ec2.describe_addresses_attribute(
        AllocationIds=[allocation_id], Attribute="domain-name"
    )["Addresses"]
    return address["PtrRecord"]


def test_ptr_record_set_and_reset(ec2, rejected):
    allocated = ec2.allocate_address(Domain="vpc")
    alloc, ip = allocated["AllocationId"], allocated["PublicIp"]
    default = f"ec2-{ip.replace('.', '-')}.compute-1.amazonaws.com"
    assert _ptr(ec2, alloc) == default
    answer = ec2.modify_address_attribute(AllocationId=alloc, DomainName="mail.example.com")
    assert answer["Address"]["AllocationId"] == alloc
    assert answer["Address"]["PublicIp"] == ip
    assert answer["Address"]["PtrRecordUpdate"] == {
        "Value": "mail.example.com",
        "Status": "PENDING",
    }
    assert _ptr(ec2, alloc) == "mail.example.com"
    everyone = ec2.describe_addresses_attribute(Attribute="domain-name")["Addresses"]
    assert [(a["AllocationId"], a["PtrRecord"]) for a in everyone] == [(alloc, "mail.example.com")]

    for bad in ("-bad.example.com", "a" * 64 + ".example.com", "under_score.example.com"):
        rejected(
            "InvalidParameterValue",
            ec2.modify_address_attribute,
            AllocationId=alloc,
            DomainName=bad,
        )
    rejected(
        "InvalidAllocationID.NotFound",
        ec2.modify_address_attribute,
        AllocationId="eipalloc-0123456789abcdef0",
        DomainName="x.example.com",
    )
    rejected(
        "InvalidParameterValue",
        ec2.reset_address_attribute,
        AllocationId=alloc,
        Attribute="colour",
    )
    rejected(
        "InvalidParameterValue",
        ec2.describe_addresses_attribute,
        AllocationIds=[alloc],
        Attribute="colour",
    )
    assert _ptr(ec2, alloc) == "mail.example.com"

    reset = ec2.reset_address_attribute(AllocationId=alloc, Attribute="domain-name")
    assert reset["Address"]["PtrRecordUpdate"]["Status"] == "PENDING"
    assert _ptr(ec2, alloc) == default

    ec2.modify_address_attribute(AllocationId=alloc, DomainName="mail.example.com")
    ec2.release_address(AllocationId=alloc)
    assert ec2.describe_addresses_attribute(Attribute="domain-name")["Addresses"] == []
