"""Live traffic: flow-log records as they are written, and real probes (data plane on).

- ``GET /live``: the page. With the data plane off it says so, and how to turn it on.
- ``GET /live/stream``: server-sent events, one ``record`` event per flow-log record of the
  caller's account (``interface=eni-…`` and ``action=ACCEPT|REJECT`` narrow it): first the
  recent past, then each record as the data plane writes it (when its aggregation interval
  closes). A ``stopped`` event (with the reason) ends it once the data plane is no longer
  running; the page tries again every few seconds. (So the demo, which stops its data plane
  first, is not held up at ^C by an open page.) Why SSE rather than a WebSocket: the stream
  only flows one way, an ``EventSource`` reconnects by itself, and it is one ordinary GET
  behind the same session and host checks.
- ``POST /live/probe``: one real connection attempt and the analyzer's verdict beside it
  (an htmx fragment; the whole page for a plain form post).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from stockade.console.context import Console, console_of
from stockade.console.probes import PROTOCOLS, ProbeRefused, run_probe
from stockade.console.session import ConsoleRefused
from stockade.console.traffic import (
    ACTIONS,
    HOW_TO_TURN_ON,
    FlowRecord,
    RecordFilter,
    live_dataplane,
    why_off,
)
from stockade.domain.state import Snapshot
from stockade.view.tables import name_tag

#: Records of the recent past a new stream starts with.
BACKLOG = 50
#: How often a stream looks for new records, and sends a comment to keep the line open.
POLL_S = 0.5
KEEPALIVE_S = 15.0
#: The probe the page proposes: the issue's own example.
DEFAULT_SOURCE, DEFAULT_DESTINATION, DEFAULT_PORT = "203.0.113.10", "web", 22
#: Internet sources the form suggests, one per family (2001:db8:ffff:ffff:: is far from
#: where VPCs' blocks are usually drawn; one inside a VPC's block is refused).
INTERNET_SOURCES = (DEFAULT_SOURCE, "2001:db8:ffff:ffff::10")
_INTERFACE_ID = re.compile(r"^eni-[0-9a-f]{8,17}$")


def _page_context(console: Console, snapshot: Snapshot) -> dict:
    config = console.config
    instances = sorted(
        (i for i in snapshot.instances if i.is_running),
        key=lambda i: (name_tag(i.tags) or "~", i.instance_id),
    )
    names = [name_tag(i.tags) or i.instance_id for i in instances]
    # an instance by name, then each of its IPv6 addresses (an IPv6 probe between instances)
    destinations = [
        (value, label)
        for name, instance in zip(names, instances, strict=True)
        for value, label in (
            (name, name if name == instance.instance_id else f"{name} ({instance.instance_id})"),
            *(
                (address, f"{name} at {address}")
                for eni in snapshot.interfaces_of(instance.instance_id)
                for address in eni.ipv6_addresses
            ),
        )
    ]
    interfaces = [(eni.eni_id, _label(snapshot, eni.instance_id)) for eni in snapshot.interfaces]
    return {
        "live": live_dataplane(config) is not None,
        "why_off": why_off(config),
        "how_to_turn_on": HOW_TO_TURN_ON,
        "instances": list(zip(names, instances, strict=True)),
        "destinations": destinations,
        "internet_sources": INTERNET_SOURCES,
        "interfaces": sorted(interfaces, key=lambda pair: (pair[1] or "~", pair[0])),
        "protocols": PROTOCOLS,
        "actions": ACTIONS,
        "probe": {
            "source": DEFAULT_SOURCE,
            "destination": DEFAULT_DESTINATION if DEFAULT_DESTINATION in names else "",
            "port": DEFAULT_PORT,
            "protocol": "tcp",
        },
    }


def _label(snapshot: Snapshot, instance_id: str | None) -> str:
    instance = snapshot.instance_by_id.get(instance_id or "")
    return (name_tag(instance.tags) or instance.instance_id) if instance else ""


async def live(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    return console.render(request, "live.html", **_page_context(console, snapshot))


async def stream(request: Request) -> Response:
    """The caller's flow-log records as server-sent events (see the module's docstring)."""
    console = console_of(request)
    scope = console.scope(request)
    wanted = RecordFilter(
        scope.account,
        _choice(request, "interface", lambda v: bool(_INTERFACE_ID.match(v))),
        _choice(request, "action", lambda v: v in ACTIONS),
    )
    live_now = live_dataplane(console.config)
    if live_now is None:
        raise ConsoleRefused(409, f"{why_off(console.config)} {HOW_TO_TURN_ON}")
    snapshot = await console.run(console.snapshot, request)
    labels = {eni.eni_id: _label(snapshot, eni.instance_id) for eni in snapshot.interfaces}
    from stockade.dataplane.flowlog_tail import FlowLogTail

    tail = FlowLogTail(live_now.state_dir)

    async def events() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"  # the browser reconnects after 2 s (and gets the backlog)
        records = [FlowRecord.of(f) for f in await console.run(tail.read)]
        backlog = [r for r in records if wanted.keeps(r)][-BACKLOG:]
        for record in backlog:
            yield _event(record, labels)
        quiet = 0.0
        while True:
            await anyio.sleep(POLL_S)
            if live_dataplane(console.config) is None:  # stopped: say so, end the stream
                yield f"event: stopped\ndata: {json.dumps(why_off(console.config))}\n\n"
                return
            fresh = [FlowRecord.of(f) for f in await console.run(tail.read)]
            shown = [r for r in fresh if wanted.keeps(r)]
            for record in shown:
                yield _event(record, labels)
            quiet = 0.0 if shown else quiet + POLL_S
            if quiet >= KEEPALIVE_S:
                quiet = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _choice(request: Request, name: str, valid: Callable[[str], bool]) -> str:
    value = request.query_params.get(name, "")
    if value and not valid(value):
        raise ConsoleRefused(400, f"Unknown {name} '{value[:40]}'.")
    return value


def _event(record: FlowRecord, labels: dict[str, str]) -> str:
    data = json.dumps(record.as_event(labels.get(record.interface, "")))
    return f"event: record\ndata: {data}\n\n"


async def probe(request: Request) -> Response:
    """One probe now; its outcome beside the analyzer's verdict (the fragment, or the page
    with it for a browser without htmx). A refusal is the fragment with the reason."""
    console = console_of(request)
    form = await console.change(request)
    fragment = "hx-request" in request.headers
    snapshot = await console.run(console.snapshot, request)
    asked = {
        "source": str(form.get("source", "")).strip(),
        "destination": str(form.get("destination", "")).strip(),
        "port": str(form.get("port", "")).strip(),
        "protocol": str(form.get("protocol", "tcp")).strip(),
    }
    answer, error, status = None, None, 200
    live_now = live_dataplane(console.config)
    try:
        if live_now is None:
            status = 409
            raise ProbeRefused(f"{why_off(console.config)} Probes need it. {HOW_TO_TURN_ON}")
        if not asked["port"].isdigit():
            raise ProbeRefused(f"The port must be a number 1-65535, not '{asked['port'][:12]}'.")
        answer = await console.run(
            run_probe,
            live_now,
            snapshot,
            asked["source"],
            asked["destination"],
            int(asked["port"]),
            asked["protocol"],
        )
    except ProbeRefused as exc:
        error, status = str(exc), status if status != 200 else 400
    result = {"answer": answer, "error": error}
    if fragment:
        return console.render(request, "live_probe.html", status=status, **result)
    context = _page_context(console, snapshot) | result | {"probe": asked}
    return console.render(request, "live.html", status=status, **context)


ROUTES: list[BaseRoute] = [
    Route("/live", live, methods=["GET"]),
    Route("/live/stream", stream, methods=["GET"]),
    Route("/live/probe", probe, methods=["POST"]),
]
