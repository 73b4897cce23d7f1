"""Reading fields of EC2 shapes with a path, so a bad input names the file and the field.

The import promises one clear line per problem ("``sg.json: SecurityGroups[3].IpPermissions[0]
.FromPort: expected an integer, got 'x'``"), never a traceback or a half-imported state.
:class:`Node` wraps a JSON value with its file and path; its accessors check types and raise
:class:`ImportProblem` with that location.

A node is *strict* (an import: files a person captured, checked field by field) or
*lenient* (the remote client: a server's answer, taken as sent). Both read with the same
code (:mod:`stockade.shapes.read_network` and its siblings); the mode decides only whether
domain validators run on values (:meth:`Node.canonical`) — a missing required field or a
wrong type is a located problem either way, and absent optional fields get the same
defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stockade.domain import ids
from stockade.domain.addresses import canonical_cidr
from stockade.domain.errors import AwsError
from stockade.domain.tags import Tags


class ImportProblem(Exception):
    """Bad or partial input (a file to import, or a server's answer): the message names the
    file (or the answer) and the field."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file, self.field, self.problem = file, field, problem
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {problem}")


def answer(shape: Any, what: str) -> Node:
    """A server's answer (what boto3 returned for ``what``), read leniently."""
    return Node(shape, what, "", strict=False)


def _shown(value: Any, limit: int = 60) -> str:
    """A wrong value as a message quotes it: short, on one line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


_TYPE_WORDS = {
    str: "a string",
    int: "an integer",
    bool: "a boolean",
    list: "a list",
    dict: "an object",
}


@dataclass(frozen=True)
class Node:
    """A JSON value at ``path`` in ``file``; ``strict`` passes to every node read from it."""

    value: Any
    file: str
    path: str = ""
    strict: bool = True

    def problem(self, message: str, key: str | None = None) -> ImportProblem:
        return ImportProblem(self.file, self._join(key) if key else self.path, message)

    def _join(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def child(self, key: str) -> Node:
        return Node(self.value.get(key), self.file, self._join(key), self.strict)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def _typed(self, key: str, kind: type, required: bool) -> Any:
        if not isinstance(self.value, dict):
            raise self.problem("expected an object")
        value = self.value.get(key)
        if value is None:
            if required:
                raise self.problem("missing (required)", key)
            return None
        # bool is a subclass of int: an integer field must not accept true/false.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.problem(f"expected {_TYPE_WORDS[kind]}, got {_shown(value)}", key)
        return value

    def text(self, key: str) -> str:
        return self._typed(key, str, True)

    def opt_text(self, key: str) -> str | None:
        return self._typed(key, str, False)

    def integer(self, key: str) -> int:
        return self._typed(key, int, True)

    def opt_integer(self, key: str) -> int | None:
        return self._typed(key, int, False)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._typed(key, bool, False)
        return default if value is None else value

    def obj(self, key: str) -> Node:
        self._typed(key, dict, True)
        return self.child(key)

    def opt_obj(self, key: str) -> Node | None:
        if self._typed(key, dict, False) is None:
            return None
        return self.child(key)

    def items(self, key: str, required: bool = False) -> Iterator[Node]:
        """The elements of a list field (absent = empty unless ``required``)."""
        values = self._typed(key, list, required) or []
        for i, value in enumerate(values):
            node = Node(value, self.file, f"{self._join(key)}[{i}]", self.strict)
            if not isinstance(value, dict):
                raise node.problem("expected an object")
            yield node

    def tags(self, key: str = "Tags") -> Tags:
        """``[{"Key": k, "Value": v}, …]`` as domain tags, in the order given (EC2 tags are
        case-sensitive; an absent value is the empty string, as in EC2)."""
        return tuple((tag.text("Key"), tag.opt_text("Value") or "") for tag in self.items(key))

    def canonical(self, key: str, check: Callable[..., Any], value: Any, *args: Any) -> Any:
        """``check(value, *args)`` (a domain validator returning the canonical form), located
        at ``key`` — when strict. A lenient node takes the value as the server sent it: the
        client must not second-guess the server it talks to."""
        if not self.strict:
            return value
        return self.checked(key, check, value, *args)

    def checked(self, key: str, check: Any, *args: Any) -> Any:
        """Run a domain validator on a field, turning its AWS error into a located problem."""
        try:
            return check(*args)
        except AwsError as exc:
            raise self.problem(exc.message, key) from None
        except ValueError as exc:
            raise self.problem(str(exc), key) from None


@dataclass(frozen=True)
class Origin:
    """Where shapes come from: their region (shapes do not say it) and the account reading
    them.

    Strict (an import) reads one account's files, whose owners ``scope_of`` already found
    to agree, so every object is the account's. Lenient (a server's answer) takes the owner
    the shape names, falling back to the account.
    """

    region: str
    account: str


def owner(node: Node, origin: Origin, key: str = "OwnerId") -> str:
    if node.strict:
        return origin.account
    return node.opt_text(key) or origin.account


def resource_id(node: Node, key: str, kind: str) -> str:
    """A required id field of one kind (``vpc``, ``sg``…)."""
    return node.canonical(key, _checked_id, node.text(key), kind)


def _checked_id(value: str, kind: str) -> str:
    return ids.check(kind, value)


def timestamp(node: Node, key: str) -> str | None:
    """An ISO 8601 time as JSON holds it (boto3 parses the wire's into a datetime, which
    comes back in AWS's form, ``2026-01-02T03:04:05.000Z``); ``None`` when absent."""
    value = node.value.get(key) if isinstance(node.value, dict) else None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return node.opt_text(key)


def cidr(node: Node, key: str, family: int | None) -> str:
    """A required CIDR field, canonical."""
    return node.canonical(key, canonical_cidr, node.text(key), family)
