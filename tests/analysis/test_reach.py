"""``stockade reach``: merged port ranges with the rules responsible; ``--diff``."""

from __future__ import annotations

import dataclasses
import json

import pytest

from stockade.analysis.reach import parse_ports, parse_source, reach
from stockade.analysis.reach_diff import reach_diff
from stockade.policy import exposure

from .builders import group_id, world
from .conftest import ENI, FIXTURES, INSTANCE, MAIN, SG, rule_id


def _ranges(result) -> list[str]:
    return [r.service.text() for r in result.ranges]


def _one(results, eni, family=4):
    return next(r for r in results if r.eni_id == eni and r.family == family)


def test_from_the_internet(snap):
    results = reach(snap, parse_source(snap, "internet"))
    web4 = _one(results, ENI["web1"])
    assert web4.reachable and _ranges(web4) == ["icmp type 8", "tcp/0-1024"]
    tcp = web4.ranges[1]
    assert {r.rule_id for r in tcp.ingress_rules} >= {rule_id(8), rule_id(5), rule_id(7)}
    assert _ranges(_one(results, ENI["web1"], 6)) == ["tcp/443"]
    db = _one(results, ENI["db1"])
    assert not db.reachable and db.blockers[0].code == "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"
    assert _ranges(db) == ["tcp/22", "tcp/1433", "tcp/3389"]  # what would open


def test_internet_ranges_agree_with_the_policy_engines_exposure(snap):
    """The same question asked two ways: reach's merged ranges equal exposure()'s."""
    results = {(r.eni_id, r.family): r for r in reach(snap, parse_source(snap, "internet"))}
    compared = 0
    for finding in exposure(snap):
        for opened in finding.open_ranges:
            eni = snap.interface_by_id[finding.eni_id]
            if opened.protocol not in ("tcp", "udp") or (
                opened.address_family == 6 and not eni.ipv6_addresses
            ):
                continue  # reach skips a family the interface has no address of
            ours = results[(finding.eni_id, opened.address_family)]
            spans = [
                (r.service.from_port, r.service.to_port)
                for r in ours.ranges
                if r.service.protocol == opened.protocol
            ]
            assert (opened.begin, opened.end) in spans
            compared += 1
    assert compared  # the fixture has internet-open TCP/UDP ranges: the loop ran


def test_from_an_instance_intersects_both_sides(snap):
    results = reach(snap, parse_source(snap, INSTANCE["web1"]), INSTANCE["db1"])
    (db,) = results
    assert db.path == "vpc-local" and db.reachable
    assert _ranges(db) == ["tcp/1433", "tcp/3389", "tcp/5432", "udp/161"]
    pg = db.ranges[2]
    assert {r.rule_id for r in pg.ingress_rules} == {rule_id(0x13), rule_id(0x14)}
    assert pg.egress_rules and all(r.direction == "egress" for r in pg.egress_rules)


def test_egress_rules_limit_what_an_instance_reaches():
    web, db = group_id("web"), group_id("db")
    snap = world(
        {
            web: [(True, "tcp", 5432, 5432, "10.0.0.0/16")],
            db: [(False, "tcp", 0, 65535, "10.0.0.0/16")],
        },
        attached={"a": [web], "b": [db]},
    )
    results = reach(snap, parse_source(snap, "a"), "b")
    assert _ranges(results[0]) == ["tcp/5432"]


def test_from_a_cidr_and_port_filters(snap):
    results = reach(snap, parse_source(snap, "10.0.0.0/16"), ports=parse_ports(["tcp/5432"]))
    # legacy's default group admits its own address (in the CIDR), but it is stopped
    assert [(r.eni_id, _ranges(r), r.reachable) for r in results] == [
        (ENI["db1"], ["tcp/5432"], True),
        (ENI["legacy"], ["tcp/5432"], False),
    ]
    assert results[0].path == "vpc-local" and results[1].blockers[0].code == "BAD_STATE"
    outside = reach(snap, parse_source(snap, "198.51.100.0/24"), INSTANCE["db1"])
    assert outside[0].path == "internet" and outside[0].blockers
    assert parse_ports(["22", "udp/53", "icmp", "all"])[-1] == (0, (1 << 24) - 1)
    with pytest.raises(ValueError):
        parse_ports(["tcp/70000"])
    with pytest.raises(ValueError):
        parse_source(snap, "nowhere")


def test_diff_opens_and_closes(snap):
    source = parse_source(snap, "internet")
    before = reach(snap, source)
    low_ports = {rule_id(8), rule_id(0xF)}  # tcp 0-1024 from 0.0.0.0/0 on web and web-old
    kept = [r for r in snap.rules if r.rule_id not in low_ports]
    https = next(r for r in snap.rules if r.rule_id == rule_id(5))
    redis = dataclasses.replace(
        https,
        rule_id="sgr-00000000000000001",
        group_id=SG["db"],
        spec=dataclasses.replace(https.spec, from_port=6379, to_port=6379),
    )
    after = reach(dataclasses.replace(snap, rules=(*kept, redis)), source)
    changes = {(c.eni_id, c.family): c for c in reach_diff(before, after)}
    web = changes[(ENI["web1"], 4)]
    assert [d.text for d in web.closed] == ["tcp/0-79", "tcp/81-442", "tcp/444-1024"]
    assert set(web.closed[0].rules) == low_ports and not web.opened
    db = changes[(ENI["db1"], 4)]
    assert [d.text for d in db.would_open] == ["tcp/6379"] and not db.opened
    assert db.would_open[0].rules == ("sgr-00000000000000001",)


def test_cli_reach_and_diff(cli, tmp_path, monkeypatch):
    cli("import", "aws", FIXTURES)
    table = cli("reach", "--from", "internet", "--to", INSTANCE["web1"]).stdout
    assert "tcp/0-1024" in table and "sgr-0a1b2c3d4e5f70008" in table
    data = json.loads(
        cli(
            "reach", "--from", INSTANCE["web1"], "--to", "db1", "--json", "--port", "tcp/5432"
        ).stdout
    )
    assert [r["text"] for r in data[0]["ranges"]] == ["tcp/5432"]
    # a changed copy: db opens 6379 to the internet
    cli("import", "aws", FIXTURES, "--db", tmp_path / "after.db")
    cli(
        "sg",
        "allow",
        SG["db"],
        "--port",
        "6379",
        "--cidr",
        "0.0.0.0/0",
        "--db",
        tmp_path / "after.db",
        "--account",
        MAIN.account,
        "--region",
        MAIN.region,
    )
    diff = json.loads(
        cli("reach", "--from", "internet", "--diff", tmp_path / "after.db", "--json").stdout
    )
    assert [(c["network_interface_id"], [d["text"] for d in c["would_open"]]) for c in diff] == [
        (ENI["db1"], ["tcp/6379"])
    ]
    # Regression: STOCKADE_ACCOUNT/STOCKADE_REGION used to narrow only the --db side, so
    # another account's scope in the --diff store showed up as openings.
    other = ("--db", tmp_path / "after.db", "--account", "999999999999")
    cli("sg", "allow", "default", "--port", "22", "--cidr", "0.0.0.0/0", *other)
    cli("instance", "run", "--name", "elsewhere", *other)
    monkeypatch.setenv("STOCKADE_ACCOUNT", MAIN.account)
    monkeypatch.setenv("STOCKADE_REGION", MAIN.region)
    narrowed = json.loads(
        cli("reach", "--from", "internet", "--diff", tmp_path / "after.db", "--json").stdout
    )
    assert [c["network_interface_id"] for c in narrowed] == [ENI["db1"]]
    assert "no change" in cli("reach", "--from", "internet", "--diff", tmp_path / "cli.db").stdout
    cli("reach", "--from", "i-0123456789abcdef0", code=1)
