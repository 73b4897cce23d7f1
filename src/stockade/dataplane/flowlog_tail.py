"""Following the data plane's flow-log files: the records written since the last look.

The flow-log readers (:mod:`stockade.dataplane.flowlog`) append whole records to
``<state dir>/flowlogs/<vpc id>.log`` when each aggregation interval closes. A follower
(the console's live page, ``stockade flowlogs --follow``) wants only what is new, without
re-reading files that grow for as long as the data plane runs: :class:`FlowLogTail`
remembers an offset per file and reads from there, whole lines only (a record being written
is read once it is complete). :func:`read_records` reads every file whole the same way.

Plain file reading of the data plane's own output; no kernel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from stockade.domain.flow_log_fields import DEFAULT_FIELDS

#: At most this much of one file is read per call (a follower catches up over calls).
MAX_READ = 1 << 20


def is_record(fields: Sequence[str]) -> bool:
    """Whether a split line is a version-2 record (not the header, nor a torn line)."""
    return len(fields) == len(DEFAULT_FIELDS) and fields[0] == "2"


class FlowLogTail:
    """New records of every VPC's flow-log file under ``state_dir``, call by call.

    The first look at a file returns what its last ``backlog_bytes`` hold (the recent past,
    whole records only; ``None``: the whole file); each later call what was appended
    since. A file that shrank (rotated, or a new world reusing the directory) is read again
    from its start. One call reads at most :data:`MAX_READ` of a file: until
    :attr:`caught_up`, the next call has more at once.
    """

    def __init__(self, state_dir: Path, backlog_bytes: int | None = 32768) -> None:
        self.directory = Path(state_dir) / "flowlogs"
        self.backlog_bytes = backlog_bytes
        self._offsets: dict[Path, int] = {}
        self._behind = False

    @property
    def caught_up(self) -> bool:
        """Whether the last call read everything its files held (none was cut short)."""
        return not self._behind

    def read(self) -> list[list[str]]:
        """The records appended since the last call (split into fields), file by file."""
        out: list[list[str]] = []
        self._behind = False
        for path in sorted(self.directory.glob("*.log")):
            try:
                out.extend(self._read_file(path))
            except OSError:  # removed meanwhile: nothing more to read from it
                self._offsets.pop(path, None)
        return out

    def _read_file(self, path: Path) -> list[list[str]]:
        size = path.stat().st_size
        first = path not in self._offsets
        if not first:
            offset = self._offsets[path]
        elif self.backlog_bytes is None:
            offset = 0
        else:
            offset = max(0, size - self.backlog_bytes)
        if offset > size:
            offset = 0
        if offset == size:
            self._offsets[path] = offset
            return []
        self._behind = self._behind or size - offset > MAX_READ
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read(min(size - offset, MAX_READ))
        if first and offset > 0:  # started mid-file: skip to the next whole line
            cut = data.find(b"\n") + 1
            data, offset = data[cut:], offset + cut
        whole = data.rfind(b"\n") + 1
        self._offsets[path] = offset + whole
        records = (line.split() for line in data[:whole].decode(errors="replace").splitlines())
        return [fields for fields in records if is_record(fields)]

    def records(self, eni_id: str | None = None) -> Iterator[list[str]]:
        """Every record appended since the last look, call after call until
        :attr:`caught_up`, optionally of one interface."""
        while True:
            for fields in self.read():
                if eni_id is None or fields[2] == eni_id:
                    yield fields
            if self.caught_up:
                return


def read_records(state_dir: Path, eni_id: str | None = None) -> Iterator[list[str]]:
    """Every whole record of every VPC's file (split into fields), file by file, optionally
    of one interface."""
    return FlowLogTail(state_dir, backlog_bytes=None).records(eni_id)
