"""STS ``GetCallerIdentity`` on the EC2 endpoint, in the plain Query protocol.

Tools check "who am I" before anything else (``aws sts get-caller-identity``), so stockade
answers it on the same endpoint. STS speaks the *query* protocol, not EC2's: the result
sits in a ``<GetCallerIdentityResult>`` wrapper, the request id in ``<ResponseMetadata>``,
and errors are ``<ErrorResponse>`` documents with a ``Type``. It is one fixed action, so it
is written by hand here rather than through the EC2 model.
"""

from __future__ import annotations

from stockade.api.serialize import XML_DECLARATION, escape_text
from stockade.domain.errors import AwsError

STS_ACTION = "GetCallerIdentity"
STS_VERSION = "2011-06-15"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


def is_sts_action(action: str | None) -> bool:
    """Whether a request's ``Action`` is the STS call stockade serves (EC2 has no such name)."""
    return action == STS_ACTION


def caller_identity_document(account: str, arn: str, user_id: str, request_id: str) -> bytes:
    """The success document of ``GetCallerIdentity``."""
    return (
        f'{XML_DECLARATION}<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}">'
        f"<GetCallerIdentityResult><Arn>{escape_text(arn)}</Arn>"
        f"<UserId>{escape_text(user_id)}</UserId><Account>{escape_text(account)}</Account>"
        f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{escape_text(request_id)}"
        "</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    ).encode()


def sts_error_document(error: AwsError, request_id: str) -> tuple[int, bytes]:
    """HTTP status and query-protocol error document (``Sender`` for 4xx, else ``Receiver``)."""
    kind = "Sender" if error.status < 500 else "Receiver"
    body = (
        f'{XML_DECLARATION}<ErrorResponse xmlns="{STS_NAMESPACE}"><Error><Type>{kind}</Type>'
        f"<Code>{escape_text(error.code)}</Code><Message>{escape_text(error.message)}</Message>"
        f"</Error><RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>"
    ).encode()
    return error.status, body
