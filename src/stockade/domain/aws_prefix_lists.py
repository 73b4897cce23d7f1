"""AWS-managed prefix lists: the read-only lists AWS keeps in every region.

Real accounts see lists such as ``com.amazonaws.us-east-1.s3`` (owner ``AWS``) next to their
own, and write rules and routes against them ("egress to S3's prefix list"). Stockade holds
no copy of them in the store: this catalogue is a pure, deterministic function of the
region, and the store's scope-aware reads add it (``store/aws_lists.py``), so every face
(rules, routes, the policy engine, exposure, the data plane, import) sees the same lists
without knowing they are special.

What is AWS's and what is not:

* the names and weights are AWS's ("AWS-managed prefix list weight" in the VPC user guide):
  a rule referencing a list costs its weight against the group's rule quota, so here
  ``max_entries`` is the weight (``PrefixList.weight`` reads ``max_entries``);
* the ids are stable stand-ins (``pl-`` + 8 hex, the short form AWS uses for its lists,
  derived from the region and the name), not AWS's ids;
* the CIDRs are **stand-ins from the documentation ranges** (198.51.100.0/24,
  203.0.113.0/24, 2001:db8::/32), a few per list — not AWS's current ranges, which change
  weekly and are public addresses the simulated world must never use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from stockade.domain.prefix_list import PrefixList, PrefixListEntry

#: The owner id AWS reports for its lists (``DescribeManagedPrefixLists`` ``OwnerId``).
AWS_OWNER = "AWS"

#: The "global" lists carry no region in their name; the rest are ``com.amazonaws.<region>.*``.
_REGION = "{region}"


@dataclass(frozen=True)
class _Template:
    name: str  # with ``{region}`` where the region goes
    family: str
    weight: int
    cidrs: tuple[str, ...]  # stand-ins, each list its own documentation sub-range
    #: also served by the older ``DescribePrefixLists`` (gateway-endpoint service lists)
    service_list: bool = False


_TEMPLATES: tuple[_Template, ...] = (
    _Template("com.amazonaws.{region}.s3", "IPv4", 1, ("198.51.100.128/26",), True),
    _Template("com.amazonaws.{region}.dynamodb", "IPv4", 1, ("198.51.100.192/27",), True),
    _Template(
        "com.amazonaws.global.cloudfront.origin-facing",
        "IPv4",
        55,
        ("203.0.113.128/28", "203.0.113.144/28", "203.0.113.160/28", "203.0.113.176/28"),
    ),
    _Template(
        "com.amazonaws.global.ipv6.cloudfront.origin-facing",
        "IPv6",
        55,
        ("2001:db8:cf00::/48", "2001:db8:cf01::/48", "2001:db8:cf02::/48"),
    ),
    _Template(
        "com.amazonaws.{region}.ec2-instance-connect",
        "IPv4",
        2,
        ("198.51.100.224/29", "198.51.100.232/29"),
    ),
    _Template(
        "com.amazonaws.{region}.route53-healthchecks",
        "IPv4",
        25,
        ("203.0.113.192/28", "203.0.113.208/28", "203.0.113.224/28"),
    ),
)


def aws_list_id(region: str, name: str) -> str:
    """The stable stand-in id of an AWS list in a region (``pl-`` + 8 hex)."""
    digest = hashlib.sha256(f"{region}\0{name}".encode()).hexdigest()
    return f"pl-{digest[:8]}"


def _build(template: _Template, region: str) -> PrefixList:
    name = template.name.replace(_REGION, region)
    return PrefixList(
        prefix_list_id=aws_list_id(region, name),
        name=name,
        address_family=template.family,
        max_entries=template.weight,
        version=1,
        owner_id=AWS_OWNER,
        region=region,
        entries=tuple(sorted(PrefixListEntry(c) for c in template.cidrs)),
    )


@cache
def aws_prefix_lists(region: str) -> tuple[PrefixList, ...]:
    """Every AWS-managed list of a region, in catalogue order."""
    return tuple(_build(t, region) for t in _TEMPLATES)


@cache
def _by_id(region: str) -> Mapping[str, PrefixList]:
    return {p.prefix_list_id: p for p in aws_prefix_lists(region)}


def aws_prefix_list(region: str, prefix_list_id: str) -> PrefixList | None:
    """The region's AWS list of that id, if it is one."""
    return _by_id(region).get(prefix_list_id)


def aws_prefix_list_named(region: str, name: str) -> PrefixList | None:
    """The region's AWS list of that name (how an imported reference is recognised)."""
    return next((p for p in aws_prefix_lists(region) if p.name == name), None)


#: The services whose lists the older ``DescribePrefixLists`` serves (gateway endpoints).
_SERVICE_SUFFIXES = tuple(
    t.name.rsplit(_REGION, 1)[1] for t in _TEMPLATES if t.service_list
)  # (".s3", ".dynamodb")


def is_service_list(prefix_list: PrefixList) -> bool:
    """Whether ``DescribePrefixLists`` shows the list: AWS's list of a gateway-endpoint
    service of the list's region (``com.amazonaws.<region>.s3`` / ``.dynamodb``), whether
    from the catalogue or imported with its real id."""
    stem = f"com.amazonaws.{prefix_list.region}"
    return is_aws_managed(prefix_list) and any(
        prefix_list.name == stem + suffix for suffix in _SERVICE_SUFFIXES
    )


def is_aws_managed(prefix_list: PrefixList) -> bool:
    """Whether a list is AWS's (read-only: no modify, delete or tags)."""
    return prefix_list.owner_id == AWS_OWNER
