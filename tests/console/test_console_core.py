"""The console's core: mounted beside the EC2 API, open on loopback, sign-in under
``--auth``, CSRF and origin checks on every change, the host check, AWS's errors shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from console.console_helpers import (
    SeededConsole,
    csrf_of,
    screenshot,
    seeded_server,
    session_for,
)

from stockade.api.auth import AuthConfig


def test_the_console_is_served_beside_the_api_and_opens_the_topology(seeded_shared):
    answer = requests.get(f"{seeded_shared.console}/", allow_redirects=True)
    assert answer.status_code == 200
    assert answer.url.endswith("/console/topology")
    for instance_id in seeded_shared.seed.instances.values():
        assert instance_id in answer.text
    assert requests.get(f"{seeded_shared.url}/health").json()["status"] == "ok"


def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(seeded_shared):
    http, token = session_for(seeded_shared.console)
    answer = http.post(f"{seeded_shared.console}/region", data={"region": "eu-west-1"})
    assert answer.status_code == 403
    assert "CSRF" in answer.text
    wrong = http.post(
        f"{seeded_shared.console}/region", data={"region": "eu-west-1", "csrf_token": "x" * 43}
    )
    assert wrong.status_code == 403
    page = http.get(f"{seeded_shared.console}/topology")
    assert 'value="us-east-1" selected' in page.text  # the region did not change


def test_a_change_from_another_origin_is_refused_even_with_the_token(seeded_shared):
    http, token = session_for(seeded_shared.console)
    answer = http.post(
        f"{seeded_shared.console}/region",
        data={"region": "eu-west-1", "csrf_token": token},
        headers={"Origin": "http://attacker.example"},
        allow_redirects=False,
    )
    assert answer.status_code == 403
    same = http.post(
        f"{seeded_shared.console}/region",
        data={"region": "eu-west-1", "csrf_token": token},
        headers={"Origin": seeded_shared.url},
        allow_redirects=False,
    )
    assert same.status_code == 303
    assert 'value="eu-west-1" selected' in http.get(f"{seeded_shared.console}/topology").text


def test_a_foreign_host_is_refused(seeded_shared):
    answer = requests.get(
        f"{seeded_shared.console}/topology", headers={"Host": "rebound.attacker.example"}
    )
    assert answer.status_code == 403


def test_an_unknown_group_shows_aws_error(seeded_shared):
    answer = requests.get(f"{seeded_shared.console}/groups/sg-0123456789abcdef0")
    assert answer.status_code == 400
    assert "InvalidGroup.NotFound" in answer.text


@pytest.fixture
def verified(tmp_path: Path):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"AKIDCONSOLE": {"secret": "s3cret", "account": "210987654321"}}))
    yield from seeded_server(tmp_path, AuthConfig.load(keys))


def test_under_auth_every_page_needs_a_sign_in(verified: SeededConsole):
    for path in ("/topology", "/groups", "/reach", "/audit", "/live", "/acls"):
        answer = requests.get(f"{verified.console}{path}", allow_redirects=False)
        assert answer.status_code in (303, 401), path
        if answer.status_code == 303:
            assert answer.headers["location"].endswith("/console/signin")


def test_a_sign_in_with_a_wrong_secret_is_refused_and_a_right_one_opens_its_account(
    verified: SeededConsole,
):
    http = requests.Session()
    token = csrf_of(http.get(f"{verified.console}/signin").text)
    wrong = http.post(
        f"{verified.console}/signin",
        data={"access_key": "AKIDCONSOLE", "secret_key": "nope", "csrf_token": token},
    )
    assert wrong.status_code == 401
    assert "wrong secret" in wrong.text
    right = http.post(
        f"{verified.console}/signin",
        data={"access_key": "AKIDCONSOLE", "secret_key": "s3cret", "csrf_token": token},
    )
    assert right.status_code == 200
    assert "210987654321" in right.text
    # the seed lives in the default account: this account sees none of it
    assert verified.seed.instances["web"] not in right.text


def test_the_browser_opens_the_console(browser, seeded_shared):
    before = requests.get(f"{seeded_shared.url}/health").json()["refused"]["count"]
    browser.get(f"{seeded_shared.console}/")
    assert browser.title.endswith("stockade console")
    screenshot(browser, "core-topology")
    # nothing the page loads is a call the server counts as not served (a browser's own
    # /favicon.ico would reach the EC2 endpoint)
    assert requests.get(f"{seeded_shared.url}/health").json()["refused"]["count"] == before
