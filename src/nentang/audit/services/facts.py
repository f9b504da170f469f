"""The small JSON documents that audit entries (``summary``) and security events
(``detail``) carry, checked by one set of rules.

They keep to the subset of JSON that every implementation reads the same way and that
the log's canonical form (docs/audit-log.md, compatible with RFC 8785) can encode
exactly: objects with string keys, arrays, strings, integers within ±(2⁵³ − 1) (I-JSON,
RFC 7493 §2.2), true, false and null — no floats. Text must be valid Unicode without NUL
characters: a lone surrogate cannot be encoded as UTF-8, and PostgreSQL refuses a NUL in
text and JSON, so SQLite would otherwise keep what PostgreSQL rejects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MAX_SAFE_INTEGER", "check_facts", "check_text", "facts_size"]

MAX_SAFE_INTEGER = 2**53 - 1
Refuse = Callable[[str], Exception]


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored and logged as it is (None when it can)."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode (a lone surrogate)"
    return None


def check_text(value: str, path: str, refuse: Refuse) -> None:
    """Raise ``refuse("<path>: <why>")`` for text with a NUL or a lone surrogate."""
    problem = text_problem(value)
    if problem:
        raise refuse(f"{path}: {problem}.")


def check_facts(value: Any, path: str, refuse: Refuse, *, max_depth: int | None = None) -> None:
    """Raise ``refuse(sentence)`` naming the first place where ``value`` leaves the
    subset above (or nests deeper than ``max_depth`` levels)."""
    _check(value, path, refuse, max_depth, 0)


def _check(value: Any, path: str, refuse: Refuse, max_depth: int | None, depth: int) -> None:
    if max_depth is not None and depth > max_depth:
        raise refuse(f"{path}: nested too deeply ({max_depth} levels at most).")
    if isinstance(value, str):
        check_text(value, path, refuse)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise refuse(
                f"{path}: integers must lie within ±{MAX_SAFE_INTEGER} (2⁵³ − 1); "
                "write larger numbers as strings."
            )
    elif isinstance(value, float):
        raise refuse(f"{path}: floats are not allowed; use integers or strings.")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise refuse(f"{path}: keys must be strings.")
            problem = text_problem(key)
            if problem:
                raise refuse(f"{path}: a key {problem.replace('not valid', 'is not valid')}.")
            _check(item, f"{path}.{key}", refuse, max_depth, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{path}.{index}", refuse, max_depth, depth + 1)
    else:
        raise refuse(f"{path}: {type(value).__name__} is not JSON.")


def facts_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (after :func:`check_facts`)."""
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
