"""Naming an instance by its Name tag (``stockade check --from web``, the console's "Can A
reach B?"): unique among live instances, ids and addresses untouched."""

from __future__ import annotations

import pytest

from stockade.domain.errors import AwsError
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.instance_names import endpoint_id, named_instance


def instance(instance_id: str, name: str, state: InstanceState = InstanceState.RUNNING):
    return Instance(
        instance_id,
        "123456789012",
        "us-east-1",
        "r-00000001",
        "vpc-00000001",
        "subnet-00000001",
        "us-east-1a",
        "ami-12345678",
        "t3.micro",
        state,
        "2024-01-01T00:00:00Z",
        f"eni-{instance_id[2:]}",
        tags=(("Name", name),),
    )


WEB = instance("i-00000001", "web")
OLD_WEB = instance("i-00000002", "web", InstanceState.TERMINATED)
DB = instance("i-00000003", "db", InstanceState.STOPPED)


def test_a_name_is_its_live_instance_and_a_terminated_namesake_does_not_count():
    assert named_instance([WEB, OLD_WEB, DB], "web") is WEB
    assert endpoint_id([WEB, OLD_WEB, DB], "db") == "i-00000003"  # stopped still counts


@pytest.mark.parametrize(
    "given", ["i-0123456789abcdef0", "eni-00000009", "10.0.1.5", "2001:db8::1"]
)
def test_ids_and_addresses_pass_through_for_the_engine_to_judge(given):
    assert endpoint_id([WEB], given) == given


@pytest.mark.parametrize("name", ["nobody", "web"])
def test_an_unknown_or_ambiguous_name_is_instance_not_found(name):
    twin = instance("i-00000004", "web")
    with pytest.raises(AwsError) as caught:
        named_instance([WEB, twin], name)
    assert caught.value.code == "InvalidInstanceID.NotFound"
    assert f"'{name}'" in caught.value.message
