"""Who is calling: the (account, region) scope of a request, and whether to believe it.

Two modes, as the EC2 emulators users know have, plus real verification:

- **open** (the default): any signature is accepted. The region comes from the SigV4
  credential scope (``us-east-1`` when the request is unsigned); the access key selects the
  account: one configured in an auth file, else a 12-digit access key *is* the account id
  (moto's convention, so ``--account`` works through the server), else the default account
  ``123456789012``.
- **verified** (``stockade serve --auth FILE``): the file maps access keys to a secret and an
  account; every request must be SigV4-signed with a known key and its secret, else
  ``AuthFailure`` (401).

In verified mode a request is judged twice: :func:`precheck` from the headers alone (known
access key, credential scope of ``ec2`` or ``sts``, signing time) before the server reads
any body, so an anonymous client cannot make it buffer or parse megabytes; then
:func:`identify` with the body (the scope's service must be the action's, and the
signature must verify).

The auth file is JSON: ``{"AKID...": {"secret": "...", "account": "123456789012"}, ...}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from stockade.api import sigv4
from stockade.domain.errors import AwsError
from stockade.domain.scope import DEFAULT_ACCOUNT, DEFAULT_REGION, Scope

_ACCOUNT = re.compile(r"[0-9]{12}")
#: The SigV4 services a request to this endpoint may be signed for: EC2, and STS for
#: ``GetCallerIdentity`` (see :mod:`stockade.api.sts`).
EC2_SERVICE, STS_SERVICE = "ec2", "sts"


@dataclass(frozen=True)
class Credential:
    """One configured access key."""

    secret: str
    account: str


@dataclass(frozen=True)
class Caller:
    """The verified (or, in open mode, asserted) identity of one request."""

    scope: Scope
    access_key: str | None

    @property
    def arn(self) -> str:
        """The caller's ARN for GetCallerIdentity: an IAM user named after the access key
        (stockade has no IAM; root would claim more than the caller proved)."""
        return f"arn:aws:iam::{self.scope.account}:user/{self.access_key or 'anonymous'}"


@dataclass(frozen=True)
class AuthConfig:
    """Access keys and whether signatures must verify (``verify=False``: open mode)."""

    keys: Mapping[str, Credential] = field(default_factory=dict)
    verify: bool = False
    default_account: str = DEFAULT_ACCOUNT

    @classmethod
    def load(cls, path: str | Path) -> AuthConfig:
        """Read an auth file (verified mode); raises ``ValueError`` naming what is wrong."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read auth file {path}: {exc}") from None
        if not isinstance(data, dict) or not data:
            raise ValueError(f"{path}: expected an object of access key -> {{secret, account}}")
        keys: dict[str, Credential] = {}
        for key, entry in data.items():
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: {key}: expected {{'secret': ..., 'account': ...}}")
            secret, account = entry.get("secret"), entry.get("account")
            if not isinstance(secret, str) or not secret:
                raise ValueError(f"{path}: {key}: 'secret' must be a non-empty string")
            if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
                raise ValueError(f"{path}: {key}: 'account' must be 12 digits")
            keys[key] = Credential(secret, account)
        return cls(keys, verify=True)

    def account_for(self, access_key: str | None) -> str:
        """The account an access key acts for (open-mode rules; see the module doc)."""
        if access_key:
            known = self.keys.get(access_key)
            if known is not None:
                return known.account
            if _ACCOUNT.fullmatch(access_key):
                return access_key
        return self.default_account


#: ``Action=Name`` as a whole form field of a body or query string.
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z]+)(?:&|$)")


@dataclass(frozen=True)
class RawRequest:
    """What authentication needs from an HTTP request."""

    method: str
    path: str
    query_string: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @cached_property
    def signer(self) -> sigv4.RequestAuth:
        """Who signed the request (:func:`sigv4.parse_auth`; ``AuthFailure`` when the
        signature cannot be read). Read once per request: both the check for another
        service's call (:mod:`stockade.api.other_services`) and :func:`identify` need it,
        and reading it is ~10 us of a write call's ~300. A failure is not remembered
        (it is raised again: only a refused request pays twice)."""
        return sigv4.parse_auth(self.headers, self.query_string)

    @cached_property
    def glanced_action(self) -> str | None:
        """The ``Action`` the request names, by a glance at its raw bytes (no parse): what
        the server decides on before parsing (is it a short write? another service's
        call?). Read once per request."""
        for source in (self.body, self.query_string):
            found = _ACTION.search(source) if isinstance(source, bytes) else None
            if found:
                return found.group(1).decode()
        return None

    def header(self, name: bytes) -> str | None:
        """The first value of one header (``name`` in lower case), without building a map
        of every header."""
        for key, value in self.headers:
            if key.lower() == name:
                return value.decode("latin-1")
        return None


def precheck(
    config: AuthConfig, headers: list[tuple[bytes, bytes]], query_string: bytes
) -> sigv4.RequestAuth | None:
    """In verified mode, refuse what the headers already condemn, before the body is read:
    no or unreadable signature, unknown access key, a stale signing time. Returns the
    parsed signature (``None`` in open mode, where nothing is checked)."""
    if not config.verify:
        return None
    auth = sigv4.parse_auth(headers, query_string)
    if not auth.signed or config.keys.get(auth.access_key or "") is None:
        raise AwsError("AuthFailure", sigv4.AUTH_FAILURE_MESSAGE)
    # Any service's scope passes here: a call for another service is answered in its own
    # protocol (``other_services``), and an EC2 action signed for another service fails
    # in :func:`identify` once its action is known.
    sigv4.check_headers(auth, service=(auth.service or EC2_SERVICE,))
    return auth


def identify(config: AuthConfig, request: RawRequest, service: str = EC2_SERVICE) -> Caller:
    """The caller of ``request`` for an action of ``service``; ``AuthFailure`` (or
    ``SignatureDoesNotMatch`` for another service's credential scope) when verification is
    on and fails."""
    try:
        auth = request.signer
    except AwsError:
        if config.verify:
            raise
        auth = sigv4.UNSIGNED  # open mode: an unreadable signature is no signature
    if config.verify:
        credential = config.keys.get(auth.access_key or "") if auth.signed else None
        if credential is None:
            raise AwsError("AuthFailure", sigv4.AUTH_FAILURE_MESSAGE)
        sigv4.check_headers(auth, service=service)
        sigv4.verify(
            auth,
            secret=credential.secret,
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            headers=request.headers,
            body=request.body,
        )
        account = credential.account
    else:
        account = config.account_for(auth.access_key)
    return Caller(Scope(account, auth.region or DEFAULT_REGION), auth.access_key)
