"""Following flow-log files: the recent past first, then only what was appended, whole
records only (no root: plain files)."""

from __future__ import annotations

from pathlib import Path

from stockade.dataplane.flowlog_tail import FlowLogTail
from stockade.dataplane.flowlog_window import HEADER as HEADER_LINE

HEADER = HEADER_LINE + "\n"


def line(n: int, eni: str = "eni-0a") -> str:
    return f"2 123456789012 {eni} 10.0.1.{n} 10.0.1.9 4000{n % 10} 22 6 1 60 1 2 ACCEPT OK\n"


def write(path: Path, text: str, mode: str = "a") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode) as out:
        out.write(text)


def test_the_first_read_is_the_recent_past_and_later_reads_only_what_was_appended(tmp_path):
    vpc_a, vpc_b = tmp_path / "flowlogs" / "vpc-a.log", tmp_path / "flowlogs" / "vpc-b.log"
    write(vpc_a, HEADER + line(1) + line(2))
    tail = FlowLogTail(tmp_path)
    assert [r[3] for r in tail.read()] == ["10.0.1.1", "10.0.1.2"]  # not the header
    assert tail.read() == []
    write(vpc_a, line(3))
    write(vpc_b, HEADER + line(4, "eni-0b"))  # a VPC's file appears later: read whole
    assert [(r[2], r[3]) for r in tail.read()] == [("eni-0a", "10.0.1.3"), ("eni-0b", "10.0.1.4")]


def test_a_record_being_written_is_read_once_it_is_whole(tmp_path):
    path = tmp_path / "flowlogs" / "vpc-a.log"
    write(path, HEADER)
    tail = FlowLogTail(tmp_path)
    assert tail.read() == []
    whole = line(5)
    write(path, whole[:20])
    assert tail.read() == []
    write(path, whole[20:])
    assert [r[3] for r in tail.read()] == ["10.0.1.5"]


def test_a_long_file_is_read_from_its_last_bytes_and_a_shrunk_one_from_its_start(tmp_path):
    path = tmp_path / "flowlogs" / "vpc-a.log"
    write(path, HEADER + "".join(line(n) for n in range(200)))
    tail = FlowLogTail(tmp_path, backlog_bytes=10 * len(line(100)) + 5)
    recent = tail.read()
    assert [r[3] for r in recent] == [f"10.0.1.{n}" for n in range(190, 200)]  # no torn line
    write(path, HEADER + line(7), mode="w")  # a new world reusing the directory
    assert [r[3] for r in tail.read()] == ["10.0.1.7"]


def test_whole_files_are_read_in_bounded_steps(tmp_path):
    """``backlog_bytes=None`` reads each file from its start, at most ``MAX_READ`` a call
    (``caught_up`` says when a call has read all); ``read_records`` reads them all."""
    from stockade.dataplane.flowlog_tail import MAX_READ, read_records

    path = tmp_path / "flowlogs" / "vpc-a.log"
    count = MAX_READ // len(line(0)) + 100  # a little over one read's worth
    write(path, HEADER + "".join(line(n % 250, f"eni-{n:08x}") for n in range(count)))
    tail = FlowLogTail(tmp_path, backlog_bytes=None)
    first = tail.read()
    assert not tail.caught_up and 0 < len(first) < count
    rest = tail.read()
    assert tail.caught_up and [r[2] for r in first + rest] == [f"eni-{n:08x}" for n in range(count)]
    assert tail.read() == [] and tail.caught_up
    assert [r[2] for r in read_records(tmp_path)] == [f"eni-{n:08x}" for n in range(count)]
    assert [r[2] for r in read_records(tmp_path, "eni-00000007")] == ["eni-00000007"]
