"""SigV4: requests signed by botocore's own signer verify; any tampering is AuthFailure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.api.auth import AuthConfig, Credential, RawRequest, identify, precheck
from stockade.api.sigv4 import UNSIGNED, check_headers, parse_auth, verify
from stockade.domain.errors import AwsError

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BODY = b"Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=sg-1&Filter.1.Value.1=a+b%2A"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def sign(
    *,
    method: str = "POST",
    url: str = "http://127.0.0.1:4747/",
    body: bytes = BODY,
    headers: dict | None = None,
    token: str | None = None,
    region: str = "us-east-1",
    service: str = "ec2",
) -> dict:
    """A request as the server would see it after botocore signed it."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or FORM))
    SigV4Auth(Credentials(ACCESS_KEY, SECRET, token), service, region).add_auth(request)
    sent = dict(request.headers.items())
    sent["Host"] = urlsplit(url).netloc  # added by the HTTP client, signed by botocore
    parts = urlsplit(request.url)
    return {
        "method": method,
        "path": parts.path or "/",
        "query_string": parts.query,
        "headers": sent,
        "body": body,
    }


def check(request: dict, secret: str = SECRET, **kwargs) -> None:
    auth = parse_auth(request["headers"], request["query_string"])
    verify(
        auth,
        secret=secret,
        method=request["method"],
        path=request["path"],
        query_string=request["query_string"],
        headers=request["headers"],
        body=request["body"],
        **kwargs,
    )


def failure(request: dict, **kwargs) -> AwsError:
    with pytest.raises(AwsError) as info:
        check(request, **kwargs)
    return info.value


def test_botocore_post_verifies_and_reports_the_signer() -> None:
    request = sign()
    check(request)
    auth = parse_auth(request["headers"])
    assert (auth.signed, auth.access_key, auth.region, auth.service) == (
        True,
        ACCESS_KEY,
        "us-east-1",
        "ec2",
    )
    assert auth.date == request["headers"]["X-Amz-Date"][:8]
    assert "host" in auth.signed_headers and "x-amz-date" in auth.signed_headers


def test_temporary_credentials_carry_the_token() -> None:
    request = sign(token="session-token")
    check(request)
    assert parse_auth(request["headers"]).security_token == "session-token"
    assert "x-amz-security-token" in parse_auth(request["headers"]).signed_headers


def test_other_region_and_sts_service() -> None:
    request = sign(
        region="eu-west-3", service="sts", body=b"Action=GetCallerIdentity&Version=2011-06-15"
    )
    check(request)
    auth = parse_auth(request["headers"])
    assert (auth.region, auth.service) == ("eu-west-3", "sts")


def test_get_with_query_string_verifies() -> None:
    url = (
        "http://localhost:4747/?Action=DescribeSecurityGroups&Version=2016-11-15"
        "&Filter.1.Name=tag%3AName&Filter.1.Value.1=web%20%2A&GroupId.1=sg-1"
    )
    check(sign(method="GET", url=url, body=b"", headers={}))


def test_date_header_instead_of_x_amz_date() -> None:
    headers = dict(FORM, Date="Mon, 01 Jan 2024 00:00:00 GMT")
    request = sign(headers=headers)
    assert "X-Amz-Date" not in request["headers"]
    check(request, max_skew=None)


def test_presigned_url_verifies() -> None:
    request = AWSRequest(
        method="GET",
        url="http://127.0.0.1:4747/",
        params={"Action": "DescribeSecurityGroups", "Version": "2016-11-15"},
    )
    SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET), "ec2", "us-east-1", expires=60).add_auth(
        request
    )
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers = {"Host": parts.netloc}
    auth = parse_auth(headers, parts.query)
    assert auth.presigned and auth.access_key == ACCESS_KEY
    verify(
        auth,
        secret=SECRET,
        method="GET",
        path="/",
        query_string=parts.query,
        headers=headers,
        body=b"",
    )
    with pytest.raises(AwsError) as info:
        verify(
            auth,
            secret=SECRET,
            method="GET",
            path="/",
            query_string=parts.query,
            headers=headers,
            body=b"",
            now=datetime.now(UTC) + timedelta(minutes=5),
        )
    assert info.value.code == "RequestExpired"
    tampered = parts.query.replace("DescribeSecurityGroups", "DescribeInstances")
    with pytest.raises(AwsError) as info:
        verify(
            parse_auth(headers, tampered),
            secret=SECRET,
            method="GET",
            path="/",
            query_string=tampered,
            headers=headers,
            body=b"",
        )
    assert info.value.code == "AuthFailure"


def test_unsigned_requests_are_reported_and_rejected_by_verify() -> None:
    assert parse_auth(FORM) is UNSIGNED
    assert parse_auth({}).signed is False
    error = failure(
        {"method": "POST", "path": "/", "query_string": "", "headers": FORM, "body": BODY}
    )
    assert error.code == "AuthFailure" and error.status == 401


def _tamper_header(name: str, value: str) -> dict:
    request = sign()
    request["headers"][name] = value
    return request


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(dict(sign(), body=BODY.replace(b"sg-1", b"sg-2")), id="body"),
        pytest.param(dict(sign(), body=BODY + b"&DryRun=true"), id="body-appended"),
        pytest.param(_tamper_header("Content-Type", "text/plain"), id="signed-header"),
        pytest.param(_tamper_header("Host", "127.0.0.1:4748"), id="host"),
        pytest.param(dict(sign(), method="PUT"), id="method"),
        pytest.param(dict(sign(), path="/other"), id="path"),
        pytest.param(dict(sign(), query_string="Action=X"), id="query"),
    ],
)
def test_tampering_is_auth_failure(request_: dict) -> None:
    error = failure(request_)
    assert error.code == "AuthFailure"
    assert error.message == "AWS was not able to validate the provided access credentials"


def test_wrong_secret_is_auth_failure() -> None:
    assert failure(sign(), secret="not-the-secret").code == "AuthFailure"


def test_tampered_date_is_auth_failure() -> None:
    request = sign()
    stamp = request["headers"]["X-Amz-Date"]
    later = (datetime.strptime(stamp, "%Y%m%dT%H%M%SZ") + timedelta(seconds=1)).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    request["headers"]["X-Amz-Date"] = later
    assert failure(request).code == "AuthFailure"


def test_tampered_credential_scope_is_auth_failure() -> None:
    request = sign()
    auth = request["headers"]["Authorization"]
    # (the access key itself is not signed: the server picks the secret by it)
    for old, new in (("us-east-1", "us-west-2"), ("/ec2/", "/sts/")):
        request["headers"]["Authorization"] = auth.replace(old, new)
        assert failure(request).code == "AuthFailure", old


def test_missing_signed_header_is_auth_failure() -> None:
    request = sign()
    del request["headers"]["Content-Type"]
    assert failure(request).code == "AuthFailure"


def test_content_sha256_header_must_match_body() -> None:
    request = sign(headers=dict(FORM, **{"X-Amz-Content-SHA256": "0" * 64}))
    assert failure(request).code == "AuthFailure"


def test_stale_request_is_request_expired() -> None:
    request = sign()
    error = failure(request, now=datetime.now(UTC) + timedelta(minutes=20))
    assert error.code == "RequestExpired"
    check(request, now=datetime.now(UTC) + timedelta(minutes=20), max_skew=None)


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS AKID:signature",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, "
        "SignedHeaders=Host, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2, "
        "SignedHeaders=host, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host, Signature=xyz",
    ],
)
def test_malformed_authorization_is_auth_failure(authorization: str) -> None:
    with pytest.raises(AwsError) as info:
        parse_auth({"Authorization": authorization})
    assert info.value.code == "AuthFailure"


@settings(max_examples=300, deadline=None)
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "Authorization",
                "X-Amz-Date",
                "Date",
                "Host",
                "Content-Type",
                "X-Amz-Content-SHA256",
                "X-Amz-Security-Token",
            ]
        ),
        st.one_of(
            st.text(max_size=200),
            st.builds(lambda s: "AWS4-HMAC-SHA256 Credential=" + s, st.text(max_size=200)),
        ),
    ),
    query=st.text(max_size=200),
    body=st.binary(max_size=100),
)
def test_fuzzed_auth_only_raises_aws_errors(headers: dict, query: str, body: bytes) -> None:
    try:
        auth = parse_auth(headers, query)
        verify(
            auth,
            secret=SECRET,
            method="POST",
            path="/",
            query_string=query,
            headers=headers,
            body=body,
        )
    except AwsError as error:
        assert error.code in ("AuthFailure", "RequestExpired")


def test_raw_asgi_header_bytes_are_accepted() -> None:
    request = sign()
    raw = [
        (k.lower().encode("latin-1"), str(v).encode("latin-1"))
        for k, v in request["headers"].items()
    ]
    auth = parse_auth(raw)
    verify(
        auth,
        secret=SECRET,
        method="POST",
        path="/",
        query_string="",
        headers=raw,
        body=request["body"],
    )


def test_unsigned_payload_is_refused_for_a_body() -> None:
    request = sign(headers=dict(FORM, **{"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    assert failure(request).code == "AuthFailure"
    check(
        sign(
            method="GET",
            url="http://h/?Action=DescribeVpcs",
            body=b"",
            headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
        )
    )


def test_failure_reason_is_kept_for_logs_only() -> None:
    request = sign()
    error = failure(dict(request, body=b"tampered"))
    assert error.message == "AWS was not able to validate the provided access credentials"
    assert any("signature mismatch" in note for note in getattr(error, "__notes__", []))


def test_asgi_query_string_bytes() -> None:
    url = "http://localhost:4747/?Action=DescribeVpcs&Version=2016-11-15"
    request = sign(method="GET", url=url, body=b"", headers={})
    request["query_string"] = request["query_string"].encode()
    check(request)


def _presigned_query(expires: int) -> tuple[dict, str]:
    request = AWSRequest(
        method="GET",
        url="http://127.0.0.1:4747/",
        params={"Action": "DescribeVpcs", "Version": "2016-11-15"},
    )
    SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET), "ec2", "us-east-1", expires=expires).add_auth(
        request
    )
    parts = urlsplit(request.prepare().url)
    return {"Host": parts.netloc}, parts.query


def test_presigned_url_lives_for_its_own_expiry_not_the_clock_skew() -> None:
    """Regression: a presigned URL used to expire after 15 minutes whatever X-Amz-Expires said."""
    headers, query = _presigned_query(3600)
    auth = parse_auth(headers, query)

    def at(minutes: int) -> None:
        verify(auth, secret=SECRET, method="GET", path="/", query_string=query, headers=headers,
               body=b"", now=datetime.now(UTC) + timedelta(minutes=minutes))  # fmt: skip

    at(20)
    at(59)
    for late in (61, 24 * 60):
        with pytest.raises(AwsError) as info:
            at(late)
        assert info.value.code == "RequestExpired"
    with pytest.raises(AwsError) as info:  # signed in the future, beyond the skew
        at(-20)
    assert info.value.code == "RequestExpired"


def test_presigned_expiry_over_seven_days_is_refused() -> None:
    headers, query = _presigned_query(60)
    with pytest.raises(AwsError) as info:
        parse_auth(headers, query.replace("X-Amz-Expires=60", "X-Amz-Expires=604801"))
    assert info.value.code == "AuthFailure"
    assert parse_auth(headers, query.replace("X-Amz-Expires=60", "X-Amz-Expires=604800")).expires


@pytest.mark.parametrize("service", ["sts", "s3", "anything"])
def test_credential_scope_must_name_the_service(service: str) -> None:
    request = sign(service=service)
    auth = parse_auth(request["headers"], request["query_string"])
    check(request)  # the signature itself is fine...
    with pytest.raises(AwsError) as info:  # ...but not for EC2
        check_headers(auth, service="ec2")
    assert info.value.code == "SignatureDoesNotMatch"
    assert info.value.status == 403
    assert info.value.message == "Credential should be scoped to correct service: 'ec2'. "


def test_identify_checks_the_service_of_the_action_and_precheck_needs_no_body() -> None:
    config = AuthConfig({ACCESS_KEY: Credential(SECRET, "111111111111")}, verify=True)
    for service, action_service, ok in [
        ("ec2", "ec2", True),
        ("sts", "sts", True),
        ("sts", "ec2", False),
        ("ec2", "sts", False),
    ]:
        request = sign(service=service)
        raw = RawRequest(request["method"], request["path"], request["query_string"].encode(),
                         list(request["headers"].items()), request["body"])  # fmt: skip
        if ok:
            assert identify(config, raw, action_service).scope.account == "111111111111"
        else:
            with pytest.raises(AwsError, match="SignatureDoesNotMatch"):
                identify(config, raw, action_service)
    # another service's scope passes the precheck (its call is answered in its own protocol,
    # api/other_services.py); an EC2 action under it still fails once the action is known
    s3 = sign(service="s3")
    headers = [(k.encode(), v.encode()) for k, v in s3["headers"].items()]
    assert precheck(config, headers, b"").service == "s3"  # type: ignore[union-attr]
    raw = RawRequest(s3["method"], s3["path"], s3["query_string"].encode(), headers, s3["body"])
    with pytest.raises(AwsError, match="SignatureDoesNotMatch"):
        identify(config, raw, "ec2")
    with pytest.raises(AwsError, match="AuthFailure"):
        precheck(config, [(b"host", b"127.0.0.1")], b"")
    assert precheck(AuthConfig(), [], b"") is None  # open mode checks nothing
