"""Apply rulesets to one VPC router: the difference when the kernel is known, else all of it.

Never fail open: every apply is one nft transaction, so a refused one changes nothing and
the previous ruleset stays in force. A refused *difference* usually means the kernel is
not what we predicted (someone flushed a set, an earlier apply half-happened elsewhere), so
the applier falls back to a full atomic rewrite — ``add table; delete table; table {…}`` in
one transaction, which never leaves a moment without rules (kube-proxy's recovery loop,
reference §2.2). If even that is refused, the old rules stay and the error is raised; the
next apply starts again from a full rewrite.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from stockade.dataplane.delta import delta_transactions
from stockade.dataplane.names import GUARD_TABLE, TABLE
from stockade.dataplane.nft import Nft, NftError
from stockade.dataplane.render import render_full
from stockade.dataplane.ruleset import Ruleset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    mode: str  # unchanged | delta | full | full-after-error
    seconds: float
    size: int  # bytes of nft text sent


class Applier:
    """Keeps one router's nftables table equal to the last ruleset applied."""

    def __init__(self, namespace: str, nft: Nft | None = None) -> None:
        self.namespace = namespace
        self.nft = nft or Nft(namespace)
        self.current: Ruleset | None = None  # what the kernel holds; None: unknown
        self.desired: Ruleset | None = None  # the last ruleset asked for
        #: The namespace's nftables generation right after our last commit: if it moves
        #: without us, someone else changed the ruleset (drift).
        self.generation: int | None = None
        #: Called before a full rewrite (which zeroes every counter); what it returns is
        #: called once the rewrite succeeded (the rule hit counters carry over this way).
        self.before_rewrite: Callable[[], Callable[[], None]] | None = None
        #: The last difference's *retire* transaction (old chains nothing jumps to any
        #: more), sent by :meth:`settle` once the batch is in force — off the path between
        #: a change and its first packet — or before the next difference.
        self.pending: str | None = None

    def apply(self, new: Ruleset) -> Applied:
        started = time.perf_counter()
        self.desired = new
        if self.current is None:
            text = render_full(new)
            self.pending = None  # the rewrite replaces the whole table, leftovers included
            self._rewrite(text)
            self.current = new
            return Applied("full", time.perf_counter() - started, len(text))
        steps = [step.render() for step in delta_transactions(self.current, new)]
        if not steps:
            self.current = new
            return Applied("unchanged", time.perf_counter() - started, 0)
        retire = steps.pop() if len(steps) > 1 else None  # (prepare,) switch, (retire)
        text = "".join(steps)
        try:
            self.settle()  # the previous retirement first: it may name what comes back
            for step in steps:  # one transaction each (delta.py)
                self._run(step)
            self.pending = retire
            mode = "delta"
        except NftError as exc:
            log.warning(
                "incremental update of %s refused (%s); rewriting the whole table",
                self.namespace,
                _first_line(exc),
            )
            text = render_full(new)
            self.pending = None
            self._rewrite(text)
            mode = "full-after-error"
        self.current = new
        return Applied(mode, time.perf_counter() - started, len(text))

    def settle(self) -> None:
        """Send the pending retirement (old chains, sets and objects nothing refers to)."""
        pending, self.pending = self.pending, None
        if pending:
            self._run(pending)

    def _rewrite(self, text: str) -> None:
        after = self.before_rewrite() if self.before_rewrite is not None else None
        self._run(text)
        if after is not None:
            after()

    def _run(self, text: str) -> None:
        try:
            self.nft.run(text)
        except NftError:
            self.current = None  # the old rules are still there, but start over next time
            raise
        self.generation = self.nft.generation()

    def drift(self) -> list[str]:
        """How the kernel's ruleset differs from what was applied (empty: it does not)."""
        if self.desired is None:
            return []
        missing = {TABLE, GUARD_TABLE} - self.nft.tables()
        if missing:
            return [f"table {', '.join(sorted(missing))} is missing"]
        generation = self.nft.generation()
        if self.generation is not None and generation != self.generation:
            return [
                f"the ruleset was changed by someone else (generation {self.generation} "
                f"-> {generation})"
            ]
        return []

    def repair(self) -> Applied | None:
        """Rewrite the whole table from the last ruleset asked for."""
        if self.desired is None:
            return None
        self.current = None
        return self.apply(self.desired)

    def close(self) -> None:
        self.nft.close()


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
