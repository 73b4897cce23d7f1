"""32 client threads x 200 mixed boto3 calls against one server: no errors, no lost writes,
and every write call counted once by the group commit that made it durable (``/health``)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from api_server.api_helpers import client

THREADS = 32
CALLS = 200


def _health(endpoint: str) -> dict:
    with urllib.request.urlopen(endpoint + "/health", timeout=30) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_concurrent_mixed_calls(endpoint, account):
    setup = client(endpoint, account, max_pool_connections=THREADS)
    vpc = setup.describe_vpcs()["Vpcs"][0]["VpcId"]
    errors: list[BaseException] = []
    created: list[list[str]] = [[] for _ in range(THREADS)]
    rules: list[int] = [0] * THREADS
    writes: list[int] = [0] * THREADS  # create, authorize and create_tags calls
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        ec2 = client(endpoint, account)
        try:
            barrier.wait(timeout=60)
            for i in range(CALLS):
                kind = i % 5
                if kind == 0 or not created[n]:
                    gid = ec2.create_security_group(
                        GroupName=f"t{n}-{i}", Description="d", VpcId=vpc
                    )["GroupId"]
                    created[n].append(gid)
                    writes[n] += 1
                elif kind == 1:
                    ec2.authorize_security_group_ingress(
                        GroupId=created[n][-1],
                        IpPermissions=[
                            {
                                "IpProtocol": "tcp",
                                "FromPort": i,
                                "ToPort": i,
                                "IpRanges": [{"CidrIp": f"10.{n}.0.0/16"}],
                            }
                        ],
                    )
                    rules[n] += 1
                    writes[n] += 1
                elif kind == 2:
                    [g] = ec2.describe_security_groups(GroupIds=[created[n][-1]])["SecurityGroups"]
                    assert g["GroupName"].startswith(f"t{n}-")
                elif kind == 3:
                    ec2.create_tags(
                        Resources=[created[n][-1]], Tags=[{"Key": "n", "Value": str(n)}]
                    )
                    writes[n] += 1
                else:
                    ec2.describe_security_group_rules(
                        Filters=[{"Name": "group-id", "Values": [created[n][0]]}]
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    before = _health(endpoint)
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not any(t.is_alive() for t in threads), "workers did not finish in time"
    assert not errors, errors[:3]
    groups = setup.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    ids = {g["GroupId"] for g in groups["SecurityGroups"] if g["GroupName"] != "default"}
    assert ids == {gid for made in created for gid in made}
    ingress = sum(
        len(g["IpPermissions"]) for g in groups["SecurityGroups"] if g["GroupName"] != "default"
    )
    assert ingress == sum(rules)
    tagged = setup.describe_tags(Filters=[{"Name": "key", "Values": ["n"]}])["Tags"]
    assert len(tagged) == len(ids)
    elapsed = time.monotonic() - started
    after = _health(endpoint)
    calls = after["write_calls"] - before["write_calls"]
    commits = after["commits"] - before["commits"]
    assert calls == sum(writes)  # each write call durable in exactly one commit
    assert 0 < commits <= calls
    assert after["revision"] - before["revision"] == calls  # every write here changes something
    print(f"{THREADS * CALLS} calls in {elapsed:.1f}s; {calls} writes in {commits} commits")
