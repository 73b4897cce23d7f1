"""Helpers shared by the API server tests (importable as ``api_server.api_helpers``)."""

from __future__ import annotations

import http.client
import json
import subprocess
from urllib.parse import urlparse

import boto3
from botocore.config import Config


def client(endpoint: str, account: str, service: str = "ec2", region: str = "us-east-1", **kw):
    """A boto3 client acting as ``account`` (open mode), with no retries to hide errors."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **kw),
    )


def out(result: subprocess.CompletedProcess) -> dict:
    """The JSON an aws cli run printed."""
    return json.loads(result.stdout)


def raw(endpoint: str, body: str | bytes, method: str = "POST", path: str = "/", headers=None):
    """A raw HTTP request (unsigned unless ``headers`` sign it): (status, body text)."""
    url = urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    data = body.encode() if isinstance(body, str) else body
    if method == "GET":
        conn.request("GET", f"{path}?{data.decode()}" if data else path, headers=headers or {})
    else:
        sent = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        conn.request(method, path, data, {**sent, **(headers or {})})
    response = conn.getresponse()
    try:
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()
