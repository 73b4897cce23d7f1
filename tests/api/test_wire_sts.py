"""STS GetCallerIdentity documents, read back by botocore's query-protocol parser."""

from __future__ import annotations

import botocore.parsers
from botocore.loaders import Loader
from botocore.model import ServiceModel

from stockade.api.sts import caller_identity_document, is_sts_action, sts_error_document
from stockade.domain.errors import AwsError

STS = ServiceModel(Loader().load_service_model("sts", "service-2"), "sts")
OUTPUT = STS.operation_model("GetCallerIdentity").output_shape


def _parse(body: bytes, status: int = 200) -> dict:
    parser = botocore.parsers.create_parser("query")
    return parser.parse({"body": body, "headers": {}, "status_code": status}, OUTPUT)


def test_caller_identity_round_trip() -> None:
    arn = "arn:aws:iam::123456789012:user/alice"
    parsed = _parse(caller_identity_document("123456789012", arn, "AKIDEXAMPLE", "rid"))
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"
    parsed.pop("ResponseMetadata")
    assert parsed == {"Account": "123456789012", "Arn": arn, "UserId": "AKIDEXAMPLE"}


def test_sts_error_document() -> None:
    status, body = sts_error_document(AwsError("AuthFailure", "no <way>"), "rid")
    parsed = _parse(body, status)
    assert status == 401
    assert parsed["Error"]["Code"] == "AuthFailure" and parsed["Error"]["Message"] == "no <way>"
    assert parsed["Error"]["Type"] == "Sender"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"


def test_is_sts_action() -> None:
    assert is_sts_action("GetCallerIdentity") and not is_sts_action("DescribeVpcs")
