"""VPC Flow Logs on real packets: one record per flow, direction and interface per
aggregation interval, with the packets and bytes that really crossed; and rule hit
counters that outlive a full rewrite of the table.

The expected counts are measured independently of the data plane: a packet socket on the
instance's ``eth0`` sees every IP packet of the flow, both directions (handshake, data,
FIN and ACKs), and their IP lengths are what AWS's ``bytes`` counts.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from policy.conftest import World as Builder
from pyroute2.netlink.nfnetlink.nfctsocket import NFCTSocket

from stockade.dataplane import netns
from stockade.dataplane.counters import rejected_packets, rule_hits
from stockade.dataplane.flowlog import HEADER, read_records
from stockade.dataplane.probe import Listeners, open_socket
from stockade.dataplane.reconcile import Reconciler
from stockade.demo.seed import build_seed
from stockade.domain.scope import Scope

from .conftest import log_vpc

pytestmark = pytest.mark.root
HOST = "203.0.113.10"
ETH_P_IP, ETH_P_ALL = 0x0800, 0x0003
SO_RCVBUFFORCE, SOL_PACKET, PACKET_STATISTICS = 33, 263, 6


def _world() -> tuple[Builder, str, dict[str, str], dict[str, str]]:
    """a and b talk tcp/5000 and udp/5001 within the VPC (udp over IPv6 too); c (public
    192.0.2.7) lets nothing in."""
    w = Builder()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    talk = w.group(vpc, "talk")
    rules = {
        "tcp": w.rule(talk, "in", "tcp", 5000, 5000, "10.0.0.0/16"),
        "udp": w.rule(talk, "in", "udp", 5001, 5001, "10.0.0.0/16"),
    }
    w.rule(talk, "in", "udp", 5001, 5001, "2001:db8:0:1::/64")
    w.rule(talk, "out", "-1", None, None, "::/0")
    closed = w.group(vpc, "closed")
    ids = {
        "a": w.instance(vpc, [talk], "10.0.0.5", ipv6=["2001:db8:0:1::5"]),
        "b": w.instance(vpc, [talk], "10.0.0.6", ipv6=["2001:db8:0:1::6"]),
        "c": w.instance(vpc, [closed], "10.0.0.7", public_ip="192.0.2.7"),
    }
    return w, vpc, ids, rules


@contextmanager
def _realised(world, state_dir: Path, interval: float) -> Iterator[tuple]:
    w, vpc, ids, rules = _world()
    reconciler = Reconciler(world, state_dir, flowlog_interval=interval)
    try:
        reconciler.apply_snapshot(w.snapshot())
        yield reconciler, w, vpc, ids, rules
    finally:
        reconciler.close()


def _records(state_dir: Path) -> list[dict[str, str]]:
    fields = HEADER.split()
    return [dict(zip(fields, r, strict=True)) for r in read_records(state_dir)]


def _flow(
    records, eni: str, src: str, dst: str, dport: str | None = None, sport: str | None = None
) -> list[dict[str, str]]:
    return [
        r
        for r in records
        if r["interface-id"] == eni
        and r["srcaddr"] == src
        and r["dstaddr"] == dst
        and (dport is None or r["dstport"] == dport)
        and (sport is None or r["srcport"] == sport)
    ]


class Capture:
    """Every IPv4 packet on one interface of a namespace, both directions: (src, dst,
    proto, sport, dport, IP length, IP header length + transport header length)."""

    def __init__(self, namespace: str, ifname: str = "eth0") -> None:
        # ETH_P_ALL: only "all protocols" taps see outgoing packets; DGRAM: no link header
        self.sock = open_socket(
            namespace, socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL)
        )
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)  # never drop one
        self.sock.bind((ifname, ETH_P_ALL))
        self.packets: list[tuple] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._last = time.monotonic()

    def __enter__(self) -> Capture:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        _, self.dropped = struct.unpack(
            "II", self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
        )
        self.sock.close()

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.05)
            if ready:
                frame, (_, protocol, *_) = self.sock.recvfrom(1 << 17)
                if protocol == ETH_P_IP:
                    self.packets.append(_ip_packet(frame))
                    self._last = time.monotonic()

    def settle(self, quiet: float = 0.5, deadline: float = 10.0) -> None:
        """Wait until no packet has arrived for ``quiet`` seconds."""
        end = time.monotonic() + deadline
        while time.monotonic() - self._last < quiet:
            assert time.monotonic() < end, "traffic did not stop"
            time.sleep(0.05)

    def total(self, src: str, dst: str, sport: int, dport: int) -> tuple[int, int, int]:
        """(packets, IP bytes, payload bytes) of one direction of one flow."""
        mine = [p for p in self.packets if p[:5] == (src, dst, p[2], sport, dport)]
        return len(mine), sum(p[5] for p in mine), sum(p[5] - p[6] for p in mine)


def _ip_packet(frame: bytes) -> tuple:
    ihl = (frame[0] & 0x0F) * 4
    length, proto = struct.unpack_from("!H", frame, 2)[0], frame[9]
    src, dst = socket.inet_ntoa(frame[12:16]), socket.inet_ntoa(frame[16:20])
    sport = dport = 0
    headers = ihl
    if proto in (6, 17):
        sport, dport = struct.unpack_from("!HH", frame, ihl)
        headers += (frame[ihl + 12] >> 4) * 4 if proto == 6 else 8
    return src, dst, proto, sport, dport, length, headers


def _echo_until_eof(server: socket.socket) -> None:
    conn, _ = server.accept()
    with conn:
        while conn.recv(1 << 16):
            pass


def test_a_tcp_transfer_is_counted_per_direction_on_both_interfaces(world, tmp_path):
    size = 300_000
    with _realised(world, tmp_path, 600) as (reconciler, w, _vpc, ids, _rules):
        a, b = world.instance(ids["a"]), world.instance(ids["b"])
        server = open_socket(b, socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("10.0.0.6", 5000))
        server.listen(1)
        reader = threading.Thread(target=_echo_until_eof, args=(server,), daemon=True)
        reader.start()
        with Capture(a) as capture:
            client = open_socket(a, socket.AF_INET, socket.SOCK_STREAM)
            client.settimeout(10)
            client.connect(("10.0.0.6", 5000))
            sport = client.getsockname()[1]
            client.sendall(b"x" * size)
            client.shutdown(socket.SHUT_WR)
            assert client.recv(1) == b""  # the server read everything and closed
            client.close()
            reader.join(timeout=10)
            capture.settle()
        server.close()
        sent = capture.total("10.0.0.5", "10.0.0.6", sport, 5000)
        replies = capture.total("10.0.0.6", "10.0.0.5", 5000, sport)
    # stopping the reader closed the interval early: the records are there
    # the capture saw the whole transfer (and any retransmission: a busy machine's timers)
    assert capture.dropped == 0 and sent[2] >= size and replies[2] == 0
    records = _records(tmp_path)
    for eni in (w.eni_of(ids["a"]), w.eni_of(ids["b"])):  # on both interfaces, as AWS
        (out,) = _flow(records, eni, "10.0.0.5", "10.0.0.6", "5000", str(sport))
        (back,) = _flow(records, eni, "10.0.0.6", "10.0.0.5", str(sport), "5000")
        assert (int(out["packets"]), int(out["bytes"])) == sent[:2]
        assert (int(back["packets"]), int(back["bytes"])) == replies[:2]
        assert out["action"] == back["action"] == "ACCEPT" and out["log-status"] == "OK"
        assert out["protocol"] == "6" and out["version"] == "2"
        assert int(out["start"]) <= int(out["end"])
    (quiet,) = [r for r in records if r["interface-id"] == w.eni_of(ids["c"])]
    assert quiet["log-status"] == "NODATA" and quiet["srcaddr"] == "-"


@pytest.mark.parametrize(
    ("a_address", "b_address", "headers"),
    [("10.0.0.5", "10.0.0.6", 20 + 8), ("2001:db8:0:1::5", "2001:db8:0:1::6", 40 + 8)],
)
def test_a_udp_exchange_is_counted_exactly(world, tmp_path, a_address, b_address, headers):
    count, payload = 7, 100
    family = socket.AF_INET6 if ":" in a_address else socket.AF_INET
    with _realised(world, tmp_path, 600) as (_reconciler, w, _vpc, ids, _rules):
        a, b = world.instance(ids["a"]), world.instance(ids["b"])
        with Listeners() as listeners:
            listeners.udp(b, 5001, b_address)
            client = open_socket(a, family, socket.SOCK_DGRAM)
            client.settimeout(5)
            client.bind((a_address, 0))
            sport = client.getsockname()[1]
            for i in range(count):
                client.sendto(bytes([i]) * payload, (b_address, 5001))
                assert client.recv(2048) == bytes([i]) * payload
            client.close()
    records = _records(tmp_path)
    expected = (count, count * (payload + headers))  # IP and UDP headers: IP bytes
    for eni in (w.eni_of(ids["a"]), w.eni_of(ids["b"])):
        (out,) = _flow(records, eni, a_address, b_address, "5001", str(sport))
        (back,) = _flow(records, eni, b_address, a_address, str(sport), "5001")
        assert (int(out["packets"]), int(out["bytes"])) == expected
        assert (int(back["packets"]), int(back["bytes"])) == expected
        assert out["protocol"] == "17"


def test_a_connection_gone_before_the_next_poll_is_not_lost(world, tmp_path):
    count = 3
    with _realised(world, tmp_path, 600) as (_reconciler, w, vpc, ids, _rules):
        a, b = world.instance(ids["a"]), world.instance(ids["b"])
        with Listeners() as listeners:
            listeners.udp(b, 5001, "10.0.0.6")
            client = open_socket(a, socket.AF_INET, socket.SOCK_DGRAM)
            client.settimeout(5)
            client.bind(("10.0.0.5", 40002))
            for _ in range(count):
                client.sendto(b"bye", ("10.0.0.6", 5001))
                assert client.recv(64) == b"bye"
            client.close()
        with netns.entered(world.router(vpc)):  # the connection ends (its DESTROY event
            conntrack = NFCTSocket(nfgen_family=socket.AF_UNSPEC)  # carries its totals)
            conntrack.flush()
            assert list(conntrack.dump()) == []
            conntrack.close()
    (out,) = _flow(_records(tmp_path), w.eni_of(ids["b"]), "10.0.0.5", "10.0.0.6", "5001")
    assert (int(out["packets"]), int(out["bytes"])) == (count, count * (3 + 28))


def test_a_connection_older_than_the_agent_is_logged_after_a_restart(world, tmp_path):
    before, after = 3, 2
    with Listeners() as listeners:
        with _realised(world, tmp_path, 600) as (_reconciler, w, _vpc, ids, _rules):
            a, b = world.instance(ids["a"]), world.instance(ids["b"])
            listeners.udp(b, 5001, "10.0.0.6")
            client = open_socket(a, socket.AF_INET, socket.SOCK_DGRAM)
            client.settimeout(5)
            client.bind(("10.0.0.5", 40003))
            for _ in range(before):
                client.sendto(b"one", ("10.0.0.6", 5001))
                assert client.recv(64) == b"one"
        with _realised(world, tmp_path, 600):  # a new agent: the connection is established
            for _ in range(after):  # (no log names it), its conntrack entry lives on
                client.sendto(b"two", ("10.0.0.6", 5001))
                assert client.recv(64) == b"two"
        client.close()
    records = _records(tmp_path)
    for eni in (w.eni_of(ids["a"]), w.eni_of(ids["b"])):
        for src, dst in (("10.0.0.5", "10.0.0.6"), ("10.0.0.6", "10.0.0.5")):
            assert [int(r["packets"]) for r in _flow(records, eni, src, dst)] == [before, after]


def test_a_flow_across_intervals_has_one_record_per_interval(world, tmp_path):
    interval, count = 1.0, 25
    with _realised(world, tmp_path, interval) as (_reconciler, w, _vpc, ids, _rules):
        a, b = world.instance(ids["a"]), world.instance(ids["b"])
        with Listeners() as listeners:
            listeners.udp(b, 5001, "10.0.0.6")
            client = open_socket(a, socket.AF_INET, socket.SOCK_DGRAM)
            client.settimeout(5)
            client.bind(("10.0.0.5", 0))
            sport = client.getsockname()[1]
            started = time.time()
            for _ in range(count):  # about 2.5 s: at least two interval boundaries
                client.sendto(b"tick", ("10.0.0.6", 5001))
                assert client.recv(64) == b"tick"
                time.sleep(0.1)
            assert time.time() - started > 2 * interval
            client.close()
    records = _flow(
        _records(tmp_path), w.eni_of(ids["a"]), "10.0.0.5", "10.0.0.6", "5001", str(sport)
    )
    assert len(records) >= 2
    assert sum(int(r["packets"]) for r in records) == count
    assert sum(int(r["bytes"]) for r in records) == count * (4 + 28)
    starts = [int(r["start"]) for r in records]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_rejected_packets_are_counted(world, tmp_path):
    count, payload = 5, 60
    with _realised(world, tmp_path, 600) as (reconciler, w, vpc, ids, _rules):
        host = reconciler.topology.internet.add_host(HOST)
        client = open_socket(host, socket.AF_INET, socket.SOCK_DGRAM)
        client.bind((HOST, 40000))
        for _ in range(count):
            client.sendto(b"z" * payload, ("192.0.2.7", 5001))
        client.close()
        deadline = time.monotonic() + 10  # until the kernel has dropped (and logged) them;
        while rejected_packets(world.router(vpc)) < count:  # stopping reads the log to its end
            assert time.monotonic() < deadline, "the packets were not dropped"
            time.sleep(0.05)
    (record,) = _flow(_records(tmp_path), w.eni_of(ids["c"]), HOST, "10.0.0.7", "5001")
    assert record["action"] == "REJECT" and record["srcport"] == "40000"
    assert (int(record["packets"]), int(record["bytes"])) == (count, count * (payload + 28))


def test_a_packet_one_group_lets_out_and_the_other_refuses_is_logged_by_both(world, tmp_path):
    count, payload = 4, 50
    with _realised(world, tmp_path, 600) as (_reconciler, w, vpc, ids, _rules):
        client = open_socket(world.instance(ids["a"]), socket.AF_INET, socket.SOCK_DGRAM)
        client.bind(("10.0.0.5", 40001))
        for _ in range(count):
            client.sendto(b"q" * payload, ("10.0.0.7", 5001))
        client.close()
        deadline = time.monotonic() + 10
        while rejected_packets(world.router(vpc)) < count:
            assert time.monotonic() < deadline, "the packets were not dropped"
            time.sleep(0.05)
    records = _records(tmp_path)
    expected = (count, count * (payload + 28))
    (sent,) = _flow(records, w.eni_of(ids["a"]), "10.0.0.5", "10.0.0.7", "5001", "40001")
    (refused,) = _flow(records, w.eni_of(ids["c"]), "10.0.0.5", "10.0.0.7", "5001", "40001")
    assert (sent["action"], int(sent["packets"]), int(sent["bytes"])) == ("ACCEPT", *expected)
    assert (refused["action"], int(refused["packets"]), int(refused["bytes"])) == (
        "REJECT",
        *expected,
    )
    assert not _flow(records, w.eni_of(ids["a"]), "10.0.0.7", "10.0.0.5")  # no replies


def test_hit_counters_survive_a_full_rewrite(world, tmp_path):
    with _realised(world, tmp_path, 600) as (reconciler, w, vpc, ids, rules):
        a, b = world.instance(ids["a"]), world.instance(ids["b"])

        def connect_once() -> None:
            server = open_socket(b, socket.AF_INET, socket.SOCK_STREAM)
            server.bind(("10.0.0.6", 5000))
            server.listen(1)
            client = open_socket(a, socket.AF_INET, socket.SOCK_STREAM)
            client.settimeout(5)
            client.connect(("10.0.0.6", 5000))
            client.close()
            server.close()

        def connections() -> int:
            hits = {h.rule_id: h for h in rule_hits(world, tmp_path, [rules["tcp"]])}
            return hits[rules["tcp"]].connections if hits else 0

        connect_once()
        connect_once()
        assert connections() == 2
        router = reconciler.routers[vpc]
        router.applier.current = None  # the kernel's state is unknown: rewrite it all
        assert reconciler.apply_snapshot(w.snapshot()).applied[vpc].mode == "full"
        assert connections() == 2  # carried over the rewrite
        connect_once()
        assert connections() == 3


@contextlib.contextmanager
def _agent_process(world, store, state: Path, log: Path) -> Iterator[subprocess.Popen]:
    """``stockade dataplane run`` on the test's world and store, once it says it is on;
    killed at the end if the test did not stop it."""
    command = [sys.executable, "-m", "stockade.cli.main", "dataplane", "run"]
    options = ["--db", str(store.url.database), "--dir", str(state)]
    env = {**os.environ, "STOCKADE_DATAPLANE_PREFIX": world.prefix}
    with log.open("w") as err:
        agent = subprocess.Popen([*command, *options], env=env, stderr=err)
    try:
        deadline = time.monotonic() + 30
        while "data plane: on" not in log.read_text():
            assert agent.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield agent
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()


def test_a_terminated_agent_writes_its_pending_records(world, store, ctx, tmp_path):
    """``stockade dataplane run`` stopped by SIGTERM closes the interval: every interface
    of the realised VPC has its record (NODATA here: nothing was sent)."""
    seed = build_seed(ctx)
    log_vpc(ctx, seed.vpc_id)
    with store.read(Scope()) as tx:
        snapshot = tx.snapshot()
    enis = {i.eni_id for i in snapshot.interfaces if i.vpc_id == seed.vpc_id and i.instance_id}
    state, log = tmp_path / "dp", tmp_path / "agent.log"
    with _agent_process(world, store, state, log) as agent:
        assert not _records(state)  # a 600 s interval: nothing written yet
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=30) == 0, log.read_text()
    records = [r for r in _records(state) if r["interface-id"] in enis]
    assert {r["interface-id"] for r in records} == enis
    assert {r["log-status"] for r in records} == {"NODATA"}


def test_a_burst_of_sigterms_stops_the_agent(world, store, ctx, tmp_path):
    """Seen once under load: an agent whose server was SIGKILLed got SIGTERM (its parent-death
    signal) and never stopped — the handler called ``Event.set()`` while the main thread
    was inside that Event's ``wait()``, holding its lock. Signals landing anywhere in the
    wait loop must stop it."""
    build_seed(ctx)
    log = tmp_path / "agent.log"
    with _agent_process(world, store, tmp_path / "dp", log) as agent:
        for _ in range(200):  # land in every part of the loop, many times
            if agent.poll() is not None:
                break
            agent.send_signal(signal.SIGTERM)
            time.sleep(0.0005)
        assert agent.wait(timeout=30) == 0, log.read_text()
