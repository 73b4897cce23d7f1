"""The live page: flow-log records streamed as server-sent events, real probes beside the
analyzer's verdict, rule hit counts, and what the page says with the data plane off.

Two kinds of server: one whose data plane is *described* (a status naming a world no agent
runs, and a state directory the test writes flow-log files into: the stream's behaviour
needs no root), and, as root, the seed scenario realised by a real agent in a world of its
own (``stk<6 hex>-``, removed at the end), with listeners inside the instances.
"""

from __future__ import annotations

import html
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from console.console_helpers import (
    SeededConsole,
    csrf_of,
    screenshot,
    seeded_server,
    session_for,
    wait,
)

from stockade.api.app import serving
from stockade.api.auth import AuthConfig
from stockade.console.app import create_server_app
from stockade.console.config import ConsoleConfig
from stockade.console.traffic import RuleHits, rule_hits
from stockade.dataplane.flowlog_window import HEADER as HEADER_LINE
from stockade.demo.seed import MY_COMPUTER, OUTSIDER, build_seed
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

HEADER = HEADER_LINE + "\n"
STREAM_WAIT_S = 20.0
#: The browser's probe comes from an address of its own (web:80 admits anyone).
BROWSER_SOURCE = "203.0.113.12"


def described_dataplane(state_dir: Path) -> Callable[[], dict]:
    """A running data plane's status, as the supervisor reports it (no agent behind it)."""
    prefix = f"stk{secrets.token_hex(3)}-"
    return lambda: {"state": "running", "world": prefix, "store": "sqlite:///x", "pid": 1}


@pytest.fixture
def described(tmp_path: Path) -> Iterator[tuple[SeededConsole, Path]]:
    """A seeded server whose console believes a data plane writes to ``state``."""
    state = tmp_path / "dataplane"
    (state / "flowlogs").mkdir(parents=True)
    store = SqlStore.open(str(tmp_path / "live.db"))
    seed = build_seed(ServiceContext(store))
    app = create_server_app(store, dataplane=described_dataplane(state), dataplane_state=state)
    try:
        with serving(app) as url:
            yield SeededConsole(url, store, seed), state
    finally:
        store.close()


def record(
    eni: str, src: str, dst: str, dport: int, action: str = "ACCEPT", account: str = ""
) -> str:
    now = int(time.time())
    account = account or Scope().account
    return f"2 {account} {eni} {src} {dst} 40000 {dport} 6 3 180 {now - 5} {now} {action} OK\n"


def append(state: Path, vpc_id: str, *lines: str) -> None:
    path = state / "flowlogs" / f"{vpc_id}.log"
    if not path.exists():
        path.write_text(HEADER)
    with path.open("a") as out:
        out.write("".join(lines))


class Events:
    """A server-sent event stream, read line by line (``requests``, streaming)."""

    def __init__(self, http: requests.Session, url: str, **params: str) -> None:
        self.response = http.get(url, params=params, stream=True, timeout=(5, STREAM_WAIT_S))
        self._lines = self.response.iter_lines(chunk_size=None, decode_unicode=True)
        self.records: list[dict] = []
        self.others: list[tuple[str, str]] = []  # (event, data) of other events

    def until(self, done: Callable[[list[dict]], bool]) -> list[dict]:
        """Read records until ``done(records)`` (a read that waits too long fails)."""
        deadline = time.monotonic() + STREAM_WAIT_S
        event = None
        while not done(self.records):
            assert time.monotonic() < deadline, f"not streamed in time: {self.records}"
            line = next(self._lines)
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "record":
                self.records.append(json.loads(line[6:]))
            elif line.startswith("data: ") and event is not None:
                self.others.append((event, json.loads(line[6:])))
        return self.records

    def ended(self) -> bool:
        """Whether the server ended the stream (read to its end, within the deadline)."""
        for line in self._lines:
            if line.startswith("event: "):
                self.others.append((line[7:], ""))
        return True

    def close(self) -> None:
        self.response.close()


def eni_of(seeded: SeededConsole, name: str) -> str:
    with ServiceContext(seeded.store).read() as tx:
        snapshot = tx.snapshot()
    return snapshot.instance_by_id[seeded.seed.instances[name]].primary_eni_id


# -- described data plane: the stream, its filters, refusals ------------------------------


def test_the_stream_sends_the_recent_past_then_records_as_they_are_written(described):
    seeded, state = described
    web, app = eni_of(seeded, "web"), eni_of(seeded, "app")
    vpc = seeded.seed.vpc_id
    append(state, vpc, record(web, MY_COMPUTER, "10.0.1.10", 22))
    http, _ = session_for(seeded.console)
    events = Events(http, f"{seeded.console}/live/stream")
    try:
        (old,) = events.until(lambda r: len(r) >= 1)
        assert (old["interface"], old["source"], old["destination_port"]) == (
            web,
            MY_COMPUTER,
            "22",
        )
        assert old["action"] == "ACCEPT" and old["protocol"] == "TCP" and old["label"] == "web"
        # NODATA says nothing happened: not shown; another account's records are not ours
        quiet = f"2 {Scope().account} {app} - - - - - - - 1 2 - NODATA\n"
        foreign = record(app, OUTSIDER, "10.0.2.10", 80, account="999999999999")
        append(state, vpc, quiet, foreign, record(app, OUTSIDER, "10.0.2.10", 80, "REJECT"))
        new = events.until(lambda r: len(r) >= 2)[1]
        assert (new["interface"], new["action"], new["label"]) == (app, "REJECT", "app")
    finally:
        events.close()
    assert len(events.records) == 2


def test_the_stream_is_filtered_by_interface_and_action(described):
    seeded, state = described
    web, app = eni_of(seeded, "web"), eni_of(seeded, "app")
    vpc = seeded.seed.vpc_id
    http, _ = session_for(seeded.console)
    only_web = Events(http, f"{seeded.console}/live/stream", interface=web)
    rejects = Events(http, f"{seeded.console}/live/stream", action="REJECT")
    try:
        append(
            state,
            vpc,
            record(app, "10.0.1.10", "10.0.2.10", 80),
            record(web, OUTSIDER, "10.0.1.10", 22, "REJECT"),
            record(web, MY_COMPUTER, "10.0.1.10", 22),
        )
        seen = only_web.until(lambda r: len(r) >= 2)
        assert [r["interface"] for r in seen] == [web, web]
        assert [r["action"] for r in seen] == ["REJECT", "ACCEPT"]
        (rejected,) = rejects.until(lambda r: len(r) >= 1)
        assert (rejected["source"], rejected["action"]) == (OUTSIDER, "REJECT")
    finally:
        only_web.close()
        rejects.close()
    bad = requests.get(f"{seeded.console}/live/stream", params={"interface": "eth0; rm"})
    assert bad.status_code == 400 and "Unknown interface" in bad.text


def test_the_stream_ends_saying_why_when_the_data_plane_stops(tmp_path):
    state = tmp_path / "dataplane"
    (state / "flowlogs").mkdir(parents=True)
    status = {"state": "running", "world": "stk0d0d0d-", "store": "sqlite:///x", "pid": 1}
    store = SqlStore.open(str(tmp_path / "stops.db"))
    seed = build_seed(ServiceContext(store))
    app = create_server_app(store, dataplane=lambda: dict(status), dataplane_state=state)
    try:
        with serving(app) as url:
            seeded = SeededConsole(url, store, seed)
            append(state, seed.vpc_id, record(eni_of(seeded, "web"), MY_COMPUTER, "10.0.1.4", 22))
            http, _ = session_for(seeded.console)
            events = Events(http, f"{seeded.console}/live/stream")
            try:
                events.until(lambda r: len(r) >= 1)
                status.update(state="restarting", reason="the agent stopped with signal SIGKILL")
                started = time.monotonic()
                assert events.ended() and time.monotonic() - started < STREAM_WAIT_S
            finally:
                events.close()
            assert events.others[-1][0] == "stopped"
            again = http.get(f"{seeded.console}/live/stream", timeout=10)
            assert again.status_code == 409 and "The data plane is restarting" in again.text
    finally:
        store.close()


def test_a_probe_without_the_csrf_token_is_refused(described):
    seeded, state = described
    http, _ = session_for(seeded.console)
    form = {"source": MY_COMPUTER, "destination": "web", "port": "22", "protocol": "tcp"}
    answer = http.post(f"{seeded.console}/live/probe", data=form)
    assert answer.status_code == 403 and "CSRF" in answer.text
    assert "probe-answer" not in answer.text


@pytest.mark.parametrize(
    ("source", "destination", "port", "protocol", "says"),
    [
        (MY_COMPUTER, "nobody", "22", "tcp", "No unique instance is named 'nobody' (0 match)"),
        (MY_COMPUTER, "i-0123456789abcdef0", "22", "tcp", "does not exist"),
        ("ghost", "web", "22", "tcp", "No unique instance is named 'ghost'"),
        (MY_COMPUTER, "web", "ssh", "tcp", "The port must be a number 1-65535, not 'ssh'"),
        (MY_COMPUTER, "web", "0", "tcp", "The port must be 1-65535, not 0"),
        (MY_COMPUTER, "web", "22", "icmp", "A probe is tcp or udp, not 'icmp'"),
    ],
)
def test_a_probe_asked_wrongly_is_refused_with_the_reason(
    described, source, destination, port, protocol, says
):
    seeded, _ = described
    http, token = session_for(seeded.console)
    form = {"source": source, "destination": destination, "port": port, "protocol": protocol}
    answer = http.post(
        f"{seeded.console}/live/probe",
        data=form | {"csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 400
    assert 'id="probe-error"' in answer.text and says in html.unescape(answer.text)
    assert "<html" not in answer.text  # a fragment for the page's answer area


def test_without_a_sign_in_the_live_endpoints_serve_nothing(tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"AKIDLIVE": {"secret": "s3cret", "account": "210987654321"}}))
    server = seeded_server(tmp_path, AuthConfig.load(keys))
    seeded = next(server)
    try:
        for path in ("/live", "/live/stream"):
            answer = requests.get(f"{seeded.console}{path}", allow_redirects=False, timeout=10)
            assert answer.status_code == 303 and answer.headers["location"].endswith("/signin")
        http = requests.Session()
        token = csrf_of(http.get(f"{seeded.console}/signin").text)
        form = {"source": MY_COMPUTER, "destination": "web", "port": "22", "csrf_token": token}
        refused = http.post(f"{seeded.console}/live/probe", data=form, allow_redirects=False)
        assert refused.status_code == 401 and "probe-answer" not in refused.text
    finally:
        server.close()


def test_the_live_page_offers_the_probe_and_every_interface(described):
    seeded, _ = described
    page = requests.get(f"{seeded.console}/live")
    assert page.status_code == 200
    assert 'id="probe-form"' in page.text and 'value="203.0.113.10"' in page.text
    assert '<option value="web" selected>' in page.text
    assert eni_of(seeded, "ntp") in page.text and "dataplane-off" not in page.text


def test_rule_hits_come_from_the_data_plane_and_are_none_when_it_is_off(tmp_path):
    store = SqlStore.open(str(tmp_path / "hits.db"))
    try:
        assert rule_hits(ConsoleConfig(store)) is None
        state = tmp_path / "dataplane"
        (state / "hits").mkdir(parents=True)
        (state / "counters").mkdir()
        # the reader's last-hit times, and counters banked over a full rewrite
        (state / "hits" / "vpc-1.json").write_text(json.dumps({"sgr-0a": [4, 1700000000.5]}))
        (state / "counters" / "vpc-1.json").write_text(json.dumps({"sgr-0a": [7, 420]}))
        config = ConsoleConfig(store, dataplane=described_dataplane(state), dataplane_state=state)
        hits = rule_hits(config)
        assert hits == {"sgr-0a": RuleHits(7, datetime.fromtimestamp(1700000000.5, UTC))}
        off = ConsoleConfig(store, dataplane=lambda: {"state": "off"}, dataplane_state=state)
        assert rule_hits(off) is None
    finally:
        store.close()


# -- the data plane off ---------------------------------------------------------------------


def test_with_the_data_plane_off_the_page_says_so_and_probes_are_refused(seeded_shared):
    page = requests.get(f"{seeded_shared.console}/live")
    assert page.status_code == 200
    assert 'id="dataplane-off"' in page.text and "The data plane is off" in page.text
    assert "stockade serve" in page.text and 'id="probe-form"' not in page.text
    http, token = session_for(seeded_shared.console)
    form = {"source": MY_COMPUTER, "destination": "web", "port": "22", "csrf_token": token}
    refused = http.post(
        f"{seeded_shared.console}/live/probe", data=form, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 409
    assert "Probes need it" in refused.text and 'id="probe-error"' in refused.text
    stream = http.get(f"{seeded_shared.console}/live/stream", timeout=10)
    assert stream.status_code == 409 and "data plane is off" in stream.text


# -- as root: the seed on real packets ------------------------------------------------------


@dataclass
class RealisedConsole(SeededConsole):
    """A seeded server with a real data plane, and the console's view of it."""

    config: ConsoleConfig | None = None


@pytest.fixture(scope="module")
def realised(tmp_path_factory) -> Iterator[RealisedConsole]:
    """The seed realised by a real agent in a world of its own, listeners in web (tcp/22,
    tcp/80) and app (tcp/80), a flow log on the VPC closing every second, and the server
    told about the agent."""
    from stockade.dataplane import netns, nft

    ok, why = nft.usable()
    if not ok:
        pytest.skip(f"needs root and nftables in network namespaces: {why}")
    from stockade.dataplane.agent import Agent
    from stockade.dataplane.names import World
    from stockade.dataplane.probe import Listeners
    from stockade.service.flow_logs import FlowLogRequest, FlowLogService

    tmp = tmp_path_factory.mktemp("live")
    world = World(f"stk{secrets.token_hex(3)}-")
    store = SqlStore.open(str(tmp / "live.db"))
    agent = None
    try:
        ctx = ServiceContext(store)
        seed = build_seed(ctx)
        FlowLogService(ctx).create(
            FlowLogRequest("VPC", [seed.vpc_id], "ALL", log_group_name="stockade-tests")
        )
        state = tmp / "dataplane"
        agent = Agent(store, world, state_dir=state, flowlog_interval=1.0).start()
        assert agent.wait_for(store.revision(), timeout=30), "the agent did not catch up"
        config = ConsoleConfig(store, dataplane=agent.status, dataplane_state=state)
        app = create_server_app(store, dataplane=agent.status, dataplane_state=state)
        with serving(app) as url, Listeners() as listeners:
            for name, ports in (("web", (22, 80)), ("app", (80,))):
                for port in ports:
                    listeners.tcp(world.instance(seed.instances[name]), port)
            yield RealisedConsole(url, store, seed, config)
    finally:
        if agent is not None:
            agent.stop()
        store.close()
        netns.remove_all(world.prefix)


def probe(seeded: SeededConsole, source: str, destination: str, port: int) -> requests.Response:
    http, token = session_for(seeded.console)
    form = {"source": source, "destination": destination, "port": str(port), "protocol": "tcp"}
    return http.post(
        f"{seeded.console}/live/probe",
        data=form | {"csrf_token": token},
        headers={"HX-Request": "true"},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("source", "destination", "port", "outcome", "verdict"),
    [
        (MY_COMPUTER, "web", 22, "connected", "allowed"),
        (MY_COMPUTER, "web", 8080, "refused", "allowed"),  # allowed; nothing listens
        (OUTSIDER, "web", 22, "timeout", "denied"),
        ("web", "app", 80, "connected", "allowed"),
    ],
)
def test_a_probe_shows_the_real_outcome_beside_the_verdict(
    realised, source, destination, port, outcome, verdict
):
    started = time.monotonic()
    answer = probe(realised, source, destination, port)
    assert answer.status_code == 200, answer.text
    assert f'data-outcome="{outcome}"' in answer.text
    assert f'data-verdict="{verdict}"' in answer.text
    assert "<strong" not in answer.text  # they agree (a disagreement is shown as NO)
    assert time.monotonic() - started < 5  # the probe itself gives up after 1.5 s


def test_a_probe_from_outside_the_documentation_ranges_is_refused(realised):
    answer = probe(realised, "8.8.8.8", "web", 22)
    assert answer.status_code == 400
    assert "documentation ranges" in answer.text and "probe-answer" not in answer.text
    from stockade.dataplane import netns

    assert not any("host-8-8-8-8" in name for name in netns.listed("stk"))


def test_the_live_page_probes_and_the_probe_streams_in(realised, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    driver = browser
    driver.get(f"{realised.console}/live")
    waiting = wait(driver, STREAM_WAIT_S)
    try:
        waiting.until(
            lambda d: d.find_element(By.ID, "flow-records").get_attribute("data-streaming") == "yes"
        )
        # an address no other test probes from, so the record that streams in is this one's
        source = driver.find_element(By.NAME, "source")
        source.clear()
        source.send_keys(BROWSER_SOURCE)
        port = driver.find_element(By.NAME, "port")
        port.clear()
        port.send_keys("80")
        driver.find_element(By.ID, "probe-button").click()  # -> web:80 (the default "web")
        answer = waiting.until(seen.visibility_of_element_located((By.ID, "probe-answer")))
        assert answer.get_attribute("data-outcome") == "connected"
        assert answer.get_attribute("data-verdict") == "allowed"
        outcome = answer.find_element(By.CSS_SELECTOR, "td.outcome").text
        verdict = answer.find_element(By.CSS_SELECTOR, "td.verdict").text
        assert outcome == "connected" and verdict.startswith("allowed")

        def probe_record(d) -> bool:
            rows = d.find_elements(By.CSS_SELECTOR, "#flow-records tbody tr")
            return any(
                f"{BROWSER_SOURCE}:" in r.text and ":80" in r.text and "ACCEPT" in r.text
                for r in rows
            )

        waiting.until(probe_record)
        screenshot(driver, "live")

        # a refusal (4xx) shows its reason where the answer goes, not nothing
        source = driver.find_element(By.NAME, "source")
        source.clear()
        source.send_keys("8.8.8.8")
        driver.find_element(By.ID, "probe-button").click()
        error = waiting.until(seen.visibility_of_element_located((By.ID, "probe-error")))
        assert "documentation ranges" in error.text
    finally:
        driver.get("about:blank")  # closes the stream before the server stops


def test_rule_hits_count_the_probes_connections(realised):
    assert realised.config is not None
    with ServiceContext(realised.store).read() as tx:
        rules = tx.snapshot().rules_by_group[realised.seed.groups["web"]]
    ssh = next(r for r in rules if r.description == "SSH from my computer")
    hits = rule_hits(realised.config)
    assert hits is not None
    before = hits.get(ssh.rule_id, RuleHits(0, None)).count
    assert 'data-outcome="connected"' in probe(realised, MY_COMPUTER, "web", 22).text
    hits = rule_hits(realised.config)
    assert hits is not None
    after = hits[ssh.rule_id]
    assert after.count >= before + 1  # (a SYN resent under load counts again)
    assert after.last_hit is None or after.last_hit <= datetime.now(UTC)


def test_a_plain_form_post_answers_with_the_whole_page(realised):
    http, token = session_for(realised.console)
    form = {"source": "web", "destination": "app", "port": "80", "protocol": "tcp"}
    page = http.post(f"{realised.console}/live/probe", data=form | {"csrf_token": token})
    assert page.status_code == 200
    assert 'id="probe-form"' in page.text and 'data-outcome="connected"' in page.text
    assert 'name="source" list="probe-sources" value="web"' in page.text  # the form as asked
