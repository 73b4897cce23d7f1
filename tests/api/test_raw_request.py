"""RawRequest reads its signer once for everyone who asks (the other-service check and
authentication) and finds single headers without a map of all of them: the answers must be
those of reading the headers afresh each time."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from stockade.api.auth import AuthConfig, Credential, RawRequest, identify
from stockade.api.other_services import foreign_request
from stockade.api.sigv4 import UNSIGNED, parse_auth
from stockade.domain.errors import AwsError

BODY = b"Action=DescribeVpcs&Version=2016-11-15"


def signed(service: str = "ec2", extra: dict[str, str] | None = None) -> RawRequest:
    """A request as the ASGI app sees one that botocore signed (raw, lower-case headers)."""
    request = AWSRequest(
        "POST",
        "http://127.0.0.1:4747/",
        data=BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials("210987654321", "secret"), service, "eu-west-3").add_auth(request)
    headers = [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    headers.append((b"host", b"127.0.0.1:4747"))
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    return RawRequest("POST", "/", b"", headers, BODY)


def test_the_signer_is_what_the_headers_say_and_authentication_uses_it() -> None:
    request = signed()
    assert request.signer == parse_auth(request.headers)
    assert (request.signer.access_key, request.signer.region) == ("210987654321", "eu-west-3")
    assert request.signer is request.signer  # read once
    caller = identify(AuthConfig(), request)
    assert (caller.scope.account, caller.scope.region) == ("210987654321", "eu-west-3")


def test_an_unreadable_signature_fails_every_time_it_is_read() -> None:
    request = RawRequest("POST", "/", b"", [(b"authorization", b"AWS4-HMAC-SHA256 nonsense")], BODY)
    for _ in range(2):  # a failure is raised again, never remembered as a signer
        with pytest.raises(AwsError) as info:
            _ = request.signer
        assert info.value.code == "AuthFailure"
    assert identify(AuthConfig(), request).scope.account == AuthConfig().default_account
    verified = AuthConfig({"AKID": Credential("s", "111122223333")}, verify=True)
    with pytest.raises(AwsError, match="validate"):
        identify(verified, request)
    assert foreign_request(request, "DescribeVpcs") is None  # EC2's authentication answers


def test_an_unsigned_request_has_the_unsigned_signer() -> None:
    assert RawRequest("POST", "/", b"", [], BODY).signer is UNSIGNED


def test_header_gives_the_first_value_of_one_header() -> None:
    request = RawRequest(
        "POST", "/", b"", [(b"X-Amz-Target", b"A.First"), (b"x-amz-target", b"B.Second")], b""
    )
    assert request.header(b"x-amz-target") == "A.First"
    assert request.header(b"x-amz-date") is None


def test_a_json_target_is_another_services_call_named_by_its_signer() -> None:
    request = signed("dynamodb", {"x-amz-target": "DynamoDB_20120810.ListTables"})
    found = foreign_request(request, None)
    assert found is not None
    assert (found.service, found.operation, found.protocol) == ("dynamodb", "ListTables", "json")
    assert foreign_request(signed(), "DescribeVpcs") is None
