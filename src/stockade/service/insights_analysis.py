"""Answering a network insights path with the policy engine, as Reachability Analyzer would.

A path names its ends by id (an instance, a network interface, or an internet gateway
standing for the internet: :data:`INTERNET_HOST` unless the path gives an address) and
may leave the ports open: no ``DestinationPort`` means any port, and a filter gives port
*ranges*. Reachability Analyzer answers whether *some* packet matching the path gets
through. The verdict of the policy engine is constant between the port boundaries of the
rules and ACL entries in force, so trying the lowest port of every such piece decides the
question exactly — the first allowed candidate is the path reported; if none is allowed,
the lowest port's blockers are the explanation. A client's source port only matters to
ACLs (the reply), so its candidates come from the ACL entries alone; with none given the
client is Linux's (:data:`stockade.policy.flow.EPHEMERAL_PORTS`, the whole range needed).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stockade.domain.network_insights import INTERNET_HOST, NetworkInsightsPath, PathFilter
from stockade.domain.state import Snapshot
from stockade.policy.decide import decide
from stockade.policy.decision import Decision
from stockade.policy.flow import Flow
from stockade.shapes import insights_findings

#: At most this many flows are tried for one analysis (destination × source candidates).
MAX_CANDIDATES = 512
ANY_PORT = (0, 65535)


@dataclass(frozen=True)
class Answer:
    """What an analysis stores: the result's shapes, the fixes, a warning if any."""

    findings: dict[str, Any]
    fixes: tuple[str, ...]
    warning: str | None
    decision: Decision


def _held_by(snapshot: Snapshot, resource_id: str, address: str) -> bool:
    """Whether ``address`` is an address of the instance or interface ``resource_id``."""
    enis = [e for e in snapshot.interfaces if resource_id in (e.eni_id, e.instance_id)]
    return any(address in (e.private_ip, e.public_ip, *e.ipv6_addresses) for e in enis)


def _end(snapshot: Snapshot, resource_id: str, address: str | None) -> tuple[str, str | None]:
    """The flow end for a path end, and a warning when the given address cannot be used."""
    if resource_id.startswith("igw-"):
        return address or INTERNET_HOST, None
    if address is None:
        return resource_id, None
    if _held_by(snapshot, resource_id, address):
        return address, None
    return resource_id, f"{address} is not an address of {resource_id}; analysed its own"


def boundaries(low: int, high: int, ranges: Iterable[tuple[int, int]]) -> list[int]:
    """The first port of every piece of ``low..high`` that the ``ranges`` cut it into."""
    cuts = {low}
    for first, last in ranges:
        for port in (first, last + 1):
            if low < port <= high:
                cuts.add(port)
    return sorted(cuts)


def _rule_ranges(
    snapshot: Snapshot, protocol: str, ends: Iterable[str | None]
) -> list[tuple[int, int]]:
    """The port ranges that may cut the verdict: the rules of the ends' groups (of every
    group when an end is named by address: it may be anyone's) and every ACL entry."""
    named = [e for e in ends if e]
    groups: set[str] | None = {
        g
        for i in snapshot.interfaces
        if i.eni_id in named or i.instance_id in named
        for g in i.group_ids
    }
    if len(named) < 2:
        groups = None
    number = "6" if protocol == "tcp" else "17"
    out = [
        (r.spec.from_port, r.spec.to_port)
        for r in snapshot.rules
        if r.spec.protocol == protocol
        and r.spec.from_port >= 0
        and (groups is None or r.group_id in groups)
    ]
    out += _acl_ranges(snapshot, number)
    return out


def _acl_ranges(snapshot: Snapshot, number: str) -> list[tuple[int, int]]:
    return [
        e.port_range
        for acl in snapshot.network_acls
        for e in acl.entries
        if e.protocol == number and e.port_range is not None
    ]


def _ports(path: NetworkInsightsPath) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """The destination port range and the client's source port range (``None``: Linux)."""
    filters = [f for f in (path.filter_at_source, path.filter_at_destination) if f]
    destination: tuple[int, int] | None = (
        (path.destination_port, path.destination_port)
        if path.destination_port is not None
        else next((f.destination_ports for f in filters if f.destination_ports), None)
    )
    source = next((f.source_ports for f in filters if f.source_ports), None)
    return destination or ANY_PORT, source


def _addresses(path: NetworkInsightsPath) -> tuple[str | None, str | None]:
    at_source = path.filter_at_source or PathFilter()
    at_destination = path.filter_at_destination or PathFilter()
    source = path.source_ip or at_source.source_address or at_destination.source_address
    destination = (
        path.destination_ip or at_destination.destination_address or at_source.destination_address
    )
    return source, destination


def analyse(snapshot: Snapshot, path: NetworkInsightsPath, account: str, region: str) -> Answer:
    """The answer to ``path`` over ``snapshot`` (merged with peered scopes by the caller).

    Raises ``ValueError`` when the ends cannot form a flow (an address of the wrong family).
    """
    source_address, destination_address = _addresses(path)
    warnings: list[str] = []
    source, warning = _end(snapshot, path.source, source_address)
    warnings += [warning] if warning else []
    if path.destination is None:
        assert destination_address is not None  # checked when the path was created
        destination = destination_address
    else:
        destination, warning = _end(snapshot, path.destination, destination_address)
        warnings += [warning] if warning else []
    (low, high), client = _ports(path)
    ends = (path.source, path.destination)
    ports = boundaries(low, high, _rule_ranges(snapshot, path.protocol, ends))
    number = "6" if path.protocol == "tcp" else "17"
    clients: list[int | None] = (
        [None] if client is None else list(boundaries(*client, _acl_ranges(snapshot, number)))
    )
    candidates = list(itertools.islice(itertools.product(ports, clients), MAX_CANDIDATES))
    if len(ports) * len(clients) > MAX_CANDIDATES:
        warnings.append(
            f"only the first {MAX_CANDIDATES} of {len(ports) * len(clients)} distinct port "
            "choices were analysed"
        )
    first: Decision | None = None
    chosen: Decision | None = None
    for port, source_port in candidates:
        decision = decide(
            snapshot, Flow(source, destination, path.protocol, port, source_port=source_port)
        )
        first = first or decision
        if decision.allowed:
            chosen = decision
            break
    reported = chosen or first
    assert reported is not None  # there is always at least one candidate
    gateways = {
        "source_gateway": path.source if path.source.startswith("igw-") else None,
        "destination_gateway": (
            path.destination if (path.destination or "").startswith("igw-") else None
        ),
    }
    return Answer(
        insights_findings.findings(reported, snapshot, account, region, **gateways),
        tuple(insights_findings.fixes(reported)),
        "; ".join(warnings) or None,
        reported,
    )
