"""The boto3 client path (``stockade.remote``) never loads the store or SQLAlchemy.

A fresh interpreter imports ``stockade.remote``, builds the request types from
``service.contracts`` and makes real calls to the session's server on loopback; then it
reports which modules it loaded. The server runs in this (pytest) process, so the child's
``sys.modules`` shows only what the client side needs.
"""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = """
import json, sys
from stockade.domain.permissions import IpPermission
from stockade.remote import RemoteServices
from stockade.service.contracts import LaunchRequest

endpoint, account = sys.argv[1], sys.argv[2]
services = RemoteServices(endpoint, account, "us-east-1")
vpc = services.network.create_vpc("10.0.0.0/16", tags=(("Name", "remote"),))
subnet = services.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
group = services.groups.create("web", "web servers", vpc.vpc_id)
services.rules.authorize(
    group.group.group_id, [IpPermission("tcp", 443, 443, ip_ranges=(("0.0.0.0/0", None),))]
)
[launched] = services.instances.run(
    LaunchRequest(subnet_id=subnet.subnet_id, group_ids=(group.group.group_id,))
)
print(json.dumps({
    "vpc_tags": [list(t) for t in vpc.tags],
    "rules": len(services.groups.get(group.group.group_id).ingress),
    "instance_groups": list(launched.group_ids),
    "group_id": group.group.group_id,
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")
                     or m.startswith("stockade.store")),
}))
"""


def test_remote_services_work_without_loading_the_store(endpoint: str, account: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, endpoint, account],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["vpc_tags"] == [["Name", "remote"]]
    assert report["rules"] == 1
    assert report["instance_groups"] == [report["group_id"]]
    assert report["loaded"] == []
