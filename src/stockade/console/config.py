"""What the console shares with the EC2 API it is served beside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stockade.api.auth import AuthConfig
from stockade.api.edge import OriginPolicy
from stockade.domain.quotas import Quotas
from stockade.store.repository import Store


@dataclass(frozen=True)
class ConsoleConfig:
    """The store, auth mode and quotas of the server, and what the data plane exposes.

    ``dataplane`` gives the data plane's status (``/health``'s), ``None`` when it is off;
    ``dataplane_state`` is the agent's state directory (flow logs, counters) when it runs.
    """

    store: Store
    auth: AuthConfig = field(default_factory=AuthConfig)
    quotas: Quotas = field(default_factory=Quotas)
    origins: OriginPolicy = field(default_factory=OriginPolicy)
    dataplane: Callable[[], dict] | None = None
    dataplane_state: Path | None = None
