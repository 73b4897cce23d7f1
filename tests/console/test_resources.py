"""Groups, network ACLs and instances in the console: rule tables in AWS's console columns,
hit counts, and rule and ACL entry edits through the service layer — a refused edit shows
AWS's code and message and changes nothing; a change without the CSRF token is 403."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from console.console_helpers import SeededConsole, fill_form, screenshot, session_for, wait
from markupsafe import escape

from stockade.api.app import serving
from stockade.console import traffic
from stockade.console.app import create_server_app
from stockade.demo.seed import ADMIN_CIDR, MY_COMPUTER, build_seed
from stockade.domain.security_group import SecurityGroupRule
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore


def _rules(seeded: SeededConsole, group: str) -> list[SecurityGroupRule]:
    with ServiceContext(seeded.store).read() as tx:
        return list(tx.rules_of([seeded.seed.groups[group]]))


def _acl(seeded: SeededConsole):
    with ServiceContext(seeded.store).read() as tx:
        return tx.snapshot().network_acl_by_id[seeded.seed.network_acl_id]


def _row(html: str, rule_id: str) -> str:
    start = html.index(f'data-rule="{rule_id}">')
    return html[start : html.index("</tr>", start)]


def test_a_group_page_lists_its_rules_in_aws_console_columns(seeded_shared: SeededConsole):
    web = seeded_shared.seed.groups["web"]
    page = requests.get(f"{seeded_shared.console}/groups/{web}")
    assert page.status_code == 200
    html = page.text
    for column in ("Security group rule ID", "IP version", "Type", "Protocol", "Port range"):
        assert f"<th>{column}</th>" in html
    assert "<th>Source</th>" in html and "<th>Destination</th>" in html
    ssh = next(r for r in _rules(seeded_shared, "web") if r.spec.from_port == 22)
    cells = _row(html, ssh.rule_id)
    for text in ("IPv4", "SSH", "TCP", "22", f"{MY_COMPUTER}/32", "SSH from my computer"):
        assert f"<td>{text}</td>" in cells, text
    # with the data plane off nothing counts hits: a dash, and how to turn it on
    assert '<td class="hits">—</td>' in cells
    assert "stockade serve --dataplane" in html
    outbound = next(r for r in _rules(seeded_shared, "web") if r.is_egress)
    assert "<td>All traffic</td>" in _row(html, outbound.rule_id)
    # members of the group link to their instance pages
    assert f'href="/console/instances/{seeded_shared.seed.instances["app"]}"' in html


def test_a_rule_referencing_a_group_links_it_and_has_no_ip_version(seeded_shared: SeededConsole):
    group_1, group_2 = seeded_shared.seed.groups["group-1"], seeded_shared.seed.groups["group-2"]
    html = requests.get(f"{seeded_shared.console}/groups/{group_1}").text
    by_peer = {r.spec.peer.value: r for r in _rules(seeded_shared, "group-1") if not r.is_egress}
    cells = _row(html, by_peer[group_2].rule_id)
    assert "<td>—</td>" in cells  # IP version: none for a group reference
    assert f'<a href="/console/groups/{group_2}">{group_2} (group-2)</a>' in cells


def test_hit_counts_and_last_hit_come_from_the_traffic_source_when_the_data_plane_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    @dataclass
    class Hits:
        count: int
        last_hit: datetime | None

    store = SqlStore.open(str(tmp_path / "hits.db"))
    seed = build_seed(ServiceContext(store))
    with ServiceContext(store).read() as tx:
        rules = list(tx.rules_of([seed.groups["web"]]))
    http_rule = next(r for r in rules if r.spec.from_port == 80)
    seen: list[object] = []

    def counted_hits(live):
        seen.append(live)
        return {http_rule.rule_id: Hits(42, datetime(2026, 12, 7, 6, 30, 5, tzinfo=UTC))}

    # the data plane's counters (stockade.console.traffic), as a running one would give them
    monkeypatch.setattr(traffic, "counted_hits", counted_hits)
    monkeypatch.setattr(traffic, "live_dataplane", lambda config: object())
    try:
        with serving(create_server_app(store, dataplane=lambda: {"status": "running"})) as url:
            html = requests.get(f"{url}/console/groups/{seed.groups['web']}").text
    finally:
        store.close()
    assert seen, "the page did not ask for hits"
    cells = _row(html, http_rule.rule_id)
    assert '<td class="hits">42</td>' in cells
    assert '<td class="last-hit">2026-12-07 06:30:05 UTC</td>' in cells
    other = next(r for r in rules if r.spec.from_port == 22)
    assert '<td class="hits">0</td>' in _row(html, other.rule_id)  # counted, never hit
    assert "stockade serve --dataplane" not in html


def test_adding_a_rule_shows_it_in_the_table(seeded: SeededConsole):
    web = seeded.seed.groups["web"]
    http, token = session_for(seeded.console)
    answer = http.post(
        f"{seeded.console}/groups/{web}/rules",
        data={
            "csrf_token": token,
            "direction": "ingress",
            "type": "HTTPS",
            "peer": "198.51.100.0/24",
            "description": "TLS from partners",
        },
        allow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/groups/{web}"
    [added] = [r for r in _rules(seeded, "web") if r.spec.from_port == 443]
    assert (added.spec.protocol, added.spec.peer.value) == ("tcp", "198.51.100.0/24")
    assert added.description == "TLS from partners"
    cells = _row(http.get(f"{seeded.console}/groups/{web}").text, added.rule_id)
    assert "<td>HTTPS</td>" in cells and "<td>TLS from partners</td>" in cells


def test_custom_rules_outbound_and_to_a_group(seeded: SeededConsole):
    web, ssh_only = seeded.seed.groups["web"], seeded.seed.groups["ssh-only"]
    http, token = session_for(seeded.console)
    for form in (
        {"direction": "egress", "type": "Custom UDP", "ports": "5000-5010", "peer": "10.0.0.0/16"},
        {"direction": "ingress", "type": "Custom TCP", "ports": "9000", "peer": ssh_only},
        {"direction": "ingress", "type": "Custom protocol", "protocol": "47", "peer": "::/0"},
    ):
        answer = http.post(
            f"{seeded.console}/groups/{web}/rules",
            data={"csrf_token": token, **form},
            allow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
    specs = {
        (r.is_egress, r.spec.protocol, r.spec.from_port, r.spec.to_port, r.spec.peer.value)
        for r in _rules(seeded, "web")
    }
    assert (True, "udp", 5000, 5010, "10.0.0.0/16") in specs
    assert (False, "tcp", 9000, 9000, ssh_only) in specs
    assert (False, "47", -1, -1, "::/0") in specs


@pytest.mark.parametrize(
    ("form", "code", "message"),
    [
        (
            {"type": "SSH", "peer": f"{MY_COMPUTER}/32"},
            "InvalidPermission.Duplicate",
            f'the specified rule "peer: {MY_COMPUTER}/32, TCP, from port: 22, to port: 22, '
            'ALLOW" already exists',
        ),
        (
            {"type": "Custom TCP", "ports": "ssh", "peer": "0.0.0.0/0"},
            "InvalidParameterValue",
            "Invalid Port range 'ssh'",
        ),
        ({"type": "HTTP", "peer": "10.0.0.300/32"}, "InvalidParameterValue", "10.0.0.300/32"),
        ({"type": "HTTP", "peer": ""}, "MissingParameter", "Source or destination"),
        (
            {"type": "HTTP", "peer": "sg-0123456789abcdef0"},
            "InvalidGroup.NotFound",
            "sg-0123456789abcdef0",
        ),
    ],
)
def test_a_refused_rule_shows_aws_error_and_changes_nothing(
    seeded_shared: SeededConsole, form: dict, code: str, message: str
):
    web = seeded_shared.seed.groups["web"]
    before = _rules(seeded_shared, "web")
    http, token = session_for(seeded_shared.console)
    answer = http.post(
        f"{seeded_shared.console}/groups/{web}/rules",
        data={"csrf_token": token, "direction": "ingress", **form},
        allow_redirects=False,
    )
    assert answer.status_code == 400
    assert f'<strong class="code">{code}</strong>' in answer.text
    assert str(escape(message)) in answer.text
    assert 'id="rule-error"' in answer.text
    # the form keeps what was typed, and the table what there was
    assert f'value="{form["peer"]}"' in answer.text
    assert _rules(seeded_shared, "web") == before


def test_deleting_a_rule_removes_it(seeded: SeededConsole):
    web = seeded.seed.groups["web"]
    ssh = next(r for r in _rules(seeded, "web") if r.spec.from_port == 22)
    http, token = session_for(seeded.console)
    answer = http.post(
        f"{seeded.console}/groups/{web}/rules/{ssh.rule_id}/delete",
        data={"csrf_token": token, "direction": "ingress"},
        allow_redirects=False,
    )
    assert answer.status_code == 303
    assert ssh.rule_id not in {r.rule_id for r in _rules(seeded, "web")}
    assert ssh.rule_id not in http.get(f"{seeded.console}/groups/{web}").text
    # deleting it again: AWS's not-found, nothing else touched
    again = http.post(
        f"{seeded.console}/groups/{web}/rules/{ssh.rule_id}/delete",
        data={"csrf_token": token, "direction": "ingress"},
    )
    assert again.status_code == 400
    assert "InvalidSecurityGroupRuleId.NotFound" in again.text
    assert len(_rules(seeded, "web")) == 3


def test_rule_and_entry_edits_without_the_csrf_token_are_refused_and_change_nothing(
    seeded_shared: SeededConsole,
):
    seed, console = seeded_shared.seed, seeded_shared.console
    web = seed.groups["web"]
    rules, acl = _rules(seeded_shared, "web"), _acl(seeded_shared)
    ssh = next(r for r in rules if r.spec.from_port == 22)
    http, token = session_for(console)
    for path, data in (
        (f"/groups/{web}/rules", {"direction": "ingress", "type": "RDP", "peer": "0.0.0.0/0"}),
        (f"/groups/{web}/rules/{ssh.rule_id}/delete", {"direction": "ingress"}),
        (
            f"/acls/{seed.network_acl_id}/entries",
            {
                "direction": "ingress",
                "rule_number": "60",
                "type": "All traffic",
                "cidr": "192.0.2.0/24",
                "action": "deny",
            },
        ),
        (
            f"/acls/{seed.network_acl_id}/entries/delete",
            {"direction": "ingress", "rule_number": "50"},
        ),
    ):
        for csrf in ({}, {"csrf_token": "x" * 43}):
            answer = http.post(f"{console}{path}", data={**data, **csrf}, allow_redirects=False)
            assert answer.status_code == 403, path
            assert "CSRF" in answer.text
    assert _rules(seeded_shared, "web") == rules
    assert _acl(seeded_shared) == acl


def test_an_acl_page_lists_entries_in_evaluation_order_and_its_subnets(
    seeded_shared: SeededConsole,
):
    seed = seeded_shared.seed
    html = requests.get(f"{seeded_shared.console}/acls/{seed.network_acl_id}").text
    inbound = html[html.index('data-direction="ingress"') : html.index('data-direction="egress"')]
    numbers = [inbound.index(f'data-entry="ingress-{n}"') for n in ("50", "100", "*")]
    assert numbers == sorted(numbers)
    deny = inbound[numbers[0] : numbers[1]]
    assert "<td>203.0.113.64/26</td>" in deny and '<td class="denied">Deny</td>' in deny
    assert "<td>All traffic</td>" in deny
    # the * entry cannot be deleted: no form for it
    star = inbound[numbers[2] :]
    assert "Delete" not in star[: star.index("</tr>")]
    assert f'data-subnet="{seed.subnet_id}"' in html
    listing = requests.get(f"{seeded_shared.console}/acls").text
    assert f'href="/console/acls/{seed.network_acl_id}"' in listing


def test_adding_and_deleting_an_acl_entry(seeded: SeededConsole):
    seed = seeded.seed
    http, token = session_for(seeded.console)
    base = f"{seeded.console}/acls/{seed.network_acl_id}"
    added = http.post(
        f"{base}/entries",
        data={
            "csrf_token": token,
            "direction": "ingress",
            "rule_number": "60",
            "type": "SSH",
            "cidr": ADMIN_CIDR,
            "action": "allow",
        },
        allow_redirects=False,
    )
    assert added.status_code == 303
    entry = _acl(seeded).entry(False, 60)
    assert entry is not None and entry.port_range == (22, 22) and entry.cidr == ADMIN_CIDR
    assert 'data-entry="ingress-60"' in http.get(base).text

    icmp = http.post(
        f"{base}/entries",
        data={
            "csrf_token": token,
            "direction": "egress",
            "rule_number": "70",
            "type": "Custom ICMP - IPv4",
            "icmp": "8",
            "cidr": "0.0.0.0/0",
            "action": "deny",
        },
        allow_redirects=False,
    )
    assert icmp.status_code == 303
    echo = _acl(seeded).entry(True, 70)
    assert echo is not None and (echo.icmp_type, echo.allows) == (8, False)

    removed = http.post(
        f"{base}/entries/delete",
        data={"csrf_token": token, "direction": "ingress", "rule_number": "60"},
        allow_redirects=False,
    )
    assert removed.status_code == 303
    assert _acl(seeded).entry(False, 60) is None


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (
            {"rule_number": "50", "type": "All traffic", "cidr": "0.0.0.0/0"},
            "NetworkAclEntryAlreadyExists",
        ),
        (
            {"rule_number": "40000", "type": "All traffic", "cidr": "0.0.0.0/0"},
            "InvalidParameterValue",
        ),
        (
            {"rule_number": "fifty", "type": "All traffic", "cidr": "0.0.0.0/0"},
            "InvalidParameterValue",
        ),
        (
            {"rule_number": "61", "type": "Custom TCP", "ports": "1-2-3", "cidr": "0.0.0.0/0"},
            "InvalidParameterValue",
        ),
        ({"rule_number": "62", "type": "All traffic", "cidr": "nowhere"}, "InvalidParameterValue"),
    ],
)
def test_a_refused_acl_entry_shows_aws_error_and_changes_nothing(
    seeded_shared: SeededConsole, form: dict, code: str
):
    acl = _acl(seeded_shared)
    http, token = session_for(seeded_shared.console)
    answer = http.post(
        f"{seeded_shared.console}/acls/{seeded_shared.seed.network_acl_id}/entries",
        data={"csrf_token": token, "direction": "ingress", "action": "allow", **form},
    )
    assert answer.status_code == 400
    assert f'<strong class="code">{code}</strong>' in answer.text
    assert 'id="entry-error"' in answer.text
    assert _acl(seeded_shared) == acl


def test_an_instance_page_shows_interfaces_groups_subnet_routes_and_acl(
    seeded_shared: SeededConsole,
):
    seed = seeded_shared.seed
    with ServiceContext(seeded_shared.store).read() as tx:
        snapshot = tx.snapshot()
    web = snapshot.instance_by_id[seed.instances["web"]]
    [eni] = snapshot.interfaces_of(web.instance_id)
    html = requests.get(f"{seeded_shared.console}/instances/{web.instance_id}").text
    row = html[html.index(f'data-interface="{eni.eni_id}"') :]
    row = row[: row.index("</tr>")]
    assert f"<td>{eni.private_ip}</td>" in row and f"<td>{eni.public_ip}</td>" in row
    assert f'<a href="/console/groups/{seed.groups["web"]}">web</a>' in row
    assert "<strong>public</strong>" in html
    assert seed.public_route_table_id in html
    assert f'<a href="/console/acls/{seed.network_acl_id}">' in html
    assert f"<td>{seed.igw_id}</td>" in html  # its subnet's route to the gateway
    app = requests.get(f"{seeded_shared.console}/instances/{seed.instances['app']}").text
    assert "<strong>private</strong>" in app


def test_unknown_ids_answer_aws_not_found(seeded_shared: SeededConsole):
    for path, code in (
        ("/instances/i-0123456789abcdef0", "InvalidInstanceID.NotFound"),
        ("/acls/acl-0123456789abcdef0", "InvalidNetworkAclID.NotFound"),
    ):
        answer = requests.get(f"{seeded_shared.console}{path}")
        assert answer.status_code == 400
        assert code in answer.text


def test_the_groups_and_acls_lists_link_every_one(seeded_shared: SeededConsole):
    groups = requests.get(f"{seeded_shared.console}/groups").text
    for group_id in seeded_shared.seed.groups.values():
        assert f'href="/console/groups/{group_id}"' in groups


# -- in the browser ------------------------------------------------------------------------


@pytest.fixture
def page_of(browser, seeded: SeededConsole) -> Iterator:
    """Open a console path in the shared browser (on this test's fresh server)."""

    def open_page(path: str):
        browser.get(f"{seeded.console}{path}")
        return browser

    yield open_page


def _form(driver, direction: str, fields: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    form = driver.find_element(By.ID, f"add-{direction}")
    fill_form(form, fields)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def test_the_browser_adds_a_rule_and_shows_aws_message_for_a_refused_one(
    page_of, seeded: SeededConsole
):
    from selenium.webdriver.common.by import By

    web = seeded.seed.groups["web"]
    driver = page_of(f"/groups/{web}")
    screenshot(driver, "group")
    _form(
        driver,
        "ingress",
        {"type": "HTTPS", "peer": "198.51.100.0/24", "description": "TLS from partners"},
    )
    wait(driver, 15).until(
        lambda d: (
            "TLS from partners"
            in d.find_element(By.CSS_SELECTOR, 'table[data-direction="ingress"]').text
        )
    )
    [added] = [r for r in _rules(seeded, "web") if r.spec.from_port == 443]
    assert driver.find_element(By.CSS_SELECTOR, f'tr[data-rule="{added.rule_id}"]')
    screenshot(driver, "group-rule-added")

    _form(driver, "ingress", {"type": "SSH", "peer": f"{MY_COMPUTER}/32"})
    shown = wait(driver, 15).until(  # read inside the wait: htmx may still be swapping
        lambda d: (
            "InvalidPermission.Duplicate" in (text := d.find_element(By.ID, "rule-error").text)
            and text
        )
    )
    assert "already exists" in shown
    assert len(_rules(seeded, "web")) == 5  # three seeded, one outbound, the HTTPS one
    screenshot(driver, "group-rule-refused")


def test_the_browser_shows_acl_instance_and_list_pages(page_of, seeded: SeededConsole):
    from selenium.webdriver.common.by import By

    seed = seeded.seed
    driver = page_of(f"/acls/{seed.network_acl_id}")
    _form(driver, "ingress", {"rule_number": "60", "type": "SSH", "cidr": ADMIN_CIDR})
    wait(driver, 15).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-entry="ingress-60"]')
    )
    screenshot(driver, "acl")
    for path, name in (
        ("/groups", "groups"),
        ("/acls", "acls"),
        (f"/instances/{seed.instances['ntp']}", "instance-ntp"),
    ):
        page_of(path)
        assert driver.find_element(By.TAG_NAME, "h1").text
        screenshot(driver, name)
