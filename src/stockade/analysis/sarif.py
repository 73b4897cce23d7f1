"""Audit findings as SARIF 2.1.0, the format code-scanning tools ingest.

Cloud resources have no source file, so each result is located by a *logical location*
(the resource's ARN); ``security-severity`` carries the grade the way GitHub code scanning
reads it, and ``partialFingerprints`` lets a tool track one finding across runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from stockade import __version__
from stockade.analysis.findings import CHECKS, Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def to_sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    ids = list(CHECKS)
    rules = [
        {
            "id": check.id,
            "name": check.name,
            "shortDescription": {"text": check.summary},
            "fullDescription": {"text": check.help},
            "help": {"text": check.help},
            "defaultConfiguration": {"level": _LEVEL[check.default]},
            "properties": {
                "tags": ["security", "aws", "security-group"],
                "security-severity": _SCORE[check.default],
            },
        }
        for check in CHECKS.values()
    ]
    results = [
        {
            "ruleId": f.check,
            "ruleIndex": ids.index(f.check),
            "level": _LEVEL[f.severity],
            "message": {"text": f.title},
            "locations": [
                {
                    "logicalLocations": [
                        {
                            "name": f.resource_id,
                            "fullyQualifiedName": f.arn,
                            "kind": "resource",
                        }
                    ],
                }
            ],
            "partialFingerprints": {"stockadeFinding/v1": _fingerprint(f)},
            "properties": {
                "severity": f.severity.label,
                "security-severity": _SCORE[f.severity],
                "ruleIds": list(f.rule_ids),
                "vpcId": f.vpc_id,
                "account": f.account,
                "region": f.region,
            },
        }
        for f in findings
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "stockade",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _fingerprint(f: Finding) -> str:
    text = "|".join((f.check, f.account, f.region, f.resource_id, *f.rule_ids, f.title))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
