"""Naming an instance by its Name tag, as people do ("web:22"), wherever an id is expected.

One definition for every face that takes an endpoint from a person: ``stockade check``
(``--from web``), the console's "Can A reach B?" and its probes. A Name must be unique among
live instances, so a name never silently picks one of two.
"""

from __future__ import annotations

from collections.abc import Iterable

from stockade.domain import errors
from stockade.domain.instance import Instance, InstanceState


def named_instance(instances: Iterable[Instance], name: str) -> Instance:
    """The live instance whose Name tag is ``name``; there must be exactly one."""
    matches = [
        i
        for i in instances
        if dict(i.tags).get("Name", "") == name and i.state is not InstanceState.TERMINATED
    ]
    if len(matches) != 1:
        raise errors.error(
            "InvalidInstanceID.NotFound",
            f"No unique instance is named '{name}' ({len(matches)} match)",
        )
    return matches[0]


def endpoint_id(instances: Iterable[Instance], given: str) -> str:
    """An instance Name tag becomes its id; ids (``i-``, ``eni-``) and addresses pass
    through unchanged (the policy engine judges them)."""
    if given.startswith(("i-", "eni-")) or given[:1].isdigit() or ":" in given:
        return given
    return named_instance(instances, given).instance_id
