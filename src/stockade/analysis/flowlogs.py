"""``stockade flowlogs analyze``: which rules the traffic in VPC Flow Logs actually used.

Files (default version 2, or custom formats with a header line; plain or gzip; AWS's or
stockade's own data plane's) are read and aggregated by DuckDB
(:mod:`~stockade.analysis.flowlog_reader`), each distinct flow is matched against every
rule of its interface at once (:mod:`~stockade.analysis.flowlog_cells`), credited
(:mod:`~stockade.analysis.flowlog_usage`) and summarised
(:mod:`~stockade.analysis.flowlog_report`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from stockade.analysis.flowlog_format import detect, parse_format
from stockade.analysis.flowlog_reader import flow_batches
from stockade.analysis.flowlog_report import FlowLogReport, build_report
from stockade.analysis.flowlog_usage import FlowMatch, FlowUsage
from stockade.domain.state import Snapshot


def analyze(
    snapshot: Snapshot,
    paths: Sequence[Path],
    log_format: str | None = None,
    on_flow: Callable[[FlowMatch], object] | None = None,
    threads: int | None = None,
) -> FlowLogReport:
    fields = parse_format(log_format) if log_format else None
    formats = [detect(path, fields) for path in paths]
    usage = FlowUsage(snapshot, on_flow)
    for batch in flow_batches(formats, threads=threads):
        usage.add(batch)
    return build_report(usage, [str(p) for p in paths])


def merge_snapshots(snapshots: Sequence[Snapshot]) -> Snapshot:
    """Several scopes as one snapshot (ids are unique across scopes), so logs naming
    interfaces of several imported accounts are matched in one pass and references
    between those accounts resolve."""
    return snapshots[0].merged(*snapshots[1:])
