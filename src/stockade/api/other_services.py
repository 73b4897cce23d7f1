"""Requests for AWS services stockade does not serve, answered in *their* protocol.

A client whose ``AWS_ENDPOINT_URL`` points at stockade sends every service's calls here:
Prowler lists IAM, S3, CloudTrail…; Ansible asks IAM who it is. Each SDK parses errors
only in its service's protocol, so an EC2 XML error (or a bare 404) reaches the caller as
an unparseable response, which Prowler turned into wrong findings. Here each such request
gets the error its SDK expects, saying that stockade serves EC2 (and STS
``GetCallerIdentity``) only, with a 4xx status so no SDK retries it, and one log line.

The protocol is read off the request itself, as the SDKs build it:

- ``X-Amz-Target`` header: AWS JSON 1.0/1.1 -> ``{"__type": "UnknownOperationException"}``;
- ``Action=`` in the query or form body: the Query protocol (IAM, STS, SNS, SQS…) ->
  ``<ErrorResponse><Error><Code>InvalidAction</Code>…``;
- anything else is REST: XML for S3, Route 53 and CloudFront (``<ErrorResponse>``, which
  botocore's REST-XML parser reads for all three), JSON with ``x-amzn-ErrorType`` for the
  rest.

A request is foreign when its credential scope names a service other than ``ec2``/``sts``
and its ``Action`` is no EC2 action (an EC2 action signed for another service keeps
EC2's ``SignatureDoesNotMatch``), when it carries ``X-Amz-Target``, when its path is not
``/``, or when it is an STS action other than ``GetCallerIdentity``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from stockade.api import empty_services, sts
from stockade.api.auth import EC2_SERVICE, STS_SERVICE, RawRequest
from stockade.api.model import operation_names
from stockade.api.serialize import XML_DECLARATION, escape_text
from stockade.domain.errors import AwsError
from stockade.domain.printable import escape_control

log = logging.getLogger("stockade.api")

#: Services whose REST protocol is XML (botocore's ``rest-xml``); other REST ones are JSON.
_REST_XML = frozenset({"s3", "route53", "cloudfront"})
_XML_TYPE = "text/xml"
_JSON_TYPE = "application/x-amz-json-1.1"
_REST_JSON_TYPE = "application/json"


@dataclass(frozen=True)
class ForeignRequest:
    """A request for a service stockade does not serve (texts cut and made printable:
    they are echoed in the answer and the log)."""

    service: str  # the credential scope's service, or "unknown" when unsigned
    operation: str  # the Action, the X-Amz-Target operation, or "METHOD /path"
    protocol: str  # query | json | rest-xml | rest-json

    def __post_init__(self) -> None:
        object.__setattr__(self, "service", escape_control(self.service[:64]))
        object.__setattr__(self, "operation", escape_control(self.operation[:128]))

    @property
    def message(self) -> str:
        return (
            f"stockade serves EC2 and STS GetCallerIdentity only; {self.operation} of the "
            f"service '{self.service}' is not supported."
        )


@dataclass(frozen=True)
class ForeignAnswer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]
    code: str


def foreign_request(raw: RawRequest, action: str | None) -> ForeignRequest | None:
    """The request as one for another service, or ``None`` when EC2 (or STS's
    GetCallerIdentity) should answer it."""
    try:
        scope = raw.signer.service  # read once, shared with authentication
    except AwsError:
        scope = None  # an unreadable signature: EC2's authentication answers it
    service = scope or "unknown"
    target = raw.header(b"x-amz-target")
    if target:
        return ForeignRequest(service, target.rsplit(".", 1)[-1], "json")
    rest = "rest-xml" if service in _REST_XML else "rest-json"
    if raw.path != "/":
        return ForeignRequest(service, f"{raw.method} {raw.path}", rest)
    if scope not in (None, EC2_SERVICE, STS_SERVICE):
        if action is None:
            return ForeignRequest(service, f"{raw.method} /", rest)
        if action not in operation_names():
            return ForeignRequest(service, action, "query")
    if scope == STS_SERVICE and action is not None and not sts.is_sts_action(action):
        return None if action in operation_names() else ForeignRequest(service, action, "query")
    return None


def answer(request: ForeignRequest, request_id: str) -> ForeignAnswer:
    """The error document of ``request``'s protocol (and a log line saying what was asked);
    a call with a truthful answer without a model (:mod:`stockade.api.empty_services`)
    gets that instead."""
    known = empty_services.answer(request.service, request.operation, request_id)
    if known is not None:
        return ForeignAnswer(*known)
    log.warning(
        "not served: %s %s (%s protocol); stockade serves EC2 and STS GetCallerIdentity",
        request.service,
        request.operation,
        request.protocol,
    )
    message = request.message
    if request.protocol == "query":
        return ForeignAnswer(
            400, _xml_error("InvalidAction", message, request_id), _XML_TYPE, {}, "InvalidAction"
        )
    code = "UnknownOperationException"
    if request.protocol == "rest-xml":
        return ForeignAnswer(400, _xml_error(code, message, request_id), _XML_TYPE, {}, code)
    body = json.dumps({"__type": code, "message": message}).encode()
    if request.protocol == "json":
        return ForeignAnswer(400, body, _JSON_TYPE, {}, code)
    return ForeignAnswer(
        400, body, _REST_JSON_TYPE, {"x-amzn-ErrorType": code, "x-amzn-RequestId": request_id}, code
    )


def _xml_error(code: str, message: str, request_id: str) -> bytes:
    """The Query/REST-XML error document (``<ErrorResponse>``; ``Sender``: the caller's)."""
    return (
        f"{XML_DECLARATION}<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape_text(code)}</Code><Message>{escape_text(message)}</Message></Error>"
        f"<RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>"
    ).encode()
