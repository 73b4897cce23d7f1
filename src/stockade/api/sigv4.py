"""AWS Signature Version 4: read who signed a request, and (optionally) verify it.

Two uses, matching stockade's two auth modes:

- *open* mode only needs :func:`parse_auth` -- the access key selects the account and the
  credential scope's region selects the state partition; the signature is not checked.
- ``--auth FILE`` mode also calls :func:`verify` with the access key's secret. It rebuilds
  botocore's canonical request (method, normalised path, sorted query, the signed headers,
  the body hash), the string to sign and the chained HMAC signing key, and compares
  signatures in constant time. Header (``Authorization``) and presigned-URL
  (``X-Amz-Signature`` in the query) forms are both accepted.

Every failure is an :class:`AwsError` (``AuthFailure``, 401; ``RequestExpired`` for a stale
or expired request; ``SignatureDoesNotMatch`` for a credential scoped to another service)
-- never another exception, whatever the headers contain. :func:`check_headers` checks
what the headers alone can prove, so a server can refuse before reading any body.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote

from botocore.utils import normalize_url_path

from stockade.domain.errors import AwsError, wrong_signing_service

ALGORITHM = "AWS4-HMAC-SHA256"
#: AWS's wording for credentials it cannot validate (wrong key, secret or signature).
AUTH_FAILURE_MESSAGE = "AWS was not able to validate the provided access credentials"
DEFAULT_MAX_SKEW = timedelta(minutes=15)

_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

#: A header mapping, or (name, value) pairs as ``str`` or raw ASGI ``bytes``.
Headers = Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]


@dataclass(frozen=True)
class RequestAuth:
    """What a request says about its signer; ``signed=False`` for anonymous requests."""

    signed: bool
    access_key: str | None = None
    date: str | None = None  # yyyymmdd from the credential scope
    region: str | None = None
    service: str | None = None
    amz_date: str | None = None  # yyyymmddTHHMMSSZ the request was signed at
    signed_headers: tuple[str, ...] = ()
    signature: str | None = None
    security_token: str | None = None
    presigned: bool = False
    expires: int | None = None  # seconds, presigned URLs only


UNSIGNED = RequestAuth(signed=False)


def _failure(detail: str) -> AwsError:
    """AWS's fixed AuthFailure; what actually mismatched goes only into a note for the logs."""
    error = AwsError("AuthFailure", AUTH_FAILURE_MESSAGE)
    with contextlib.suppress(AttributeError):  # a frozen AwsError cannot take notes
        error.add_note(f"sigv4: {detail}")
    return error


def header_map(headers: Headers, only: frozenset[str] | None = None) -> dict[str, list[str]]:
    """Lower-cased header name -> its values in order (repeated headers are kept);
    ``only`` keeps just those names (their values alone are decoded)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    result: dict[str, list[str]] = {}
    for name, value in pairs:
        key = _header_text(name).lower()
        if only is None or key in only:
            result.setdefault(key, []).append(_header_text(value))
    return result


def _first(hmap: dict[str, list[str]], name: str) -> str | None:
    """A header's first value, or ``None`` when it is absent (later repeats are ignored)."""
    values = hmap.get(name)
    return values[0] if values else None


def _header_text(value: object) -> str:
    """ASGI gives raw header bytes; HTTP header text is Latin-1."""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _query_pairs(query_string: str | bytes) -> list[tuple[str, str]]:
    """Raw (still percent-encoded) ``key=value`` pairs of a query string."""
    if isinstance(query_string, bytes):  # ASGI's scope["query_string"]
        query_string = query_string.decode("latin-1")
    pairs = []
    for part in query_string.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


#: The headers :func:`parse_auth` reads (the signature's own; :func:`verify` reads the rest).
_SIGNER_HEADERS = frozenset({"authorization", "x-amz-security-token", "x-amz-date", "date"})


def parse_auth(headers: Headers, query_string: str | bytes = "") -> RequestAuth:
    """Read the signer from the ``Authorization`` header or a presigned query string.

    Does not verify anything. A request with neither is reported as :data:`UNSIGNED`;
    a malformed one raises ``AuthFailure``.
    """
    try:
        hmap = header_map(headers, _SIGNER_HEADERS)
        authorization = hmap.get("authorization")
        token = _first(hmap, "x-amz-security-token")
        if authorization:
            return _parse_header(authorization[0], hmap, token)
        query = {unquote(k): unquote(v) for k, v in _query_pairs(query_string)}
        if "X-Amz-Signature" in query or "X-Amz-Credential" in query:
            return _parse_presigned(query)
        return UNSIGNED
    except (UnicodeError, ValueError, TypeError):
        raise _failure("unreadable authorization") from None


def _parse_header(value: str, hmap: dict[str, list[str]], token: str | None) -> RequestAuth:
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ALGORITHM:
        raise _failure("unsupported authorization scheme")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, field = part.strip().partition("=")
        if sep:
            fields[key] = field.strip()
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise _failure("incomplete authorization header")
    amz_date = _first(hmap, "x-amz-date")
    if amz_date is None and hmap.get("date"):
        amz_date = _from_http_date(hmap["date"][0])
    return _auth(
        fields["Credential"],
        fields["SignedHeaders"],
        fields["Signature"],
        amz_date,
        token,
        presigned=False,
        expires=None,
    )


def _parse_presigned(query: Mapping[str, str]) -> RequestAuth:
    if query.get("X-Amz-Algorithm") != ALGORITHM:
        raise _failure("unsupported algorithm")
    expires_text = query.get("X-Amz-Expires", "")
    expires = int(expires_text) if expires_text.isascii() and expires_text.isdigit() else None
    if expires is None or expires > 7 * 24 * 3600:
        raise _failure("bad X-Amz-Expires")
    return _auth(
        query.get("X-Amz-Credential", ""),
        query.get("X-Amz-SignedHeaders", ""),
        query.get("X-Amz-Signature", ""),
        query.get("X-Amz-Date"),
        query.get("X-Amz-Security-Token"),
        presigned=True,
        expires=expires,
    )


def _auth(
    credential: str,
    signed_headers: str,
    signature: str,
    amz_date: str | None,
    token: str | None,
    *,
    presigned: bool,
    expires: int | None,
) -> RequestAuth:
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope[:4]):
        raise _failure("malformed credential scope")
    access_key, date, region, service, _ = scope
    if not (len(date) == 8 and date.isascii() and date.isdigit()):
        raise _failure("malformed credential date")
    names = tuple(signed_headers.split(";"))
    if not signed_headers or any(not n or n != n.lower() for n in names):
        raise _failure("malformed SignedHeaders")
    if not _HEX_SHA256.fullmatch(signature):
        raise _failure("malformed signature")
    return RequestAuth(
        True,
        access_key,
        date,
        region,
        service,
        amz_date,
        names,
        signature,
        token,
        presigned,
        expires,
    )


def _from_http_date(value: str) -> str | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# --- verification ----------------------------------------------------------------------------


def verify(
    auth: RequestAuth,
    *,
    secret: str,
    method: str,
    path: str,
    query_string: str | bytes,
    headers: Headers,
    body: bytes,
    now: datetime | None = None,
    max_skew: timedelta | None = DEFAULT_MAX_SKEW,
) -> None:
    """Check ``auth``'s signature against ``secret``; return quietly or raise ``AuthFailure``.

    ``path`` is the decoded request path, ``query_string`` the raw (encoded) one, ``body``
    the raw bytes. ``max_skew`` bounds the distance between the signing time and ``now``
    (``None`` disables the clock check); presigned URLs also honour ``X-Amz-Expires``.
    """
    if not auth.signed:
        raise _failure("unsigned request")
    try:
        _verify(auth, secret, method, path, query_string, headers, body, now, max_skew)
    except (UnicodeError, ValueError, TypeError):  # undecodable text can never match
        raise _failure("unreadable request") from None


def _verify(
    auth: RequestAuth,
    secret: str,
    method: str,
    path: str,
    query_string: str | bytes,
    headers: Headers,
    body: bytes,
    now: datetime | None,
    max_skew: timedelta | None,
) -> None:
    signed_at = _check_time(auth, now or datetime.now(UTC), max_skew)
    hmap = header_map(headers)
    canonical_headers = []
    for name in sorted(set(auth.signed_headers)):
        values = hmap.get(name)
        if values is None:
            raise _failure(f"signed header {name} is missing")
        canonical_headers.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}\n")
    payload_hash = _payload_hash(hmap, body)
    pairs = _query_pairs(query_string)
    if auth.presigned:
        pairs = [(k, v) for k, v in pairs if unquote(k) != "X-Amz-Signature"]
    head = "\n".join([method.upper(), quote(normalize_url_path(path), safe="/~")])
    tail = "".join(canonical_headers) + "\n" + ";".join(auth.signed_headers) + "\n" + payload_hash
    key = _signing_key(secret, signed_at[:8], auth.region or "", auth.service or "")
    scope = f"{signed_at[:8]}/{auth.region}/{auth.service}/aws4_request"
    # Clients encode query strings slightly differently; accept either canonical form.
    for query in dict.fromkeys((_canonical_query(pairs), _raw_sorted_query(pairs))):
        canonical = f"{head}\n{query}\n{tail}"
        to_sign = "\n".join(
            [ALGORITHM, signed_at, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
        )
        expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, auth.signature or ""):
            return
    raise _failure("signature mismatch")


def _check_time(auth: RequestAuth, now: datetime, max_skew: timedelta | None) -> str:
    """The signing time, checked against the clock.

    A header-signed request must be within ``max_skew`` of now. A presigned URL lives for
    its own ``X-Amz-Expires`` (up to seven days, as AWS) from its signing time, so only a
    signing time in the future beyond the skew is refused, not one in the past.
    """
    amz_date = auth.amz_date
    if amz_date is None or not _AMZ_DATE.fullmatch(amz_date) or amz_date[:8] != auth.date:
        raise _failure("missing or inconsistent X-Amz-Date")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise _failure("bad X-Amz-Date") from None
    if auth.presigned:
        if now > signed_at + timedelta(seconds=auth.expires or 0):
            raise AwsError("RequestExpired", "Request has expired.")
        if max_skew is not None and signed_at - now > max_skew:
            raise AwsError("RequestExpired", "Request has expired.")
    elif max_skew is not None and abs(now - signed_at) > max_skew:
        raise AwsError("RequestExpired", "Request has expired.")
    return amz_date


def check_headers(
    auth: RequestAuth,
    *,
    service: str | Iterable[str],
    now: datetime | None = None,
    max_skew: timedelta | None = DEFAULT_MAX_SKEW,
) -> None:
    """What can be checked before the body is read: the credential scope names ``service``
    (one of them, when the action is not known yet) and the signing time is acceptable.

    ``SignatureDoesNotMatch`` (AWS's query-protocol wording) for a scope of another
    service; ``AuthFailure`` / ``RequestExpired`` as :func:`verify` for the time.
    """
    if not auth.signed:
        raise _failure("unsigned request")
    allowed = (service,) if isinstance(service, str) else tuple(service)
    if auth.service not in allowed:
        raise wrong_signing_service(allowed[0])
    _check_time(auth, now or datetime.now(UTC), max_skew)


def _payload_hash(hmap: dict[str, list[str]], body: bytes) -> str:
    """The body hash of the canonical request, as botocore computes it.

    botocore uses ``X-Amz-Content-SHA256`` when the header is present. ``UNSIGNED-PAYLOAD``
    is refused for a non-empty body: EC2 parameters live in the body, so they must be signed.
    """
    actual = hashlib.sha256(body).hexdigest()
    declared = _first(hmap, "x-amz-content-sha256")
    if declared is None:
        return actual
    if declared == _UNSIGNED_PAYLOAD and not body:
        return declared
    if declared != actual:
        raise _failure("body does not match X-Amz-Content-SHA256")
    return declared


def _canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted(
        (quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")) for k, v in pairs
    )
    return "&".join(f"{k}={v}" for k, v in encoded)


def _raw_sorted_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


@lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key
