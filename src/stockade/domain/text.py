"""Names and descriptions: AWS's length and character-set rules, in one place."""

from __future__ import annotations

import re

from stockade.domain import errors
from stockade.domain.printable import CONTROL

MAX_LENGTH = 255
#: a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$*  (the API's set, with ``&``)
_CHARSET = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*\Z")
_ALLOWED_TEXT = "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"


def group_name(value: str | None) -> str:
    """Validate a new group's name; trailing spaces are trimmed, as AWS stores it."""
    if value is None or value == "":
        raise errors.missing_parameter("GroupName")
    name = value.rstrip(" ")
    if not name or len(name) > MAX_LENGTH or not _CHARSET.match(name):
        raise errors.invalid_value(
            "GroupName",
            value,
            f"Valid names are strings less than 256 characters from the following set: "
            f"{_ALLOWED_TEXT}",
        )
    # [UNVERIFIED] whether AWS ignores case here; we reject sg-/SG- alike.
    if name.lower().startswith("sg-"):
        raise errors.invalid_value("GroupName", value, "Group names may not be in the format sg-*.")
    return name


def group_description(value: str | None) -> str:
    if value is None or value == "":
        raise errors.missing_parameter("GroupDescription")
    if not value.isascii():
        raise errors.invalid_value(
            "GroupDescription", value, "Character sets beyond ASCII are not supported."
        )
    if len(value) > MAX_LENGTH or not _CHARSET.match(value):
        raise errors.invalid_parameter_value(
            "Invalid security group description. Valid descriptions are strings less than 256 "
            f"characters from the following set:  {_ALLOWED_TEXT}"
        )
    return value


def rule_description(value: str | None) -> str | None:
    """A rule (or prefix-list entry) description; ``None``/empty means none."""
    if value is None or value == "":
        return None
    if len(value) > MAX_LENGTH or not _CHARSET.match(value):
        raise errors.invalid_parameter_value(
            "Invalid rule description. Valid descriptions are strings less than 256 characters "
            f"from the following set: {_ALLOWED_TEXT}"
        )
    return value


def printable_name(parameter: str, value: str) -> str:
    """A free-form name (AWS sets no character set): at most 255 characters, no control
    characters. [UNVERIFIED] that AWS refuses control characters here; nothing legitimate
    needs them, and a name is shown on terminals."""
    if len(value) > MAX_LENGTH:
        raise errors.invalid_value(parameter, value, "The name is too long.")
    if CONTROL.search(value):
        raise errors.invalid_value(parameter, value, "Control characters are not allowed.")
    return value


def prefix_list_name(value: str | None) -> str:
    if value is None or value == "":
        raise errors.missing_parameter("PrefixListName")
    printable_name("PrefixListName", value)
    if value.startswith("com.amazonaws"):
        raise errors.invalid_value(
            "PrefixListName", value, "Prefix list names cannot start with com.amazonaws."
        )
    return value
