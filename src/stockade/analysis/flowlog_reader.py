"""Reading flow logs with DuckDB: any number of files, any size, plain or gzip.

DuckDB parses the text in parallel (C++, all cores) and *aggregates* identical flows —
same interface, addresses, ports, protocol, flags, action — before anything reaches
Python, which is lossless for rule matching: a 10-million-record log becomes however many
distinct flows it holds. The aggregate streams out as Arrow record batches, so neither the
records nor the flows are ever all Python objects at once (nor all in memory: DuckDB
spills a large aggregation to disk).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from stockade.analysis.flowlog_format import INTEGER_FIELDS, FileFormat, FlowLogProblem

#: Columns of every aggregated row, in order.
COLUMNS = (
    "interface_id",
    "raw_src",
    "raw_dst",
    "src",
    "dst",
    "srcport",
    "dstport",
    "protocol",
    "tcp_flags",
    "flow_direction",
    "action",
    "log_status",
    "records",
    "packets",
    "bytes",
    "first",
    "last",
)
BATCH_ROWS = 1 << 19


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scan(files: Sequence[FileFormat]) -> str:
    """One ``read_csv`` over files sharing a format, projected to the common columns."""
    fmt = files[0]
    columns = ", ".join(
        f"{_quote(fmt.column(f))}: {_quote(INTEGER_FIELDS.get(f, 'VARCHAR'))}" for f in fmt.fields
    )
    paths = ", ".join(_quote(str(f.path)) for f in files)
    source = (
        f"read_csv([{paths}], delim=' ', header={'true' if fmt.header else 'false'}, "
        f"columns={{{columns}}}, nullstr='-', quote='', escape='', auto_detect=false, "
        f"compression={_quote('gzip' if fmt.gzip else 'none')}, parallel=true)"
    )

    def col(field: str, default: str) -> str:
        return f'"{fmt.column(field)}"' if fmt.has(field) else default

    remote_src = "COALESCE(pkt_srcaddr, srcaddr)" if fmt.has("pkt-srcaddr") else "srcaddr"
    remote_dst = "COALESCE(pkt_dstaddr, dstaddr)" if fmt.has("pkt-dstaddr") else "dstaddr"
    # Without pkt-* fields the raw addresses are the same columns: NULL keeps them out of
    # the aggregation key (the matcher falls back to src/dst).
    raw = (
        "srcaddr AS raw_src, dstaddr AS raw_dst"
        if fmt.has("pkt-srcaddr") or fmt.has("pkt-dstaddr")
        else "NULL::VARCHAR AS raw_src, NULL::VARCHAR AS raw_dst"
    )
    return (
        f"SELECT interface_id, {raw}, "
        f"{remote_src} AS src, {remote_dst} AS dst, "
        f"{col('srcport', 'NULL::INTEGER')} AS srcport, COALESCE(dstport, 0) AS dstport, "
        "protocol, "
        f"{col('tcp-flags', 'NULL::INTEGER')} AS tcp_flags, "
        # Small codes instead of strings: cheaper to group by, and to hand to NumPy.
        f"CASE {col('flow-direction', 'NULL::VARCHAR')} WHEN 'ingress' THEN 0 "
        "WHEN 'egress' THEN 1 ELSE -1 END::TINYINT AS flow_direction, "
        "CASE action WHEN 'ACCEPT' THEN 1 WHEN 'REJECT' THEN 2 ELSE 0 END::TINYINT AS action, "
        f"CASE WHEN {col('log-status', 'NULL::VARCHAR')} IS NULL "
        f"OR {col('log-status', 'NULL::VARCHAR')} = 'OK' THEN 1 "
        f"WHEN {col('log-status', 'NULL::VARCHAR')} IN ('NODATA', 'SKIPDATA') THEN 2 "
        "ELSE 0 END::TINYINT AS log_status, "
        f"COALESCE({col('packets', 'NULL')}, 0) AS packets, "
        f"COALESCE({col('bytes', 'NULL')}, 0) AS bytes, "
        f"{col('start', 'NULL::BIGINT')} AS start_time, "
        f"{col('end', 'NULL::BIGINT')} AS end_time "
        f"FROM {source}"
    )


def aggregate_sql(formats: Sequence[FileFormat]) -> str:
    """The query: every file, identical flows summed."""
    groups: dict[tuple, list[FileFormat]] = {}
    for fmt in formats:
        groups.setdefault(fmt.key, []).append(fmt)
    union = " UNION ALL ".join(f"({_scan(files)})" for files in groups.values())
    keys = ", ".join(COLUMNS[:12])
    return (
        f"SELECT {keys}, count(*) AS records, sum(packets)::BIGINT AS packets, "
        "sum(bytes)::BIGINT AS bytes, min(start_time) AS first, max(end_time) AS last "
        f"FROM ({union}) GROUP BY {keys}"
    )


def flow_batches(
    formats: Sequence[FileFormat], rows: int = BATCH_ROWS, threads: int | None = None
) -> Iterator[pa.RecordBatch]:
    """Aggregated flows as Arrow batches (the columns of :data:`COLUMNS`)."""
    if not formats:
        return
    with tempfile.TemporaryDirectory(prefix="stockade-flowlogs-") as spill:
        con = duckdb.connect(config={"temp_directory": spill})
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute("SET preserve_insertion_order = false")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            try:
                reader = con.sql(aggregate_sql(formats)).to_arrow_reader(rows)
                yield from reader
            except duckdb.Error as exc:
                raise FlowLogProblem(_one_line(exc)) from None
        finally:
            con.close()


def _one_line(exc: Exception) -> str:
    """DuckDB's message as one line: ``FILE: line N: what`` (its hints dropped)."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = re.search(r"^\s*file = (.+)$", text, re.MULTILINE)
    line = re.search(r"on Line: (\d+)", text)
    detail = next((x for x in lines if x.startswith(("Error when", "Expected Number"))), None)
    head = lines[0] if lines else type(exc).__name__
    if found:
        where = found.group(1).strip() + (f": line {line.group(1)}" if line else "")
        what = detail or head.split(":", 1)[0]
        return f"{where}: {what}"
    return head


def paths_of(arguments: Sequence[str]) -> list[Path]:
    """Files named, and the files inside directories named (sorted)."""
    out: list[Path] = []
    for arg in arguments:
        path = Path(arg)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file())
        elif path.exists():
            out.append(path)
        else:
            raise FlowLogProblem(f"{arg}: no such file or directory")
    if not out:
        raise FlowLogProblem("no flow-log files given")
    return out
