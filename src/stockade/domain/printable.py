"""Control characters: what no name needs, and what a terminal obeys.

C0 and C1 control characters and DEL move the cursor, clear the screen, retitle the
window or end a line when written to a terminal, and NUL cannot appear in XML at all. Names
refuse them (:mod:`stockade.domain.text`); error messages, which echo what was given, show
them escaped (``\\x1b``) so a message stays one printable line in XML, JSON and on a
terminal; the CLI's printers escape them too.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


#: The same, line feeds excepted (for text that is meant to span lines, such as cells).
CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def escape_control(text: str, *, newlines: bool = False) -> str:
    """``text`` with each control character written as its Python escape (``\\x1b``,
    ``\\n``); ``newlines`` keeps line feeds as they are."""
    pattern = CONTROL_BUT_NEWLINE if newlines else CONTROL
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
