"""Who is using the console, and whether a change really comes from its own pages.

- **Open mode** (the server's default): no sign-in; every visitor acts as the server's
  default account, as an unsigned API call does. The console is then reachable only under
  a ``Host`` that names this server (loopback unless ``--host`` says otherwise), which is
  what stops a web page on another site from reaching it through DNS rebinding (checked
  for every console path by ``app._HostChecked``).
- **Verified mode** (``--auth FILE``): a sign-in with an access key id and its secret key
  from the keys file; the session cookie (signed, HTTP-only, SameSite=Strict) then carries
  the access key, and the account is that key's.

Every change (POST) must carry the session's CSRF token (form field ``csrf_token`` or
header ``X-CSRF-Token``, which htmx sends from the page's ``<meta>``) and, when the browser
names an ``Origin``, come from the console's own origin; otherwise it is refused with 403
and changes nothing.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from stockade.console.config import ConsoleConfig
from stockade.domain.scope import DEFAULT_REGION, REGIONS, Scope

#: The session cookie's name (the signed cookie of Starlette's ``SessionMiddleware``).
COOKIE = "stockade_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class ConsoleRefused(Exception):
    """A request the console will not serve: ``status`` and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def check_change(request: Request) -> None:
    """Refuse (403) a change without the session's CSRF token or from another origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != _own_origin(request):
        raise ConsoleRefused(403, f"Changes from origin '{origin[:100]}' are refused.")
    given = request.headers.get(CSRF_HEADER)
    if given is None and _is_form(request):
        given = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
    expected = request.session.get(CSRF_FIELD)
    if not (
        isinstance(given, str)
        and isinstance(expected, str)
        and hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise ConsoleRefused(403, "Missing or wrong CSRF token: reload the page and try again.")


def caller_scope(config: ConsoleConfig, request: Request) -> Scope | None:
    """The account and region the console acts in; ``None`` when a sign-in is needed.

    The region is the session's choice (``region`` query parameter or the region picker),
    ``us-east-1`` by default.
    """
    region = request.session.get("region")
    if not isinstance(region, str) or region not in REGIONS:
        region = DEFAULT_REGION
    if not config.auth.verify:
        return Scope(config.auth.default_account, region)
    access_key = request.session.get("access_key")
    credential = config.auth.keys.get(access_key) if isinstance(access_key, str) else None
    if credential is None:
        return None
    return Scope(credential.account, region)


def sign_in(config: ConsoleConfig, request: Request, access_key: str, secret: str) -> bool:
    """Check an access key pair against the keys file; remember the key on success."""
    credential = config.auth.keys.get(access_key)
    # compare even for an unknown key, so timing does not tell which keys exist
    expected = credential.secret if credential is not None else secrets.token_hex(20)
    if not hmac.compare_digest(secret.encode(), expected.encode()) or credential is None:
        return False
    request.session.clear()  # a new session: a fixed session id cannot be planted
    request.session["access_key"] = access_key
    csrf_token(request)
    return True


def sign_out(request: Request) -> None:
    request.session.clear()


def choose_region(request: Request, region: str) -> bool:
    """Remember the region picked; ``False`` for a region stockade does not know."""
    if region not in REGIONS:
        return False
    request.session["region"] = region
    return True


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
