"""Network interfaces and instances from ``describe-network-interfaces`` and
``describe-instances`` output.

Interfaces are where groups attach, so they decide what a group reference means (the
members' private addresses). They come from describe-network-interfaces and, for instances,
also from each instance's ``NetworkInterfaces``; when both describe one interface the
describe-network-interfaces copy wins (it has the zone and tags). Terminated instances
have no interfaces and are skipped. Secondary private IPv4 addresses are kept (a reference
to the interface's group matches them); what the domain does not model (delegated
prefixes) is reported, because a reference to the interface's group would match those
addresses in AWS.
"""

from __future__ import annotations

from collections.abc import Iterable

from stockade.analysis.aws_network import Parsed, origin, parsed
from stockade.domain.instance import InstanceState
from stockade.domain.scope import Scope
from stockade.shapes import read_instances
from stockade.shapes.fields import Node, resource_id


def parse_interfaces(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    return [
        parsed(read_instances.network_interface(e, origin(scope)), e)
        for doc in documents
        for e in doc.items("NetworkInterfaces")
    ]


def interface_notes(parsed: Parsed) -> list[str]:
    """What AWS says about an interface that the domain cannot hold (said once per
    interface, whichever output described it)."""
    e, eni_id = parsed.node, parsed.obj.eni_id
    notes = []
    for key in ("Ipv4Prefixes", "Ipv6Prefixes"):
        if list(e.items(key)):
            notes.append(f"{e.file}: {eni_id}: {key} (delegated prefixes) are not modelled")
    return notes


def parse_instances(
    documents: Iterable[Node], scope: Scope, warn: list[str]
) -> tuple[list[Parsed], list[Parsed]]:
    """Instances, and the interfaces their output lists (for interfaces not described)."""
    instances: list[Parsed] = []
    interfaces: list[Parsed] = []
    skipped: list[str] = []
    for doc in documents:
        for reservation in doc.items("Reservations"):
            read_instances.reservation_id(reservation)
            for i in reservation.items("Instances", required=True):
                if read_instances.instance_state(i) is InstanceState.TERMINATED:
                    skipped.append(resource_id(i, "InstanceId", "i"))
                    continue
                instance, own = read_instances.instance(i, reservation, origin(scope))
                interfaces.extend(parsed(eni, node) for eni, node in own)
                instances.append(parsed(instance, i))
    if skipped:
        warn.append(f"terminated instances skipped (they have no interfaces): {', '.join(skipped)}")
    return instances, interfaces
