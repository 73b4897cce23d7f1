"""``stockade import aws``: the unmodified CLI output of a real account, loaded as it is."""

from __future__ import annotations

import json
import shutil

import pytest

from stockade.analysis.aws_import import import_directory, load_directory
from stockade.domain.instance import InstanceState
from stockade.domain.scope import Scope
from stockade.domain.security_group import PeerKind
from stockade.shapes.fields import ImportProblem
from stockade.store.sql import SqlStore

from .conftest import ENI, INSTANCE, MAIN, MAIN_DIR, PEER, SG, edit_json, rule_id, snapshot_of


def test_everything_is_imported_with_ids_kept(store):
    assert store.scopes() == [MAIN, PEER]
    snap = snapshot_of(store)
    assert {g.group_id for g in snap.groups if g.owner_id == MAIN.account} == set(SG.values())
    assert len(snap.rules) == 38 and all(
        r.rule_id.startswith("sgr-0a1b2c3d4e5f7") for r in snap.rules
    )
    assert {e.eni_id for e in snap.interfaces} == set(ENI.values())
    # the terminated instance has no interfaces and is skipped
    assert {i.instance_id for i in snap.instances} == set(INSTANCE.values()) - {INSTANCE["gone"]}
    assert snap.instance_by_id[INSTANCE["legacy"]].state is InstanceState.STOPPED
    vpc = snap.vpc_by_id["vpc-0a1b2c3d4e5f60001"]
    assert vpc.ipv6_cidr_block == "2001:db8:1234:5600::/56" and dict(vpc.tags) == {"Name": "prod"}
    assert snap.internet_gateway_for(vpc.vpc_id).igw_id == "igw-0a1b2c3d4e5f62001"


def test_ipv6_prefix_lists_and_references_are_kept(snap):
    by_id = {r.rule_id: r for r in snap.rules}
    assert by_id[rule_id(6)].spec.peer.kind is PeerKind.CIDR_V6  # web: 443 from ::/0
    office = snap.prefix_list_by_id["pl-0a1b2c3d4e5f65001"]
    assert [e.cidr for e in office.entries] == ["192.0.2.0/28", "198.51.100.0/24"]
    assert office.version == 3 and office.max_entries == 5
    s3 = snap.prefix_list_by_id["pl-63a5400a"]  # AWS-managed: no MaxEntries in the output
    assert s3.name == "com.amazonaws.us-east-1.s3" and len(s3.entries) == 2
    # a reference to another account's group (a peered VPC) stays, with its owner
    partner = by_id[rule_id(0x17)].spec.peer
    assert (partner.kind, partner.value, partner.owner_id) == (
        PeerKind.GROUP,
        "sg-0b0b0b0b0b0b0b0b1",
        "444455556666",
    )
    unknown = by_id[rule_id(0x20)].spec.peer
    assert (unknown.value, unknown.owner_id) == ("sg-0c0c0c0c0c0c0c0c0", "777788889999")
    stale = by_id[rule_id(0x1F)].spec.peer
    assert stale.value == "sg-0a1b2c3d4e5f63999" and stale.value not in snap.group_by_id
    # rule descriptions and tags come from describe-security-group-rules
    assert by_id[rule_id(5)].description == "HTTPS from anywhere"
    assert dict(by_id[rule_id(0x15)].tags) == {"owner": "netops"}


def test_interfaces_keep_public_ipv6_and_attachments(snap):
    web = snap.interface_by_id[ENI["web1"]]
    assert web.public_ip == "203.0.113.10" and web.ipv6_addresses == ("2001:db8:1234:5601::10",)
    assert web.group_ids == (SG["web"], SG["web-old"]) and web.device_index == 0
    assert dict(web.tags) == {"Name": "web1-eth0"}
    lam = snap.interface_by_id[ENI["lambda"]]
    assert lam.interface_type == "lambda" and lam.instance_id is None


def test_warnings_name_what_is_not_modelled():
    states, warnings = load_directory(MAIN_DIR.parent.parent)
    assert not any("10.0.1.11" in w for w in warnings)  # secondary addresses are kept
    [web1] = [p.obj for p in states[0].interfaces if p.obj.private_ip == "10.0.1.10"]
    assert web1.secondary_private_ips == ("10.0.1.11",)
    assert any("i-0a1b2c3d4e5f68005" in w for w in warnings)


@pytest.mark.parametrize("layout", ["flat", "region-only", "account-only"])
def test_layout_levels_are_optional(tmp_path, layout):
    """Account and region come from the path when present, else from the content."""
    levels = {"flat": (), "region-only": ("us-east-1",), "account-only": ("111122223333",)}
    target = tmp_path.joinpath("aws", *levels[layout])
    shutil.copytree(MAIN_DIR, target)
    states, _ = load_directory(tmp_path / "aws")
    assert [s.scope for s in states] == [MAIN]


def test_groups_without_a_rules_file_get_stable_derived_ids(tmp_path, copy_fixtures):
    root = copy_fixtures(MAIN_DIR)
    (root / "security-group-rules.json").unlink()
    first, _ = load_directory(root)
    again, _ = load_directory(root)
    ids = [r.rule_id for r in first[0].rules]
    assert ids == [r.rule_id for r in again[0].rules] and len(set(ids)) == 38
    assert {r.spec for r in first[0].rules} == {
        r.spec for r in load_directory(MAIN_DIR)[0][0].rules
    }


def _problem(root) -> str:
    with pytest.raises(ImportProblem) as caught:
        load_directory(root)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_bad_field_names_file_and_field(copy_fixtures):
    root = copy_fixtures(MAIN_DIR)
    edit_json(
        root / "security-groups.json",
        lambda d: d["SecurityGroups"][1]["IpPermissions"][0].update(FromPort="443"),
    )
    message = _problem(root)
    assert "security-groups.json" in message
    assert "SecurityGroups[1].IpPermissions[0].FromPort" in message and "integer" in message


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda d: d["SecurityGroups"][0].pop("GroupId"), "SecurityGroups[0].GroupId: missing"),
        (
            lambda d: d["SecurityGroups"][1]["IpPermissions"][0]["IpRanges"][0].update(
                CidrIp="300.0.0.0/0"
            ),
            "CidrIp: CIDR block 300.0.0.0/0 is malformed",
        ),
        (
            lambda d: d["SecurityGroups"][1]["IpPermissions"][0].update(IpProtocol="bogus"),
            "IpProtocol: Invalid value 'bogus' for IP protocol",
        ),
        (lambda d: d.update(NextToken="abc"), "NextToken: present: this is one page"),
    ],
)
def test_broken_groups_output(copy_fixtures, breakage, expected):
    root = copy_fixtures(MAIN_DIR)
    edit_json(root / "security-groups.json", breakage)
    assert expected in _problem(root)


def test_rules_output_must_agree_with_groups_output(copy_fixtures):
    root = copy_fixtures(MAIN_DIR)
    edit_json(root / "security-group-rules.json", lambda d: d["SecurityGroupRules"].pop(5))
    message = _problem(root)
    assert "security-groups.json" in message and "disagree" in message


def test_references_between_files_must_resolve(copy_fixtures):
    root = copy_fixtures(MAIN_DIR)
    edit_json(
        root / "network-interfaces.json",
        lambda d: d["NetworkInterfaces"][0]["Groups"].append(
            {"GroupId": "sg-0123456789abcdef0", "GroupName": "gone"}
        ),
    )
    message = _problem(root)
    assert "network-interfaces.json: NetworkInterfaces[0].Groups" in message
    assert "sg-0123456789abcdef0 is in no describe-security-groups output" in message


def test_unrecognised_and_misnamed_files(copy_fixtures):
    root = copy_fixtures(MAIN_DIR)
    (root / "office-entries.json").write_text(json.dumps({"Entries": []}))
    assert "name the file after its list" in _problem(root)
    (root / "office-entries.json").write_text("{not json")
    assert "office-entries.json: not valid JSON" in _problem(root)
    (root / "office-entries.json").write_text(json.dumps({"Whatever": []}))
    assert "no recognised top-level key" in _problem(root)


def test_scope_must_be_knowable(copy_fixtures, tmp_path):
    root = copy_fixtures(MAIN_DIR)
    edit_json(root / "vpcs.json", lambda d: d["Vpcs"][1].update(OwnerId="999999999999"))
    assert "files of several accounts" in _problem(root)
    odd = tmp_path / "odd" / "not-a-region"
    shutil.copytree(MAIN_DIR, odd)
    assert "directory 'not-a-region' is not" in _problem(tmp_path / "odd")


def test_import_is_all_or_nothing(tmp_path):
    """The second scope already exists, so the whole import (first scope too) rolls back."""
    store = SqlStore.open(str(tmp_path / "s.db"))
    with store.write(PEER) as tx:
        tx.mark_initialized()
    with pytest.raises(ImportProblem, match="already holds this account and region"):
        import_directory(store, MAIN_DIR.parent.parent)
    assert store.scopes() == [PEER]
    with store.read(MAIN) as tx:
        assert tx.list_groups() == [] and tx.list_vpcs() == []


def test_cli_import_prints_counts_and_warnings(cli):
    result = cli("import", "aws", MAIN_DIR.parent.parent)
    assert "imported 111122223333/us-east-1: 2 vpcs, 3 subnets" in result.stdout
    assert "i-0a1b2c3d4e5f68005" in result.stderr  # the terminated instance, skipped
    again = cli("import", "aws", MAIN_DIR.parent.parent, code=1)
    assert again.stderr.count("\n") == 1 and "already holds" in again.stderr


def test_cli_import_json(cli):
    data = json.loads(cli("import", "aws", MAIN_DIR.parent.parent, "--json").stdout)
    assert data["imported"][0]["rules"] == 38 and data["imported"][1]["security_groups"] == 2


def test_peerings_are_seen_from_both_accounts_and_a_peer_not_imported_is_kept(store):
    main, peer = snapshot_of(store), snapshot_of(store, PEER)
    partner = main.peering_by_id["pcx-0a1b2c3d4e5f64001"]
    assert partner.is_active and dict(partner.tags) == {"Name": "prod-partner"}
    assert (partner.accepter.owner_id, partner.accepter.cidr_blocks) == (
        PEER.account,
        ("10.2.0.0/16",),
    )
    assert [p.vpc_peering_connection_id for p in peer.peerings] == ["pcx-0a1b2c3d4e5f64001"]
    elsewhere = main.peering_by_id["pcx-0a1b2c3d4e5f64002"]  # 777788889999 was not imported
    assert elsewhere.requester.owner_id == "777788889999"
    with store.read(MAIN) as tx:  # the peer not imported is a scope with nothing to read
        assert tx.peered_scopes() == [PEER, Scope("777788889999", "us-east-1")]


def test_a_peering_of_neither_side_is_a_located_problem(copy_fixtures):
    root = copy_fixtures(MAIN_DIR)
    edit_json(
        root / "vpc-peering-connections.json",
        lambda d: d["VpcPeeringConnections"][0]["RequesterVpcInfo"].update(OwnerId="999999999999"),
    )
    message = _problem(root)
    assert "vpc-peering-connections.json: VpcPeeringConnections[0]" in message
    assert "neither side" in message
