"""EC2 action handlers: one module per resource family, one registry for all.

A handler takes a :class:`Call` (the parsed parameters, keyed by botocore member names, and
the caller's services) and returns the response data keyed by the output shape's member
names; the dispatcher serializes it. Handlers only translate: parameters -> service calls,
domain objects -> :mod:`stockade.shapes`. Validation and AWS semantics stay in ``domain/``
and ``service/``; filters and pagination use :mod:`stockade.api.filters` and
:mod:`stockade.api.pagination`.
"""

from __future__ import annotations

from stockade.api.actions import (  # noqa: F401 - importing a family registers its handlers
    absent,
    address_attributes,
    addresses,
    attributes,
    catalogue,
    cidr_blocks,
    dhcp_options,
    flow_logs,
    gateways,
    groups,
    instance_attributes,
    instance_options,
    instance_status,
    instances,
    interfaces,
    network,
    network_acls,
    network_insights,
    peering,
    prefix_lists,
    regions,
    routing,
    rules,
    tags,
    volumes,
)
from stockade.api.actions.registry import ACTIONS, Call, Handler, action

__all__ = ["ACTIONS", "Call", "Handler", "action", "handler_for"]


def handler_for(name: str) -> Handler | None:
    """The handler of the EC2 action ``name``, if stockade implements it."""
    return ACTIONS.get(name)
