"""VPC Flow Log file formats: the default (version 2) and custom formats.

A file delivered to S3 starts with a header line naming its fields
(``version account-id interface-id …``); CloudWatch Logs exports and stockade's own data
plane write records only, in the default format unless told otherwise (``--format``, in
AWS's ``${field}`` syntax or plain names). Files may be gzip-compressed whatever their
name. Only the first line of each file is read here; DuckDB reads the rest.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from stockade.domain.flow_log_fields import DEFAULT_FIELDS, KNOWN_FIELDS

REQUIRED = ("interface-id", "srcaddr", "dstaddr", "dstport", "protocol", "action")
#: Column types given to DuckDB (everything else is text).
INTEGER_FIELDS = {
    "srcport": "INTEGER",
    "dstport": "INTEGER",
    "protocol": "INTEGER",
    "packets": "BIGINT",
    "bytes": "BIGINT",
    "start": "BIGINT",
    "end": "BIGINT",
    "tcp-flags": "INTEGER",
    "version": "INTEGER",
}


class FlowLogProblem(Exception):
    """A flow-log file that cannot be read: the message names the file and why."""


@dataclass(frozen=True)
class FileFormat:
    path: Path
    fields: tuple[str, ...]
    header: bool
    gzip: bool

    @property
    def key(self) -> tuple:
        """Files with equal keys are read by one DuckDB scan."""
        return self.fields, self.header, self.gzip

    def column(self, field: str) -> str:
        """The SQL column name of a field (``log-status`` → ``log_status``)."""
        return field.replace("-", "_")

    def has(self, field: str) -> bool:
        return field in self.fields


def parse_format(text: str) -> tuple[str, ...]:
    """``"${version} ${srcaddr} …"``, ``"version srcaddr …"`` or comma-separated."""
    names = re.findall(r"\$\{([a-z0-9-]+)\}", text) or re.split(r"[\s,]+", text.strip())
    names = [n for n in names if n]
    unknown = [n for n in names if n not in KNOWN_FIELDS]
    if unknown:
        raise FlowLogProblem(f"--format: unknown field(s) {', '.join(unknown)}")
    return tuple(names)


def detect(path: Path, fields: tuple[str, ...] | None = None) -> FileFormat:
    """The format of one file, from its header line, else ``fields``, else version 2."""
    try:
        with path.open("rb") as raw:
            compressed = raw.read(2) == b"\x1f\x8b"
        opener = gzip.open if compressed else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            first = f.readline()
    except OSError as exc:
        raise FlowLogProblem(f"{path}: cannot read ({exc.strerror or exc})") from None
    tokens = first.split()
    if not tokens:
        raise FlowLogProblem(f"{path}: empty file")
    header = all(t in KNOWN_FIELDS for t in tokens)
    chosen = tuple(tokens) if header else (fields or DEFAULT_FIELDS)
    if not header and len(tokens) != len(chosen):
        raise FlowLogProblem(
            f"{path}: line 1 has {len(tokens)} fields, the "
            f"{'given' if fields else 'default (version 2)'} format {len(chosen)}; give the "
            "format with --format, or keep the header line of S3 files"
        )
    missing = [f for f in REQUIRED if f not in chosen]
    if missing:
        raise FlowLogProblem(
            f"{path}: the format lacks {', '.join(missing)}, needed to match flows to rules"
        )
    return FileFormat(path, chosen, header, compressed)
