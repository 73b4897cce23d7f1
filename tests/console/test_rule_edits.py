"""Editing a security group rule in place (ModifySecurityGroupRules through the caller's
services), and the confirmation every destructive button asks for.

The edit: a row's Edit turns it into the rule form filled with the rule; saving replaces
the rule's definition and keeps its id; a refusal shows AWS's code and message beside the
form as typed and changes nothing; CSRF and origin are checked as for every change.
The confirmation: dismissing it sends nothing; accepting it deletes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from console.console_helpers import SeededConsole, fill_form, screenshot, session_for, wait
from markupsafe import escape

from stockade.demo.seed import MY_COMPUTER
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.security_group import SecurityGroupRule
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext


def _rules(seeded: SeededConsole, group: str) -> dict[str, SecurityGroupRule]:
    with ServiceContext(seeded.store).read() as tx:
        return {r.rule_id: r for r in tx.rules_of([seeded.seed.groups[group]])}


def _ssh(seeded: SeededConsole) -> SecurityGroupRule:
    return next(r for r in _rules(seeded, "web").values() if r.spec.from_port == 22)


def _row(html: str, rule_id: str) -> str:
    start = html.index(f'data-rule="{rule_id}"')
    return html[start : html.index("</tr>", start)]


def _field(html: str, name: str) -> str:
    """The value an edit row's input carries (the selected option for ``type``)."""
    if name == "type":
        found = re.search(r"<option selected>([^<]*)</option>", html)
    else:
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found, name
    return str(found.group(1))


def _modify(seeded: SeededConsole, rule_id: str, fields: dict[str, str], **kwargs):
    http, token = session_for(seeded.console)
    web = seeded.seed.groups["web"]
    return http.post(
        f"{seeded.console}/groups/{web}/rules/{rule_id}/modify",
        data={"csrf_token": token, **fields},
        allow_redirects=False,
        **kwargs,
    )


# -- the edit form --------------------------------------------------------------------------


def test_edit_turns_the_row_into_the_form_filled_with_the_rule(seeded_shared: SeededConsole):
    web, ssh = seeded_shared.seed.groups["web"], _ssh(seeded_shared)
    http, _ = session_for(seeded_shared.console)
    page = http.get(f"{seeded_shared.console}/groups/{web}")
    plain = _row(page.text, ssh.rule_id)
    assert f'href="/console/groups/{web}?edit={ssh.rule_id}#{ssh.rule_id}"' in plain
    assert 'id="edit-' not in page.text
    editing = http.get(f"{seeded_shared.console}/groups/{web}", params={"edit": ssh.rule_id})
    assert editing.status_code == 200
    row = _row(editing.text, ssh.rule_id)
    assert f'id="edit-{ssh.rule_id}"' in row and 'class="editing"' in row
    assert f'action="/console/groups/{web}/rules/{ssh.rule_id}/modify"' in row
    assert _field(row, "type") == "Custom TCP" and _field(row, "ports") == "22"
    assert _field(row, "peer") == f"{MY_COMPUTER}/32"
    assert _field(row, "description") == "SSH from my computer"
    assert "Cancel" in row and "Delete" not in row
    # the other rows stay rows, and the add forms stay empty
    other = next(r for r in _rules(seeded_shared, "web").values() if r.spec.from_port == 80)
    assert "<td>HTTP</td>" in _row(editing.text, other.rule_id)
    assert 'id="add-ingress"' in editing.text and 'value="SSH from my computer"' in row


def test_edit_of_a_rule_not_in_the_group_answers_aws_not_found(seeded_shared: SeededConsole):
    web = seeded_shared.seed.groups["web"]
    ssh_only = next(iter(_rules(seeded_shared, "ssh-only")))
    for rule_id in ("sgr-0123456789abcdef0", ssh_only):
        page = session_for(seeded_shared.console)[0].get(
            f"{seeded_shared.console}/groups/{web}", params={"edit": rule_id}
        )
        assert page.status_code == 400
        assert '<strong class="code">InvalidSecurityGroupRuleId.NotFound</strong>' in page.text
        assert 'id="edit-' not in page.text


def test_saving_the_form_modifies_the_rule_in_place(seeded: SeededConsole):
    web, ssh = seeded.seed.groups["web"], _ssh(seeded)
    before = _rules(seeded, "web")
    answer = _modify(
        seeded,
        ssh.rule_id,
        {
            "type": "Custom TCP",
            "ports": "2222-2223",
            "peer": "198.51.100.0/24",
            "description": "SSH from partners",
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/console/groups/{web}#{ssh.rule_id}"
    after = _rules(seeded, "web")
    assert after.keys() == before.keys()  # same ids: modified, not replaced
    changed = after[ssh.rule_id]
    spec = changed.spec
    assert (spec.protocol, spec.from_port, spec.to_port) == ("tcp", 2222, 2223)
    assert (spec.peer.value, changed.description) == ("198.51.100.0/24", "SSH from partners")
    assert {k: v for k, v in after.items() if k != ssh.rule_id} == {
        k: v for k, v in before.items() if k != ssh.rule_id
    }
    row = _row(
        session_for(seeded.console)[0].get(f"{seeded.console}/groups/{web}").text, ssh.rule_id
    )
    for text in ("2222 - 2223", "198.51.100.0/24", "SSH from partners"):
        assert f"<td>{text}</td>" in row, text


def test_saving_every_kind_of_rule_unchanged_changes_nothing(seeded: SeededConsole):
    """The form filled from a rule reads back as that very rule: ICMP type and code, all
    traffic, a protocol by number, IPv6, a group reference, a prefix list, both ways."""
    services = Services(ServiceContext(seeded.store))
    web, peer_group = seeded.seed.groups["web"], seeded.seed.groups["group-1"]
    listed = services.prefix_lists.create("partners", 5, "IPv4", ())
    services.rules.authorize(
        web,
        [
            IpPermission("icmp", 3, 4, ip_ranges=(("192.0.2.0/24", "PMTUD"),)),
            IpPermission("icmp", -1, -1, ip_ranges=(("192.0.2.0/24", None),)),
            IpPermission("icmpv6", 128, -1, ipv6_ranges=(("2001:db8::/32", "ping6"),)),
            IpPermission("47", None, None, ip_ranges=(("10.9.0.0/16", "GRE"),)),
            IpPermission("-1", None, None, groups=(GroupPair(peer_group, description="all"),)),
            IpPermission("udp", 0, 65535, prefix_list_ids=((listed.prefix_list_id, "all UDP"),)),
        ],
    )
    services.rules.authorize(
        web, [IpPermission("tcp", 443, 443, ipv6_ranges=(("::/0", "out"),))], egress=True
    )
    before = _rules(seeded, "web")
    http, token = session_for(seeded.console)
    for rule_id in before:
        page = http.get(f"{seeded.console}/groups/{web}", params={"edit": rule_id}).text
        row = _row(page, rule_id)
        fields = {n: _field(row, n) for n in ("type", "protocol", "ports", "peer", "description")}
        saved = http.post(
            f"{seeded.console}/groups/{web}/rules/{rule_id}/modify",
            data={"csrf_token": token, **fields},
            allow_redirects=False,
        )
        assert saved.status_code == 303, (fields, saved.text)
    assert _rules(seeded, "web") == before


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (  # a CIDR rule cannot become a group reference (AWS: kinds may not change)
            {"type": "Custom TCP", "ports": "22", "peer": "{group-1}"},
            "InvalidParameterValue",
            "You may not specify a referenced group id for an existing IPv4 CIDR rule.",
        ),
        (  # the very definition of the HTTP rule
            {"type": "HTTP", "peer": "0.0.0.0/0"},
            "InvalidPermission.Duplicate",
            "already exists",
        ),
        (
            {"type": "Custom TCP", "ports": "twenty-two", "peer": "10.0.0.0/8"},
            "InvalidParameterValue",
            "Invalid Port range 'twenty-two'",
        ),
        (
            {"type": "Custom TCP", "ports": "22", "peer": ""},
            "MissingParameter",
            "Source or destination",
        ),
        (
            {"type": "Custom TCP", "ports": "22", "peer": "10.0.0.0/33"},
            "InvalidParameterValue",
            "10.0.0.0/33",
        ),
    ],
)
def test_a_refused_edit_shows_aws_error_beside_the_form_and_changes_nothing(
    seeded_shared: SeededConsole, fields: dict, code: str, message: str
):
    ssh = _ssh(seeded_shared)
    before = _rules(seeded_shared, "web")
    fields = {**fields, "peer": fields["peer"].format_map(seeded_shared.seed.groups)}
    answer = _modify(seeded_shared, ssh.rule_id, fields)
    assert answer.status_code == 400
    row = _row(answer.text, ssh.rule_id)  # the error is in the edited row, beside its form
    assert 'id="edit-error"' in row and f'<strong class="code">{code}</strong>' in row
    assert str(escape(message)) in row
    assert 'id="rule-error"' not in answer.text
    assert _field(row, "peer") == fields["peer"]  # the form as typed
    assert _rules(seeded_shared, "web") == before


def test_an_edit_of_an_unknown_rule_is_aws_not_found(seeded_shared: SeededConsole):
    before = _rules(seeded_shared, "web")
    fields = {"type": "Custom TCP", "ports": "22", "peer": "10.0.0.0/8"}
    for rule_id, code in (
        ("sgr-0123456789abcdef0", "InvalidSecurityGroupRuleId.NotFound"),
        ("sgr-nope", "InvalidSecurityGroupRuleId.Malformed"),
    ):
        answer = _modify(seeded_shared, rule_id, fields)
        assert answer.status_code == 400 and f'<strong class="code">{code}</strong>' in answer.text
    assert _rules(seeded_shared, "web") == before


def test_an_edit_without_the_csrf_token_or_from_another_origin_is_refused(
    seeded_shared: SeededConsole,
):
    ssh = _ssh(seeded_shared)
    before = _rules(seeded_shared, "web")
    web = seeded_shared.seed.groups["web"]
    path = f"{seeded_shared.console}/groups/{web}/rules/{ssh.rule_id}/modify"
    fields = {"type": "Custom TCP", "ports": "2222", "peer": "0.0.0.0/0"}
    http, token = session_for(seeded_shared.console)
    for extra, headers in (
        ({}, {}),
        ({"csrf_token": "x" * 43}, {}),
        ({"csrf_token": token}, {"Origin": "http://attacker.example"}),
    ):
        refused = http.post(path, data={**fields, **extra}, headers=headers, allow_redirects=False)
        assert refused.status_code == 403, (extra, headers)
        assert "CSRF" in refused.text or "origin" in refused.text
    assert _rules(seeded_shared, "web") == before
    # the same edit with the token from the console's own origin is accepted
    accepted = http.post(
        path,
        data={**fields, "csrf_token": token},
        headers={"Origin": seeded_shared.url},
        allow_redirects=False,
    )
    assert accepted.status_code == 303
    assert _rules(seeded_shared, "web")[ssh.rule_id].spec.from_port == 2222
    restored = _modify(
        seeded_shared,
        ssh.rule_id,
        {"type": "SSH", "peer": f"{MY_COMPUTER}/32", "description": "SSH from my computer"},
    )
    assert restored.status_code == 303 and _rules(seeded_shared, "web") == before


# -- destructive buttons ask first ----------------------------------------------------------


def test_every_destructive_button_asks_for_confirmation(seeded_shared: SeededConsole):
    seed = seeded_shared.seed
    http, _ = session_for(seeded_shared.console)
    pages = [f"/groups/{g}" for g in seed.groups.values()] + [f"/acls/{seed.network_acl_id}"]
    deletes = 0
    for path in pages:
        page = http.get(f"{seeded_shared.console}{path}").text
        for form in re.findall(r"<form\b[^>]*>.*?</form>", page, flags=re.S):
            opening = form[: form.index(">")]
            if "/delete" in opening or 'class="danger"' in form:
                deletes += 1
                assert re.search(r'hx-confirm="Delete [^"]+\? This cannot be undone\."', opening), (
                    path,
                    opening,
                )
    assert deletes >= 6  # web's four rules, the ACL's three numbered entries, and more


# -- in the browser -------------------------------------------------------------------------


@pytest.fixture
def group_page(browser, seeded: SeededConsole) -> Iterator:
    browser.get(f"{seeded.console}/groups/{seeded.seed.groups['web']}")
    yield browser


def test_the_browser_edits_a_rule_in_place(group_page, seeded: SeededConsole):
    from selenium.webdriver.common.by import By

    driver, ssh = group_page, _ssh(seeded)
    row = f'tr[data-rule="{ssh.rule_id}"]'
    driver.find_element(By.CSS_SELECTOR, f'{row} a[aria-label="Edit {ssh.rule_id}"]').click()
    form = wait(driver, 15).until(lambda d: d.find_element(By.ID, f"edit-{ssh.rule_id}"))
    assert form.find_element(By.NAME, "ports").get_attribute("value") == "22"
    screenshot(driver, "group-rule-editing")

    # a refusal: AWS's code beside the form, the form as typed, nothing changed
    group_1 = seeded.seed.groups["group-1"]
    fill_form(form, {"peer": group_1})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    shown = wait(driver, 15).until(
        lambda d: "InvalidParameterValue" in (t := d.find_element(By.ID, "edit-error").text) and t
    )
    assert "existing IPv4 CIDR rule" in shown
    form = driver.find_element(By.ID, f"edit-{ssh.rule_id}")
    assert form.find_element(By.NAME, "peer").get_attribute("value") == group_1
    assert _rules(seeded, "web")[ssh.rule_id] == ssh
    screenshot(driver, "group-rule-edit-refused")

    # saved: the row is a row again, with the new definition, under the same id
    fill_form(form, {"ports": "2222", "peer": "198.51.100.0/24", "description": "SSH, moved"})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, 15).until(
        lambda d: (
            not d.find_elements(By.ID, f"edit-{ssh.rule_id}")
            and "SSH, moved" in d.find_element(By.CSS_SELECTOR, row).text
        )
    )
    text = driver.find_element(By.CSS_SELECTOR, row).text
    assert "2222" in text and "198.51.100.0/24" in text
    assert _rules(seeded, "web")[ssh.rule_id].spec.from_port == 2222
    screenshot(driver, "group-rule-edited")

    # Cancel leaves the rule as it is
    driver.find_element(By.CSS_SELECTOR, f'{row} a[aria-label="Edit {ssh.rule_id}"]').click()
    form = wait(driver, 15).until(lambda d: d.find_element(By.ID, f"edit-{ssh.rule_id}"))
    fill_form(form, {"ports": "1"})
    form.find_element(By.LINK_TEXT, "Cancel").click()
    wait(driver, 15).until(lambda d: not d.find_elements(By.ID, f"edit-{ssh.rule_id}"))
    assert _rules(seeded, "web")[ssh.rule_id].spec.from_port == 2222


def _answer_confirm(driver, accept: bool) -> str:
    """Answer the page's confirm dialog; its text."""
    from selenium.webdriver.support import expected_conditions as seen

    dialog = wait(driver, 15).until(seen.alert_is_present())
    text = dialog.text
    dialog.accept() if accept else dialog.dismiss()
    return text


def test_deleting_a_rule_in_the_browser_asks_first(group_page, seeded: SeededConsole):
    from selenium.webdriver.common.by import By

    driver, ssh = group_page, _ssh(seeded)
    button = f'button[aria-label="Delete {ssh.rule_id}"]'
    driver.find_element(By.CSS_SELECTOR, button).click()
    asked = _answer_confirm(driver, accept=False)
    assert ssh.rule_id in asked and "inbound" in asked and "cannot be undone" in asked
    # dismissed: nothing sent, nothing changed; the row is still there to delete
    assert ssh.rule_id in _rules(seeded, "web")
    assert driver.find_elements(By.CSS_SELECTOR, f'tr[data-rule="{ssh.rule_id}"]')
    driver.find_element(By.CSS_SELECTOR, button).click()
    _answer_confirm(driver, accept=True)
    wait(driver, 15).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, f'tr[data-rule="{ssh.rule_id}"]')
    )
    assert ssh.rule_id not in _rules(seeded, "web")


def test_deleting_an_acl_entry_in_the_browser_asks_first(browser, seeded: SeededConsole):
    from selenium.webdriver.common.by import By

    acl_id = seeded.seed.network_acl_id

    def numbers() -> set[tuple[bool, int]]:
        with ServiceContext(seeded.store).read() as tx:
            acl = tx.snapshot().network_acl_by_id[acl_id]
        return {(e.egress, e.rule_number) for e in acl.entries}

    before = numbers()
    assert (False, 50) in before
    browser.get(f"{seeded.console}/acls/{acl_id}")
    button = 'button[aria-label="Delete ingress rule 50"]'
    browser.find_element(By.CSS_SELECTOR, button).click()
    asked = _answer_confirm(browser, accept=False)
    assert "inbound rule 50" in asked and "Deny" in asked
    assert numbers() == before
    screenshot(browser, "acl-delete-dismissed")
    browser.find_element(By.CSS_SELECTOR, button).click()
    _answer_confirm(browser, accept=True)
    wait(browser, 15).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, 'tr[data-entry="ingress-50"]')
    )
    assert numbers() == before - {(False, 50)}
