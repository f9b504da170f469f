"""The NGSI-LD query language (``q``, ETSI GS CIM 009 §4.9): a parser to a small syntax
tree and an evaluator over stored entities. Nothing is ever pasted into SQL: the
selectors narrow the rows with the ORM (tenant, type, id, area) and this module decides
each remaining entity exactly.

Grammar (``;`` is AND and binds tighter than ``|``, OR)::

    query   = or
    or      = and *("|" and)
    and     = factor *(";" factor)
    factor  = "(" or ")" / term
    term    = path [op value]
    path    = name *("." name) ["[" name *("." name) "]"]
    op      = "==" / "!=" / ">=" / "<=" / ">" / "<" / "~=" / "!~="
    value   = string / number / true / false / date-time / uri / list / range
    list    = single 1*("," single)     range = single ".." single
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nentang.smartcity.ngsild.errors import bad_data

MAX_Q = 2000
MAX_DEPTH = 20
OPERATORS = ("!~=", "==", "!=", ">=", "<=", "~=", ">", "<")
NAME = re.compile(r"[^\s.\[\]()=!<>~;|,\"']+")
UNQUOTED = re.compile(r"^[A-Za-z0-9+\-][^\s\"'<>=!~]*$")
NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")


@dataclass(frozen=True)
class Path:
    attr: str  # the attribute name as written (a term)
    subs: tuple[str, ...]  # sub-attributes (attr.sub.sub)
    keys: tuple[str, ...]  # keys inside a compound value (attr[key.key])


@dataclass(frozen=True)
class Range:
    low: Any
    high: Any


@dataclass(frozen=True)
class Term:
    path: Path
    op: str | None = None
    value: Any = None  # a single value, a tuple (list) or a Range


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Term | And | Or


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def error(self, what: str) -> Exception:
        return bad_data(f"Invalid q at position {self.pos}: {what}.")

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def parse(self) -> Node:
        node = self.or_()
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r}")
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.peek("|"):
            self.pos += 1
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.factor()]
        while self.peek(";"):
            self.pos += 1
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self) -> Node:
        if self.peek("("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error("too many nested parentheses")
            self.pos += 1
            node = self.or_()
            if not self.peek(")"):
                raise self.error("missing ')'")
            self.pos += 1
            self.depth -= 1
            return node
        return self.term()

    def name(self) -> str:
        match = NAME.match(self.text, self.pos)
        if not match:
            raise self.error("an attribute name is expected")
        self.pos = match.end()
        return match.group()

    def term(self) -> Term:
        attr = self.name()
        subs: list[str] = []
        while self.peek("."):
            self.pos += 1
            subs.append(self.name())
        keys: list[str] = []
        if self.peek("["):
            self.pos += 1
            keys.append(self.name())
            while self.peek("."):
                self.pos += 1
                keys.append(self.name())
            if not self.peek("]"):
                raise self.error("missing ']'")
            self.pos += 1
        path = Path(attr, tuple(subs), tuple(keys))
        for op in OPERATORS:
            if self.peek(op):
                self.pos += len(op)
                return Term(path, op, self.value(op))
        return Term(path)

    def single(self) -> Any:
        text = self.text
        if self.peek('"'):
            end = text.find('"', self.pos + 1)
            if end < 0:
                raise self.error("unterminated string")
            value = text[self.pos + 1 : end]
            self.pos = end + 1
            return value
        start = self.pos
        while self.pos < len(text) and text[self.pos] not in ";|()," and not self.peek(".."):
            self.pos += 1
        raw = text[start : self.pos]
        if not raw:
            raise self.error("a value is expected")
        if not UNQUOTED.match(raw):
            raise self.error(f'{raw!r} is not a value (quote text with ")')
        if NUMBER.match(raw):
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        if raw in ("true", "false"):
            return raw == "true"
        return raw  # date-times, URIs and other unquoted tokens compare as text

    def value(self, op: str) -> Any:
        if op in ("~=", "!~="):
            if self.peek('"'):
                pattern = self.single()
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] not in ";|)":
                    self.pos += 1
                pattern = self.text[start : self.pos]
            try:
                return re.compile(str(pattern))
            except re.error:
                raise self.error("invalid regular expression") from None
        first = self.single()
        if self.peek(".."):
            if op not in ("==", "!="):
                raise self.error("a range needs == or !=")
            self.pos += 2
            return Range(first, self.single())
        if self.peek(","):
            if op not in ("==", "!="):
                raise self.error("a list needs == or !=")
            items = [first]
            while self.peek(","):
                self.pos += 1
                items.append(self.single())
            return tuple(items)
        return first


def parse(text: str) -> Node:
    """The syntax tree of ``q``; BadRequestData on a syntax error."""
    if not isinstance(text, str) or not text.strip():
        raise bad_data("q is empty.")
    if len(text) > MAX_Q:
        raise bad_data(f"q is longer than {MAX_Q} characters.")
    return _Parser(text.strip()).parse()


def terms_of(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    return [term for item in node.items for term in terms_of(item)]


_MISSING = object()


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return True
    return isinstance(a, str) and isinstance(b, str)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, list) and not isinstance(expected, (tuple, Range)):
        return any(_compare(item, op, expected) for item in actual)
    if op in ("~=", "!~="):
        found = isinstance(actual, str) and expected.search(actual) is not None
        return found if op == "~=" else not found
    if isinstance(expected, Range):
        inside = (
            _comparable(actual, expected.low)
            and _comparable(actual, expected.high)
            and expected.low <= actual <= expected.high
        )
        return inside if op == "==" else not inside
    if isinstance(expected, tuple):
        hit = any(_comparable(actual, e) and actual == e for e in expected)
        return hit if op == "==" else not hit
    if op == "!=":
        return not (_comparable(actual, expected) and actual == expected)
    if not _comparable(actual, expected):
        return False
    if op == "==":
        return bool(actual == expected)
    if op == ">":
        return bool(actual > expected)
    if op == "<":
        return bool(actual < expected)
    if op == ">=":
        return bool(actual >= expected)
    return bool(actual <= expected)


def _resolve(
    instances: list[Mapping[str, Any]], path: Path, expand: Callable[[str], str]
) -> list[Any]:
    values: list[Any] = []
    for instance in instances:
        current: Any = instance
        for sub in path.subs:
            if sub in ("observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt"):
                current = {"value": current.get(sub, _MISSING)}
                continue
            found = (
                (current.get("sub") or {}).get(expand(sub)) if isinstance(current, dict) else None
            )
            if not found:
                current = _MISSING
                break
            current = found[0]
        if current is _MISSING:
            continue
        value = current.get("object", current.get("value", current.get("languageMap", _MISSING)))
        for key in path.keys:
            if not isinstance(value, Mapping) or key not in value:
                value = _MISSING
                break
            value = value[key]
        if value is not _MISSING:
            values.append(value)
    return values


def evaluate(
    node: Node, attrs: Mapping[str, list[Mapping[str, Any]]], expand: Callable[[str], str]
) -> bool:
    """Whether an entity's stored attributes satisfy ``node``."""
    if isinstance(node, And):
        return all(evaluate(item, attrs, expand) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate(item, attrs, expand) for item in node.items)
    instances = attrs.get(expand(node.path.attr)) or []
    values = _resolve(instances, node.path, expand)
    if node.op is None:
        return bool(values)
    if node.op == "!=" and not values:
        return False
    return any(_compare(value, node.op, node.value) for value in values)
