"""Issue 9: an address leaves its interface with its tracked connections — real packets.

What was seen: a client kept a UDP flow and a TCP connection open to an instance; the
instance was terminated and RunInstances at once gave its address to a new instance whose
group allows nothing inbound, yet the old flows reached the new instance (274 UDP replies;
the TCP segments answered with RST): the VPC router still tracked them as established.

Here the old flows keep sending while the agent applies the change, and every packet that
arrives at the address's new holder is counted by an nft counter the test puts inside the
holder's namespace (before its interface exists, when the holder is new). The agent is
stepped by the test, so which changes share one batch is certain, not a race.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from helpers import route_to_internet
from policy.conftest import World as Builder
from pyroute2.conntrack import Conntrack
from pyroute2.netlink.nfnetlink.nfctsocket import NFCTAttrTuple

from stockade.dataplane import conntrack, links, netns
from stockade.dataplane.agent import Agent
from stockade.dataplane.names import World
from stockade.dataplane.nft import Nft
from stockade.dataplane.plan import addresses_left, addresses_rehomed, plan_world
from stockade.dataplane.probe import Listeners, Probe, open_socket, run
from stockade.domain.instance import InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.permissions import IpPermission
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest
from stockade.store.sql import SqlStore

from .echo import EchoServer

TIMEOUT = 0.4
HOST = "203.0.113.10"  # the client on the internet
UDP_PORT, TCP_PORT = 9, 22
COUNTER = "stkseen"  # the test's own nft table inside instance namespaces
#: How long the old flows keep sending after the batch (TCP retransmits at ~0.2 s, 0.6 s).
AFTER = 0.8


# -- the pure part ---------------------------------------------------------------------------


def test_the_addresses_that_left_are_those_no_longer_held_by_the_same_interface():
    w = Builder()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    group = w.group(vpc, "g")
    x = w.instance(vpc, [group], "10.0.0.5", public_ip="192.0.2.10", ipv6=["2001:db8:0:1::5"])
    y = w.instance(vpc, [group], "10.0.0.6", public_ip="192.0.2.11")
    snapshot = w.snapshot()
    x_eni = w.eni_of(x)

    def plan(**changes):
        return plan_world(dataclasses.replace(snapshot, **changes)).get(vpc)

    def instances(instance_id, **changes):
        return tuple(
            dataclasses.replace(i, **changes) if i.instance_id == instance_id else i
            for i in snapshot.instances
        )

    def interfaces(**changes):
        return tuple(
            dataclasses.replace(e, **changes) if e.eni_id == x_eni else e
            for e in snapshot.interfaces
        )

    before = plan()
    x_all = {"10.0.0.5", "2001:db8:0:1::5", "192.0.2.10"}
    assert addresses_left(before, plan()) == set()
    assert (
        addresses_left(before, plan(instances=instances(x, state=InstanceState.TERMINATED)))
        == x_all
    )
    # stopped: the public IPv4 is released, the private addresses stay (the port goes down)
    stopped = plan(
        instances=instances(x, state=InstanceState.STOPPED), interfaces=interfaces(public_ip=None)
    )
    assert addresses_left(before, stopped) == {"192.0.2.10"}
    assert (
        addresses_left(before, plan(instances=instances(x, state=InstanceState.STOPPED))) == set()
    )
    # the same interface on another instance: every address has left the old one
    assert (
        addresses_left(before, plan(interfaces=interfaces(instance_id=y, device_index=1))) == x_all
    )
    assert addresses_left(before, plan(interfaces=interfaces(ipv6_addresses=()))) == {
        "2001:db8:0:1::5"
    }
    assert addresses_left(before, plan(interfaces=interfaces(public_ip="192.0.2.12"))) == {
        "192.0.2.10"
    }
    # without a gateway nothing is translated: every public address has left
    assert addresses_left(before, plan(internet_gateways=())) == {"192.0.2.10", "192.0.2.11"}
    assert addresses_left(before, None) == x_all | {"10.0.0.6", "192.0.2.11"}
    assert addresses_left(None, before) == set()


def test_the_addresses_rehomed_are_those_that_left_or_arrived():
    w = Builder()
    vpc = w.vpc()
    group = w.group(vpc, "g")
    x = w.instance(vpc, [group], "10.0.0.5", public_ip="192.0.2.10")
    w.instance(vpc, [group], "10.0.0.6")
    before = plan_world(w.snapshot())[vpc]
    w.instances = [i for i in w.instances if i.instance_id != x]  # x goes; z arrives and
    w.instance(vpc, [group], "10.0.0.7", public_ip="192.0.2.10")  # gets x's public address
    after = plan_world(w.snapshot())[vpc]
    assert addresses_left(before, after) == {"10.0.0.5", "192.0.2.10"}
    assert addresses_rehomed(before, after) == {"10.0.0.5", "10.0.0.7", "192.0.2.10"}
    assert addresses_rehomed(before, before) == set()
    assert addresses_rehomed(None, after) == set()  # unknown before a restart


# -- the conntrack module on its own -----------------------------------------------------------


def _entry(src, dst, reply_src=None, reply_dst=None, proto=17, sport=1000, dport=53):
    """Insert one conntrack entry; ``reply_*`` differ from the swapped original under NAT."""
    family = socket.AF_INET6 if ":" in src else socket.AF_INET
    ports = {} if proto == 1 else {"sport": sport, "dport": dport}
    back = {} if proto == 1 else {"sport": dport, "dport": sport}
    icmp = {"icmp_id": sport, "icmp_type": 8, "icmp_code": 0} if proto == 1 else {}
    reply_icmp = {**icmp, "icmp_type": 0} if icmp else {}
    with Conntrack(nfgen_family=family) as conn:  # in the namespace the caller entered
        conn.entry(
            "add",
            timeout=300,
            tuple_orig=NFCTAttrTuple(family, src, dst, proto, **ports, **icmp),
            tuple_reply=NFCTAttrTuple(
                family, reply_src or dst, reply_dst or src, proto, **back, **reply_icmp
            ),
        )


@pytest.mark.root
@pytest.mark.parametrize(
    "decode_limit",
    [conntrack.DECODE_LIMIT, 0],
    ids=["one dump, filtered here", "dumps filtered by the kernel"],
)
def test_forget_deletes_exactly_the_entries_naming_an_address(world, monkeypatch, decode_limit):
    monkeypatch.setattr(conntrack, "DECODE_LIMIT", decode_limit)
    namespace = f"{world.prefix}ct"
    netns.create(namespace)
    private, public, v6 = "10.0.1.4", "192.0.2.1", "2001:db8:0:1::4"
    with netns.entered(namespace):
        _entry("10.0.1.9", private)  # to it
        _entry(private, "10.0.1.9", sport=1001)  # from it
        _entry(HOST, public, reply_src=private)  # in through its public address (DNAT)
        _entry(private, HOST, reply_dst=public, sport=1002)  # out through it (SNAT)
        _entry("10.0.1.9", private, proto=1)  # a ping
        _entry("2001:db8:0:1::9", v6)  # IPv6
        _entry("10.0.1.9", "10.0.1.40")  # a neighbour with a similar address
        _entry(HOST, "192.0.2.10", reply_src="10.0.1.40")
        _entry("2001:db8:0:1::9", "2001:db8:0:1::40")
    assert len(_tracked(namespace, private)) == 5
    assert conntrack.forget(namespace, [private, v6]) == 6
    assert _tracked(namespace, private) == [] and _tracked(namespace, v6) == []
    assert len(_tracked(namespace, "10.0.1.40")) == 2  # the others are untouched
    assert len(_tracked(namespace, "2001:db8:0:1::40")) == 1
    assert conntrack.forget(namespace, [private]) == 0  # nothing left to forget
    assert conntrack.forget(f"{world.prefix}gone", [private]) == 0  # no such namespace
    with netns.entered(namespace):
        _entry(HOST, public, reply_src=private)
    assert conntrack.forget(namespace, [public]) == 1  # a public address alone
    assert _tracked(namespace, public) == []


# -- real packets ----------------------------------------------------------------------------


@dataclasses.dataclass
class Vpc:
    services: Services
    vpc_id: str
    subnet_id: str
    open: str  # allows everything in (tracked)
    closed: str  # allows nothing in

    def run(self, group: str, public: bool = False) -> tuple[str, NetworkInterface]:
        """Launch an instance; its id and primary interface."""
        (launched,) = self.services.instances.run(
            LaunchRequest(subnet_id=self.subnet_id, group_ids=(group,), associate_public_ip=public)
        )
        assert launched.primary is not None
        return launched.instance.instance_id, launched.primary

    def primary(self, instance_id: str) -> NetworkInterface:
        eni = self.services.instances.get(instance_id).primary
        assert eni is not None
        return eni


def _vpc(ctx: ServiceContext) -> Vpc:
    services = Services(ctx)
    net = services.network
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    igw = net.create_internet_gateway()
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    route_to_internet(services, vpc.vpc_id, igw.igw_id)
    open_ = services.groups.create("open", "everything in", vpc.vpc_id).group.group_id
    # Two halves, not 0.0.0.0/0: with the default outbound rule, 0.0.0.0/0 would leave the
    # flows untracked (nothing to forget), and these tests are about tracked flows.
    halves = (("0.0.0.0/1", None), ("128.0.0.0/1", None))
    services.rules.authorize(open_, [IpPermission("-1", ip_ranges=halves)])
    closed = services.groups.create("closed", "nothing in", vpc.vpc_id).group.group_id
    return Vpc(services, vpc.vpc_id, subnet.subnet_id, open_, closed)


@pytest.fixture
def stepped(store: SqlStore, world: World) -> Iterator[Agent]:
    """An agent the test drives: what is committed between two :func:`_apply` calls is
    applied as one batch."""
    agent = Agent(store, world)
    agent.rebuild()
    try:
        yield agent
    finally:
        agent.stop()


def _apply(agent: Agent) -> None:
    """Apply everything committed so far, as one batch, in this thread."""
    assert agent.step(timeout=5) is not None
    assert agent.revision == agent.store.revision()


@contextlib.contextmanager
def _servers(namespace: str, address: str = "::") -> Iterator[None]:
    """A UDP echo server and a TCP echo server (connections stay open) in ``namespace``;
    UDP bound to ``address`` when the namespace has several (so replies come from it)."""
    tcp = EchoServer(namespace, TCP_PORT)
    try:
        with Listeners() as listeners:
            listeners.udp(namespace, UDP_PORT, address)
            yield
    finally:
        tcp.close()


class OldFlows:
    """A UDP flow and a TCP connection from ``namespace`` to ``address``, both answered
    (so the router tracks them as established), that can keep sending."""

    def __init__(self, namespace: str, address: str) -> None:
        self.udp = open_socket(namespace, socket.AF_INET, socket.SOCK_DGRAM)
        self.tcp = open_socket(namespace, socket.AF_INET, socket.SOCK_STREAM)
        for sock in (self.udp, self.tcp):
            sock.settimeout(5)
        self.udp.connect((address, UDP_PORT))
        self.udp.send(b"hello")
        assert self.udp.recv(64) == b"hello"
        self.tcp.connect((address, TCP_PORT))
        self.tcp.sendall(b"hello")
        assert self.tcp.recv(64) == b"hello"

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        """Send on both flows (UDP every 2 ms, TCP every 100 ms) until the body ends, and
        then ``AFTER`` seconds more; bounded to 30 s whatever happens."""
        stop = threading.Event()

        def loop() -> None:
            deadline = time.monotonic() + 30
            tick = 0
            while not stop.is_set() and time.monotonic() < deadline:
                for sock, every in ((self.udp, 1), (self.tcp, 50)):
                    if tick % every == 0:
                        with contextlib.suppress(OSError):  # refused / reset: still counted
                            sock.send(b"old")
                tick += 1
                stop.wait(0.002)

        thread = threading.Thread(target=loop, name="stk-old-flows", daemon=True)
        thread.start()
        try:
            yield
            time.sleep(AFTER)  # a window to count in, not a wait for a condition
        finally:
            stop.set()
            thread.join(timeout=5)

    def close(self) -> None:
        self.udp.close()
        self.tcp.close()

    def __enter__(self) -> OldFlows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _count_arrivals(namespace: str, source: str) -> None:
    """Count every packet from ``source`` that arrives in ``namespace`` (an nft counter at
    the very start of prerouting; the namespace is made if it does not exist yet, as the
    agent would make it, so the counter is there before the interface is)."""
    if not netns.exists(namespace):
        netns.create(namespace)
        netns.sysctl(namespace, links.QUIET_IPV6)
    with Nft(namespace) as nft:
        nft.run(
            f"add table inet {COUNTER}\n"
            f"add chain inet {COUNTER} seen {{ type filter hook prerouting priority -400; "
            "policy accept; }\n"
            f"add rule inet {COUNTER} seen ip saddr {source} counter\n"
        )


def _arrivals(namespace: str) -> int:
    with Nft(namespace) as nft:
        items = nft.query(f"list chain inet {COUNTER} seen")["nftables"]
    return sum(
        expr["counter"]["packets"]
        for item in items
        if "rule" in item
        for expr in item["rule"]["expr"]
        if "counter" in expr
    )


def _tracked(namespace: str, address: str) -> list[str]:
    """The conntrack entries of ``namespace`` naming ``address`` (read with the conntrack
    command, independently of stockade's own code)."""
    family = "ipv6" if ":" in address else "ipv4"
    out = subprocess.run(
        ["ip", "netns", "exec", namespace, "conntrack", "-L", "-f", family],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if f"={address} " in f"{line} "]


def _fresh(namespace: str, address: str) -> list[str]:
    """Outcomes of a new UDP flow and a new TCP connection (nothing listens at the new
    holder, so a packet that got through would come back *refused*, not time out)."""
    return run(
        [Probe(namespace, address, "udp", UDP_PORT), Probe(namespace, address, "tcp", TCP_PORT)],
        TIMEOUT,
    )


@pytest.mark.root
@pytest.mark.parametrize("batches", [1, 2])
def test_a_terminated_instances_flows_never_reach_the_next_holder_of_its_address(
    ctx, world, stepped, batches
):
    vpc = _vpc(ctx)
    client, client_eni = vpc.run(vpc.closed)
    server, server_eni = vpc.run(vpc.open)
    _apply(stepped)
    address, router = server_eni.private_ip, world.router(vpc.vpc_id)
    client_ns, server_ns = world.instance(client), world.instance(server)
    _count_arrivals(server_ns, client_eni.private_ip)
    with _servers(server_ns), OldFlows(client_ns, address) as flows:
        assert _arrivals(server_ns) >= 4  # the counter sees the flows it should
        assert len(_tracked(router, address)) == 2  # the router tracks both flows
        with flows.sending():
            vpc.services.instances.terminate([server])
            if batches == 2:
                _apply(stepped)
            newcomer, newcomer_eni = vpc.run(vpc.closed)  # allows nothing in
            assert newcomer_eni.private_ip == address  # handed out again at once
            newcomer_ns = world.instance(newcomer)
            _count_arrivals(newcomer_ns, client_eni.private_ip)
            _apply(stepped)
        assert _arrivals(newcomer_ns) == 0  # not one packet of the old flows
        assert _tracked(router, address) == []
        assert _fresh(client_ns, address) == ["timeout", "timeout"]


@pytest.mark.root
def test_a_released_public_address_takes_its_flows_and_mapping_with_it(ctx, world, stepped):
    vpc = _vpc(ctx)
    server, server_eni = vpc.run(vpc.open, public=True)
    _apply(stepped)
    public, router = server_eni.public_ip, world.router(vpc.vpc_id)
    assert public is not None
    server_ns = world.instance(server)
    internet = stepped.topology.internet
    with _servers(server_ns), internet.host(HOST) as host, OldFlows(host, public) as flows:
        _count_arrivals(server_ns, HOST)
        assert len(_tracked(router, public)) == 2  # translated and tracked
        vpc.services.instances.stop([server])  # releases the public address...
        newcomer, newcomer_eni = vpc.run(vpc.closed, public=True)
        assert newcomer_eni.public_ip == public  # ... which is handed out again at once
        newcomer_ns = world.instance(newcomer)
        _count_arrivals(newcomer_ns, HOST)
        _apply(stepped)
        assert _tracked(router, public) == [] and _tracked(world.internet, public) == []
        vpc.services.instances.start([server])  # a new public address for the old owner
        _apply(stepped)
        restarted = vpc.primary(server).public_ip
        assert restarted is not None and restarted != public
        seen = _arrivals(server_ns)
        with flows.sending():
            pass
        # The old flows do not reach the old owner through the address it no longer has,
        # nor the new holder, whose group allows nothing in.
        assert (_arrivals(server_ns) - seen, _arrivals(newcomer_ns)) == (0, 0)
        assert _fresh(host, public) == ["timeout", "timeout"]
        assert run([Probe(host, restarted, "tcp", TCP_PORT)], 3.0) == ["connected"]
        assert _arrivals(server_ns) > seen  # and the counter would have seen them


@pytest.mark.root
@pytest.mark.parametrize("how", ["moved", "deleted and its address reused"])
def test_an_interface_leaving_its_instance_takes_its_flows_with_it(ctx, world, stepped, how):
    vpc = _vpc(ctx)
    interfaces = vpc.services.interfaces
    client, client_eni = vpc.run(vpc.closed)
    server, _ = vpc.run(vpc.open)
    other, _ = vpc.run(vpc.closed)
    eni = interfaces.create(vpc.subnet_id, [vpc.open])
    attachment = interfaces.attach(eni.eni_id, server, 1)
    _apply(stepped)
    address, router = eni.private_ip, world.router(vpc.vpc_id)
    client_ns, other_ns = world.instance(client), world.instance(other)
    with _servers(world.instance(server), address), OldFlows(client_ns, address) as flows:
        assert len(_tracked(router, address)) == 2
        _count_arrivals(other_ns, client_eni.private_ip)
        interfaces.detach(attachment)
        if how == "moved":  # to another instance, with a group that allows nothing in
            interfaces.modify_attribute(eni.eni_id, group_ids=[vpc.closed])
            interfaces.attach(eni.eni_id, other, 1)
        else:
            interfaces.delete(eni.eni_id)
            reused = interfaces.create(vpc.subnet_id, [vpc.closed])
            assert reused.private_ip == address
            interfaces.attach(reused.eni_id, other, 1)
        with flows.sending():
            _apply(stepped)
        assert _arrivals(other_ns) == 0
        assert _tracked(router, address) == []
        assert _fresh(client_ns, address) == ["timeout", "timeout"]


@pytest.mark.root
def test_an_address_arriving_at_an_interface_brings_no_tracked_flow(ctx, world, stepped):
    """A flow that hit a public address while it was free (here: an entry as such a flow
    leaves it, untranslated) must not steer the address's traffic once a running
    instance's interface gets it: the holder is reachable at once."""
    vpc = _vpc(ctx)
    first, first_eni = vpc.run(vpc.open, public=True)
    later, _ = vpc.run(vpc.open, public=True)
    public, router = first_eni.public_ip, world.router(vpc.vpc_id)
    vpc.services.instances.stop([later, first])  # both public addresses are released
    _apply(stepped)
    with (
        _servers(world.instance(later)),
        stepped.topology.internet.host(HOST) as host,
        contextlib.closing(open_socket(host, socket.AF_INET, socket.SOCK_DGRAM)) as client,
    ):
        client.settimeout(5)
        client.bind((HOST, 0))
        with netns.entered(router):  # what a packet to the free address left behind
            _entry(HOST, public, sport=client.getsockname()[1], dport=UDP_PORT)
        assert len(_tracked(router, public)) == 1
        vpc.services.instances.start([later])  # an existing interface gets the address
        _apply(stepped)
        assert vpc.primary(later).public_ip == public
        assert _tracked(router, public) == []
        client.sendto(b"again", (public, UDP_PORT))  # the very flow of the stale entry
        assert client.recv(64) == b"again"  # translated to the new holder, and answered
