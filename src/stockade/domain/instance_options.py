"""What AWS keeps on an instance beside its network: detailed monitoring, the instance
metadata service's options and the IAM instance profile associated with it.

Stockade runs no metadata service and no CloudWatch, and has no IAM: these are kept as
AWS keeps them (so Terraform's and Ansible's reads of what they set come back unchanged)
and have no effect on packets. Each is validated here as EC2 validates it; values are
plain data, stored as resource settings (``store/transaction_settings.py``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from stockade.domain import errors

MONITORING = "monitoring"
METADATA_OPTIONS = "metadata-options"
IAM_INSTANCE_PROFILE = "iam-instance-profile"

_ENABLED_DISABLED = ("enabled", "disabled")
_HOP_LIMIT = range(1, 65)
_PROFILE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):instance-profile/([\w+=,.@/-]{1,128})\Z")
_PROFILE_NAME = re.compile(r"^[\w+=,.@-]{1,128}\Z")


@dataclass(frozen=True)
class MetadataOptions:
    """The instance metadata service's options, AWS's defaults for a launch that names
    none (no account-level defaults are set: GetInstanceMetadataDefaults is empty)."""

    http_tokens: str = "optional"
    http_put_response_hop_limit: int = 1
    http_endpoint: str = "enabled"
    http_protocol_ipv6: str = "disabled"
    instance_metadata_tags: str = "disabled"

    def as_value(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_value(cls, value: dict[str, Any] | None) -> MetadataOptions:
        return cls(**value) if value else cls()


def _one_of(parameter: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise errors.invalid_value(parameter, value)


def changed_metadata_options(
    current: MetadataOptions,
    http_tokens: str | None = None,
    hop_limit: int | None = None,
    http_endpoint: str | None = None,
    http_protocol_ipv6: str | None = None,
    instance_metadata_tags: str | None = None,
) -> MetadataOptions:
    """``current`` with the options given (ModifyInstanceMetadataOptions, RunInstances'
    ``MetadataOptions``); each checked against EC2's values."""
    _one_of("HttpTokens", http_tokens, ("optional", "required"))
    _one_of("HttpEndpoint", http_endpoint, _ENABLED_DISABLED)
    _one_of("HttpProtocolIpv6", http_protocol_ipv6, _ENABLED_DISABLED)
    _one_of("InstanceMetadataTags", instance_metadata_tags, _ENABLED_DISABLED)
    if hop_limit is not None and hop_limit not in _HOP_LIMIT:
        raise errors.invalid_value(
            "HttpPutResponseHopLimit", hop_limit, "It must be between 1 and 64."
        )
    return MetadataOptions(
        http_tokens=current.http_tokens if http_tokens is None else http_tokens,
        http_put_response_hop_limit=(
            current.http_put_response_hop_limit if hop_limit is None else hop_limit
        ),
        http_endpoint=current.http_endpoint if http_endpoint is None else http_endpoint,
        http_protocol_ipv6=(
            current.http_protocol_ipv6 if http_protocol_ipv6 is None else http_protocol_ipv6
        ),
        instance_metadata_tags=(
            current.instance_metadata_tags
            if instance_metadata_tags is None
            else instance_metadata_tags
        ),
    )


@dataclass(frozen=True)
class ProfileAssociation:
    """An instance's IAM instance profile association (one at a time)."""

    association_id: str
    instance_id: str
    arn: str
    timestamp: str  # ISO 8601, UTC

    @property
    def profile_id(self) -> str:
        """The profile's unique id as IAM shows it (``AIPA`` + 17): derived from the ARN,
        since stockade has no IAM to ask."""
        digest = hashlib.sha256(self.arn.encode()).hexdigest().upper()
        return "AIPA" + digest[:17]

    def as_value(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> ProfileAssociation:
        return cls(**value)


def profile_arn(account: str, arn: str | None, name: str | None) -> str:
    """The ARN an ``IamInstanceProfile`` ({Arn} or {Name}) names; a name is the caller's
    account's profile. IAM is not modelled: any well-formed profile is taken to exist."""
    if arn is not None and name is not None:
        raise errors.invalid_combination(
            "The parameter 'iamInstanceProfile.name' may not be used in combination with "
            "'iamInstanceProfile.arn'"
        )
    if arn is not None:
        if not _PROFILE_ARN.match(arn):
            # [UNVERIFIED] AWS's wording for a malformed profile ARN.
            raise errors.invalid_value("IamInstanceProfile.Arn", arn, "Invalid ARN.")
        return arn
    if name is None:
        raise errors.missing_parameter("IamInstanceProfile.Arn or IamInstanceProfile.Name")
    if not _PROFILE_NAME.match(name):
        raise errors.invalid_value("IamInstanceProfile.Name", name)
    return f"arn:aws:iam::{account}:instance-profile/{name}"


@dataclass(frozen=True)
class InstanceOptions:
    """One instance's options as DescribeInstances shows them."""

    monitoring: bool = False
    metadata: MetadataOptions = MetadataOptions()
    profile: ProfileAssociation | None = None


def options_by_instance(
    monitoring: dict[str, Any], metadata: dict[str, Any], profiles: dict[str, Any]
) -> dict[str, InstanceOptions]:
    """Every instance's options that differ from the defaults, from the stored settings
    (``MONITORING``, ``METADATA_OPTIONS``, ``IAM_INSTANCE_PROFILE``, by instance id): what
    DescribeInstances and the export show."""
    return {
        iid: InstanceOptions(
            monitoring=bool(monitoring.get(iid)),
            metadata=MetadataOptions.from_value(metadata.get(iid)),
            profile=ProfileAssociation.from_value(profiles[iid]) if iid in profiles else None,
        )
        for iid in {*monitoring, *metadata, *profiles}
    }
