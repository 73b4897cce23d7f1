"""What clients read about an instance (issue 14): status checks and their waiters, every
instance attribute and which ones change, burstable credits, and the type catalogue."""

from __future__ import annotations

import pytest

_ATTRIBUTES = {
    "instanceType": ("InstanceType", {"Value": "t3.micro"}),
    "kernel": ("KernelId", None),
    "ramdisk": ("RamdiskId", None),
    "userData": ("UserData", None),
    "disableApiTermination": ("DisableApiTermination", {"Value": False}),
    "instanceInitiatedShutdownBehavior": ("InstanceInitiatedShutdownBehavior", {"Value": "stop"}),
    "rootDeviceName": ("RootDeviceName", {"Value": "/dev/xvda"}),
    "productCodes": ("ProductCodes", []),
    "ebsOptimized": ("EbsOptimized", {"Value": True}),
    "sriovNetSupport": ("SriovNetSupport", None),
    "enaSupport": ("EnaSupport", {"Value": True}),
    "enclaveOptions": ("EnclaveOptions", {"Enabled": False}),
    "disableApiStop": ("DisableApiStop", {"Value": False}),
    "sourceDestCheck": ("SourceDestCheck", {"Value": True}),
}


@pytest.fixture
def subnet_id(ec2, vpc_id) -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


def _run(ec2, subnet_id, instance_type="t3.micro", **extra) -> str:
    reservation = ec2.run_instances(
        ImageId="ami-0123456789abcdef0",
        InstanceType=instance_type,
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        **extra,
    )
    return reservation["Instances"][0]["InstanceId"]


def _statuses(ec2, **params) -> dict[str, dict]:
    found = ec2.describe_instance_status(**params)["InstanceStatuses"]
    return {s["InstanceId"]: s for s in found}


def test_instance_status_from_real_state_and_its_waiters(ec2, subnet_id):
    running, stopped = _run(ec2, subnet_id), _run(ec2, subnet_id)
    ec2.stop_instances(InstanceIds=[stopped])
    fast = {"Delay": 1, "MaxAttempts": 3}
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[running], WaiterConfig=fast)
    ec2.get_waiter("system_status_ok").wait(InstanceIds=[running], WaiterConfig=fast)
    status = _statuses(ec2)
    assert list(status) == [running]  # only running instances without IncludeAllInstances
    assert status[running]["InstanceState"] == {"Code": 16, "Name": "running"}
    assert status[running]["InstanceStatus"] == {
        "Status": "ok",
        "Details": [{"Name": "reachability", "Status": "passed"}],
    }
    assert status[running]["AvailabilityZone"].startswith("us-east-1")
    everything = _statuses(ec2, IncludeAllInstances=True)
    assert set(everything) == {running, stopped}
    assert everything[stopped]["InstanceStatus"]["Status"] == "not-applicable"
    assert _statuses(ec2, InstanceIds=[stopped]) == {}
    assert list(_statuses(ec2, InstanceIds=[stopped], IncludeAllInstances=True)) == [stopped]
    only_stopped = _statuses(
        ec2,
        IncludeAllInstances=True,
        Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}],
    )
    assert list(only_stopped) == [stopped]
    ok = [{"Name": "instance-status.status", "Values": ["ok"]}]
    assert list(_statuses(ec2, IncludeAllInstances=True, Filters=ok)) == [running]
    assert list(
        _statuses(ec2, Filters=[{"Name": "system-status.reachability", "Values": ["passed"]}])
    ) == [running]


def test_instance_status_errors(ec2, subnet_id, rejected):
    iid = _run(ec2, subnet_id)
    rejected(
        "InvalidParameterCombination",
        ec2.describe_instance_status,
        InstanceIds=[iid],
        MaxResults=5,
    )
    rejected("MissingParameter", ec2.modify_instance_attribute, InstanceId=iid)
    rejected(
        "InvalidInstanceID.NotFound",
        ec2.describe_instance_status,
        InstanceIds=["i-0123456789abcdef0"],
    )
    rejected(
        "InvalidParameterValue",
        ec2.describe_instance_status,
        Filters=[{"Name": "cidr", "Values": ["x"]}],
    )


def test_every_instance_attribute(ec2, subnet_id, rejected):
    iid = _run(ec2, subnet_id)
    for attribute, (member, expected) in _ATTRIBUTES.items():
        answer = ec2.describe_instance_attribute(InstanceId=iid, Attribute=attribute)
        assert answer["InstanceId"] == iid
        assert answer[member] == ({} if expected is None else expected), (attribute, answer)
    groups = ec2.describe_instance_attribute(InstanceId=iid, Attribute="groupSet")["Groups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    [mapping] = ec2.describe_instance_attribute(InstanceId=iid, Attribute="blockDeviceMapping")[
        "BlockDeviceMappings"
    ]
    assert mapping["DeviceName"] == "/dev/xvda" and mapping["Ebs"]["Status"] == "attached"
    [described] = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
    assert described["BlockDeviceMappings"] == [mapping]
    rejected(
        "InvalidParameterValue",
        ec2.describe_instance_attribute,
        InstanceId=iid,
        Attribute="colour",
    )


def test_modify_instance_attribute(ec2, subnet_id, rejected):
    iid = _run(ec2, subnet_id)

    def attribute(name: str):
        member = _ATTRIBUTES[name][0]
        return ec2.describe_instance_attribute(InstanceId=iid, Attribute=name)[member]

    # Terraform's destroy path and Ansible's defaults: the value stockade reports is accepted
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiStop={"Value": False})
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="disableApiTermination", Value="false")
    ec2.modify_instance_attribute(
        InstanceId=iid, InstanceInitiatedShutdownBehavior={"Value": "stop"}
    )
    # ...any other value of an attribute stockade does not keep is refused, changing nothing
    rejected(
        "UnsupportedOperation",
        ec2.modify_instance_attribute,
        InstanceId=iid,
        DisableApiTermination={"Value": True},
    )
    rejected(
        "UnsupportedOperation",
        ec2.modify_instance_attribute,
        InstanceId=iid,
        UserData={"Value": b"#!/bin/sh\n"},
    )
    rejected(
        "InvalidParameterValue",
        ec2.modify_instance_attribute,
        InstanceId=iid,
        InstanceInitiatedShutdownBehavior={"Value": "explode"},
    )
    rejected(
        "InvalidParameterCombination",
        ec2.modify_instance_attribute,
        InstanceId=iid,
        SourceDestCheck={"Value": False},
        DisableApiStop={"Value": False},
    )
    assert attribute("sourceDestCheck") == {"Value": True}
    # kept attributes change: source/dest check, and the type while stopped
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    assert attribute("sourceDestCheck") == {"Value": False}
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck", Value="true")
    assert attribute("sourceDestCheck") == {"Value": True}
    error = rejected(
        "IncorrectInstanceState",
        ec2.modify_instance_attribute,
        InstanceId=iid,
        InstanceType={"Value": "t3.large"},
    )
    assert error["Message"] == f"The instance '{iid}' is not in the 'stopped' state."
    ec2.stop_instances(InstanceIds=[iid])
    rejected(
        "InvalidParameterValue",
        ec2.modify_instance_attribute,
        InstanceId=iid,
        InstanceType={"Value": "t3.colossal"},
    )
    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "m6i.large"})
    assert attribute("instanceType") == {"Value": "m6i.large"}
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="instanceType", Value="t3.small")
    ec2.start_instances(InstanceIds=[iid])
    [inst] = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
    assert inst["InstanceType"] == "t3.small" and inst["State"]["Name"] == "running"


def test_credit_specifications_for_burstable_instances(ec2, subnet_id, rejected):
    t3 = _run(ec2, subnet_id, CreditSpecification={"CpuCredits": "unlimited"})
    t2 = _run(ec2, subnet_id, "t2.micro")
    m5 = _run(ec2, subnet_id, "m5.large")
    specs = ec2.describe_instance_credit_specifications()["InstanceCreditSpecifications"]
    assert {s["InstanceId"]: s["CpuCredits"] for s in specs} == {
        t3: "unlimited",
        t2: "standard",
    }
    named = ec2.describe_instance_credit_specifications(InstanceIds=[t2])
    assert named["InstanceCreditSpecifications"] == [{"InstanceId": t2, "CpuCredits": "standard"}]
    rejected("InvalidParameterValue", ec2.describe_instance_credit_specifications, InstanceIds=[m5])
    # a credit option stockade would not keep, or on a type without credits, is refused
    rejected(
        "UnsupportedOperation",
        ec2.run_instances,
        ImageId="ami-12345678",
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        CreditSpecification={"CpuCredits": "standard"},
    )
    rejected(
        "InvalidParameterCombination",
        ec2.run_instances,
        ImageId="ami-12345678",
        InstanceType="m5.large",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        CreditSpecification={"CpuCredits": "unlimited"},
    )


def test_unknown_instance_type_is_refused_at_launch(ec2, subnet_id, rejected):
    error = rejected(
        "InvalidParameterValue",
        ec2.run_instances,
        ImageId="ami-12345678",
        InstanceType="z9.mega",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
    )
    assert error["Message"] == "Invalid value 'z9.mega' for InstanceType."
    default = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet_id)
    assert default["Instances"][0]["InstanceType"] == "m1.small"
