"""Run Prowler against a seeded ``stockade serve`` — meant to run inside ``unshare --net``.

``python prowler_world.py WORKDIR PROWLER CHECK...``: brings the new network namespace's
loopback up (the only interface there: nothing Prowler tries, its version check included,
can leave the machine), starts ``stockade serve`` on it with a store in WORKDIR, seeds the
demo scenario through the EC2 API (plus a flow log on the demo VPC and a second VPC without
one), runs ``PROWLER aws -c CHECK...`` with ``AWS_ENDPOINT_URL`` pointing at the server,
and writes ``WORKDIR/result.json``: Prowler's exit code, the server's ``/health``
``refused`` count, and the seed's ids. The OCSF findings are in ``WORKDIR/out``; the
server's log in ``WORKDIR/server.log``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ACCOUNT, REGION = "123456789012", "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _health(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint}/health", timeout=10) as response:
        return json.loads(response.read())


def _wait_for(endpoint: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            _health(endpoint)
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("stockade serve did not start") from None
            time.sleep(0.1)


def _seed(endpoint: str) -> dict:
    from stockade.demo.seed import build_seed
    from stockade.remote import RemoteServices

    api = RemoteServices(endpoint, ACCOUNT, REGION)
    seed = build_seed(api)
    api.client.create_flow_logs(
        ResourceIds=[seed.vpc_id], ResourceType="VPC", TrafficType="ALL", LogGroupName="prowler"
    )
    unlogged = api.client.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    return {"vpc_id": seed.vpc_id, "unlogged_vpc_id": unlogged, "groups": seed.groups}


def main(workdir: Path, prowler: str, checks: list[str]) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    stockade = [sys.executable, "-m", "stockade.cli.main"]
    serve = [*stockade, "serve", "--db", str(workdir / "store.db"), "--port", str(port)]
    with (workdir / "server.log").open("w") as log:
        server = subprocess.Popen([*serve, "--dataplane", "off"], stdout=log, stderr=log)
    try:
        _wait_for(endpoint, server)
        seeded = _seed(endpoint)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": ACCOUNT,
            "AWS_SECRET_ACCESS_KEY": "stockade",
            "AWS_DEFAULT_REGION": REGION,
        }
        command = [prowler, "aws", "--region", REGION, "--no-banner", "--no-color"]
        options = ["-M", "json-ocsf", "-o", str(workdir / "out"), "-F", "findings", "-c"]
        with (workdir / "prowler.log").open("w") as out:
            ran = subprocess.run(
                [*command, *options, *checks], env=env, stdout=out, stderr=out, timeout=240
            )
        refused = _health(endpoint)["refused"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {"prowler_exit": ran.returncode, "refused": refused, **seeded}
    (workdir / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:]))
