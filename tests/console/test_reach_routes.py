""" "Can A reach B?" on the console when a route is what blocks: the route-table fix the
engine suggests has the same button as a group rule's or an ACL entry's, goes through the
service layer (the API's AssociateRouteTable / CreateRoute path, AWS's validation), turns
the verdict, and is refused without the CSRF token or once the state moved on."""

from __future__ import annotations

from console.console_helpers import screenshot, session_for
from console.test_reach import HTMX, ask_in_browser, fixes, snapshot_of, verdict
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from stockade.demo.seed import OUTSIDER
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import RouteRequest

TO_APP = {"from": OUTSIDER, "to": "app", "protocol": "tcp", "port": "80"}


def _table_of(seeded, subnet_id: str) -> str | None:
    table = snapshot_of(seeded).route_table_by_subnet.get(subnet_id)
    return None if table is None else table.route_table_id


def test_the_association_fix_puts_the_private_subnet_on_the_routed_table(seeded):
    seed = seeded.seed
    http, token = session_for(seeded.console)
    shown = http.get(f"{seeded.console}/reach", params=TO_APP)
    assert verdict(shown.text) == "denied"
    assert 'data-code="NO_ROUTE_TO_DESTINATION"' in shown.text
    [fix] = fixes(shown.text)
    assert fix == (
        f"stockade route-table associate {seed.public_route_table_id} "
        f"--subnet {seed.private_subnet_id}"
    )
    before = snapshot_of(seeded).route_tables

    for data, headers in (  # no token, a forged one, a foreign origin: refused, unchanged
        ({**TO_APP, "fix": fix}, HTMX),
        ({**TO_APP, "fix": fix, "csrf_token": "x" * 43}, {}),
        ({**TO_APP, "fix": fix, "csrf_token": token}, {"Origin": "http://attacker.example"}),
    ):
        refused = http.post(f"{seeded.console}/reach/fix", data=data, headers=headers)
        assert refused.status_code == 403, (data, headers)
    assert snapshot_of(seeded).route_tables == before

    applied = http.post(
        f"{seeded.console}/reach/fix",
        data={**TO_APP, "fix": fix, "csrf_token": token},
        headers=HTMX,
    )
    assert applied.status_code == 200, applied.text
    assert verdict(applied.text) == "allowed"
    assert "Applied: stockade route-table associate" in applied.text
    assert 'href="/console/topology"' in applied.text
    assert _table_of(seeded, seed.private_subnet_id) == seed.public_route_table_id
    # the same fix again is no longer the engine's: 409, nothing changed
    after = snapshot_of(seeded).route_tables
    again = http.post(
        f"{seeded.console}/reach/fix", data={**TO_APP, "fix": fix, "csrf_token": token}
    )
    assert again.status_code == 409 and "nothing was changed" in again.text
    assert snapshot_of(seeded).route_tables == after


def test_with_no_table_routing_it_the_fix_adds_the_route_to_the_gateway(seeded):
    seed = seeded.seed
    Services(ServiceContext(seeded.store)).route_tables.delete_route(
        seed.public_route_table_id, RouteRequest.of("0.0.0.0/0")
    )
    http, token = session_for(seeded.console)
    to_web = {"from": OUTSIDER, "to": "web", "protocol": "tcp", "port": "80"}
    shown = http.get(f"{seeded.console}/reach", params=to_web)
    assert verdict(shown.text) == "denied"
    [fix] = fixes(shown.text)
    assert fix == (
        f"stockade route-table add-route {seed.public_route_table_id} 0.0.0.0/0 "
        f"--target {seed.igw_id}"
    )
    applied = http.post(
        f"{seeded.console}/reach/fix", data={**to_web, "fix": fix, "csrf_token": token}
    )
    assert applied.status_code == 200, applied.text
    assert verdict(applied.text) == "allowed"
    table = snapshot_of(seeded).route_table_by_id[seed.public_route_table_id]
    assert [(r.destination, r.target) for r in table.routes if r.destination == "0.0.0.0/0"] == [
        ("0.0.0.0/0", seed.igw_id)
    ]


def test_a_route_fix_gone_stale_is_refused_and_changes_nothing(seeded):
    """Between the answer and the click the private subnet got a table of its own: the
    engine now suggests something else, so the old association is not applied (409)."""
    seed = seeded.seed
    http, token = session_for(seeded.console)
    [fix] = fixes(http.get(f"{seeded.console}/reach", params=TO_APP).text)
    tables = Services(ServiceContext(seeded.store)).route_tables
    dark = tables.create(seed.vpc_id).table.route_table_id
    tables.associate(dark, subnet_id=seed.private_subnet_id)
    before = snapshot_of(seeded).route_tables
    stale = http.post(
        f"{seeded.console}/reach/fix", data={**TO_APP, "fix": fix, "csrf_token": token}
    )
    assert stale.status_code == 409
    assert verdict(stale.text) == "denied"
    assert snapshot_of(seeded).route_tables == before
    assert _table_of(seeded, seed.private_subnet_id) == dark


def test_a_route_fix_the_service_refuses_shows_awss_error_and_changes_nothing(seeded):
    """With the table at its route quota, the fix goes to the service like CreateRoute and
    comes back as AWS's error; the flow stays denied and the table as it was."""
    seed = seeded.seed
    ctx = ServiceContext(seeded.store)
    tables = Services(ctx).route_tables
    tables.delete_route(seed.public_route_table_id, RouteRequest.of("0.0.0.0/0"))
    for n in range(ctx.quotas.routes_per_table):  # documentation addresses, not OUTSIDER's
        tables.create_route(
            seed.public_route_table_id, RouteRequest.of(f"203.0.113.{n}/32", seed.igw_id)
        )
    http, token = session_for(seeded.console)
    to_web = {"from": OUTSIDER, "to": "web", "protocol": "tcp", "port": "80"}
    [fix] = fixes(http.get(f"{seeded.console}/reach", params=to_web).text)
    assert fix.startswith(f"stockade route-table add-route {seed.public_route_table_id} ")
    before = snapshot_of(seeded).route_tables
    refused = http.post(
        f"{seeded.console}/reach/fix", data={**to_web, "fix": fix, "csrf_token": token}
    )
    assert refused.status_code == 400
    assert 'id="reach-error"' in refused.text and "RouteLimitExceeded" in refused.text
    assert verdict(refused.text) == "denied"
    assert snapshot_of(seeded).route_tables == before


def test_in_the_browser_the_route_fix_button_turns_the_verdict(browser, seeded):
    waiting = ask_in_browser(browser, seeded, OUTSIDER, "app", "80")
    waiting.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, '#reach-answer[data-verdict="denied"]'))
    )
    blocker = browser.find_element(By.CSS_SELECTOR, '.blocker[data-code="NO_ROUTE_TO_DESTINATION"]')
    assert "stockade route-table associate" in blocker.text
    screenshot(browser, "reach-route-denied")
    blocker.find_element(By.CSS_SELECTOR, "button.apply").click()
    waiting.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, '#reach-answer[data-verdict="allowed"]'))
    )
    applied = browser.find_element(By.ID, "reach-applied").text
    assert "Applied: stockade route-table associate" in applied
    screenshot(browser, "reach-route-allowed")
    seed = seeded.seed
    assert _table_of(seeded, seed.private_subnet_id) == seed.public_route_table_id
