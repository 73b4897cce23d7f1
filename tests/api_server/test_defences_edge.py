"""Issue 10 (continued), on the in-thread server: the cross-account oracle (item 5), and the
edge's limits with small settings (body deadline, body-read slots, --allow-origin)."""

from __future__ import annotations

import threading
import time

import pytest
from api_server.api_helpers import client, raw
from api_server.serve_process import connect, post_head, read_answer
from botocore.exceptions import ClientError

from stockade.api.app import create_app, serving
from stockade.api.edge import EdgeLimits, OriginPolicy
from stockade.domain.errors import AwsError

UNKNOWN = "sg-0123456789abcdef0"


def _answer(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def _pairs(group_id: str, owner: str, other: str) -> list[dict]:
    """Every way to name a group in a rule: id alone, with its owner, with someone else."""
    return [
        {"GroupId": group_id},
        {"GroupId": group_id, "UserId": owner},
        {"GroupId": group_id, "UserId": other},
        {"GroupId": group_id, "UserId": "999999999999"},
    ]


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_another_accounts_group_answers_like_an_unknown_id(endpoint, ec2, account, direction):
    other_account = str(int(account) + 500_000)
    theirs = client(endpoint, other_account)
    their_group = theirs.create_security_group(GroupName="theirs", Description="d")["GroupId"]
    other_region = client(endpoint, account, region="eu-west-1")
    my_far_group = other_region.create_security_group(GroupName="far", Description="d")["GroupId"]
    mine = ec2.create_security_group(GroupName="mine", Description="d")["GroupId"]
    call = getattr(ec2, f"authorize_security_group_{direction}")

    def answers(group_id: str, owner: str) -> list[tuple[str, str]]:
        out = []
        for pair in _pairs(group_id, owner, account):
            code, message = _answer(call, GroupId=mine, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [pair]}
            ])  # fmt: skip
            out.append((code, message.replace(group_id, "<id>")))
        return out

    unknown = answers(UNKNOWN, other_account)
    assert unknown[0] == ("InvalidGroup.NotFound", "The security group '<id>' does not exist")
    assert answers(their_group, other_account) == unknown
    assert answers(my_far_group, account) == unknown


def test_another_accounts_group_on_an_interface_answers_like_an_unknown_id(endpoint, ec2, account):
    theirs = client(endpoint, str(int(account) + 500_000))
    their_group = theirs.create_security_group(GroupName="theirs", Description="d")["GroupId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    code, message = _answer(ec2.create_network_interface, SubnetId=subnet, Groups=[their_group])
    assert (code, message.replace(their_group, "<id>")) == tuple(
        x.replace(UNKNOWN, "<id>")
        for x in _answer(ec2.create_network_interface, SubnetId=subnet, Groups=[UNKNOWN])
    )


# --- the edge's limits, with small settings -------------------------------------------------


@pytest.fixture
def tight(api_store):
    limits = EdgeLimits(body_slots=1, slot_wait=0.5, body_timeout=1.5)
    with serving(create_app(api_store, limits=limits)) as url:
        yield url


def test_a_trickled_body_gets_request_timeout_and_holds_its_slot_only_that_long(tight):
    started = time.monotonic()
    with connect(tight) as slow:
        slow.sendall(post_head(tight, {"Content-Length": "100"}, b"Action=Desc"))
        time.sleep(0.2)  # the slow body holds the only body-read slot
        status, text = raw(tight, "Action=DescribeVpcs&Version=2016-11-15")
        assert status == 503 and "<Code>RequestLimitExceeded</Code>" in text
        status, answer = read_answer(slow)
    took = time.monotonic() - started
    assert status == 400 and b"<Code>RequestTimeout</Code>" in answer
    assert 1.4 < took < 10
    status, _ = raw(tight, "Action=DescribeVpcs&Version=2016-11-15")
    assert status == 200


def test_allowed_origin_may_call_and_reads_the_answer(api_store):
    origins = OriginPolicy.of("127.0.0.1", ["https://console.example/"])
    with serving(create_app(api_store, origins=origins)) as url:
        body = "Action=DescribeVpcs&Version=2016-11-15"
        with connect(url) as sock:
            head = {"Origin": "https://console.example", "Content-Length": str(len(body))}
            sock.sendall(post_head(url, head, body.encode()))
            status, answer = read_answer(sock)
        assert status == 200
        assert b"access-control-allow-origin: https://console.example" in answer.lower()
        status, _ = raw(url, body, headers={"Origin": "https://evil.example"})
        assert status == 403


def test_binding_an_address_allows_it_as_host():
    policy = OriginPolicy.of("192.0.2.10")
    policy.check({"host": "192.0.2.10:4747"})
    policy.check({"host": "localhost:4747"})
    policy.check({"host": "[::1]:4747"})
    with pytest.raises(AwsError, match="not this server's address"):
        policy.check({"host": "198.51.100.7:4747"})
    OriginPolicy.of("0.0.0.0").check({"host": "stockade.internal:4747"})
    with pytest.raises(AwsError, match="not this server's address"):
        OriginPolicy.of("127.0.0.1").check({"host": "stockade.internal"})


def test_concurrent_small_requests_are_not_throttled(endpoint, account):
    """The body-read slots bound slow or big bodies, not ordinary concurrency."""
    ec2 = client(endpoint, account)
    errors: list[Exception] = []

    def work() -> None:
        try:
            for _ in range(5):
                ec2.describe_vpcs()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
