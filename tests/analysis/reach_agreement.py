"""Reach from a CIDR against the engine, per port: what the reach-from-CIDR tests share.

Reach's answer for a CIDR that another VPC holds is the union, per port, of ``decide``'s
verdicts on flows from the addresses of the CIDR that an interface holds;
:func:`agree` checks exactly that (and says which decisions disagreed)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from stockade.analysis.reach import ReachResult, parse_ports, parse_source, reach
from stockade.policy.decide import decide
from stockade.policy.explain import explain
from stockade.policy.flow import Flow

PORTS = [22, 80, 443]


def answer(snapshot, cidr: str, target: str) -> ReachResult:
    """Reach's answer from ``cidr`` to ``target`` in the CIDR's address family, on TCP and
    UDP :data:`PORTS`."""
    family = ipaddress.ip_network(cidr).version
    ports = parse_ports([f"{p}" for p in PORTS] + [f"udp/{p}" for p in PORTS])
    (result,) = [
        r
        for r in reach(snapshot, parse_source(snapshot, cidr), target, ports)
        if r.family == family
    ]
    return result


def texts(result: ReachResult) -> list[str]:
    return [r.service.text() for r in result.ranges]


def reached(result: ReachResult, protocol: str, port: int) -> bool:
    return result.reachable and any(
        r.service.protocol == protocol and r.service.from_port <= port <= r.service.to_port
        for r in result.ranges
    )


def agree(snapshot, cidr: str, target: str, held: Iterable[str], to: str) -> ReachResult:
    """Per port: reach from ``cidr`` = some address of it in ``held`` that ``decide``
    lets through to the address ``to``. Returns reach's answer."""
    network = ipaddress.ip_network(cidr)
    hosts = sorted(a for a in held if ipaddress.ip_address(a) in network)
    assert hosts, "the agreement is about held addresses"
    result = answer(snapshot, cidr, target)
    for protocol in ("tcp", "udp"):
        for port in PORTS:
            decisions = [decide(snapshot, Flow(a, to, protocol, port)) for a in hosts]
            expected = any(d.allowed for d in decisions)
            assert reached(result, protocol, port) == expected, (
                f"{cidr} {protocol}/{port}: reach {result.to_dict()}\n"
                + "\n".join(explain(d) for d in decisions)
            )
    return result
