"""The common half of every Describe call: filters over EC2 shapes, then one page.

AWS's filter names mirror the fields of the shapes a Describe call returns
(``attachment.instance-id`` is ``Attachment.InstanceId``), so candidates are read from the
very dicts :mod:`stockade.shapes` builds: each dotted segment of a filter name becomes a
shape key (kebab-case to PascalCase, also trying the ``s``/``Set`` plural), lists are walked
transparently. Names that do not follow the pattern (``instance-state-name`` is
``State.Name``) are given per resource as aliases. A filter on a field the resource does not
have matches nothing, as in AWS. ``tag:<key>``, ``tag-key`` and ``tag-value`` come from the
shape's ``Tags``/``TagSet``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from stockade.api import pagination
from stockade.api.actions.registry import Call
from stockade.api.filters import FilterSet, filters_for, tag_candidates

#: filter name -> a dotted path of literal shape keys, or a function of the shape.
Aliases = Mapping[str, str | Callable[[Mapping[str, Any]], Iterable[Any]]]


@cache
def _keys(segment: str) -> tuple[str, ...]:
    """Shape keys a kebab-case filter segment may name: ``ip-address`` -> ``IpAddress``…"""
    pascal = "".join(part[:1].upper() + part[1:] for part in segment.split("-"))
    return (pascal, pascal + "s", pascal + "Set")


def values_at(node: Any, path: Sequence[Sequence[str]]) -> list[Any]:
    """Every value under ``path`` (each step: keys to try), walking lists transparently."""
    current = [node]
    for keys in path:
        following: list[Any] = []
        for item in current:
            if not isinstance(item, Mapping):
                continue
            for key in keys:
                if key in item:
                    value = item[key]
                    if isinstance(value, list):
                        following.extend(value)
                    elif value is not None:
                        following.append(value)
                    break
        current = following
    return [v for v in current if not isinstance(v, Mapping | list)]


def shape_candidates(shape: Mapping[str, Any], aliases: Aliases = {}) -> Callable[[str], list]:  # noqa: B006
    """The filter-candidate lookup of one resource shape (for :meth:`FilterSet.matches`)."""
    tags: dict[str, list[str]] | None = None

    def lookup(name: str) -> list[Any]:
        nonlocal tags
        alias = aliases.get(name)
        if callable(alias):
            return list(alias(shape))
        if alias is not None:
            return values_at(shape, [(key,) for key in alias.split(".")])
        if name.startswith("tag:") or name in ("tag-key", "tag-value"):
            if tags is None:
                tags = tag_candidates(shape.get("Tags", shape.get("TagSet")))
            return tags.get(name, [])
        return values_at(shape, [_keys(segment) for segment in name.split(".")])

    return lookup


def filters(call: Call) -> FilterSet:
    """The request's ``Filters``, validated against the names the model documents."""
    return filters_for(call.action, call.get("Filters"))


def select(
    call: Call,
    shapes: Iterable[Mapping[str, Any]],
    aliases: Aliases = {},  # noqa: B006
    fs: FilterSet | None = None,
) -> list[Mapping[str, Any]]:
    """The shapes passing the request's filters (all of them when there are none)."""
    fs = filters(call) if fs is None else fs
    if not fs:
        return list(shapes)
    return [s for s in shapes if fs.matches(shape_candidates(s, aliases))]


def page(
    call: Call,
    items: Sequence[Any],
    key: Callable[[Any], str],
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the next token (``None`` on the last page)."""
    max_results = pagination.check_max_results(
        call.action, call.get("MaxResults"), minimum=minimum, maximum=maximum
    )
    fingerprint = pagination.query_fingerprint(call.params, f"{call.account}/{call.region}")
    return pagination.paginate(
        items,
        key,
        max_results=max_results,
        next_token=call.get("NextToken"),
        fingerprint=fingerprint,
    )


def with_token(data: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        data["NextToken"] = token
    return data
