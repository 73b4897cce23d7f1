"""Exposure and audit on the console: ``stockade exposure``'s and ``stockade audit``'s answers
for the caller's scope, each linked to the rules, groups and ACLs responsible."""

from __future__ import annotations

import re

import requests
from console.console_helpers import SeededConsole, screenshot, wait
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from stockade.analysis.audit import audit
from stockade.domain.state import Snapshot
from stockade.policy import exposure
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext


def snapshot_of(seeded: SeededConsole) -> tuple[ServiceContext, Snapshot]:
    ctx = ServiceContext(seeded.store)
    with ctx.read() as tx:
        return ctx, tx.snapshot()


def rows(page: str, table: str) -> list[str]:
    body = re.search(rf'id="{table}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, f"no {table} on the page"
    return re.findall(r"<tr\b(.*?)</tr>", body.group(1), re.S)


def test_exposure_lists_what_the_internet_reaches_with_each_rule_linked(seeded_shared):
    page = requests.get(f"{seeded_shared.console}/audit", timeout=30)
    assert page.status_code == 200
    _, snap = snapshot_of(seeded_shared)
    exposed = [f for f in exposure(snap) if f.exposed]
    web = seeded_shared.seed.instances["web"]
    assert [f.instance_id for f in exposed] == [web]  # only web: app's subnet has no route out
    shown = rows(page.text, "exposure-table")
    assert len(shown) == sum(len(f.open_ranges) for f in exposed)
    assert all(f'data-instance="{web}" data-status="exposed"' in row for row in shown)
    for open_range in exposed[0].open_ranges:
        [rule] = open_range.rules
        href = f'href="/console/groups/{rule.group_id}#{rule.rule_id}"'
        assert any(href in row and f"tcp/{open_range.begin}" in row for row in shown), rule
    # would-be exposures (app: a public IP, but no route to the gateway) on request
    assert seeded_shared.seed.instances["app"] not in page.text
    everything = requests.get(f"{seeded_shared.console}/audit?all=1", timeout=30)
    assert 'data-status="would-be-exposed"' in everything.text
    assert seeded_shared.seed.instances["app"] in everything.text


def test_the_audit_findings_are_stockade_audits_with_severity_and_links(seeded_shared):
    page = requests.get(f"{seeded_shared.console}/audit", timeout=30)
    ctx, snap = snapshot_of(seeded_shared)
    findings = audit([(ctx.scope, snap)])
    shown = rows(page.text, "findings-table")
    assert len(shown) == len(findings) > 0
    for finding, row in zip(findings, shown, strict=True):
        assert f'data-check="{finding.check}" data-severity="{finding.severity.label}"' in row
        assert f'data-resource="{finding.resource_id}"' in row
    web = seeded_shared.seed.groups["web"]
    risky = next(r for r in shown if 'data-check="internet-risky-port"' in r)
    [rule] = [r for r in snap.rules_by_group[web] if r.spec.from_port == 8080]
    assert f'href="/console/groups/{web}#{rule.rule_id}"' in risky  # the rule responsible
    assert "critical" in risky
    acl = seeded_shared.seed.network_acl_id
    acl_rows = [r for r in shown if f'data-resource="{acl}"' in r]
    assert acl_rows and all(f'href="/console/acls/{acl}#ingress-100"' in r for r in acl_rows)
    summary = re.search(r'id="audit-summary">(.*?)</p>', page.text, re.S)
    assert summary and "critical</span> 1" in summary.group(1)


def test_a_severity_floor_keeps_the_severe_findings_and_a_bad_one_is_a_400(seeded_shared):
    high = requests.get(f"{seeded_shared.console}/audit?severity=high", timeout=30)
    shown = rows(high.text, "findings-table")
    assert shown and all(re.search(r'data-severity="(high|critical)"', r) for r in shown)
    everything = rows(requests.get(f"{seeded_shared.console}/audit").text, "findings-table")
    assert len(shown) < len(everything)
    bad = requests.get(f"{seeded_shared.console}/audit?severity=urgent", timeout=30)
    assert bad.status_code == 400
    assert "unknown severity &#39;urgent&#39;" in bad.text


def test_the_page_follows_the_state(seeded):
    """Revoke web's tcp/8080 rule: its exposure range and critical finding are gone."""
    ctx, snap = snapshot_of(seeded)
    web = seeded.seed.groups["web"]
    [rule] = [r for r in snap.rules_by_group[web] if r.spec.from_port == 8080]
    before = requests.get(f"{seeded.console}/audit", timeout=30).text
    assert rule.rule_id in before
    Services(ctx).rules.revoke(web, rule_ids=[rule.rule_id])
    after = requests.get(f"{seeded.console}/audit", timeout=30).text
    assert rule.rule_id not in after
    assert 'data-check="internet-risky-port"' not in after


def test_in_the_browser_a_findings_rule_opens_its_group(browser, seeded_shared):
    browser.get(f"{seeded_shared.console}/audit")
    screenshot(browser, "audit")
    web = seeded_shared.seed.groups["web"]
    link = browser.find_element(
        By.CSS_SELECTOR, f'tr[data-check="internet-risky-port"] a.rule-link[href*="{web}"]'
    )
    link.click()
    wait(browser, 20).until(ec.url_contains(f"/console/groups/{web}#sgr-"))
    assert "Inbound rules" in browser.page_source


def test_every_link_to_a_rule_or_entry_lands_on_its_row(seeded_shared):
    """The audit's links carry anchors (``#sgr-…``, ``#ingress-100``): the group and ACL
    pages they open have a row with that id."""
    page = requests.get(f"{seeded_shared.console}/audit?all=1", timeout=30).text
    links = set(re.findall(r'href="(/console/(?:groups|acls)/[^"#]+)#([^"]+)"', page))
    assert links, "the audit page links no rule or entry"
    for path, anchor in links:
        target = requests.get(f"{seeded_shared.url}{path}", timeout=30)
        assert target.status_code == 200, path
        assert f'id="{anchor}"' in target.text, f"{path} has no row #{anchor}"
