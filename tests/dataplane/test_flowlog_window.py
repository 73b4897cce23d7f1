"""Flow-log aggregation without a kernel: windows, NODATA/SKIPDATA, conntrack deltas and
messages, the writer's format as the analyzer reads it, and ``--max-aggregation-interval``."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pyroute2.netlink.nfnetlink.nfctsocket import NFCTAttrTuple, nfct_msg
from typer.testing import CliRunner

from stockade.analysis.flowlog_format import DEFAULT_FIELDS, detect
from stockade.analysis.flowlog_reader import flow_batches
from stockade.cli.main import app
from stockade.dataplane.ct_accounting import counted
from stockade.dataplane.flowlog_flows import AcceptedFlows, Counted
from stockade.dataplane.flowlog_window import (
    HEADER,
    FlowTuple,
    Interface,
    Window,
    check_interval,
    window_start,
)

A = Interface("eni-0000000000000000a", "123456789012")
B = Interface("eni-0000000000000000b", "123456789012")
C = Interface("eni-0000000000000000c", "123456789012")
FLOW = FlowTuple("10.0.0.5", "10.0.0.6", 40000, 22, 6)


def _fields(line: str) -> dict[str, str]:
    return dict(zip(DEFAULT_FIELDS, line.split(), strict=True))


def test_a_window_sums_per_flow_and_direction_and_marks_quiet_interfaces():
    window = Window(window_start(1_000_030.5, 60), 60, 1_000_030.5)
    assert (window.start, window.end) == (1_000_020, 1_000_080)
    window.add(A, FLOW, "ACCEPT", 3, 180, 1_000_031, 1_000_032)
    window.add(A, FLOW, "ACCEPT", 2, 120, 1_000_040, 1_000_041)
    window.add(A, FLOW.reversed(), "ACCEPT", 4, 400, 1_000_031, 1_000_041)
    window.add(A, FLOW, "REJECT", 1, 60, 1_000_050, 1_000_050)
    window.add(B, FLOW, "ACCEPT", 0, 0, 1_000_050, 1_000_050)  # nothing: no record
    lines = [_fields(line) for line in window.records([A, B], 1_000_080)]
    assert [
        (
            r["interface-id"],
            r["srcport"],
            r["packets"],
            r["bytes"],
            r["start"],
            r["end"],
            r["action"],
            r["log-status"],
        )
        for r in lines
    ] == [
        (A.eni_id, "40000", "5", "300", "1000031", "1000041", "ACCEPT", "OK"),
        (A.eni_id, "22", "4", "400", "1000031", "1000041", "ACCEPT", "OK"),
        (A.eni_id, "40000", "1", "60", "1000050", "1000050", "REJECT", "OK"),
        (B.eni_id, "-", "-", "-", "1000030", "1000080", "-", "NODATA"),
    ]
    assert lines[0]["version"] == "2" and lines[0]["account-id"] == A.account


def test_times_are_clipped_to_the_window_and_lost_records_mark_every_interface():
    window = Window(100.0, 10.0, 100.0)
    window.add(A, FLOW, "ACCEPT", 1, 60, 95.0, 113.0)  # counted at a late poll
    window.skipped = True
    lines = [_fields(line) for line in window.records([A, B], 104.0)]
    assert (lines[0]["start"], lines[0]["end"]) == ("100", "110")
    assert [(r["interface-id"], r["log-status"]) for r in lines[1:]] == [
        (A.eni_id, "SKIPDATA"),
        (B.eni_id, "SKIPDATA"),
    ]
    assert (lines[1]["start"], lines[1]["end"]) == ("100", "104")  # closed early (a stop)


def test_accepted_flows_count_deltas_on_every_interface_that_logged_them():
    flows = AcceptedFlows(grace=5)
    first = Window(0.0, 10.0, 0.0)
    flows.count([Counted(1, FLOW, (1, 60), (0, 0))], first, 0.0, 1.0)  # not logged yet
    assert not first.tallies
    flows.learn(FLOW, A, 1.0)
    flows.learn(FLOW, C, 1.0)  # the receiver's interface logged it too
    flows.count([Counted(1, FLOW, (3, 180), (2, 120))], first, 1.0, 2.0)
    second = Window(10.0, 10.0, 10.0)
    flows.count([Counted(1, FLOW, (5, 300), (4, 240))], second, 9.0, 11.0)
    flows.count([Counted(1, FLOW, (6, 360), (4, 240))], second, 11.0, 12.0, final=True)
    flows.count([Counted(1, FLOW, (1, 60), (1, 60))], second, 12.0, 13.0)  # id reused
    for interface in (A, C):
        assert (
            first.tallies[interface, FLOW, "ACCEPT"].packets,
            first.tallies[interface, FLOW.reversed(), "ACCEPT"].packets,
        ) == (3, 2)
        out = second.tallies[interface, FLOW, "ACCEPT"]
        back = second.tallies[interface, FLOW.reversed(), "ACCEPT"]
        assert (out.packets, out.bytes, back.packets, back.bytes) == (4, 240, 3, 180)
        assert (out.start, out.end) == (10.0, 13.0)


def test_connections_gone_from_conntrack_are_forgotten():
    flows = AcceptedFlows(grace=5)
    flows.learn(FLOW, A, 0.0)
    window = Window(0.0, 100.0, 0.0)
    flows.count([Counted(1, FLOW, (2, 120), (0, 0))], window, 0.0, 1.0)
    flows.forget_gone([], 2.0)  # its DESTROY event was missed: counted from zero if it returns
    flows.count([Counted(1, FLOW, (2, 120), (0, 0))], window, 2.0, 3.0)
    assert window.tallies[A, FLOW, "ACCEPT"].packets == 4
    flows.forget_gone([], 9.0)
    assert not flows  # not seen for longer than the grace period


def test_the_writer_s_header_is_the_analyzer_s_default_format(tmp_path: Path):
    path = tmp_path / "vpc.log"
    window = Window(0.0, 60.0, 0.0)
    window.add(A, FLOW, "ACCEPT", 1, 60, 1.0, 1.0)
    path.write_text(HEADER + "\n" + "".join(window.records([A, B], 60.0)))
    found = detect(path)
    assert found.header and found.fields == DEFAULT_FIELDS
    rows = sorted(  # the analyzer reads the records, NODATA included
        (packets, status)
        for batch in flow_batches([found])
        for packets, status in zip(
            batch.column("packets").to_pylist(), batch.column("log_status").to_pylist(), strict=True
        )
    )
    assert rows == [(0, 2), (1, 1)]


@pytest.mark.parametrize("command", [["dataplane", "run"], ["serve"]])
def test_only_60_or_600_seconds_are_accepted(command, tmp_path: Path):
    db = tmp_path / "never.db"
    result = CliRunner().invoke(
        app, [*command, "--db", str(db), "--max-aggregation-interval", "30"]
    )
    assert result.exit_code == 1
    assert "the possible values are 60 seconds (1 minute) or 600 seconds (10 minutes)" in (
        result.output
    )
    assert not db.exists()  # rejected before anything started
    assert check_interval(60) == 60 and check_interval(600) == 600
    with pytest.raises(ValueError, match="InvalidParameter"):
        check_interval(0)


def test_logged_packets_no_connection_counted_are_counted_from_the_log():
    flows = AcceptedFlows(grace=5)
    window = Window(0.0, 100.0, 0.0)
    flows.learn(FLOW, A, 1.0, 60)  # accepted at A, then dropped further on: never tracked
    flows.learn(FLOW, A, 2.0, 60)
    flows.count_uncounted(window, 2.1)  # too recent: its entry may not be confirmed yet
    assert not window.tallies
    flows.count_uncounted(window, 2.5)
    tally = window.tallies[A, FLOW, "ACCEPT"]
    assert (tally.packets, tally.bytes, tally.start, tally.end) == (2, 120, 1.0, 2.0)
    tracked = FlowTuple("10.0.0.5", "10.0.0.6", 40001, 22, 6)
    flows.learn(tracked, A, 3.0, 60)
    flows.count([Counted(7, tracked, (1, 60), (0, 0))], window, 2.5, 3.5)
    flows.count_uncounted(window, 9.0, closing=True)  # conntrack counted it: not twice
    assert window.tallies[A, tracked, "ACCEPT"].packets == 1


@pytest.mark.parametrize(
    ("client", "public", "private", "family"),
    [
        ("203.0.113.10", "192.0.2.7", "10.0.0.7", socket.AF_INET),
        ("2001:db8::10", "2001:db8:0:1::7", "2001:db8:0:1::7", socket.AF_INET6),
    ],
)
def test_conntrack_messages_are_read_as_pyroute2_encodes_them(client, public, private, family):
    """The small ctnetlink parser against pyroute2's encoder: the flow as the interface sees
    it (the reply's source is the real destination, after DNAT) and both directions."""
    tuples = [
        ["CTA_TUPLE_ORIG", _tuple(family, client, public, 40000, 22)],
        ["CTA_TUPLE_REPLY", _tuple(family, private, client, 22, 40000)],
    ]
    counters = [
        [
            "CTA_COUNTERS_ORIG",
            {"attrs": [["CTA_COUNTERS_PACKETS", 5], ["CTA_COUNTERS_BYTES", 300]]},
        ],
        ["CTA_COUNTERS_REPLY", {"attrs": [["CTA_COUNTERS_PACKETS", 4], ["CTA_COUNTERS_BYTES", 9]]}],
    ]
    expected = Counted(42, FlowTuple(client, private, 40000, 22, 6), (5, 300), (4, 9))
    assert counted(_encoded(family, [*tuples, *counters, ["CTA_ID", 42]])) == expected
    assert counted(_encoded(family, tuples)) is None  # accounting off: nothing to count


def _tuple(family: int, src: str, dst: str, sport: int, dport: int) -> dict:
    found = NFCTAttrTuple(family, saddr=src, daddr=dst, proto=6, sport=sport, dport=dport)
    return {"attrs": found.attrs()}


def _encoded(family: int, attrs: list) -> bytes:
    """A ctnetlink message as pyroute2 writes it, without its netlink header."""
    message = nfct_msg()
    message["nfgen_family"] = family
    message["attrs"] = attrs
    message.encode()
    return bytes(message.data)[16 : message["header"]["length"]]


def test_connections_older_than_the_reader_are_adopted_by_their_addresses():
    flows = AcceptedFlows(grace=5)
    window = Window(0.0, 100.0, 0.0)
    internet = FlowTuple("203.0.113.10", "10.0.0.6", 40000, 22, 6)  # only one end is ours
    flows.adopt(
        [Counted(1, FLOW, (9, 900), (8, 800)), Counted(2, internet, (5, 500), (5, 500))],
        {"10.0.0.5": A, "10.0.0.6": B},
        1.0,
    )
    flows.count(
        [Counted(1, FLOW, (10, 960), (8, 800)), Counted(2, internet, (6, 560), (7, 700))],
        window,
        1.0,
        2.0,
    )
    assert {(k[0], k[1], t.packets, t.bytes) for k, t in window.tallies.items()} == {
        (A, FLOW, 1, 60),  # only what came after: the rest was the previous reader's
        (B, FLOW, 1, 60),
        (B, internet, 1, 60),
        (B, internet.reversed(), 2, 200),
    }
