"""CPU per EC2 Query request parse: ``request_pairs`` (form decoding) and ``parse_request``.

Three requests as boto3 sends them (botocore's serializer, then form coding): the
three-permission AuthorizeSecurityGroupIngress of bench/write_path.py (13 parameters),
a CreateSecurityGroup with a tag specification, and a DescribeSecurityGroups with two
filters. Each is parsed ``--parses`` times (>= 2000); the figure is the median CPU time
of one parse, read with ``time.thread_time_ns`` around each call, so that other work on
the machine (the cores are shared) does not count. The baseline, in the same run, is the
parse every request took before: field-by-field decoding and the general tree walk
(``general_params``). Prints one JSON object per line (case, unit, stockade, baseline,
ratio).

Usage: ``.venv/bin/python bench/parse.py [--parses N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import botocore.serialize
from api import three_permissions  # bench/api.py: the benchmark's own request

from stockade.api.model import operation_model
from stockade.api.parse import (
    _form_pairs_by_field,
    general_params,
    parse_request,
    request_pairs,
)
from stockade.api.parse_plan import action_plan

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "authorize_3": (
        "AuthorizeSecurityGroupIngress",
        {
            "GroupName": "bench-0",
            "IpPermissions": three_permissions("sg-0123456789abcdef0", "10.0.0.0/16"),
        },
    ),
    "create": (
        "CreateSecurityGroup",
        {
            "GroupName": "bench-0",
            "Description": "bench group",
            "VpcId": "vpc-0123456789abcdef0",
            "TagSpecifications": [
                {"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": "web"}]}
            ],
        },
    ),
    "describe_2_filters": (
        "DescribeSecurityGroups",
        {
            "Filters": [
                {"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]},
                {"Name": "group-name", "Values": ["web-*", "db-*"]},
            ],
            "MaxResults": 100,
        },
    ),
}


def body(action: str, params: dict[str, Any]) -> bytes:
    """The form body boto3 sends for ``params``."""
    request = botocore.serialize.create_serializer("ec2").serialize_to_request(
        params, operation_model(action)
    )
    return urlencode(request["body"]).encode()


def median_cpu_us(call: Callable[[Any], object], argument: Any, parses: int) -> float:
    clock = time.thread_time_ns
    samples = []
    for _ in range(parses):
        start = clock()
        call(argument)
        samples.append(clock() - start)
    return round(statistics.median(samples) / 1000, 2)


def general_parse(pairs: list[tuple[str, str]]) -> object:
    """The baseline: the general tree walk every request took before the per-name routes
    (and which irregular requests still take), on the same flat parameters."""
    flat = dict(pairs)
    return general_params(action_plan(flat["Action"]), flat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parses", type=int, default=5000)
    parses = max(2000, parser.parse_args().parses)
    for case, (action, params) in CASES.items():
        raw = body(action, params)
        pairs = request_pairs(raw)
        text = raw.decode()
        parse_request(pairs)  # build the action's plan and routes before the clock starts
        pairs_us = median_cpu_us(request_pairs, raw, parses)
        ours = pairs_us + median_cpu_us(parse_request, pairs, parses)
        theirs = median_cpu_us(_form_pairs_by_field, text, parses) + median_cpu_us(
            general_parse, pairs, parses
        )
        print(
            json.dumps(
                {
                    "case": f"parse_{case}",
                    "unit": "us CPU per request",
                    "stockade": round(ours, 2),
                    "baseline": round(theirs, 2),
                    "ratio": round(theirs / ours, 2),
                    "baseline_name": "field-by-field decoding and the general tree walk",
                    "fields": len(pairs),
                    "parses": parses,
                    "request_pairs_us": pairs_us,
                }
            )
        )


if __name__ == "__main__":
    main()
