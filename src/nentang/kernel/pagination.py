"""Cursor (keyset) pagination: stable under inserts, O(limit) per page at any depth.

``paginate(qs, order=("name_folded", "code"), cursor=..., limit=...)`` returns the
items and an opaque ``next_cursor``. The last ordering field must be unique, and the
fields must not be nullable. A malformed or foreign cursor is a 400 ``invalid_cursor``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from ninja import Query, Schema

from nentang.kernel.errors import BadRequest
from nentang.kernel.problems import INVALID_CURSOR, INVALID_LIMIT

M = TypeVar("M", bound=Model)
T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


# Query parameters for list endpoints, documented with their bounds in the OpenAPI.
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="`next_cursor` of the previous page; a foreign one is a 400 `invalid_cursor`.",
    ),
]
LimitQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})."),
]


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


class PageOut(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    return value


def _order_signature(order: Sequence[str]) -> str:
    return hashlib.sha256(",".join(order).encode()).hexdigest()[:8]


def encode_cursor(values: Sequence[Any], order: Sequence[str]) -> str:
    raw = json.dumps({"o": _order_signature(order), "v": [_jsonable(v) for v in values]})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: Sequence[str], model: type[Model]) -> list[Any]:
    invalid = BadRequest("The cursor is not valid for this list.", code=INVALID_CURSOR)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or data.get("o") != _order_signature(order):
        raise invalid
    values = data.get("v")
    if not isinstance(values, list) or len(values) != len(order):
        raise invalid
    typed = []
    for name, value in zip(order, values, strict=True):
        # Ordering fields are never null; a null or a NUL character can only be forged.
        if value is None or (isinstance(value, str) and "\x00" in value):
            raise invalid
        field = model._meta.get_field(name.lstrip("-"))
        try:
            converted = field.to_python(value)  # type: ignore[union-attr]
        except (ValidationError, TypeError, ValueError):
            raise invalid from None
        if converted is None:
            raise invalid
        typed.append(converted)
    return typed


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}.", code=INVALID_LIMIT)
    return limit


def paginate(
    queryset: QuerySet[M],
    *,
    order: Sequence[str],
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[M]:
    size = clamp_limit(limit)
    queryset = queryset.order_by(*order)
    if cursor:
        values = decode_cursor(cursor, order, queryset.model)
        after = Q()
        for index, name in enumerate(order):
            field = name.lstrip("-")
            lookup = "lt" if name.startswith("-") else "gt"
            step = Q(**{f"{field}__{lookup}": values[index]})
            for previous in range(index):
                step &= Q(**{order[previous].lstrip("-"): values[previous]})
            after |= step
        queryset = queryset.filter(after)
    rows = list(queryset[: size + 1])
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = items[-1]
        next_cursor = encode_cursor([getattr(last, n.lstrip("-")) for n in order], order)
    return Page(items=items, next_cursor=next_cursor)
