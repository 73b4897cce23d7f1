"""The boto3 EC2 client the remote services share, and its errors as :class:`AwsError`.

The remote services must fail exactly like the local ones, so every botocore error becomes
the :class:`AwsError` the server answered with (same code, same message); a server that
cannot be reached is ``Unavailable``. A request botocore refuses to send (its own parameter
validation) is the error the server would have answered: ``MissingParameter`` or
``InvalidParameterValue``, not ``Unavailable`` — the server was never asked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from stockade.domain.errors import CODES, AwsError
from stockade.shapes.fields import Node, Origin, answer


def make_client(endpoint: str, account: str, region: str) -> Any:
    """An EC2 client for ``endpoint``. Without ``AWS_ACCESS_KEY_ID`` in the environment the
    access key is the account id, which an open-mode server takes as the account; a
    verified-mode server needs real keys (the usual AWS environment variables)."""
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        credentials: dict[str, str] = {}
    else:
        credentials = {"aws_access_key_id": account, "aws_secret_access_key": "stockade"}
    return boto3.session.Session().client(
        "ec2",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        **credentials,
    )


class Remote:
    """Calls on one client, with errors translated; the base of every remote service."""

    def __init__(self, client: Any, account: str, region: str) -> None:
        self.client, self.account, self.region = client, account, region

    @property
    def origin(self) -> Origin:
        return Origin(self.region, self.account)

    def read(self, shape: Any, operation: str) -> Node:
        """A shape of ``operation``'s answer, for the lenient readers in
        :mod:`stockade.shapes` (one reader for the import and the client)."""
        return answer(shape, f"the {operation} answer")

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """``client.<operation>(**params)`` with ``None`` parameters left out."""
        with _translated():
            return getattr(self.client, operation)(**_given(params))

    def pages(self, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated Describe call (botocore's paginator)."""
        with _translated():
            for page in self.client.get_paginator(operation).paginate(**_given(params)):
                yield from page.get(key, [])


def _given(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


@contextmanager
def _translated() -> Iterator[None]:
    """botocore's errors as the :class:`AwsError` the server answered (or ``Unavailable``)."""
    try:
        yield
    except ClientError as exc:
        raise as_aws_error(exc) from None
    except ParamValidationError as exc:
        raise refused_before_sending(exc) from None
    except BotoCoreError as exc:
        raise AwsError("Unavailable", f"The stockade server is unavailable: {exc}") from None


def refused_before_sending(exc: ParamValidationError) -> AwsError:
    """botocore's parameter validation as the API's error (one line: its first problem)."""
    report = str(exc.kwargs.get("report", exc))
    first = next((line.strip() for line in report.splitlines() if line.strip()), report)
    code = "MissingParameter" if first.startswith("Missing required parameter") else None
    return AwsError(code or "InvalidParameterValue", first)


def as_aws_error(exc: ClientError) -> AwsError:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in CODES:
        return AwsError(code, message)
    return AwsError("InternalError", f"{code or 'unknown error'}: {message}")
