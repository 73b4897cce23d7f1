"""The action registry: what a handler is, the :class:`Call` it takes, and ``@action``.

It sits below the family modules (they import it to register their handlers) and below the
package's ``__init__`` (which imports the families so that the registry is full): the
registry imports neither, so no import cycle runs through it.
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
