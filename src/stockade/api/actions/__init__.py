"""EC2 action handlers: one module per resource family, one registry for all.

A handler takes a :class:`Call` (the parsed parameters, keyed by botocore member names, and
the caller's services) and returns the response data keyed by the output shape's member
names; the dispatcher serializes it. Handlers only translate: parameters -> service calls,
domain objects -> :mod:`stockade.shapes`. Validation and AWS semantics stay in ``domain/``
and ``service/``; filters and pagination use :mod:`stockade.api.filters` and
:mod:`stockade.api.pagination`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stockade.service.bundle import Services

Handler = Callable[["Call"], dict[str, Any] | None]

#: action name -> handler, filled by the ``@action`` decorators of the family modules.
ACTIONS: dict[str, Handler] = {}


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it."""

    action: str
    params: dict[str, Any]
    services: Services
    request_id: str

    @property
    def region(self) -> str:
        return self.services.region

    @property
    def account(self) -> str:
        return self.services.account

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


def action(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for the EC2 action ``name``."""

    def register(handler: Handler) -> Handler:
        if name in ACTIONS:  # pragma: no cover - a programming error
            raise ValueError(f"action {name} registered twice")
        ACTIONS[name] = handler
        return handler

    return register


def handler_for(name: str) -> Handler | None:
    _load()
    return ACTIONS.get(name)


_loaded = False


def _load() -> None:
    """Import the family modules (their decorators fill :data:`ACTIONS`)."""
    global _loaded
    if _loaded:
        return
    from stockade.api.actions import (  # noqa: F401
        groups,
        instances,
        interfaces,
        network,
        prefix_lists,
        regions,
        rules,
        tags,
    )

    _loaded = True
