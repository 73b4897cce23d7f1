"""Other services' calls that have a truthful answer without modelling the service.

Prowler's security-group checks ask Lambda and Batch which functions and compute
environments use a group (``ec2_securitygroup_not_used``), and it asks Organizations about
the account at start. Stockade models none of these, so the true answer is "none": empty
lists in the service's own JSON, and for Organizations the error AWS gives an account that
belongs to no organization (``AWSOrganizationsNotInUseException``). Everything else of
those services stays refused (:mod:`stockade.api.other_services`).
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger("stockade.api")

_REST_JSON_TYPE = "application/json"
_JSON_TYPE = "application/x-amz-json-1.1"

#: (service, operation as ``other_services`` names it) -> the empty answer's body
EMPTY: dict[tuple[str, str], dict[str, list]] = {
    ("lambda", "GET /2015-03-31/functions"): {"Functions": []},
    ("lambda", "GET /2015-03-31/functions/"): {"Functions": []},
    ("lambda", "GET /2015-03-31/event-source-mappings"): {"EventSourceMappings": []},
    ("lambda", "GET /2015-03-31/event-source-mappings/"): {"EventSourceMappings": []},
    ("batch", "POST /v1/describejobdefinitions"): {"jobDefinitions": []},
    ("batch", "POST /v1/describecomputeenvironments"): {"computeEnvironments": []},
    ("batch", "POST /v1/describejobqueues"): {"jobQueues": []},
}
#: JSON-protocol errors that are AWS's own answer for an account like stockade's
NOT_IN_USE = {
    ("organizations", "DescribeAccount"),
    ("organizations", "DescribeOrganization"),
    ("organizations", "ListPolicies"),
}
_NOT_IN_USE_CODE = "AWSOrganizationsNotInUseException"


def answer(
    service: str, operation: str, request_id: str
) -> tuple[int, bytes, str, dict, str] | None:
    """(status, body, content type, headers, error code or "") for a call answered here,
    else ``None``."""
    body = EMPTY.get((service, operation))
    if body is not None:
        log.info(
            "answered empty: %s %s (stockade models no %s resources)", service, operation, service
        )
        return 200, json.dumps(body).encode(), _REST_JSON_TYPE, {"x-amzn-RequestId": request_id}, ""
    if (service, operation) in NOT_IN_USE:
        error = {
            "__type": _NOT_IN_USE_CODE,
            "message": "Your account is not a member of an organization.",
        }
        return 400, json.dumps(error).encode(), _JSON_TYPE, {}, _NOT_IN_USE_CODE
    return None
