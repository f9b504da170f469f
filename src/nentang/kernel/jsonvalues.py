"""The small JSON documents the platform stores and signs, checked by one set of rules:
audit entry summaries and security event details (audit), outbox event payloads
(kernel.events).

They keep to the subset of JSON that every implementation reads the same way and that
the audit log's canonical form (docs/audit-log.md, compatible with RFC 8785) encodes
exactly: objects with string keys, arrays, strings, integers within ±(2⁵³ − 1) (I-JSON,
RFC 7493 §2.2), true, false and null — floats only where the caller allows them, and
never NaN or infinity. Text must be valid Unicode without NUL characters: a lone
surrogate cannot be encoded as UTF-8, and PostgreSQL refuses a NUL in text and JSON, so
SQLite would otherwise keep what PostgreSQL rejects.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MAX_SAFE_INTEGER", "check_json", "check_text", "json_size", "text_problem"]

MAX_SAFE_INTEGER = 2**53 - 1
Refuse = Callable[[str], Exception]
_CONVERT = "convert it first: money as int đồng, ids and Decimals as str, times as ISO 8601 str"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored and signed as it is (None when it can)."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode (a lone surrogate)"
    return None


def check_text(value: str, path: str, refuse: Refuse) -> None:
    """Raise ``refuse("<path>: <why>.")`` for text with a NUL or a lone surrogate."""
    problem = text_problem(value)
    if problem:
        raise refuse(f"{path}: {problem}.")


def check_json(
    value: Any,
    path: str,
    refuse: Refuse,
    *,
    floats: bool = False,
    max_depth: int | None = None,
    canonical_keys: bool = False,
) -> None:
    """Raise ``refuse(sentence)`` naming the first place where ``value`` leaves the
    subset above (or nests deeper than ``max_depth`` levels).

    ``canonical_keys``: object keys hold no character above U+FFFF, so that sorting them
    by code point (Python's ``sort_keys``) and by UTF-16 code unit (RFC 8785 §3.2.3) give
    one order — what the audit log's canonical form relies on.
    """
    _check(value, path, refuse, floats, max_depth, 0, canonical_keys)


def _check(
    value: Any,
    path: str,
    refuse: Refuse,
    floats: bool,
    max_depth: int | None,
    depth: int,
    canonical_keys: bool = False,
) -> None:
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
        if not floats:
            raise refuse(f"{path}: floats are not allowed; use integers or strings.")
        if not math.isfinite(value):
            raise refuse(f"{path}: {value!r} is not a number JSON can carry.")
    elif isinstance(value, Mapping):
        scalars_pass = max_depth is None or depth < max_depth
        for key, item in value.items():
            if not isinstance(key, str):
                raise refuse(
                    f"{path}: keys must be strings, not {key!r} of type {type(key).__name__}."
                )
            problem = text_problem(key)
            if problem:
                raise refuse(f"{path}: a key {problem.replace('not valid', 'is not valid')}.")
            if canonical_keys and any(ord(character) > 0xFFFF for character in key):
                raise refuse(f"{path}: a key holds a character above U+FFFF.")
            if scalars_pass:
                # Null, booleans, ASCII text and safe integers, the bulk of any payload,
                # pass here: the path of a message is only built for what is refused.
                kind = type(item)
                if item is None or kind is bool:
                    continue
                if kind is str and "\x00" not in item and item.isascii():
                    continue
                if kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    continue
            _check(item, f"{path}.{key}", refuse, floats, max_depth, depth + 1, canonical_keys)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}.{index}", refuse, floats, max_depth, depth + 1, canonical_keys)
    else:
        raise refuse(f"{path}: a {type(value).__name__} is not JSON; {_CONVERT}.")


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (after :func:`check_json`)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
