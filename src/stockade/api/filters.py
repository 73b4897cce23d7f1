"""The generic ``Filter.N`` engine of EC2 Describe calls.

AWS's rules, applied the same way to every resource kind:

- different filters are ANDed, the values of one filter are ORed;
- names and values are case-sensitive;
- values take ``*`` (any run of characters) and ``?`` (one character); a backslash makes
  the next character literal (``\\*``, ``\\?``, ``\\\\``);
- ``tag:<key>`` filters are open-ended: any key is a valid name; where they are, so are
  ``tag-key`` and ``tag-value`` (EC2 accepts both on every taggable Describe, documented or
  not);
- older names EC2 still accepts (``cidrBlock``, ``isDefault``, ...) stand for the documented
  ones: :data:`FILTER_ALIASES`, one table for every action, applied when the filters are
  compiled so that nothing downstream ever sees an alias;
- an unknown filter name is ``InvalidParameterValue`` "The filter '<name>' is invalid";
- at most :data:`MAX_FILTER_VALUES` values in one call, counted across all its filters
  (``FilterLimitExceeded``, AWS's wording).

The service layer describes each resource as "filter name -> candidate values" (a mapping,
or a function for lazily computed values); a resource matches a filter when *any* of its
candidate values matches *any* of the filter's values. For rule filters that gives AWS's
"some combination of rules, not necessarily a single rule" semantics for free.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockade.api.model import model_filter_names
from stockade.domain.errors import (
    AwsError,
    filter_limit_exceeded,
    invalid_parameter_value,
    missing_parameter,
)

#: AWS's limit on filter values in one Describe call ("The maximum number of filter values
#: specified on a single call is 200"; clients split their id lists at 199 + 1 other value).
MAX_FILTER_VALUES = 200
#: Candidate texts remembered per filter: resources repeat the same values (VPC ids, owner,
#: protocols, CIDRs), so a wildcard filter is evaluated once per distinct text.
_MEMO_SIZE = 4096

#: Allowed-name entry that admits every ``tag:<key>`` filter (as :func:`model_filter_names`).
TAG_FILTERS = "tag:"

#: Older filter names EC2 accepts beside the documented ones: alias -> the documented names
#: it may stand for, tried in order (the first one the action admits wins). Sources: the EC2
#: API reference's "You can also use ... as the filter name" notes (DescribeSubnets'
#: ``cidr``/``cidrBlock``/``availabilityZone``/``availabilityZoneId``/``defaultForAz``), and
#: the names real clients send and AWS answers: Ansible's ``ec2_vpc_net`` looks VPCs up by
#: ``cidr-block`` and ``ec2_instance`` by ``isDefault`` (the pre-2016 DescribeVpcs names).
FILTER_ALIASES: dict[str, tuple[str, ...]] = {
    "cidr": ("cidr-block",),
    "cidrBlock": ("cidr-block", "cidr"),
    "cidr-block": ("cidr",),
    "isDefault": ("is-default",),
    "availabilityZone": ("availability-zone",),
    "availabilityZoneId": ("availability-zone-id",),
    "defaultForAz": ("default-for-az",),
    "availableIpAddressCount": ("available-ip-address-count",),
}
#: Filters every taggable Describe admits with ``tag:<key>`` (see :func:`_allowed`).
_TAG_WIDE = ("tag-key", "tag-value")

Candidates = Mapping[str, Iterable[Any]] | Callable[[str], Iterable[Any]]


def invalid_filter(name: str) -> AwsError:
    return invalid_parameter_value(f"The filter '{name}' is invalid")


def wildcard_regex(value: str) -> re.Pattern[str] | None:
    """The regex for a filter value with wildcards, or ``None`` if it has none (exact match).

    Built like :func:`fnmatch.translate`: each run between stars is matched with an atomic
    lazy group, so a hostile value such as ``*a*a*a*...b`` cannot backtrack exponentially.
    """
    if "*" not in value and "?" not in value and "\\" not in value:
        return None
    segments: list[list[str]] = [[]]
    chars = iter(value)
    for char in chars:
        if char == "*":
            if segments[-1] or len(segments) == 1:
                segments.append([])
            continue
        if char == "\\":
            segments[-1].append(re.escape(next(chars, "\\")))
        elif char == "?":
            segments[-1].append(".")
        else:
            segments[-1].append(re.escape(char))
    parts = ["".join(s) for s in segments]
    if len(parts) == 1:
        return re.compile(parts[0], re.DOTALL)
    middle = "".join(f"(?>.*?{p})" for p in parts[1:-1] if p)
    return re.compile(f"{parts[0]}{middle}.*{parts[-1]}", re.DOTALL)


@dataclass(frozen=True)
class Filter:
    """One ``Filter.N``: its name and its values, split into exact strings and one pattern.

    All wildcard values of the filter are compiled once, into a single alternation, so a
    candidate is tested by one regex call in C rather than one Python call per value; the
    verdict per distinct candidate text is remembered (bounded), which makes the cost of a
    Describe call grow with the distinct texts, not with values x resources x candidates.
    """

    name: str
    values: tuple[str, ...]
    exact: frozenset[str]
    pattern: re.Pattern[str] | None
    _memo: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, name: str, values: Sequence[str]) -> Filter:
        exact, patterns = set(), []
        for value in values:
            pattern = wildcard_regex(value)
            if pattern is None:
                exact.add(value)
            else:
                patterns.append(f"(?:{pattern.pattern})")
        combined = re.compile("|".join(dict.fromkeys(patterns)), re.DOTALL) if patterns else None
        return cls(name, tuple(values), frozenset(exact), combined)

    def accepts(self, candidate: Any) -> bool:
        """Whether one candidate value matches one of this filter's values."""
        if candidate is None:
            return False
        text = _text(candidate)
        if text in self.exact:
            return True
        if self.pattern is None:
            return False
        known = self._memo.get(text)
        if known is None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            known = self._memo[text] = self.pattern.fullmatch(text) is not None
        return known


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class FilterSet:
    """Validated filters of one request; :meth:`matches` tests one resource."""

    def __init__(self, filters: Sequence[Filter]) -> None:
        self.filters = tuple(filters)

    def __bool__(self) -> bool:
        return bool(self.filters)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.filters)

    def values(self, name: str) -> list[str]:
        """All values given for ``name`` (for value checks the service makes, e.g. vpc-id)."""
        return [v for f in self.filters if f.name == name for v in f.values]

    def matches(self, candidates: Candidates) -> bool:
        """Whether a resource, described as filter name -> candidate values, passes all."""
        lookup = candidates if callable(candidates) else _mapping_lookup(candidates)
        return all(any(one.accepts(c) for c in lookup(one.name)) for one in self.filters)

    def select(self, resources: Iterable[Any], describe: Callable[[Any], Candidates]) -> list[Any]:
        """The resources that match, in their order; ``describe`` gives each one's candidates."""
        if not self.filters:
            return list(resources)
        return [r for r in resources if self.matches(describe(r))]


def _mapping_lookup(candidates: Mapping[str, Iterable[Any]]) -> Callable[[str], Iterable[Any]]:
    def lookup(name: str) -> Iterable[Any]:
        return candidates.get(name, ())

    return lookup


def compile_filters(
    filters: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[str]] | None,
    allowed: Collection[str],
) -> FilterSet:
    """Validate request filters against the ``allowed`` names and compile their values.

    ``filters`` is the parsed ``Filters`` list (``[{"Name": ..., "Values": [...]}]``) or a
    plain name -> values mapping. ``allowed`` may hold :data:`TAG_FILTERS` to admit every
    ``tag:<key>``. A filter without values is rejected ([UNVERIFIED] AWS behaviour); more
    than :data:`MAX_FILTER_VALUES` values in all is ``FilterLimitExceeded``, checked before
    anything is compiled.
    """
    if not filters:
        return FilterSet(())
    items: list[Mapping[str, Any]]  # request filters as parsed: names and values unchecked
    if isinstance(filters, Mapping):
        items = [{"Name": name, "Values": list(values)} for name, values in filters.items()]
    else:
        items = list(filters)
    if sum(len(item.get("Values") or ()) for item in items) > MAX_FILTER_VALUES:
        raise filter_limit_exceeded(MAX_FILTER_VALUES)
    compiled = []
    for index, item in enumerate(items, 1):
        name = item.get("Name")
        if name is None:
            raise missing_parameter(f"Filter.{index}.Name")
        canonical = canonical_filter_name(name, allowed)
        if canonical is None:
            raise invalid_filter(name)
        values = item.get("Values") or []
        if not values:
            raise invalid_parameter_value(f"The filter '{name}' requires at least one value")
        compiled.append(Filter.of(canonical, values))
    return FilterSet(compiled)


def canonical_filter_name(name: Any, allowed: Collection[str]) -> str | None:
    """The documented name ``name`` means among the ``allowed`` ones, or ``None`` if it is
    not a filter of this action (an alias resolves only to a name the action admits)."""
    if not isinstance(name, str):
        return None
    if _allowed(name, allowed):
        return name
    return next((c for c in FILTER_ALIASES.get(name, ()) if _allowed(c, allowed)), None)


def _allowed(name: str, allowed: Collection[str]) -> bool:
    if name == TAG_FILTERS:  # the marker itself names no filter
        return False
    if name in allowed:
        return True
    if TAG_FILTERS not in allowed:
        return False
    return name.startswith(TAG_FILTERS) or name in _TAG_WIDE


def filters_for(action: str, filters: Sequence[Mapping[str, Any]] | None) -> FilterSet:
    """Compile ``filters`` against the filter names the model documents for ``action``."""
    return compile_filters(filters, model_filter_names(action))


def tag_candidates(
    tags: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None,
) -> dict[str, list[str]]:
    """``tag:<key>``, ``tag-key`` and ``tag-value`` candidates from a resource's tags.

    Accepts boto3-style ``[{"Key": k, "Value": v}]`` or a plain ``{k: v}`` mapping.
    """
    pairs: Iterable[tuple[Any, Any]]
    if tags is None:
        pairs = ()
    elif isinstance(tags, Mapping):
        pairs = tags.items()
    else:
        pairs = ((t.get("Key"), t.get("Value")) for t in tags)
    result: dict[str, list[str]] = {"tag-key": [], "tag-value": []}
    for key, value in pairs:
        text = "" if value is None else _text(value)
        result.setdefault(f"tag:{key}", []).append(text)
        result["tag-key"].append(_text(key))
        result["tag-value"].append(text)
    return result
