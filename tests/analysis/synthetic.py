"""A synthetic account of any size as ``aws ec2 describe-*`` output, for large imports.

One VPC, one subnet, ``groups`` security groups of ``rules // groups`` inbound tcp/443
rules each (one /32 per rule, distinct within a group), written as the groups output only
(rule ids are then derived). Also runnable by hand to measure a large import:
``.venv/bin/python tests/analysis/synthetic.py DIR RULES`` writes DIR.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from pathlib import Path

ACCOUNT, REGION = "111122223333", "us-east-1"
VPC_ID, SUBNET_ID = "vpc-0000000000000000a", "subnet-0000000000000000a"


def group_id(n: int) -> str:
    return f"sg-{n:017x}"


def write_account(directory: Path, rules: int, groups: int = 100) -> Path:
    """Write the account under ``directory/ACCOUNT/REGION`` and return that path."""
    where = directory / ACCOUNT / REGION
    where.mkdir(parents=True, exist_ok=True)
    (where / "vpcs.json").write_text(
        json.dumps({"Vpcs": [{"VpcId": VPC_ID, "CidrBlock": "10.0.0.0/16", "OwnerId": ACCOUNT}]})
    )
    (where / "subnets.json").write_text(
        json.dumps(
            {
                "Subnets": [
                    {
                        "SubnetId": SUBNET_ID,
                        "VpcId": VPC_ID,
                        "CidrBlock": "10.0.0.0/24",
                        "AvailabilityZone": f"{REGION}a",
                    }
                ]
            }
        )
    )
    per_group = max(rules // groups, 1)
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    with (where / "security-groups.json").open("w") as out:
        out.write('{"SecurityGroups": [')
        written = 0
        for n in range(groups):
            count = min(per_group, rules - written) if n < groups - 1 else rules - written
            ranges = ",".join(
                f'{{"CidrIp": "{ipaddress.IPv4Address(base + i)}/32"}}' for i in range(count)
            )
            out.write(
                ("," if n else "")
                + json.dumps(
                    {
                        "GroupId": group_id(n + 1),
                        "GroupName": f"g{n + 1}",
                        "Description": "bulk",
                        "VpcId": VPC_ID,
                        "OwnerId": ACCOUNT,
                        "IpPermissionsEgress": [],
                    }
                )[:-1]
                + f', "IpPermissions": [{{"IpProtocol": "tcp", "FromPort": 443, '
                f'"ToPort": 443, "IpRanges": [{ranges}]}}]}}'
            )
            written += count
        out.write("]}")
    return where


if __name__ == "__main__":
    write_account(
        Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    )
