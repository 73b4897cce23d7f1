"""Reachability Analyzer's API: network insights paths, and analyses answered at once.

A path is checked whole before anything is written (AWS's errors; its ends must exist:
their kind's ``NotFound``), counts against the per-region quota, and is idempotent by
``ClientToken`` (the same token returns the path it created). An analysis runs the policy
engine over the scope's snapshot — merged with the scopes an active peering joins it to —
when it is started, and is stored ``succeeded`` with its result: AWS's analysis is a
snapshot of the configuration, and AWS takes ~40–55 s where this takes milliseconds. The
call answers ``running``, as AWS's does, so clients that poll (boto3's
``network_insights_analysis_succeeded`` waiter) see it succeed on the first poll.

Beyond AWS, each blocker's smallest fix is kept in the analysis's tags ``stockade:fix:1``,
``stockade:fix:2``… (one line each; the first :data:`MAX_FIX_TAGS`), where any EC2 client
can read them with the analysis or DescribeTags.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from stockade.domain import errors, ids
from stockade.domain.network_insights import (
    AnalysisStatus,
    NetworkInsightsAnalysis,
    NetworkInsightsPath,
    check_address,
    check_combination,
    check_end,
    check_filter,
    check_port,
    check_protocol,
)
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.domain.tags import MAX_TAGS_PER_RESOURCE, MAX_VALUE_LENGTH, RawTags
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import AnalysisRequest, InsightsPathRequest
from stockade.service.insights_analysis import analyse
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction

#: The tag key prefix of the fixes an analysis carries (``stockade:fix:1``…).
FIX_TAG = "stockade:fix"
#: At most this many fix tags (and never past EC2's 50 tags: the caller's come first).
MAX_FIX_TAGS = 10


def now() -> str:
    """ISO 8601 UTC with milliseconds (``MillisecondDateTime``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _lookup_end(tx: Transaction, resource_id: str) -> None:
    """The end must exist in the caller's scope (its kind's ``*.NotFound``)."""
    getters = {
        "i": lookups.instance,
        "eni": lookups.interface,
        "igw": lookups.internet_gateway,
    }
    getters[resource_id.split("-", 1)[0]](tx, resource_id)


def fix_tags(fixes: Sequence[str], room: int = MAX_FIX_TAGS) -> RawTags:
    """The fixes as tags (at most ``room`` of them), each value cut to EC2's 256
    characters."""
    count = max(0, min(room, MAX_FIX_TAGS))
    return tuple(
        (f"{FIX_TAG}:{n}", text[:MAX_VALUE_LENGTH]) for n, text in enumerate(fixes[:count], start=1)
    )


class NetworkInsightsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- paths ----------------------------------------------------------------------------
    def create_path(self, request: InsightsPathRequest) -> NetworkInsightsPath:
        source = check_end("Source", request.source)
        protocol = check_protocol(request.protocol)
        destination = (
            check_end("Destination", request.destination)
            if request.destination is not None
            else None
        )
        at_source = check_filter("FilterAtSource", request.filter_at_source)
        at_destination = check_filter("FilterAtDestination", request.filter_at_destination)
        source_ip = check_address("SourceIp", request.source_ip)
        destination_ip = check_address("DestinationIp", request.destination_ip)
        port = check_port("DestinationPort", request.destination_port)
        check_combination(source_ip, destination_ip, port, at_source, at_destination)
        addressed = destination_ip or (at_destination and at_destination.destination_address)
        if destination is None and not addressed:
            # [UNVERIFIED] AWS's code when neither a destination nor its address is given
            raise errors.missing_parameter("Destination")
        if source.startswith("igw-") and (destination or "").startswith("igw-"):
            raise errors.invalid_parameter_value(
                "A path cannot go from an internet gateway to an internet gateway."
            )
        with self.ctx.write() as tx:
            if request.client_token:
                earlier = next(
                    (
                        p
                        for p in tx.list_network_insights_paths()
                        if p.client_token == request.client_token
                    ),
                    None,
                )
                if earlier is not None:
                    return earlier
            for end in (source, destination):
                if end is not None:
                    _lookup_end(tx, end)
            if len(tx.list_network_insights_paths()) >= self.ctx.quotas.network_insights_paths:
                # [UNVERIFIED] AWS's code for the paths quota
                raise errors.error(
                    "NetworkInsightsPathLimitExceeded",
                    "The maximum number of network insights paths has been reached.",
                )
            path = NetworkInsightsPath(
                ids.new_id("nip"),
                tx.scope.account,
                tx.scope.region,
                now(),
                source,
                protocol,
                destination=destination,
                source_ip=source_ip,
                destination_ip=destination_ip,
                destination_port=port,
                filter_at_source=at_source,
                filter_at_destination=at_destination,
                client_token=request.client_token,
            )
            tx.put_network_insights_path(path)
            return replace(path, tags=tag_new(tx, [path.path_id], request.tags))

    def describe_paths(self, path_ids: Sequence[str] = ()) -> list[NetworkInsightsPath]:
        with self.ctx.read() as tx:
            if path_ids:
                return [lookups.network_insights_path(tx, p) for p in dict.fromkeys(path_ids)]
            return tx.list_network_insights_paths()

    def delete_path(self, path_id: str | None) -> str:
        """AWS refuses while the path has analyses (``AnalysisExistsForNetworkInsightsPath``,
        the code Terraform retries on; the message is [UNVERIFIED])."""
        with self.ctx.write() as tx:
            path = lookups.network_insights_path(tx, path_id)
            if tx.list_network_insights_analyses(path.path_id):
                raise errors.error(
                    "AnalysisExistsForNetworkInsightsPath",
                    f"The network insights path '{path.path_id}' has analyses; delete them first.",
                )
            tx.delete_network_insights_path(path.path_id)
            return path.path_id

    # -- analyses -------------------------------------------------------------------------
    def start_analysis(self, request: AnalysisRequest) -> NetworkInsightsAnalysis:
        if not request.path_id:
            raise errors.missing_parameter("NetworkInsightsPathId")
        with self.ctx.read() as tx:
            path = lookups.network_insights_path(tx, request.path_id)
            earlier = self._by_token(tx, request.client_token)
            if earlier is not None:
                return replace(earlier, status=AnalysisStatus.RUNNING, findings="")
            snapshot, peers = tx.snapshot(), tx.peered_scopes()
        analysis, fixes = self._answer(path, self._merged(snapshot, peers), request)
        with self.ctx.write() as tx:
            lookups.network_insights_path(tx, path.path_id)  # not deleted meanwhile
            earlier = self._by_token(tx, request.client_token)
            if earlier is not None:
                return replace(earlier, status=AnalysisStatus.RUNNING, findings="")
            tx.put_network_insights_analysis(analysis)
            room = MAX_TAGS_PER_RESOURCE - len({key for key, _ in request.tags})
            tags = request.tags + fix_tags(fixes, room)
            analysis = replace(analysis, tags=tag_new(tx, [analysis.analysis_id], tags))
        # AWS answers the call while the analysis runs; it has succeeded by the first poll
        return replace(analysis, status=AnalysisStatus.RUNNING, findings="", warning_message=None)

    def _answer(
        self, path: NetworkInsightsPath, snapshot: Snapshot, request: AnalysisRequest
    ) -> tuple[NetworkInsightsAnalysis, tuple[str, ...]]:
        """The stored analysis (``succeeded``, or ``failed`` when no flow can be formed)
        and the fixes for its tags."""
        scope = self.ctx.scope
        analysis = NetworkInsightsAnalysis(
            ids.new_id("nia"),
            path.path_id,
            scope.account,
            scope.region,
            now(),
            AnalysisStatus.SUCCEEDED,
            additional_accounts=request.additional_accounts,
            filter_in_arns=request.filter_in_arns,
            filter_out_arns=request.filter_out_arns,
            client_token=request.client_token,
        )
        try:
            answer = analyse(snapshot, path, scope.account, scope.region)
        except ValueError as exc:  # the ends cannot form a flow
            return replace(analysis, status=AnalysisStatus.FAILED, status_message=str(exc)), ()
        findings = json.dumps(answer.findings, separators=(",", ":"))
        return replace(analysis, findings=findings, warning_message=answer.warning), answer.fixes

    def _merged(self, snapshot: Snapshot, peers: Sequence[Scope]) -> Snapshot:
        """The scope's snapshot with those of the scopes peered with it (group references
        across a peering resolve to the peer's members), as the data plane merges them."""
        others = []
        for peer in peers:
            with self.ctx.store.read(peer) as tx:
                others.append(tx.snapshot())
        return snapshot.merged(*others) if others else snapshot

    @staticmethod
    def _by_token(tx: Transaction, token: str | None) -> NetworkInsightsAnalysis | None:
        if not token:
            return None
        return next(
            (a for a in tx.list_network_insights_analyses() if a.client_token == token), None
        )

    def describe_analyses(
        self, analysis_ids: Sequence[str] = (), path_id: str | None = None
    ) -> list[NetworkInsightsAnalysis]:
        with self.ctx.read() as tx:
            if path_id is not None:
                lookups.network_insights_path(tx, path_id)
            if analysis_ids:
                found = [
                    lookups.network_insights_analysis(tx, a) for a in dict.fromkeys(analysis_ids)
                ]
                return [a for a in found if path_id is None or a.path_id == path_id]
            return tx.list_network_insights_analyses(path_id)

    def delete_analysis(self, analysis_id: str | None) -> str:
        with self.ctx.write() as tx:
            analysis = lookups.network_insights_analysis(tx, analysis_id)
            tx.delete_network_insights_analysis(analysis.analysis_id)
            return analysis.analysis_id
