"""One EC2 Query request, start to finish, as plain synchronous code.

authenticate -> parse (botocore model) -> DryRun -> handler -> serialize. Everything a
client can cause ends as an AWS error document with a 4xx status; anything else is a bug,
logged with its traceback and answered ``InternalError`` (500) without details. Kept free of
ASGI so it runs in a worker thread (the store is synchronous) and is easy to test.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from stockade.api import other_services, sts
from stockade.api.actions import Call, handler_for
from stockade.api.actions.registry import Handler
from stockade.api.auth import EC2_SERVICE, STS_SERVICE, AuthConfig, Caller, RawRequest, identify
from stockade.api.parse import parse_request, request_pairs
from stockade.api.serialize import serialize_error, serialize_response
from stockade.domain import ids
from stockade.domain.errors import AwsError, dry_run
from stockade.domain.quotas import Quotas
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.store.repository import Store, WouldBlock

log = logging.getLogger("stockade.api")

INTERNAL_ERROR = "We encountered an internal error. Please try again."


@dataclass(frozen=True)
class Server:
    """What every request shares: the store, the auth configuration and the quotas."""

    store: Store
    auth: AuthConfig = field(default_factory=AuthConfig)
    quotas: Quotas = field(default_factory=Quotas)


@dataclass
class Outcome:
    """The HTTP answer and what the request log line needs."""

    status: int
    body: bytes
    action: str = "-"
    account: str = "-"
    region: str = "-"
    error_code: str | None = None
    on_loop: bool = False  # run on the event loop rather than a worker thread
    content_type: str | None = None  # another protocol's (a request for another service)
    headers: dict[str, str] = field(default_factory=dict)


#: Writes that touch a handful of rows (one group and its rules, or tags): short enough
#: to run on the event loop when nothing else is in flight (see ``app.py``).
SHORT_WRITES = frozenset(
    {
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsIngress",
        "UpdateSecurityGroupRuleDescriptionsEgress",
        "CreateTags",
        "DeleteTags",
    }
)


def is_short_write(request: RawRequest) -> bool:
    """Whether the request names one of :data:`SHORT_WRITES`, judged by a glance at its
    raw bytes (no parse: a request this cannot read is simply not run on the loop)."""
    return request.glanced_action in SHORT_WRITES


def handle(server: Server, request: RawRequest) -> Outcome:
    """Answer one request (:func:`begin`, then :func:`complete`); never raises, but for
    :class:`WouldBlock` (writes asked not to wait would have had to: nothing was done)."""
    return complete(begin(server, request))


@dataclass
class Pending:
    """A request authenticated and parsed, its handler not run yet (``call`` is ``None``
    when ``outcome`` is already the answer: an error, DryRun, or STS)."""

    outcome: Outcome
    request_id: str
    call: Call | None = None
    handler: Handler | None = None


def begin(server: Server, request: RawRequest) -> Pending:
    """Everything before the handler: authenticate, parse (botocore model), DryRun.

    Why apart from :func:`complete`: the API server does this part of a short write as
    the request arrives, while the previous run of writes is being committed, so that
    only the handler itself holds the writer (see ``app.py``). Never raises."""
    request_id = ids.new_request_id()
    outcome = Outcome(500, b"")
    pending = Pending(outcome, request_id)
    is_sts = False
    try:
        foreign = other_services.foreign_request(request, request.glanced_action)
        if foreign is not None:
            _foreign(outcome, foreign, request_id)
            return pending
        pairs = request_pairs(request.body, request.query_string)
        action = next((v for k, v in pairs if k == "Action"), None)
        outcome.action = (action or "-")[:64]
        is_sts = sts.is_sts_action(action)
        caller = identify(server.auth, request, STS_SERVICE if is_sts else EC2_SERVICE)
        outcome.account, outcome.region = caller.scope.account, caller.scope.region
        if is_sts:
            outcome.status, outcome.body = 200, _caller_identity(caller, request_id)
            return pending
        pending.call, pending.handler = _ec2_call(server, caller, pairs, request_id)
    except AwsError as error:
        outcome.error_code = error.code
        if is_sts:
            outcome.status, outcome.body = sts.sts_error_document(error, request_id)
        else:
            outcome.status, outcome.body = serialize_error(error, request_id)
    except Exception:
        _internal_error(outcome, request_id)
    return pending


def complete(pending: Pending) -> Outcome:
    """Run the handler of a request :func:`begin` prepared and serialize its answer (or
    return the answer :func:`begin` already has). Never raises, but for
    :class:`WouldBlock` (the handler did nothing)."""
    outcome, call = pending.outcome, pending.call
    if call is None or pending.handler is None:
        return outcome
    try:
        data = pending.handler(call)
        outcome.status = 200
        outcome.body = serialize_response(call.action, data, pending.request_id)
    except AwsError as error:
        outcome.error_code = error.code
        outcome.status, outcome.body = serialize_error(error, pending.request_id)
    except WouldBlock:
        raise
    except Exception:
        _internal_error(outcome, pending.request_id)
    return outcome


def _internal_error(outcome: Outcome, request_id: str) -> None:
    log.exception("internal error in %s (request %s)", outcome.action, request_id)
    internal = AwsError("InternalError", INTERNAL_ERROR)
    outcome.error_code = internal.code
    outcome.status, outcome.body = serialize_error(internal, request_id)


def _foreign(outcome: Outcome, request: other_services.ForeignRequest, request_id: str) -> Outcome:
    reply = other_services.answer(request, request_id)
    outcome.action = f"{request.service}:{request.operation}"[:64]
    outcome.status, outcome.body, outcome.error_code = reply.status, reply.body, reply.code
    outcome.content_type, outcome.headers = reply.content_type, reply.headers
    return outcome


def _caller_identity(caller: Caller, request_id: str) -> bytes:
    return sts.caller_identity_document(
        caller.scope.account, caller.arn, caller.access_key or "anonymous", request_id
    )


def _ec2_call(
    server: Server, caller: Caller, pairs: list[tuple[str, str]], request_id: str
) -> tuple[Call, Handler]:
    parsed = parse_request(pairs)
    handler = handler_for(parsed.action)
    if handler is None:
        raise AwsError(
            "UnsupportedOperation", f"The action {parsed.action} is not supported by stockade."
        )
    if parsed.params.get("DryRun"):
        raise dry_run()
    services = Services(ServiceContext(server.store, caller.scope, server.quotas))
    return Call(parsed.action, parsed.params, services, request_id), handler
