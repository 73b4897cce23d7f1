"""A uvicorn HTTP protocol that does not wait forever for a request's head.

uvicorn closes a connection that stays idle *between* requests (``timeout_keep_alive``),
but nothing bounds the time or the bytes a client may take to send a request's line and
headers: a connection that sends nothing, or trickles one byte every few seconds
("slow loris"), stays open indefinitely, and httptools buffers header bytes without limit.
This subclass of uvicorn's own protocol (httptools when installed, else h11) arms a deadline
when a connection opens and whenever bytes of a next request start arriving, cancels it
when the request's head is complete, and closes the connection when the deadline passes or
the incomplete head grows past a byte cap. The body has its own deadline, in the app
(:mod:`stockade.api.edge`), where the request is known.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from uvicorn.protocols.http.auto import AutoHTTPProtocol

log = logging.getLogger("stockade.api")

#: Seconds a client has to send a request's line and headers, from its first byte (or
#: from the connection's opening).
HEAD_TIMEOUT = 10.0
#: Bytes an incomplete request head may take (botocore's heads are under 2 KiB).
MAX_HEAD_BYTES = 64 * 1024


class _Cycle(Protocol):
    """What this module reads of a uvicorn request-response cycle (httptools' and h11's
    ``RequestResponseCycle`` both have it)."""

    response_complete: bool


def deadline_protocol(
    head_timeout: float = HEAD_TIMEOUT, max_head_bytes: int = MAX_HEAD_BYTES
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class with a request-head deadline and byte cap."""
    base: Any = AutoHTTPProtocol

    class HeadDeadlineProtocol(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._seen_cycle: _Cycle | None = None
            self._head_bytes = 0
            self._head_timer: asyncio.TimerHandle | None = None
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            awaiting_head = self._head_timer is not None
            super().data_received(data)
            cycle: _Cycle | None = self.cycle
            if cycle is not None and cycle is not self._seen_cycle:  # a head is complete
                self._seen_cycle = cycle
                self._cancel_head_timer()
                return
            if self.transport.is_closing():
                return
            if cycle is None or cycle.response_complete:  # bytes of a next request
                if not awaiting_head:
                    self._arm_head_timer()
                self._head_bytes += len(data)
                if self._head_bytes > max_head_bytes:
                    log.info(
                        "closing a connection whose request head exceeds %d bytes", max_head_bytes
                    )
                    self.transport.close()

        def _arm_head_timer(self) -> None:
            self._head_bytes = 0
            self._head_timer = self.loop.call_later(head_timeout, self._head_expired)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_expired(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                log.info(
                    "closing a connection that sent no complete request in %.0fs", head_timeout
                )
                self.transport.close()

    return HeadDeadlineProtocol
