"""The seed scenario's checks: the flows every face of stockade is shown answering.

The analyzer demo prints the policy engine's verdict for each; the data-plane demo probes
the same flows with real packets and prints both side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.demo.seed import BLOCKED_HOST, MY_COMPUTER, OUTSIDER, Seed
from stockade.domain.state import Snapshot
from stockade.policy import Decision, Flow, decide


@dataclass(frozen=True)
class SeedCheck:
    label: str
    source: str  # an instance Name of the seed, or an internet address
    destination: str  # an instance Name of the seed
    port: int
    expected: str  # "allowed" | "denied"
    protocol: str = "tcp"

    def flow(self, seed: Seed) -> Flow:
        def end(name: str) -> str:
            return seed.instances.get(name, name)

        return Flow(end(self.source), end(self.destination), self.protocol, self.port)


SEED_CHECKS: tuple[SeedCheck, ...] = (
    SeedCheck(f"{MY_COMPUTER} (my computer) -> web:22", MY_COMPUTER, "web", 22, "allowed"),
    SeedCheck(f"{OUTSIDER} (an outsider) -> web:22", OUTSIDER, "web", 22, "denied"),
    SeedCheck(f"{OUTSIDER} (anyone) -> web:80", OUTSIDER, "web", 80, "allowed"),
    SeedCheck("A (group-1) -> ntp:123", "A", "ntp", 123, "allowed"),
    SeedCheck("B (group-2) -> ntp:123", "B", "ntp", 123, "allowed"),
    SeedCheck("C (group-3) -> ntp:123", "C", "ntp", 123, "denied"),
    SeedCheck(
        f"{OUTSIDER} (anyone) -> app:80 (private subnet, public IP)", OUTSIDER, "app", 80, "denied"
    ),
    SeedCheck("web -> app:80 (local route)", "web", "app", 80, "allowed"),
    SeedCheck(
        f"{BLOCKED_HOST} (blocked network) -> web:80 (network ACL deny)",
        BLOCKED_HOST,
        "web",
        80,
        "denied",
    ),
)


def run_checks(snapshot: Snapshot, seed: Seed) -> list[tuple[SeedCheck, Decision]]:
    return [(check, decide(snapshot, check.flow(seed))) for check in SEED_CHECKS]
