"""Rows into a PostgreSQL table by ``COPY … FROM STDIN``: the fastest way in for a batch.

For thousands of rows, Django's ``bulk_create`` spends its time in Python — a model
instance per row, the SQL compiler's per-value preparation, the driver's client-side
binding of every placeholder — several times what PostgreSQL needs to store them.
``COPY`` streams the values as they are (the driver converts each by its type), in the
caller's transaction. Callers give every column a value a row needs (ids included:
take them from the table's sequence first with :func:`sequence_next`); the columns left
out get their SQL default (NULL for Django's columns).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


def copy_rows(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Write ``rows`` (one value per column, in order) into ``table`` (PostgreSQL only).
    Names are quoted with any '"' in them doubled: the datastore's column names are a
    publisher's (Django's ``quote_name`` leaves an inner '"' as it is)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("copy_rows needs PostgreSQL")

    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    names = ", ".join(quote(column) for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def sequence_next(connection: BaseDatabaseWrapper, table: str, count: int) -> list[int]:
    """``count`` values of the id sequence of ``table`` (PostgreSQL), in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [value for (value,) in cursor.fetchall()]
