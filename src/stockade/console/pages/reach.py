""" "Can A reach B?": every layer crossed, what allowed or blocked it, and the fix — with one
button that applies it and shows the verdict again.

The answer is ``stockade check``'s, from the same engine: :func:`~stockade.policy.decide`,
its :func:`~stockade.policy.explain` headline, :func:`~stockade.policy.layers.layers` in
packet order and each blocker's ``fix``. The page is a plain GET form (a link to an answer
can be shared and reloaded); htmx swaps only the answer panel (``reach_answer.html``) when
the request is its own. The fix is a POST with the CSRF token that re-decides before it
changes anything (:mod:`stockade.console.reach_fix`).

Every answer carries ``Server-Timing: answer;dur=<ms>``: the server's time for it, from the
request to the rendered page (snapshot, decision and template), which the tests bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockade.analysis.reach import ReachResult, parse_source
from stockade.analysis.reach import reach as reach_of_range
from stockade.console import links
from stockade.console.context import Console, console_of
from stockade.console.reach_fix import AppliedFix, FixGone, applicable, apply_fix, find_fix
from stockade.console.reach_question import PROTOCOLS, Question, RangeQuestion, ask, flow_of
from stockade.console.session import ConsoleRefused
from stockade.domain.errors import AwsError
from stockade.domain.instance import InstanceState
from stockade.domain.state import Snapshot
from stockade.policy import Decision, decide, explain, reply_verdict
from stockade.policy.explain import explain_tracking
from stockade.policy.flow import Flow
from stockade.policy.layers import layers
from stockade.view.tables import name_tag


@dataclass
class Answer:
    """What the answer panel shows: a verdict with its layers and blockers, or a refusal."""

    question: Question | None
    status: int = 200
    decision: Decision | None = None
    headline: str = ""
    tracking: str = ""
    error: str = ""
    error_code: str | None = None
    applied: AppliedFix | None = None
    #: a range of sources: the analyzer's answer, one result per interface and family
    range_results: list[ReachResult] | None = None
    rule_groups: dict[str, str] = field(default_factory=dict)
    instances: list[tuple[str, str]] = field(default_factory=list)  # (value, label) to pick

    def context(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "question": self.question,
            "decision": decision,
            "headline": self.headline,
            "layers": layers(decision) if decision is not None else [],
            "blockers": [(b, applicable(b)) for b in decision.blockers] if decision else [],
            "tracking": self.tracking,
            "error": self.error,
            "error_code": self.error_code,
            "applied": self.applied,
            "range_results": self.range_results,
            "rule_groups": self.rule_groups,
            "instances": self.instances,
            "protocols": PROTOCOLS,
            "links": links,
        }


async def reach(request: Request) -> Response:
    started = time.perf_counter()
    console = console_of(request)
    question = Question.of(request.query_params)
    answer = await console.run(_answer, console, request, question)
    return _render(console, request, answer, started)


async def fix(request: Request) -> Response:
    """Apply one blocker's fix (its text as shown), then answer the question again."""
    started = time.perf_counter()
    console = console_of(request)
    try:
        form = await console.change(request)
    except ConsoleRefused as exc:
        if not _fragment(request):
            raise
        return _render(console, request, Answer(None, exc.status, error=exc.reason), started)
    question = Question.of(form) or Question("", "")
    wanted = str(form.get("fix", ""))
    answer = await console.run(_fix, console, request, question, wanted)
    return _render(console, request, answer, started)


def _answer(console: Console, request: Request, question: Question | None) -> Answer:
    snapshot = console.snapshot(request)  # a missing sign-in is the app's 401, not an answer
    if question is None:
        return _with_state(Answer(None), snapshot)
    try:
        asked = ask(snapshot, question)
        if isinstance(asked, RangeQuestion):
            return _with_state(_range_answer(question, snapshot, asked), snapshot)
    except (ConsoleRefused, AwsError) as exc:
        return _with_state(_refusal(question, exc), snapshot)
    return _decided(Answer(question), snapshot, asked)


def _range_answer(question: Question, snapshot: Snapshot, asked: RangeQuestion) -> Answer:
    """``stockade reach --from CIDR --to B --port P``: what some of the range reaches."""
    source = parse_source(snapshot, asked.cidr)
    try:
        found = reach_of_range(snapshot, source, asked.destination, asked.services)
    except ValueError as exc:  # an instance without interfaces, an unknown id
        raise ConsoleRefused(400, f"Cannot ask that: {exc}.") from None
    return Answer(question, range_results=[r for r in found if r.family == _family(asked)])


def _family(asked: RangeQuestion) -> int:
    return 6 if ":" in asked.cidr else 4


def _fix(console: Console, request: Request, question: Question, wanted: str) -> Answer:
    snapshot = console.snapshot(request)
    try:
        flow = flow_of(snapshot, question)
    except (ConsoleRefused, AwsError) as exc:
        return _with_state(_refusal(question, exc), snapshot)
    try:
        blocker = find_fix(decide(snapshot, flow), wanted)
        description = f"console fix: {flow.source} to {flow.service()}"
        applied = apply_fix(console.services(request), blocker, description)
    except FixGone:
        gone = Answer(
            question,
            409,
            error="The network changed since this answer was shown, and that fix is not "
            "the one suggested any more: nothing was changed. Here is the answer now.",
        )
        return _decided(gone, snapshot, flow)
    except AwsError as exc:  # the service refused it: nothing changed
        return _decided(_refusal(question, exc), snapshot, flow)
    return _decided(Answer(question, applied=applied), console.snapshot(request), flow)


def _decided(answer: Answer, snapshot: Snapshot, flow: Flow) -> Answer:
    decision = decide(snapshot, flow)
    answer.decision = decision
    answer.headline = explain(decision).partition("\n")[0]
    if decision.allowed:
        answer.tracking = explain_tracking(reply_verdict(snapshot, decision)).strip()
    return _with_state(answer, snapshot)


def _refusal(question: Question, exc: ConsoleRefused | AwsError) -> Answer:
    if isinstance(exc, AwsError):
        return Answer(question, exc.status, error=exc.message, error_code=exc.code)
    return Answer(question, exc.status, error=exc.reason)


def _with_state(answer: Answer, snapshot: Snapshot) -> Answer:
    """What the page needs of the state besides the decision: rule → group (for links) and
    the instances to pick from."""
    answer.rule_groups = {r.rule_id: r.group_id for r in snapshot.rules}
    picks = []
    for instance in snapshot.instances:
        if instance.state is InstanceState.TERMINATED:
            continue
        name = name_tag(instance.tags)
        picks.append((name or instance.instance_id, f"{name} {instance.instance_id}".strip()))
    answer.instances = sorted(picks)
    return answer


def _fragment(request: Request) -> bool:
    """Whether htmx asked for the answer panel alone (not a history restore: a full page)."""
    headers = request.headers
    return "hx-request" in headers and "hx-history-restore-request" not in headers


def _render(console: Console, request: Request, answer: Answer, started: float) -> Response:
    template = "reach_answer.html" if _fragment(request) else "reach.html"
    response = console.render(request, template, status=answer.status, **answer.context())
    elapsed = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"answer;dur={elapsed:.2f}"
    return response


ROUTES: list[BaseRoute] = [
    Route("/reach", reach, methods=["GET"]),
    Route("/reach/fix", fix, methods=["POST"]),
]
