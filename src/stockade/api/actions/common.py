"""Request pieces several families share: tags, TagSpecifications and IpPermissions.

These only move values from the parsed request (botocore member names) into the domain's
request types; checking them is the domain's job (``check_tags``, ``permissions.expand``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from stockade.api.actions.registry import Call
from stockade.domain.errors import AwsError, invalid_combination, invalid_parameter_value
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.tags import RawTags
from stockade.service.contracts import TrackingRequest


def tag_pairs(tags: Iterable[Mapping[str, Any]] | None) -> RawTags:
    """``[{"Key": k, "Value": v}]`` -> ``((k, v), ...)`` (a missing value stays ``None``)."""
    return tuple((t.get("Key"), t.get("Value")) for t in tags or ())  # type: ignore[misc]


def tag_specs(call: Call, *, accepted: Collection[str], default: str) -> dict[str, RawTags]:
    """Tags of the request's ``TagSpecifications`` by resource type.

    A specification without ``ResourceType`` applies to ``default``, the resource the action
    creates ([UNVERIFIED]: AWS requires the type on some calls); a type the action cannot tag
    is ``InvalidParameterValue``. ``accepted`` may hold types stockade accepts but does not
    model (RunInstances' ``volume``); their tags are dropped.
    """
    result: dict[str, RawTags] = {}
    for spec in call.get("TagSpecifications") or ():
        kind = spec.get("ResourceType") or default
        if kind not in accepted:
            raise invalid_parameter_value(
                f"'{kind}' is not a valid taggable resource type for this operation."
            )
        result[kind] = result.get(kind, ()) + tag_pairs(spec.get("Tags"))
    return result


def _ranges(items: Iterable[Mapping[str, Any]] | None, key: str) -> tuple:
    if not items:
        return ()
    return tuple([(item.get(key), item.get("Description")) for item in items])


def _group_pair(pair: Mapping[str, Any]) -> GroupPair:
    get = pair.get
    return GroupPair(
        get("GroupId"),
        get("GroupName"),
        get("UserId"),
        get("VpcId"),
        get("VpcPeeringConnectionId"),
        get("Description"),
    )


def ip_permission(perm: Mapping[str, Any]) -> IpPermission:
    """One ``IpPermissions.N`` element as the domain's request type."""
    get = perm.get
    pairs = get("UserIdGroupPairs")
    return IpPermission(
        get("IpProtocol"),
        get("FromPort"),
        get("ToPort"),
        _ranges(get("IpRanges"), "CidrIp"),
        _ranges(get("Ipv6Ranges"), "CidrIpv6"),
        _ranges(get("PrefixListIds"), "PrefixListId"),
        tuple([_group_pair(pair) for pair in pairs]) if pairs else (),
    )


_LEGACY = ("IpProtocol", "FromPort", "ToPort", "CidrIp", "SourceSecurityGroupName")
_LEGACY_NAMES = frozenset((*_LEGACY, "SourceSecurityGroupOwnerId"))


def ip_permissions(call: Call) -> list[IpPermission]:
    """``IpPermissions``, or the legacy single-rule parameters of the EC2-Classic era.

    Legacy form: ``IpProtocol``/``FromPort``/``ToPort`` with ``CidrIp``, or
    ``SourceSecurityGroupName`` (+ ``SourceSecurityGroupOwnerId``), which without a protocol
    grants the group all of TCP, UDP and ICMP, as the model documents. Both forms at once is
    ``InvalidParameterCombination`` ([UNVERIFIED] AWS's code).
    """
    params = call.params
    perms = [ip_permission(p) for p in params.get("IpPermissions") or ()]
    if not _LEGACY_NAMES.intersection(params):  # the usual request: no legacy parameter
        return perms
    legacy = {name: params[name] for name in _LEGACY if params.get(name) is not None}
    owner = params.get("SourceSecurityGroupOwnerId")
    if not legacy and owner is None:
        return perms
    if perms:
        raise invalid_combination(
            "The parameter IpPermissions cannot be used with the parameter IpProtocol, "
            "FromPort, ToPort, CidrIp or SourceSecurityGroupName"
        )
    cidr, source = legacy.get("CidrIp"), legacy.get("SourceSecurityGroupName")
    pairs = (GroupPair(group_name=source, user_id=owner),) if source or owner else ()
    ranges = ((cidr, None),) if cidr is not None else ()
    protocol = legacy.get("IpProtocol")
    if protocol is None and pairs and not ranges:
        return [
            IpPermission("tcp", 0, 65535, groups=pairs),
            IpPermission("udp", 0, 65535, groups=pairs),
            IpPermission("icmp", -1, -1, groups=pairs),
        ]
    return [
        IpPermission(
            protocol, legacy.get("FromPort"), legacy.get("ToPort"), ip_ranges=ranges, groups=pairs
        )
    ]


def attribute_value(value: Mapping[str, Any] | None) -> Any:
    """The ``Value`` of an ``AttributeValue``/``AttributeBooleanValue`` (``None`` if absent)."""
    return None if value is None else value.get("Value")


def reject_unsupported(call: Call, *names: str) -> None:
    """Refuse parameters stockade does not model, rather than silently ignore them."""
    for name in names:
        if call.get(name) is not None:
            raise AwsError("UnsupportedOperation", f"The parameter {name} is not supported.")


def tracking(spec: Mapping[str, Any] | None) -> TrackingRequest | None:
    """A ``ConnectionTrackingSpecification(Request)`` as the service's request type."""
    if spec is None:
        return None
    return TrackingRequest(
        spec.get("TcpEstablishedTimeout"), spec.get("UdpStreamTimeout"), spec.get("UdpTimeout")
    )


def split_private_ips(listed: Any) -> tuple[str | None, tuple[str, ...]]:
    """A request's ``PrivateIpAddresses`` (``PrivateIpAddressSpecification``s): the one
    marked primary, if any, and the secondary ones in order."""
    items = listed or ()
    primary = next((a.get("PrivateIpAddress") for a in items if a.get("Primary")), None)
    return primary, tuple(a.get("PrivateIpAddress") for a in items if not a.get("Primary"))
