"""What a request must pass before its body is read: browser origin, headers-only
authentication, a size cap, a bounded number of concurrent body reads and a deadline.

Why here, and in this order: reading and parsing a body costs memory and CPU, so every
check the headers alone can decide comes first.

1. **Open mode only: not from a web page.** Open mode trusts whoever can reach the port,
   and a browser can reach a loopback port on behalf of any web site: a cross-origin form
   POST (it carries ``Origin``), an image or link (``Sec-Fetch-Site: cross-site``), or a
   page on a DNS name rebound to 127.0.0.1 (a foreign ``Host``). Those are refused with 403
   unless ``--allow-origin``/``--host`` say otherwise. boto3 and the aws cli send neither
   ``Origin`` nor ``Sec-Fetch-*``, and name the address they connect to as ``Host``.
2. **Verified mode: the signature's headers** (:func:`stockade.api.auth.precheck`).
3. **Size**: a declared ``Content-Length`` over :attr:`EdgeLimits.max_body` is refused
   before reading; a chunked body as soon as it passes the cap.
4. **A body-read slot** among :attr:`EdgeLimits.body_slots`; waiting longer than
   :attr:`EdgeLimits.slot_wait` is ``RequestLimitExceeded`` (503, botocore backs off).
5. **A deadline** for the whole body (``RequestTimeout``).

The signature over the body is verified afterwards, in :func:`stockade.api.dispatch.handle`.

Why plain ASGI (the scope's header list, ``receive``) and asyncio rather than Starlette's
``Request`` and anyio's cancel scopes: this runs for every request, and measured per
request Starlette's header and URL objects, anyio's ``fail_after`` and a semaphore behind
``move_on_after`` cost ~60-90 us -- as much as parsing the request. A free body-read slot
is taken without waiting (no timer at all); only a wait for one arms a deadline.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from stockade.api.auth import AuthConfig, precheck
from stockade.domain.errors import (
    AwsError,
    cross_origin_refused,
    request_limit_exceeded,
    request_timeout,
    request_too_large,
)

#: The largest body read. AWS documents no size limit for EC2 Query requests that could
#: be found; the largest real stockade request (a RunInstances with 16 KiB of user data,
#: a 1,000-id Describe, a 100-entry prefix list) is far below this ([UNVERIFIED] limit).
MAX_BODY_BYTES = 1024 * 1024

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "[::]"})
#: ``Sec-Fetch-Site`` values a browser sends for requests the user (not a page) made.
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})


@dataclass(frozen=True)
class EdgeLimits:
    """Bounds on what one request may cost before it reaches the services."""

    max_body: int = MAX_BODY_BYTES
    body_slots: int = 16
    slot_wait: float = 2.0
    body_timeout: float = 20.0


class Refused(Exception):
    """A request turned away at the edge; ``drainable`` when its (small, declared) body
    was not read yet and can be discarded so the client reads the answer."""

    def __init__(self, error: AwsError, drainable: bool) -> None:
        super().__init__(str(error))
        self.error, self.drainable = error, drainable


def _host_name(host: str) -> str:
    """The name or address part of a ``Host`` header (no port, no brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    """Whether a host name or address (as in a ``Host`` header) means this machine.

    Remembered per header value: a client sends the same ``Host`` on every request, and
    parsing it as an address costs more than the rest of the origin check."""
    name = _host_name(host)
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class OriginPolicy:
    """Which ``Host`` and ``Origin`` an open-mode server accepts.

    ``bind_host`` is the address the server listens on: binding a non-loopback address
    explicitly allows it as a ``Host``, and binding every address (``0.0.0.0``, ``::``)
    allows any ``Host``. ``allowed_origins`` are exact browser origins
    (``https://console.example``) allowed to call the API.
    """

    bind_host: str = "127.0.0.1"
    allowed_origins: frozenset[str] = frozenset()

    @classmethod
    def of(cls, bind_host: str, allowed_origins: Collection[str] = ()) -> OriginPolicy:
        return cls(bind_host, frozenset(o.rstrip("/") for o in allowed_origins))

    def check(self, headers: Mapping[str, str]) -> None:
        """Raise ``UnauthorizedOperation`` (403) for a request a web page may have sent."""
        host = headers.get("host")
        if host is not None and not self.host_allowed(host):
            raise cross_origin_refused(f"Host '{host[:100]}' is not this server's address.")
        origin = headers.get("origin")
        if origin is not None:
            if origin.rstrip("/") not in self.allowed_origins:
                raise cross_origin_refused(
                    f"Requests from browser origin '{origin[:100]}' are refused "
                    "(see stockade serve --allow-origin)."
                )
            return
        site = headers.get("sec-fetch-site")
        if site is not None and site not in _OWN_FETCH_SITES:
            raise cross_origin_refused("Requests made by another web site are refused.")

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` (a ``Host`` header) names this server (the console checks it too)."""
        if is_loopback(host) or self.bind_host in _WILDCARD_BINDS:
            return True
        return _host_name(host) == _host_name(self.bind_host)


#: ASGI's ``receive``: the next message of the request (body chunks, or a disconnect).
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

#: The headers the edge reads (every other header is left to authentication).
_EDGE_HEADERS = frozenset(
    {"host", "origin", "sec-fetch-site", "content-length", "transfer-encoding"}
)


def edge_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers :class:`Edge` decides on, by lower-case name; a repeated one keeps its
    first value (as Starlette's ``Headers.get`` does)."""
    found: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        if key in _EDGE_HEADERS and key not in found:
            found[key] = value.decode("latin-1")
    return found


class Edge:
    """The checks of this module for one server (its body-read slots are shared)."""

    def __init__(
        self,
        auth: AuthConfig,
        origins: OriginPolicy | None = None,
        limits: EdgeLimits | None = None,
    ) -> None:
        self.auth = auth
        self.origins = origins or OriginPolicy()
        self.limits = limits or EdgeLimits()
        self._slots = asyncio.Semaphore(self.limits.body_slots)

    async def admit(self, scope: Mapping[str, Any], receive: Receive) -> bytes:
        """The request's body, once every check passed; raises :class:`Refused`."""
        raw_headers = scope["headers"]
        headers = edge_headers(raw_headers)
        declared = _content_length(headers)
        drainable = declared is not None and declared <= self.limits.max_body
        slots = self._slots
        try:
            if not self.auth.verify:
                self.origins.check(headers)
            precheck(self.auth, raw_headers, scope.get("query_string", b""))
            if declared is not None and declared > self.limits.max_body:
                raise request_too_large(self.limits.max_body)
            if slots.locked():  # every slot taken: wait a bounded time for one
                try:
                    async with asyncio.timeout(self.limits.slot_wait):
                        await slots.acquire()
                except TimeoutError:
                    raise request_limit_exceeded() from None
            else:
                await slots.acquire()  # free: returns at once, no suspension
        except AwsError as error:
            raise Refused(error, drainable) from None
        try:
            return await self._read(receive)
        except AwsError as error:
            raise Refused(error, drainable=False) from None
        finally:
            slots.release()

    async def _read(self, receive: Receive) -> bytes:
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # the client went away
                        raise request_timeout()
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.limits.max_body:
                        raise request_too_large(self.limits.max_body)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise request_timeout() from None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def drain(self, receive: Receive) -> bool:
        """Read and discard a refused request's body (bounded in size and time), so the
        client, which sends it before reading any answer, sees the answer; ``False`` when
        the body could not be discarded (the connection must then be closed)."""
        size = 0
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return False
                    size += len(message.get("body", b""))
                    if size > self.limits.max_body:
                        return False
                    if not message.get("more_body", False):
                        return True
        except TimeoutError:
            return False


def _content_length(headers: Mapping[str, str]) -> int | None:
    """The declared body size: 0 with neither length nor chunking (a GET), ``None`` unknown."""
    value = headers.get("content-length")
    if value is None:
        return None if "transfer-encoding" in headers else 0
    return int(value) if value.strip().isdigit() else None
