"""The live page's probe over IPv6: from an IPv6 internet host (2001:db8::/32) to an
instance's IPv6 address, and between instances at their IPv6 addresses — real packets
beside the analyzer's verdict, as the IPv4 probe (tests/console/test_live.py).

The world: a dual-stack VPC whose public subnet routes 0.0.0.0/0 and ::/0 to its internet
gateway; ``web`` and ``app`` there (IPv6 addresses assigned on launch), ``old`` in an
IPv4-only subnet. Refusals need no root (a data plane described, none running); the
probes themselves run as root in a world of their own (``stk<6 hex>-``, removed at the end).
"""

from __future__ import annotations

import html
import ipaddress
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from console.console_helpers import screenshot, session_for, wait

from stockade.api.app import serving
from stockade.console.app import create_server_app
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.tags import check_tags
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest, RouteRequest
from stockade.store.sql import SqlStore

#: Internet sources: anyone, and the one host SSH admits.
ANYONE6, ADMIN6 = "2001:db8:ffff:ffff::10", "2001:db8:ffff:ffff::22"
ANYONE4 = "203.0.113.10"


@dataclass
class DualStack:
    """The world's ids and addresses."""

    vpc_block: str
    instances: dict[str, str]  # name -> instance id
    ipv6: dict[str, str]  # name -> its IPv6 address
    public: dict[str, str]  # name -> its public IPv4
    private: dict[str, str]  # name -> its private IPv4


def build_dual_stack(store: SqlStore) -> DualStack:
    services = Services(ServiceContext(store))
    net, routes = services.network, services.route_tables
    vpc = net.create_vpc("10.0.0.0/16", amazon_provided_ipv6=True)
    assert vpc.ipv6_cidr_block
    subnet6 = str(next(ipaddress.ip_network(vpc.ipv6_cidr_block).subnets(new_prefix=64)))
    public = net.create_subnet(vpc.vpc_id, "10.0.1.0/24", ipv6_cidr_block=subnet6)
    net.modify_subnet_attribute(
        public.subnet_id, map_public_ip_on_launch=True, assign_ipv6_address_on_creation=True
    )
    v4_only = net.create_subnet(vpc.vpc_id, "10.0.2.0/24")
    igw = net.create_internet_gateway()
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    table = routes.create(vpc.vpc_id).table.route_table_id
    for destination in ("0.0.0.0/0", "::/0"):
        routes.create_route(table, RouteRequest.of(destination, igw.igw_id))
    for subnet in (public, v4_only):
        routes.associate(table, subnet_id=subnet.subnet_id)
    group = services.groups.create("web6", "dual-stack web", vpc.vpc_id).group.group_id
    services.rules.authorize(
        group,
        [
            IpPermission(
                "tcp", 80, 80, ip_ranges=(("0.0.0.0/0", None),), ipv6_ranges=(("::/0", None),)
            ),
            IpPermission("tcp", 22, 22, ipv6_ranges=((f"{ADMIN6}/128", "admin"),)),
            IpPermission("tcp", 8080, 8080, groups=(GroupPair(group),)),  # members only
        ],
    )
    world = DualStack(vpc.ipv6_cidr_block, {}, {}, {}, {})
    for name, subnet in (("web", public), ("app", public), ("old", v4_only)):
        [launched] = services.instances.run(
            LaunchRequest(
                subnet_id=subnet.subnet_id,
                group_ids=(group,),
                associate_public_ip=True,
                tags=check_tags([("Name", name)]),
            )
        )
        world.instances[name] = launched.instance.instance_id
    with ServiceContext(store).read() as tx:
        snapshot = tx.snapshot()
    for name, instance_id in world.instances.items():
        eni = snapshot.interface_by_id[snapshot.instance_by_id[instance_id].primary_eni_id]
        if eni.ipv6_addresses:
            world.ipv6[name] = eni.ipv6_addresses[0]
        world.public[name] = eni.public_ip or ""
        world.private[name] = eni.private_ip
    assert set(world.ipv6) == {"web", "app"}
    return world


@dataclass
class Served:
    console: str
    world: DualStack


def _probe(served: Served, source: str, destination: str, port: int) -> requests.Response:
    http, token = session_for(served.console)
    form = {"source": source, "destination": destination, "port": str(port), "protocol": "tcp"}
    return http.post(
        f"{served.console}/live/probe",
        data=form | {"csrf_token": token},
        headers={"HX-Request": "true"},
        timeout=30,
    )


# -- refusals: a data plane described, none running (no root) -----------------------------


@pytest.fixture(scope="module")
def described(tmp_path_factory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("ipv6-described")
    store = SqlStore.open(str(tmp / "ipv6.db"))
    world = build_dual_stack(store)
    prefix = f"stk{secrets.token_hex(3)}-"
    status = {"state": "running", "world": prefix, "store": "sqlite:///x", "pid": 1}
    app = create_server_app(store, dataplane=lambda: status, dataplane_state=tmp)
    try:
        with serving(app) as url:
            yield Served(f"{url}/console", world)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("source", "destination", "says"),
    [
        (ANYONE6, "old", "old has no IPv6 address, so no IPv6 reaches it from the internet"),
        ("old", "{ipv6[web]}", "old has no IPv6 address, so it sends no IPv6"),
        (ANYONE4, "{ipv6[web]}", "From IPv4 203.0.113.10 to IPv6 {ipv6[web]}: packets stay"),
        (ANYONE6, "{public[web]}", f"From IPv6 {ANYONE6} to IPv4 {{public[web]}}: packets"),
        ("2001:4860::8888", "web", "2001:db8::/32), not 2001:4860::8888"),
        ("{inside}", "web", "is in vpc-"),
        (ANYONE6, "2001:db8:ffff:ffff::99", "No instance of yours has the address"),
    ],
)
def test_an_ipv6_probe_that_cannot_be_says_why_in_one_line(described, source, destination, says):
    world = described.world
    values = {"ipv6": world.ipv6, "public": world.public}
    values["inside"] = str(ipaddress.ip_network(world.vpc_block)[0x99])
    answer = _probe(described, source.format_map(values), destination.format_map(values), 80)
    assert answer.status_code == 400
    assert 'id="probe-error"' in answer.text and "probe-answer" not in answer.text
    assert says.format_map(values) in html.unescape(answer.text)


def test_the_probe_form_offers_ipv6_sources_and_destinations(described):
    page = requests.get(f"{described.console}/live", timeout=10)
    assert page.status_code == 200
    assert f'<option value="{ANYONE6}">' in page.text
    for name in ("web", "app"):
        address = described.world.ipv6[name]
        assert f'<option value="{address}" >{name} at {address}</option>' in page.text
    assert '<option value="web" selected>' in page.text  # the IPv4 default stays


# -- as root: real IPv6 packets -------------------------------------------------------------


@pytest.fixture(scope="module")
def realised(tmp_path_factory) -> Iterator[Served]:
    """The dual-stack world realised by a real agent, listeners in web (tcp/22, 80, 8080)
    and app (tcp/8080), both families (listeners bind ``::``)."""
    from stockade.dataplane import netns, nft

    ok, why = nft.usable()
    if not ok:
        pytest.skip(f"needs root and nftables in network namespaces: {why}")
    from stockade.dataplane.agent import Agent
    from stockade.dataplane.names import World
    from stockade.dataplane.probe import Listeners

    tmp = tmp_path_factory.mktemp("ipv6-live")
    prefix = World(f"stk{secrets.token_hex(3)}-")
    store = SqlStore.open(str(tmp / "ipv6.db"))
    agent = None
    try:
        world = build_dual_stack(store)
        state = tmp / "dataplane"
        agent = Agent(store, prefix, state_dir=state).start()
        assert agent.wait_for(store.revision(), timeout=30), "the agent did not catch up"
        app = create_server_app(store, dataplane=agent.status, dataplane_state=state)
        with serving(app) as url, Listeners() as listeners:
            for name, ports in (("web", (22, 80, 8080)), ("app", (8080,))):
                for port in ports:
                    listeners.tcp(prefix.instance(world.instances[name]), port)
            yield Served(f"{url}/console", world)
    finally:
        if agent is not None:
            agent.stop()
        store.close()
        netns.remove_all(prefix.prefix)


@pytest.mark.parametrize(
    ("source", "destination", "port", "to", "outcome", "verdict"),
    [
        (ANYONE6, "web", 80, "{ipv6[web]}", "connected", "allowed"),  # ::/0, by the gateway
        (ANYONE6, "web", 22, "{ipv6[web]}", "timeout", "denied"),  # SSH: one IPv6 host only
        (ADMIN6, "web", 22, "{ipv6[web]}", "connected", "allowed"),
        (ANYONE6, "web", 8080, "{ipv6[web]}", "timeout", "denied"),  # the group's members only
        ("web", "{ipv6[app]}", 8080, "{ipv6[app]}", "connected", "allowed"),  # a member
        ("web", "{ipv6[app]}", 80, "{ipv6[app]}", "refused", "allowed"),  # app: 8080 only
        ("old", "app", 8080, "{private[app]}", "connected", "allowed"),  # IPv4, by name
        (ANYONE4, "web", 80, "{public[web]}", "connected", "allowed"),
    ],
)
def test_an_ipv6_probe_shows_the_real_outcome_beside_the_verdict(
    realised, source, destination, port, to, outcome, verdict
):
    world = realised.world
    values = {"ipv6": world.ipv6, "public": world.public, "private": world.private}
    started = time.monotonic()
    answer = _probe(realised, source, destination.format_map(values), port)
    assert answer.status_code == 200, answer.text
    assert f'data-outcome="{outcome}"' in answer.text
    assert f'data-verdict="{verdict}"' in answer.text
    assert "<strong" not in answer.text  # they agree (a disagreement is shown as NO)
    assert f"to {to.format_map(values)}," in html.unescape(answer.text)  # where packets went
    assert time.monotonic() - started < 5  # the probe itself gives up after 1.5 s


def test_the_browser_probes_over_ipv6(realised, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.get(f"{realised.console}/live")
    try:
        source = driver.find_element(By.NAME, "source")
        source.clear()
        source.send_keys(ANYONE6)
        Select(driver.find_element(By.NAME, "destination")).select_by_value("web")
        port = driver.find_element(By.NAME, "port")
        port.clear()
        port.send_keys("80")
        driver.find_element(By.ID, "probe-button").click()
        answer = wait(driver, 20).until(seen.visibility_of_element_located((By.ID, "probe-answer")))
        assert answer.get_attribute("data-outcome") == "connected"
        assert answer.get_attribute("data-verdict") == "allowed"
        assert realised.world.ipv6["web"] in answer.text
        screenshot(driver, "live-probe-ipv6")
    finally:
        driver.get("about:blank")
