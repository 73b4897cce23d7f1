"""Where the console shows a group, a rule or a network ACL entry, and prose with those ids
made into links to them.

The reach, exposure and audit pages cite rules and entries in the engine's own words
(``RuleRef.describe``, ``AclEntryRef.describe``, a finding's title); rather than rebuilding
those sentences from their parts, the ids in them become links: a group to its page, a rule
to its row of its group's table (``#<rule id>``), an ACL to its page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from markupsafe import Markup, escape

from stockade.console.context import BASE

#: ids the console has pages for (``sgr-`` before ``sg-``: the longer prefix wins)
_IDS = re.compile(r"\b(sgr|sg|acl)-[0-9a-f]{8,17}\b")


def group_href(group_id: str) -> str:
    return f"{BASE}/groups/{group_id}"


def rule_href(group_id: str, rule_id: str) -> str:
    """A rule's row in its group's rule table."""
    return f"{group_href(group_id)}#{rule_id}"


def topology_href() -> str:
    """The topology page: where route tables show (a subnet's routes are its edges)."""
    return f"{BASE}/topology"


def acl_href(acl_id: str) -> str:
    return f"{BASE}/acls/{acl_id}"


def acl_entry_href(acl_id: str, egress: bool, rule_number: int) -> str:
    """An entry's row on its ACL's page (``#ingress-100``, ``#egress-100``)."""
    return f"{acl_href(acl_id)}#{'egress' if egress else 'ingress'}-{rule_number}"


def acl_rule_href(rule: str) -> str | None:
    """An audit finding's ACL rule id (``acl-…/ingress/100``) as a link; ``None`` if it is
    not one."""
    acl_id, _, rest = rule.partition("/")
    direction, _, number = rest.partition("/")
    if not acl_id.startswith("acl-") or direction not in ("ingress", "egress"):
        return None
    if not number.isdigit():
        return acl_href(acl_id)
    return acl_entry_href(acl_id, direction == "egress", int(number))


def id_href(found: str, rule_groups: Mapping[str, str]) -> str | None:
    """The page of one id; a rule's needs its group (``rule_groups``: rule id → group id)."""
    if found.startswith("sgr-"):
        group_id = rule_groups.get(found)
        return None if group_id is None else rule_href(group_id, found)
    if found.startswith("sg-"):
        return group_href(found)
    if found.startswith("acl-"):
        return acl_href(found)
    return None


def id_links(text: object, rule_groups: Mapping[str, str] | None = None) -> Markup:
    """``text`` escaped, with every group, rule and ACL id in it a link to its page."""
    plain = str(text)
    out, last = [], 0
    for match in _IDS.finditer(plain):
        href = id_href(match.group(0), rule_groups or {})
        if href is None:
            continue
        out.append(escape(plain[last : match.start()]))
        out.append(Markup('<a href="{}">{}</a>').format(href, match.group(0)))
        last = match.end()
    out.append(escape(plain[last:]))
    return Markup("").join(out)
