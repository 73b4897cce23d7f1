"""Network ACLs: the default ACL with every VPC, custom ACLs, entries, associations, errors."""

from __future__ import annotations

import pytest

from stockade.domain.network_acl import RuleAction, first_match
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import NetworkAclEntryRequest as Entry


@pytest.fixture
def svc(ctx) -> Services:
    return Services(ctx)


@pytest.fixture
def vpc(svc):
    return svc.network.create_vpc("10.0.0.0/16")


def _default(svc, vpc_id):
    [acl] = [a for a in svc.network_acls.describe() if a.vpc_id == vpc_id and a.is_default]
    return acl


def _numbers(acl):
    return sorted((e.egress, e.rule_number, e.action.value, e.cidr) for e in acl.entries)


def _ssh(number=100, egress=False, action="allow", cidr="0.0.0.0/0"):
    return Entry(number, egress, action, "6", cidr, port_from=22, port_to=22)


def test_every_vpc_gets_a_default_acl_allowing_everything(svc, vpc):
    acl = _default(svc, vpc.vpc_id)
    assert acl.network_acl_id.startswith("acl-") and acl.associations == ()
    assert _numbers(acl) == [
        (False, 100, "allow", "0.0.0.0/0"),
        (False, 32767, "deny", "0.0.0.0/0"),
        (True, 100, "allow", "0.0.0.0/0"),
        (True, 32767, "deny", "0.0.0.0/0"),
    ]
    six = svc.network.create_vpc("10.1.0.0/16", amazon_provided_ipv6=True)
    assert {(e.egress, e.rule_number) for e in _default(svc, six.vpc_id).entries} >= {
        (False, 101),
        (True, 101),
        (False, 32768),
        (True, 32768),
    }


def test_the_default_vpc_acl_holds_its_default_subnets(svc):
    [default] = [v for v in svc.network.list_vpcs() if v.is_default]
    subnets = {s.subnet_id for s in svc.network.list_subnets() if s.vpc_id == default.vpc_id}
    assert set(_default(svc, default.vpc_id).subnet_ids) == subnets and subnets


def test_new_subnets_join_the_default_acl_and_leave_it_when_deleted(svc, vpc):
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    acl = _default(svc, vpc.vpc_id)
    [association] = acl.associations
    assert association.subnet_id == subnet.subnet_id
    assert association.association_id.startswith("aclassoc-")
    custom = svc.network_acls.create(vpc.vpc_id).network_acl_id
    svc.network_acls.replace_association(association.association_id, custom)
    svc.network.delete_subnet(subnet.subnet_id)
    assert svc.network_acls.get(custom).associations == ()
    svc.network_acls.delete(custom)  # nothing holds it any more


def test_a_custom_acl_denies_everything_until_entries_are_added(svc, vpc):
    acl = svc.network_acls.create(vpc.vpc_id, tags=(("Name", "private"),))
    assert acl.tags == (("Name", "private"),) and not acl.is_default and acl.associations == ()
    assert _numbers(acl) == [
        (False, 32767, "deny", "0.0.0.0/0"),
        (True, 32767, "deny", "0.0.0.0/0"),
    ]
    assert svc.network_acls.get(acl.network_acl_id) == acl
    assert not first_match(acl, False, 4, "192.0.2.1", 6, 22)[1]


def test_entries_are_created_replaced_and_deleted_by_direction_and_number(svc, vpc, rejected):
    acl_id = svc.network_acls.create(vpc.vpc_id).network_acl_id
    svc.network_acls.create_entry(acl_id, _ssh(100, egress=False))
    svc.network_acls.create_entry(acl_id, _ssh(100, egress=True))  # same number, other way
    svc.network_acls.create_entry(acl_id, _ssh(90, action="deny", cidr="203.0.113.0/24"))
    acl = svc.network_acls.get(acl_id)
    assert first_match(acl, False, 4, "203.0.113.5", 6, 22)[0].rule_number == 90  # type: ignore[union-attr]
    assert first_match(acl, False, 4, "192.0.2.5", 6, 22) == (acl.entry(False, 100), True)
    e = rejected("NetworkAclEntryAlreadyExists", svc.network_acls.create_entry, acl_id, _ssh())
    assert e.message == "The network acl entry identified by 100 already exists."
    svc.network_acls.replace_entry(
        acl_id, Entry(100, False, "deny", "-1", ipv6_cidr_block="2001:db8::/32")
    )
    replaced = svc.network_acls.get(acl_id).entry(False, 100)
    assert (replaced.action, replaced.cidr, replaced.protocol) == (  # type: ignore[union-attr]
        RuleAction.DENY,
        "2001:db8::/32",
        "-1",
    )
    e = rejected("InvalidNetworkAclEntry.NotFound", svc.network_acls.replace_entry, acl_id, _ssh(7))
    assert e.message == "no ingress entry with number 7"
    svc.network_acls.delete_entry(acl_id, 90, False)
    e = rejected(
        "InvalidNetworkAclEntry.NotFound", svc.network_acls.delete_entry, acl_id, 90, False
    )
    assert e.message == "no ingress entry with number 90"
    e = rejected("InvalidNetworkAclEntry.NotFound", svc.network_acls.delete_entry, acl_id, 5, True)
    assert e.message == "no egress entry with number 5"
    # the * entries can be neither replaced nor removed
    for fn, args in (
        (svc.network_acls.delete_entry, (acl_id, 32767, False)),
        (svc.network_acls.replace_entry, (acl_id, Entry(32767, False, "allow", "-1", "0.0.0.0/0"))),
        (svc.network_acls.create_entry, (acl_id, Entry(0, False, "allow", "-1", "0.0.0.0/0"))),
    ):
        rejected("InvalidParameterValue", fn, *args)
    rejected("MissingParameter", svc.network_acls.delete_entry, acl_id, None, False)


def test_bad_entries_are_refused_with_aws_codes_and_change_nothing(svc, vpc, rejected):
    acl_id = svc.network_acls.create(vpc.vpc_id).network_acl_id
    cases = [
        ("MissingParameter", Entry(10, False, "allow", "6", "10.0.0.0/8")),  # no PortRange
        ("MissingParameter", Entry(10, False, "allow", "1", "10.0.0.0/8")),  # no IcmpTypeCode
        ("MissingParameter", Entry(10, False, "allow", "-1")),  # no CIDR
        ("MissingParameter", Entry(10, False, None, "-1", "10.0.0.0/8")),
        ("InvalidParameterCombination", Entry(10, False, "allow", "-1", "10.0.0.0/8", "::/0")),
        ("InvalidParameterValue", Entry(10, False, "allow", "-1", "10.0.0.0/33")),
        ("InvalidParameterValue", Entry(10, False, "maybe", "-1", "10.0.0.0/8")),
        ("InvalidParameterValue", Entry(10, False, "allow", "300", "10.0.0.0/8")),
        ("InvalidParameterValue", Entry(10, False, "allow", "6", "10.0.0.0/8", None, 9, 8)),
    ]
    for code, request in cases:
        rejected(code, svc.network_acls.create_entry, acl_id, request)
    rejected(
        "InvalidNetworkAclID.NotFound", svc.network_acls.create_entry, "acl-" + "1" * 17, _ssh()
    )
    rejected("InvalidNetworkAclId.Malformed", svc.network_acls.create_entry, "acl-nope", _ssh())
    assert len(svc.network_acls.get(acl_id).entries) == 2


def test_twenty_entries_per_direction_and_family_the_star_deny_included(svc, vpc, rejected):
    acl_id = svc.network_acls.create(vpc.vpc_id).network_acl_id
    for n in range(1, 20):  # 19 + the * deny = 20
        svc.network_acls.create_entry(acl_id, _ssh(n))
    e = rejected("NetworkAclEntryLimitExceeded", svc.network_acls.create_entry, acl_id, _ssh(20))
    assert acl_id in e.message
    # the other direction and the other family have their own 20
    svc.network_acls.create_entry(acl_id, _ssh(20, egress=True))
    svc.network_acls.create_entry(acl_id, Entry(20, False, "allow", "-1", ipv6_cidr_block="::/0"))
    # a replace that moves an entry into the full family counts too
    rejected(
        "NetworkAclEntryLimitExceeded",
        svc.network_acls.replace_entry,
        acl_id,
        Entry(20, False, "allow", "-1", "0.0.0.0/0"),
    )
    assert svc.network_acls.get(acl_id).entry(False, 20).family == 6  # type: ignore[union-attr]


def test_the_acl_quota_counts_the_default(store, rejected):
    svc = Services(ServiceContext(store, Scope(), Quotas(network_acls_per_vpc=2)))
    vpc = svc.network.create_vpc("10.0.0.0/16")
    svc.network_acls.create(vpc.vpc_id)
    e = rejected("NetworkAclLimitExceeded", svc.network_acls.create, vpc.vpc_id)
    assert "network ACLs" in e.message


def test_the_default_acl_and_an_acl_in_use_cannot_be_deleted(svc, vpc, rejected):
    default = _default(svc, vpc.vpc_id).network_acl_id
    e = rejected("InvalidParameterValue", svc.network_acls.delete, default)
    assert e.message == f"cannot delete default network ACL {default}"
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    custom = svc.network_acls.create(vpc.vpc_id).network_acl_id
    [association] = _default(svc, vpc.vpc_id).associations
    moved = svc.network_acls.replace_association(association.association_id, custom)
    e = rejected("DependencyViolation", svc.network_acls.delete, custom)
    assert e.message == f"The networkAcl '{custom}' has dependencies and cannot be deleted."
    back = svc.network_acls.replace_association(moved, default)  # "disassociate"
    svc.network_acls.delete(custom)
    assert [a.association_id for a in _default(svc, vpc.vpc_id).associations] == [back]
    assert subnet.subnet_id in _default(svc, vpc.vpc_id).subnet_ids
    rejected("InvalidNetworkAclID.NotFound", svc.network_acls.get, custom)


def test_replace_association_gives_a_new_id_and_refuses_other_vpcs(svc, vpc, rejected):
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    custom = svc.network_acls.create(vpc.vpc_id).network_acl_id
    [old] = _default(svc, vpc.vpc_id).associations
    new_id = svc.network_acls.replace_association(old.association_id, custom)
    assert new_id != old.association_id and new_id.startswith("aclassoc-")
    assert svc.network_acls.get(custom).subnet_ids == (subnet.subnet_id,)
    assert _default(svc, vpc.vpc_id).associations == ()
    rejected(
        "InvalidAssociationID.NotFound",
        svc.network_acls.replace_association,
        old.association_id,
        custom,
    )
    rejected(
        "InvalidAssociationID.Malformed",
        svc.network_acls.replace_association,
        "aclassoc-x!",
        custom,
    )
    other = svc.network.create_vpc("10.9.0.0/16")
    foreign = svc.network_acls.create(other.vpc_id).network_acl_id
    e = rejected("InvalidParameterValue", svc.network_acls.replace_association, new_id, foreign)
    assert "different networks" in e.message
    # replacing into the same ACL still renews the id
    again = svc.network_acls.replace_association(new_id, custom)
    assert svc.network_acls.get(custom).associations[0].association_id == again != new_id


def test_delete_vpc_takes_its_default_acl_and_waits_for_custom_ones(svc, rejected):
    """Terraform's destroy order: subnets, custom ACLs (after moving their subnets back),
    then the VPC; DependencyViolation exactly while a custom ACL exists."""
    vpc = svc.network.create_vpc("10.3.0.0/16")
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.3.1.0/24")
    custom = svc.network_acls.create(vpc.vpc_id).network_acl_id
    [association] = _default(svc, vpc.vpc_id).associations
    svc.network_acls.replace_association(association.association_id, custom)
    svc.network.delete_subnet(subnet.subnet_id)
    rejected("DependencyViolation", svc.network.delete_vpc, vpc.vpc_id)
    svc.network_acls.delete(custom)
    default = _default(svc, vpc.vpc_id).network_acl_id
    svc.network.delete_vpc(vpc.vpc_id)
    rejected("InvalidNetworkAclID.NotFound", svc.network_acls.get, default)
    assert all(a.vpc_id != vpc.vpc_id for a in svc.network_acls.describe())


def test_an_ipv6_block_adds_ipv6_entries(svc, vpc):
    custom = svc.network_acls.create(vpc.vpc_id).network_acl_id
    default = _default(svc, vpc.vpc_id).network_acl_id
    svc.network_acls.create_entry(default, _ssh(5, egress=True, action="deny"))  # egress changed
    svc.network.associate_ipv6_block(vpc.vpc_id)
    numbers = {(e.egress, e.rule_number) for e in svc.network_acls.get(default).entries}
    assert (False, 101) in numbers and (True, 101) not in numbers
    assert {(False, 32768), (True, 32768)} <= numbers
    assert {e.rule_number for e in svc.network_acls.get(custom).entries} == {32767, 32768}


def test_describe_by_id_tags_and_other_accounts(svc, vpc, store, rejected):
    acl_id = svc.network_acls.create(vpc.vpc_id).network_acl_id
    assert [a.network_acl_id for a in svc.network_acls.describe([acl_id])] == [acl_id]
    rejected("InvalidNetworkAclID.NotFound", svc.network_acls.describe, [acl_id, "acl-" + "2" * 17])
    svc.tags.create_tags([acl_id], [("env", "prod")])
    assert svc.network_acls.get(acl_id).tags == (("env", "prod"),)
    other = Services(ServiceContext(store, Scope("210987654321")))
    other.network.list_vpcs()
    rejected("InvalidNetworkAclID.NotFound", other.network_acls.get, acl_id)
    rejected("InvalidNetworkAclID.NotFound", other.tags.create_tags, [acl_id], [("a", "b")])


def test_snapshot_gives_each_subnet_its_acl(svc, vpc, store):
    a = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    b = svc.network.create_subnet(vpc.vpc_id, "10.0.2.0/24")
    custom = svc.network_acls.create(vpc.vpc_id).network_acl_id
    association = next(
        x for x in _default(svc, vpc.vpc_id).associations if x.subnet_id == b.subnet_id
    )
    svc.network_acls.replace_association(association.association_id, custom)
    with store.read(svc.ctx.scope) as tx:
        snapshot = tx.snapshot()
    assert snapshot.network_acl_by_subnet[a.subnet_id].is_default
    assert snapshot.network_acl_by_subnet[b.subnet_id].network_acl_id == custom


def test_the_data_plane_follower_sees_every_acl_change(svc, vpc, store):
    """Each ACL write names the ACL in the change log, so a follower (which re-reads the
    snapshot for ids it cannot patch) holds the ACLs a full read holds."""
    from stockade.dataplane.follow import Follower

    follower = Follower(store)
    follower.full(svc.ctx.scope)
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    acl_id = svc.network_acls.create(vpc.vpc_id).network_acl_id
    [association] = _default(svc, vpc.vpc_id).associations
    steps = [
        lambda: svc.network_acls.create_entry(acl_id, _ssh(10)),
        lambda: svc.network_acls.replace_entry(acl_id, _ssh(10, action="deny")),
        lambda: svc.network_acls.replace_association(association.association_id, acl_id),
        lambda: svc.network_acls.delete_entry(acl_id, 10, False),
        lambda: svc.network.delete_subnet(subnet.subnet_id),
        lambda: svc.network_acls.delete(acl_id),
    ]
    for step in steps:
        revision = store.revision()
        step()
        ids = [i for change in store.changes_since(revision) for i in change.resource_ids]
        assert any(i.startswith("acl-") for i in ids)
        refreshed = follower.refresh(svc.ctx.scope, ids, store.revision()).snapshot
        with store.read(svc.ctx.scope) as tx:
            assert refreshed.network_acls == tx.snapshot().network_acls


def test_a_vpc_left_without_its_default_acl_gets_one_with_its_next_subnet(svc, vpc, store):
    """State written without ACLs (by hand, or by an older import) still gives every new
    subnet an association AWS's way: the VPC's default ACL is made then."""
    with store.write(svc.ctx.scope) as tx:
        tx.delete_network_acl(_default(svc, vpc.vpc_id).network_acl_id)
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    acl = _default(svc, vpc.vpc_id)
    assert acl.subnet_ids == (subnet.subnet_id,) and len(acl.associations) == 1
    second = svc.network.create_subnet(vpc.vpc_id, "10.0.2.0/24")
    assert _default(svc, vpc.vpc_id).subnet_ids == (subnet.subnet_id, second.subnet_id)
