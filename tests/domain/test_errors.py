"""The error catalogue (reference §4.14, §5.3)."""

from __future__ import annotations

import pytest

from stockade.domain import errors
from stockade.domain.errors import CODES, AwsError

FACTORY_CALLS = [
    lambda: errors.error("InvalidParameterValue", "x"),
    lambda: errors.missing_parameter("GroupName"),
    lambda: errors.invalid_value("GroupName", "sg-x", "why"),
    lambda: errors.invalid_value("GroupName", "sg-x"),
    lambda: errors.invalid_parameter_value("x"),
    lambda: errors.invalid_combination("x"),
    errors.dry_run,
    *[(lambda p=p: errors.malformed_id(p, "x")) for p in errors._ID_ERRORS],
    *[(lambda p=p: errors.not_found(p, "x")) for p in errors._ID_ERRORS],
    lambda: errors.group_not_found_in_vpc("web", "vpc-12345678"),
    lambda: errors.group_not_found_in_vpc("web", "vpc-12345678", default=True),
    errors.different_networks,
    lambda: errors.group_duplicate("web", "vpc-12345678"),
    lambda: errors.group_reserved("default"),
    lambda: errors.cannot_delete_default("sg-12345678"),
    lambda: errors.dependency_violation("sg-12345678"),
    lambda: errors.permission_duplicate("sg-8b3b99f3", "tcp", 0, 65535),
    errors.permission_not_found,
    lambda: errors.permission_malformed("x"),
    errors.rules_limit,
    lambda: errors.groups_limit("vpc-12345678"),
    errors.groups_per_interface_limit,
    lambda: errors.groups_per_interface_limit(instance_call=True),
    errors.vpc_id_not_specified,
    lambda: errors.vpc_group_by_name("web"),
    lambda: errors.incorrect_instance_state("i-12345678", "stopped", "started"),
    lambda: errors.different_networks_at_launch("sg-12345678", "subnet-12345678"),
    lambda: errors.multiple_interfaces("i-12345678"),
]


@pytest.mark.parametrize("make", FACTORY_CALLS)
def test_every_factory_builds_a_catalogued_client_error(make):
    err = make()
    assert isinstance(err, AwsError)
    assert isinstance(err, Exception)
    assert err.code in CODES
    assert err.status == (412 if err.code == "DryRunOperation" else 400)
    assert str(err) == f"{err.code}: {err.message}"
    assert err.message


def test_the_factories_listed_here_still_exist():
    public = {
        n
        for n, v in vars(errors).items()
        if callable(v)
        and not n.startswith("_")
        and getattr(v, "__module__", "") == errors.__name__
        and n != "AwsError"
    }
    covered = {
        "error",
        "missing_parameter",
        "invalid_value",
        "invalid_parameter_value",
        "invalid_combination",
        "dry_run",
        "malformed_id",
        "not_found",
        "group_not_found_in_vpc",
        "different_networks",
        "group_duplicate",
        "group_reserved",
        "cannot_delete_default",
        "dependency_violation",
        "permission_duplicate",
        "permission_not_found",
        "permission_malformed",
        "rules_limit",
        "groups_limit",
        "groups_per_interface_limit",
        "vpc_id_not_specified",
        "vpc_group_by_name",
        "incorrect_instance_state",
        "different_networks_at_launch",
        "multiple_interfaces",
    }
    assert covered <= public, covered - public


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("DryRunOperation", 412),
        ("AuthFailure", 401),
        ("UnauthorizedOperation", 403),
        ("InternalError", 500),
        ("Unavailable", 503),
        ("RequestLimitExceeded", 503),
        ("InvalidParameterValue", 400),
        ("InvalidGroup.NotFound", 400),
        ("MissingParameter", 400),
        ("RulesPerSecurityGroupLimitExceeded", 400),
    ],
)
def test_statuses(code, status):
    assert AwsError(code, "m").status == status


def test_every_code_with_a_special_status_is_catalogued():
    # regression: UnauthorizedOperation and RequestLimitExceeded had statuses but could not
    # be raised because they were missing from CODES
    assert set(errors._STATUS) <= CODES


def test_every_id_error_code_is_catalogued():
    for malformed, missing, _noun in errors._ID_ERRORS.values():
        assert malformed in CODES
        assert missing in CODES


def test_all_other_codes_are_client_errors():
    special = set(errors._STATUS)
    for code in CODES - special:
        assert AwsError(code, "m").status == 400, code


@pytest.mark.parametrize(
    "code",
    [
        # the reference §4.14 catalogue (legacy variants excluded) and §4/§5.3
        "InvalidGroup.NotFound",
        "InvalidGroupId.Malformed",
        "InvalidGroup.Duplicate",
        "InvalidGroup.Reserved",
        "CannotDelete",
        "DependencyViolation",
        "InvalidPermission.Duplicate",
        "InvalidPermission.NotFound",
        "InvalidPermission.Malformed",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "InvalidParameter",
        "MissingParameter",
        "RulesPerSecurityGroupLimitExceeded",
        "SecurityGroupLimitExceeded",
        "SecurityGroupsPerInterfaceLimitExceeded",
        "SecurityGroupsPerInstanceLimitExceeded",
        "InvalidSecurityGroupRuleId.NotFound",
        "InvalidSecurityGroupRuleId.Malformed",
        "InvalidVpcID.NotFound",
        "VPCIdNotSpecified",
        "InvalidPrefixListId.NotFound",
        "InvalidPrefixListId.Malformed",
        "InvalidNetworkInterfaceID.NotFound",
        "InvalidNetworkInterfaceId.Malformed",
        "InvalidInstanceID",
        "DryRunOperation",
        "UnauthorizedOperation",
        "AuthFailure",
        "InvalidAction",
        "UnknownParameter",
        "MissingAction",
        "RequestLimitExceeded",
        "InternalError",
        "Unavailable",
        "TagLimitExceeded",
    ],
)
def test_reference_codes_are_catalogued(code):
    assert code in CODES


@pytest.mark.parametrize("code", ["Nope", "", "invalidparametervalue", "InvalidGroup.InUse2"])
def test_unknown_code_is_a_programming_error(code):
    with pytest.raises(ValueError):
        AwsError(code, "m")


def test_aws_error_survives_reraise_through_context_managers():
    """Regression: a frozen-dataclass exception broke when a ``with`` block re-raised it
    (Python assigns ``__traceback__``), which every store transaction does."""
    from contextlib import contextmanager

    @contextmanager
    def transaction():
        yield

    err = errors.rules_limit()
    with pytest.raises(AwsError) as info, transaction():
        raise err
    assert info.value is err and info.value.code == "RulesPerSecurityGroupLimitExceeded"


# --- messages the reference marks as real AWS wording ------------------------------------------


@pytest.mark.parametrize(
    ("err", "code", "message"),
    [
        (
            errors.dry_run(),
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ),
        (
            errors.malformed_id("sg", "web"),
            "InvalidGroupId.Malformed",
            'Invalid id: "web" (expecting "sg-...")',
        ),
        (
            errors.not_found("sg", "sg-nope"),
            "InvalidGroup.NotFound",
            "The security group 'sg-nope' does not exist",
        ),
        (
            errors.group_not_found_in_vpc("web", "vpc-1", default=True),
            "InvalidGroup.NotFound",
            "The security group 'web' does not exist in default VPC 'vpc-1'",
        ),
        (
            errors.group_not_found_in_vpc("sg-1", "vpc-1"),
            "InvalidGroup.NotFound",
            "The security group 'sg-1' does not exist in VPC 'vpc-1'",
        ),
        (
            errors.different_networks(),
            "InvalidGroup.NotFound",
            "You have specified two resources that belong to different networks.",
        ),
        (
            errors.group_duplicate("web", "vpc-1"),
            "InvalidGroup.Duplicate",
            "The security group 'web' already exists for VPC 'vpc-1'",
        ),
        (
            errors.cannot_delete_default("sg-51530134"),
            "CannotDelete",
            'the specified group: "sg-51530134" name: "default" cannot be deleted by a user',
        ),
        (
            errors.dependency_violation("sg-1"),
            "DependencyViolation",
            "resource sg-1 has a dependent object",
        ),
        (
            errors.permission_duplicate("sg-8b3b99f3", "tcp", 0, 65535),
            "InvalidPermission.Duplicate",
            'the specified rule "peer: sg-8b3b99f3, TCP, from port: 0, to port: 65535, ALLOW" '
            "already exists",
        ),
        (
            errors.permission_not_found(),
            "InvalidPermission.NotFound",
            "The specified rule does not exist in this security group.",
        ),
        (
            errors.rules_limit(),
            "RulesPerSecurityGroupLimitExceeded",
            "The maximum number of rules per security group has been reached.",
        ),
        (
            errors.groups_limit("vpc-1"),
            "SecurityGroupLimitExceeded",
            "The maximum number of security groups for VPC 'vpc-1' has been reached.",
        ),
        (
            errors.groups_per_interface_limit(),
            "SecurityGroupsPerInterfaceLimitExceeded",
            "The maximum number of security groups per interface has been reached.",
        ),
        (
            errors.groups_per_interface_limit(instance_call=True),
            "SecurityGroupsPerInstanceLimitExceeded",
            None,
        ),
        (
            errors.vpc_group_by_name("web"),
            "InvalidParameterValue",
            "Invalid value 'web' for groupName. You may not reference Amazon VPC security groups "
            "by name. Please use the corresponding id for this operation.",
        ),
        (
            errors.different_networks_at_launch("sg-1", "subnet-1"),
            "InvalidParameter",
            "Security group sg-1 and subnet subnet-1 belong to different networks.",
        ),
        (
            errors.interface_in_use("eni-1"),
            "InvalidNetworkInterface.InUse",
            "Interface: [eni-1] in use.",
        ),
        (
            errors.multiple_interfaces("i-1"),
            "InvalidInstanceID",
            "There are multiple interfaces attached to instance 'i-1'. Please specify an "
            "interface ID for the operation instead.",
        ),
    ],
)
def test_real_aws_wording(err, code, message):
    assert err.code == code
    if message is not None:
        assert err.message == message
