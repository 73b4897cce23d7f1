"""``/health`` counts the calls stockade did not serve, so a client run (Prowler, Ansible)
can assert that every call it made was answered."""

from __future__ import annotations

import json
import urllib.request

import pytest
from api_server.api_helpers import client, raw
from botocore.exceptions import ClientError

from stockade.api.app import create_app, serving
from stockade.store.sql import SqlStore


def _refused(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint}/health", timeout=30) as response:
        return json.loads(response.read())["refused"]


def test_health_counts_calls_not_served(tmp_path):
    store = SqlStore.open(str(tmp_path / "s.db"))
    try:
        with serving(create_app(store)) as endpoint:
            ec2 = client(endpoint, "123456789012")
            ec2.describe_vpcs()
            ec2.describe_flow_logs()
            # a bad parameter is refused on its merits: served, not counted
            with pytest.raises(ClientError):
                ec2.describe_vpcs(VpcIds=["nope"])
            assert _refused(endpoint) == {"count": 0, "actions": {}}
            status, _ = raw(endpoint, "Action=NoSuchAction&Version=2016-11-15")
            assert status == 400
            status, _ = raw(endpoint, "Version=2016-11-15")  # MissingAction
            assert status == 400
            ssm = client(endpoint, "123456789012", service="ssm")
            with pytest.raises(ClientError):
                ssm.list_documents()
            refused = _refused(endpoint)
            assert refused["count"] == 3
            assert refused["actions"]["ssm:ListDocuments"] == 1
    finally:
        store.close()


def test_prowlers_other_service_calls_get_truthful_empty_answers(endpoint):
    """Prowler's security-group checks ask Lambda and Batch which resources use a group,
    and Organizations about the account: stockade models none, so "none" is the answer."""
    account = "123456789012"
    assert client(endpoint, account, service="lambda").list_functions()["Functions"] == []
    mappings = client(endpoint, account, service="lambda").list_event_source_mappings()
    assert mappings["EventSourceMappings"] == []
    batch = client(endpoint, account, service="batch")
    assert batch.describe_compute_environments()["computeEnvironments"] == []
    assert batch.describe_job_definitions()["jobDefinitions"] == []
    organizations = client(endpoint, account, service="organizations")
    with pytest.raises(ClientError) as info:
        organizations.describe_account(AccountId=account)
    assert info.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    with pytest.raises(ClientError) as info:  # the rest of those services stays refused
        client(endpoint, account, service="lambda").list_layers()
    assert info.value.response["Error"]["Code"] == "UnknownOperationException"
