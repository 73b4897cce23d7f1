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
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import anyio
from starlette.requests import ClientDisconnect, Request

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


def is_loopback(host: str) -> bool:
    """Whether a host name or address (as in a ``Host`` header) means this machine."""
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
        if host is not None and not self._host_allowed(host):
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

    def _host_allowed(self, host: str) -> bool:
        if is_loopback(host) or self.bind_host in _WILDCARD_BINDS:
            return True
        return _host_name(host) == _host_name(self.bind_host)


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
        self._slots = anyio.Semaphore(self.limits.body_slots)

    async def admit(self, request: Request) -> bytes:
        """The request's body, once every check passed; raises :class:`Refused`."""
        declared = _content_length(request)
        drainable = declared is not None and declared <= self.limits.max_body
        try:
            if not self.auth.verify:
                self.origins.check(request.headers)
            precheck(self.auth, list(request.scope["headers"]), request.scope["query_string"])
            if declared is not None and declared > self.limits.max_body:
                raise request_too_large(self.limits.max_body)
            acquired = False
            with anyio.move_on_after(self.limits.slot_wait):
                await self._slots.acquire()
                acquired = True
            if not acquired:
                raise request_limit_exceeded()
        except AwsError as error:
            raise Refused(error, drainable) from None
        try:
            return await self._read(request)
        except AwsError as error:
            raise Refused(error, drainable=False) from None
        finally:
            self._slots.release()

    async def _read(self, request: Request) -> bytes:
        chunks, size = [], 0
        try:
            with anyio.fail_after(self.limits.body_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.limits.max_body:
                        raise request_too_large(self.limits.max_body)
                    chunks.append(chunk)
        except (TimeoutError, ClientDisconnect):
            raise request_timeout() from None
        return b"".join(chunks)

    async def drain(self, request: Request) -> bool:
        """Read and discard a refused request's body (bounded in size and time), so the
        client, which sends it before reading any answer, sees the answer; ``False`` when
        the body could not be discarded (the connection must then be closed)."""
        size = 0
        with anyio.move_on_after(self.limits.body_timeout):
            try:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.limits.max_body:
                        return False
            except ClientDisconnect:
                return False
            return True
        return False


def _content_length(request: Request) -> int | None:
    """The declared body size: 0 with neither length nor chunking (a GET), ``None`` unknown."""
    value = request.headers.get("content-length")
    if value is None:
        return None if "transfer-encoding" in request.headers else 0
    return int(value) if value.strip().isdigit() else None
