"""``stockade exposure`` and ``stockade audit`` read one internet, one reachability and one
risky-port catalogue, so they agree (issue 11). Each test is a disagreement they once had."""

from __future__ import annotations

import pytest

from stockade.analysis.audit import AuditConfig, audit
from stockade.analysis.exposure_grade import interface_grade
from stockade.analysis.findings import Severity
from stockade.domain.instance import InstanceState
from stockade.domain.risky_ports import ADMIN_PORTS, RISKY_PORTS, is_risky
from stockade.policy.exposure import exposure
from stockade.policy.interface_reach import internet_reach

from .builders import SCOPE, group_id, world

WEB = group_id("web")
IN = False


def _audit(snapshot, check: str):
    found = audit([(SCOPE, snapshot)], AuditConfig())
    return [f for f in found if f.check == check]


@pytest.mark.parametrize("port", [5900, 5500])
def test_vnc_open_to_everyone_is_risky_to_exposure_and_audit(port):
    """exposure listed VNC as 5900 and audit as 5500: each missed the other's."""
    snap = world({WEB: [(IN, "tcp", port, port, "0.0.0.0/0")]})
    (finding,) = exposure(snap)
    assert finding.exposed and finding.severity == "HIGH"
    (risky,) = _audit(snap, "internet-risky-port")
    assert risky.severity is Severity.CRITICAL
    assert any("VNC" in s for s in risky.details["services"])


def test_a_stopped_instance_is_not_exposed_to_either():
    """exposure required a running instance, the audit's grading did not (it said
    CRITICAL for a stopped instance with a public IP and an internet gateway)."""
    snap = world({WEB: [(IN, "tcp", 5900, 5900, "0.0.0.0/0")]}, state=InstanceState.STOPPED)
    (finding,) = exposure(snap)
    assert not finding.exposed and finding.severity == "LOW"
    assert any("is stopped" in why for why in finding.not_reachable_because)
    (risky,) = _audit(snap, "internet-risky-port")
    assert risky.severity is Severity.HIGH  # one start away, not exposed
    assert "stopped" in risky.details["exposure"]


@pytest.mark.parametrize("state", [InstanceState.RUNNING, InstanceState.STOPPED])
@pytest.mark.parametrize("public", [True, False])
@pytest.mark.parametrize("gateway", [True, False])
def test_exposed_means_critical_for_every_combination(state, public, gateway):
    snap = world(
        {WEB: [(IN, "tcp", 22, 22, "0.0.0.0/0"), (IN, "tcp", 22, 22, "::/0")]},
        public=public,
        gateway=gateway,
        state=state,
    )
    (finding,) = exposure(snap)
    eni = snap.interfaces[0]
    for family in (4, 6):
        reachable = internet_reach(snap, eni, family).reachable
        assert reachable == (
            state is InstanceState.RUNNING and gateway and (public or family == 6)
        )  # IPv6 2001:db8:… is public
        assert reachable == any(
            r.exposed for r in finding.open_ranges if r.address_family == family
        )
        assert (interface_grade(snap, eni, family)[0] is Severity.CRITICAL) == reachable
    (admin,) = _audit(snap, "internet-admin-port")
    assert (admin.severity is Severity.CRITICAL) == finding.exposed


@pytest.mark.parametrize("cidr", ["4000::/2", "64:ff9b::/96", "fd00::/8"])
def test_ipv6_outside_global_unicast_is_not_the_internet_for_either(cidr):
    """exposure counted anything outside ULA/link-local/multicast/loopback as internet,
    the audit only 2000::/3 (what an internet gateway's ::/0 reaches): 2000::/3 it is."""
    snap = world({WEB: [(IN, "tcp", 22, 22, cidr)]})
    assert exposure(snap) == ()
    found = audit([(SCOPE, snap)], AuditConfig())
    assert not [f for f in found if f.check.startswith(("internet-", "wide-public"))]


def test_ipv6_internet_is_open_to_both():
    snap = world({WEB: [(IN, "tcp", 22, 22, "2000::/3")]})
    (finding,) = exposure(snap)
    assert [(r.address_family, r.exposed) for r in finding.open_ranges] == [(6, True)]
    (admin,) = _audit(snap, "internet-admin-port")
    assert admin.details["families"] == ["IPv6"] and admin.severity is Severity.CRITICAL


def test_one_catalogue_holds_both_lists_ports():
    """Every port the exposure grading called risky is in the audit's catalogue."""
    for port in (21, 22, 23, 135, 139, 445, 1433, 3306, 3389, 5432, 5900, 6379, 9200, 11211, 27017):
        assert is_risky("tcp", port, port)
    assert is_risky("tcp", 0, 1024)  # a range holding SSH
    assert not is_risky("tcp", 443, 443) and not is_risky("udp", 22, 22)
    assert is_risky("udp", 53, 53, RISKY_PORTS) and not is_risky("udp", 53, 53, ADMIN_PORTS)
