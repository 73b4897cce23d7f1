"""Instances and their lifecycle (pending → running → stopping → stopped → terminated)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stockade.domain.tags import Tags


class InstanceState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    SHUTTING_DOWN = "shutting-down"
    TERMINATED = "terminated"

    @property
    def code(self) -> int:
        """The numeric code EC2 reports beside the name."""
        return _CODES[self]


_CODES = {
    InstanceState.PENDING: 0,
    InstanceState.RUNNING: 16,
    InstanceState.SHUTTING_DOWN: 32,
    InstanceState.TERMINATED: 48,
    InstanceState.STOPPING: 64,
    InstanceState.STOPPED: 80,
}


@dataclass(frozen=True)
class Instance:
    """An instance. Its groups are those of its primary interface (device index 0)."""

    instance_id: str
    owner_id: str
    region: str
    reservation_id: str
    vpc_id: str
    subnet_id: str
    availability_zone: str
    image_id: str
    instance_type: str
    state: InstanceState
    launch_time: str  # ISO 8601, UTC
    primary_eni_id: str
    key_name: str | None = None
    tags: Tags = ()

    @property
    def is_running(self) -> bool:
        return self.state is InstanceState.RUNNING
