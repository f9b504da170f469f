"""Cursors that bind their parameters on the server, for the fixed statements of hot
requests.

Django's PostgreSQL backend binds parameters on the client by default
(``psycopg.ClientCursor``): every value is quoted into the SQL text in Python, and the
server parses the literals back. For the few fixed statements every submission, token
check or audit entry makes — dozens of values each — that quoting was a visible share
of a request's CPU, and the server's parse of the literals a share of PostgreSQL's
(docs/performance.md, "Online public services"). :func:`bound_cursor` gives a cursor
that sends the values apart from the text (psycopg's C dumpers, the extended protocol):
the same statement, the same values, the same Django wrapper (query log, execute
wrappers, error translation). Statements are not prepared, so connection poolers in
transaction mode keep working (Django's reason to leave them off).

Only for statements written here with ``%s`` placeholders whose types PostgreSQL can
tell from the context (a column, a comparison, a cast): a bare ``%s`` in a select list
has no type on the server. On other databases, or when the settings already bind on the
server, it is the ordinary cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


@contextmanager
def bound_cursor() -> Iterator[Any]:
    """A Django cursor on the default connection whose parameters the server binds."""
    if connection.vendor != "postgresql" or _binds_on_server():
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        wrapped = connection._prepare_cursor(psycopg.Cursor(connection.connection))  # type: ignore[attr-defined]
    with wrapped as cursor:
        yield cursor


def _binds_on_server() -> bool:
    return connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is True
