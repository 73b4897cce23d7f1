"""Tags: validation of EC2 tag keys and values (case-sensitive, ``aws:`` reserved)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from stockade.domain import errors

MAX_TAGS_PER_RESOURCE = 50
MAX_KEY_LENGTH = 128  # the docs say 128, the model text 127; AWS accepts 128
MAX_VALUE_LENGTH = 256

#: Checked tags: what a resource carries.
Tags = tuple[tuple[str, str], ...]
#: (key, value) pairs as a request gave them (a missing value is ``None``); the services
#: take these and check them with :func:`check_tags`.
RawTags = tuple[tuple[str, str | None], ...]


def check_tags(pairs: Iterable[tuple[str, str | None]]) -> Tags:
    """Validate tags to set; a missing value means the empty string, as in EC2."""
    out: dict[str, str] = {}
    for key, value in pairs:
        if key is None or key == "":
            raise errors.invalid_parameter_value("Tag keys must not be empty")
        if len(key) > MAX_KEY_LENGTH:
            raise errors.invalid_parameter_value(
                f"Tag key exceeds the maximum length of {MAX_KEY_LENGTH} characters"
            )
        if key.lower().startswith("aws:"):
            raise errors.invalid_parameter_value(
                "Tag keys starting with 'aws:' are reserved for internal use"
            )
        value = value or ""
        if len(value) > MAX_VALUE_LENGTH:
            raise errors.invalid_parameter_value(
                f"Tag value exceeds the maximum length of {MAX_VALUE_LENGTH} characters"
            )
        out[key] = value
    return tuple(out.items())


def merged(existing: Mapping[str, str], new: Tags) -> dict[str, str]:
    """Existing tags overwritten by ``new``; raises TagLimitExceeded past 50 tags."""
    result = dict(existing)
    result.update(new)
    if len(result) > MAX_TAGS_PER_RESOURCE:
        raise errors.error(
            "TagLimitExceeded",
            "The maximum number of Tags for a resource has been reached "
            f"({MAX_TAGS_PER_RESOURCE}).",
        )
    return result
