"""The topology: the graph the server builds (``/console/api/topology``) for the seed and
for state with every kind of link, the page drawing it in a real Chromium (every instance
of the seed, a click opening an instance), and 1,000 instances drawn within the budget."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from console.console_helpers import (
    ARTIFACTS,
    SeededConsole,
    csrf_of,
    screenshot,
    seeded_server,
    wait,
)
from console.topology_world import build_large_world

from stockade.api.app import serving
from stockade.api.auth import AuthConfig
from stockade.console.app import create_server_app
from stockade.console.topology_graph import topology
from stockade.domain.tags import check_tags
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest, PeeringRequest, RouteRequest
from stockade.store.sql import SqlStore

#: the page's own figure for 1,000 instances must stay under this even on a loaded CI
#: machine (2 cores shared by a dozen test runs: 1.3-3.5 s measured there); the target, 1 s,
#: is bench/console_topology.py's figure, which also gives the ratio to the seed's page
LOADED_MACHINE_BOUND_MS = 6000


def _nodes(graph: dict) -> dict[str, dict]:
    return {n["data"]["id"]: n for n in graph["elements"]["nodes"]}


def _edges(graph: dict) -> dict[str, dict]:
    return {e["data"]["id"]: e for e in graph["elements"]["edges"]}


def test_the_topology_json_holds_every_seed_instance_in_its_subnet(
    seeded_shared: SeededConsole,
):
    answer = requests.get(f"{seeded_shared.console}/api/topology")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    graph = answer.json()
    nodes, edges, seed = _nodes(graph), _edges(graph), seeded_shared.seed

    for name, instance_id in seed.instances.items():
        node = nodes[instance_id]
        assert node["data"]["kind"] == "instance"
        assert node["data"]["name"] == name
        assert node["data"]["url"] == f"/console/instances/{instance_id}"
        expected_subnet = seed.private_subnet_id if name == "app" else seed.subnet_id
        assert node["data"]["parent"] == expected_subnet
    # an instance with a public IP is marked so (the page outlines it)
    assert nodes[seed.instances["web"]]["classes"] == "instance running public"
    assert nodes[seed.instances["A"]]["classes"] == "instance running"
    web = nodes[seed.instances["web"]]["data"]
    assert web["public_ip"] and web["public_ip"] in web["label"]
    assert [g["name"] for g in web["groups"]] == ["web"]
    [eni] = web["interfaces"]
    assert eni["private_ips"][0].startswith("10.0.1.") and eni["public_ip"] == web["public_ip"]
    ntp = nodes[seed.instances["ntp"]]["data"]
    assert sorted(g["name"] for g in ntp["groups"]) == ["group-1", "ssh-only"]

    # public/private as the route tables make them, the gateway routed to by the public one
    assert nodes[seed.subnet_id]["classes"] == "subnet public"
    assert nodes[seed.private_subnet_id]["classes"] == "subnet private"
    assert nodes[seed.subnet_id]["data"]["route_table"] == seed.public_route_table_id
    assert nodes[seed.subnet_id]["data"]["network_acl"] == seed.network_acl_id
    assert nodes[seed.igw_id]["data"]["parent"] == seed.vpc_id
    route = edges[f"{seed.subnet_id}~{seed.igw_id}"]
    assert route["data"]["label"] == "0.0.0.0/0" and route["classes"] == "route"
    assert not any(e["data"]["source"] == seed.private_subnet_id for e in edges.values())

    groups = {g["name"]: g for g in graph["groups"] if g["vpc"] == seed.vpc_id}
    assert groups["web"]["members"] == sorted([seed.instances["web"], seed.instances["app"]])
    assert groups["web"]["url"] == f"/console/groups/{seed.groups['web']}"
    assert graph["counts"]["instances"] == len(seed.instances)


def test_the_graph_draws_nat_and_egress_only_gateways_peerings_and_extra_interfaces(
    tmp_path: Path,
):
    store = SqlStore.open(str(tmp_path / "graph.db"))
    services = Services(ServiceContext(store))
    net, rtb = services.network, services.route_tables
    vpc = net.create_vpc("10.1.0.0/16", amazon_provided_ipv6=True)
    other = net.create_vpc("10.2.0.0/16")
    public = net.create_subnet(vpc.vpc_id, "10.1.0.0/24")
    private = net.create_subnet(vpc.vpc_id, "10.1.1.0/24")
    igw = net.create_internet_gateway()
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    public_rtb = rtb.create(vpc.vpc_id).table.route_table_id
    rtb.create_route(public_rtb, RouteRequest.of("0.0.0.0/0", igw.igw_id))
    rtb.associate(public_rtb, subnet_id=public.subnet_id)
    eip = services.addresses.allocate()
    nat = services.gateways.create_nat_gateway(public.subnet_id, allocation_id=eip.allocation_id)
    eigw = services.gateways.create_egress_only_internet_gateway(vpc.vpc_id)
    private_rtb = rtb.create(vpc.vpc_id).table.route_table_id
    rtb.create_route(private_rtb, RouteRequest.of("0.0.0.0/0", nat.nat_gateway_id))
    rtb.create_route(private_rtb, RouteRequest.of("::/0", eigw.egress_only_internet_gateway_id))
    rtb.associate(private_rtb, subnet_id=private.subnet_id)
    pcx = services.peering.create(PeeringRequest(vpc.vpc_id, other.vpc_id))
    services.peering.accept(pcx.vpc_peering_connection_id)
    group = services.groups.create("app", "app", vpc.vpc_id).group.group_id
    [launched] = services.instances.run(
        LaunchRequest(
            subnet_id=private.subnet_id,
            group_ids=(group,),
            tags=check_tags([("Name", "two-legs")]),
        )
    )
    instance_id = launched.instance.instance_id
    eni = services.interfaces.create(public.subnet_id, group_ids=(group,))
    services.interfaces.attach(eni.eni_id, instance_id, 1)
    # (no detach here: AWS refuses to detach this gateway while the NAT gateway's Elastic
    # IP is mapped behind it; a route to a gateway gone away is the next test's)

    with ServiceContext(store).read() as tx:
        graph = topology(tx.snapshot(), "/console")
    nodes, edges = _nodes(graph), _edges(graph)
    assert nodes[nat.nat_gateway_id]["data"]["parent"] == public.subnet_id
    assert eip.public_ip in nodes[nat.nat_gateway_id]["data"]["label"]
    assert nodes[eigw.egress_only_internet_gateway_id]["data"]["parent"] == vpc.vpc_id
    assert edges[f"{private.subnet_id}~{nat.nat_gateway_id}"]["data"]["label"] == "0.0.0.0/0"
    eigw_edge = edges[f"{private.subnet_id}~{eigw.egress_only_internet_gateway_id}"]
    assert eigw_edge["data"]["label"] == "::/0"
    peering = edges[pcx.vpc_peering_connection_id]
    assert {peering["data"]["source"], peering["data"]["target"]} == {vpc.vpc_id, other.vpc_id}
    assert peering["classes"] == "peering active"
    # the public subnet routes to the attached gateway
    assert edges[f"{public.subnet_id}~{igw.igw_id}"]["data"]["label"] == "0.0.0.0/0"
    assert nodes[public.subnet_id]["classes"] == "subnet public"
    # the second interface is drawn in its own subnet, linked to its instance
    assert nodes[eni.eni_id]["data"]["parent"] == public.subnet_id
    attached = edges[f"{eni.eni_id}~att"]
    assert (attached["data"]["source"], attached["data"]["target"]) == (instance_id, eni.eni_id)
    assert [e["id"] for e in nodes[instance_id]["data"]["interfaces"]][1] == eni.eni_id


def test_a_route_to_a_gateway_that_no_longer_forwards_is_a_blackhole_edge(tmp_path: Path):
    store = SqlStore.open(str(tmp_path / "blackhole.db"))
    services = Services(ServiceContext(store))
    net, rtb = services.network, services.route_tables
    vpc = net.create_vpc("10.3.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.3.0.0/24")
    net.attach_internet_gateway(net.create_internet_gateway().igw_id, vpc.vpc_id)
    eip = services.addresses.allocate()
    nat = services.gateways.create_nat_gateway(subnet.subnet_id, allocation_id=eip.allocation_id)
    table = rtb.create(vpc.vpc_id).table.route_table_id
    rtb.create_route(table, RouteRequest.of("0.0.0.0/0", nat.nat_gateway_id))
    rtb.associate(table, subnet_id=subnet.subnet_id)
    with ServiceContext(store).read() as tx:
        before = _edges(topology(tx.snapshot(), "/console"))
    assert before[f"{subnet.subnet_id}~{nat.nat_gateway_id}"]["classes"] == "route"
    services.gateways.delete_nat_gateway(nat.nat_gateway_id)
    with ServiceContext(store).read() as tx:
        after = topology(tx.snapshot(), "/console")
    # a deleted gateway stays in the picture (AWS lists it a while), its route a blackhole
    assert _nodes(after)[nat.nat_gateway_id]["classes"] == "nat deleted"
    assert _edges(after)[f"{subnet.subnet_id}~{nat.nat_gateway_id}"]["classes"] == (
        "route blackhole"
    )


def _wait_rendered(driver, timeout: float = 30.0) -> float:

    wait(driver, timeout).until(
        lambda d: d.execute_script("return window.topologyRenderedMs || window.topologyError")
    )
    error = driver.execute_script("return window.topologyError || null")
    assert error is None, error
    return float(driver.execute_script("return window.topologyRenderedMs"))


def test_the_browser_draws_every_seed_instance_and_a_click_opens_one(
    browser, seeded_shared: SeededConsole
):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get(f"{seeded_shared.console}/topology")
    _wait_rendered(browser)
    drawn = browser.execute_script("return window.topologyCy.nodes('.instance').map(n => n.id())")
    assert sorted(drawn) == sorted(seeded_shared.seed.instances.values())
    # every instance is drawn inside its subnet's box
    inside = browser.execute_script(
        """const cy = window.topologyCy;
        return cy.nodes('.instance').every(n => {
          const subnet = cy.getElementById(n.data('subnet'));
          const box = subnet.boundingBox({includeLabels: false}), p = n.position();
          return subnet.hasClass('subnet') && p.x > box.x1 && p.x < box.x2
                 && p.y > box.y1 && p.y < box.y2;
        })"""
    )
    assert inside
    screenshot(browser, "topology")

    web = seeded_shared.seed.instances["web"]
    x, y, width, height = browser.execute_script(
        """const n = window.topologyCy.getElementById(arguments[0]);
        const p = n.renderedPosition(), c = window.topologyCy.container();
        return [p.x, p.y, c.clientWidth, c.clientHeight]""",
        web,
    )
    canvas = browser.find_element(By.ID, "topology")
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(x - width / 2), int(y - height / 2)
    ).click().perform()
    wait(browser, 15).until(lambda d: d.current_url.endswith(f"/instances/{web}"))
    assert web in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "instance")


@pytest.fixture(scope="module")
def large_world() -> Iterator[str]:
    """A server whose default scope holds 1,000 running instances (built in-process)."""
    with tempfile.TemporaryDirectory(prefix="stockade-console-large-") as tmp:
        store = SqlStore.open(str(Path(tmp) / "large.db"))
        try:
            assert build_large_world(store, 1000) == 1000
            with serving(create_server_app(store)) as url:
                yield f"{url}/console"
        finally:
            store.close()


def test_the_topology_of_1000_instances_renders_within_the_budget(browser, large_world: str):
    browser.get(f"{large_world}/topology")
    rendered = _wait_rendered(browser, timeout=60)
    count = browser.execute_script("return window.topologyCy.nodes('.instance').length")
    assert count == 1000
    timings = browser.execute_script("return window.topologyTimings")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "topology-1000.json").write_text(json.dumps(timings))
    print(f"\ntopology of 1000 instances rendered in {rendered:.0f} ms: {timings}")
    screenshot(browser, "topology-1000")
    assert rendered < LOADED_MACHINE_BOUND_MS, timings
    # too small to read at this zoom, the instances' labels are off; zoomed in, they are on
    labelled = "return window.topologyCy.nodes('.instance.labelled').length"
    assert browser.execute_script(labelled) == 0
    browser.execute_script(
        """const cy = window.topologyCy, n = cy.nodes('.instance').first();
        cy.zoom({level: 1, position: n.position()});"""
    )
    assert browser.execute_script(labelled) == 1000
    screenshot(browser, "topology-1000-zoomed")


def test_under_auth_the_graph_needs_a_sign_in_and_shows_only_the_callers_account(
    tmp_path: Path,
):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"AKIDTOPOLOGY": {"secret": "s3cret", "account": "210987654321"}}))
    for server in seeded_server(tmp_path, AuthConfig.load(keys)):
        anonymous = requests.get(f"{server.console}/api/topology", allow_redirects=False)
        assert anonymous.status_code in (303, 401)
        assert server.seed.instances["web"] not in anonymous.text
        http = requests.Session()
        token = csrf_of(http.get(f"{server.console}/signin").text)
        http.post(
            f"{server.console}/signin",
            data={"access_key": "AKIDTOPOLOGY", "secret_key": "s3cret", "csrf_token": token},
        )
        graph = http.get(f"{server.console}/api/topology").json()
        # the seed lives in the default account: this one sees only its own default VPC
        assert graph["counts"]["instances"] == 0
        assert all(v["data"].get("kind") != "instance" for v in graph["elements"]["nodes"])


def test_names_from_the_state_reach_the_page_as_text_never_as_markup(
    browser, seeded: SeededConsole
):
    hostile = "</script><script>window.pwned=1</script><b>x</b>"
    image = "<img src=x onerror=window.pwned=2>"
    services = Services(ServiceContext(seeded.store))
    services.tags.create_tags([seeded.seed.instances["web"]], [("Name", hostile)])
    services.tags.create_tags([seeded.seed.subnet_id], [("Name", image)])
    page = requests.get(f"{seeded.console}/topology").text
    assert hostile not in page and image not in page
    graph = requests.get(f"{seeded.console}/api/topology").json()
    assert _nodes(graph)[seeded.seed.instances["web"]]["data"]["name"] == hostile

    browser.get(f"{seeded.console}/topology")
    _wait_rendered(browser)
    web, subnet = seeded.seed.instances["web"], seeded.seed.subnet_id
    labels = browser.execute_script(
        """const cy = window.topologyCy;
        return [cy.getElementById(arguments[0]).data('label'),
                cy.getElementById(arguments[1]).data('label'), window.pwned || null]""",
        web,
        subnet,
    )
    assert labels[0].startswith(hostile) and image in labels[1]
    assert labels[2] is None  # nothing of it ran
