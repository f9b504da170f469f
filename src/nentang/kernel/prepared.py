"""Server-side prepared statements for the few fixed statements of hot requests.

Django's PostgreSQL backend binds parameters on the client (psycopg's ``ClientCursor``:
the values are quoted into the SQL text) and never prepares a statement, so PostgreSQL
parses and plans the same text again on every request. For a statement whose text never
changes (built once from the models' metadata, values only as parameters — the OpenID
provider's token lookup, the audit entry's statement) ``fixed_cursor`` gives a cursor
that binds on the server and prepares the statement on its first use on a connection:
later executions send only the statement's name and the values (no parsing, a plan
reused while PostgreSQL judges it as good as a fresh one).

Everything else keeps Django's cursor: the ORM's SQL is not written to be prepared
(Django ticket #20516). The cursor goes through Django's wrappers as ``connection.cursor()``
does (database errors wrapped, execute wrappers and ``CaptureQueriesContext`` see it).

On by default; ``?prepared_statements=false`` in ``NENTANG_DATABASE_URL`` turns it off
(e.g. behind a pooler in transaction mode, where a session's prepared statements are not
there on the next transaction). Settings turn that into the connection's psycopg
``prepare_threshold``: None (off) or a count no other statement reaches (only statements
run here ask to be prepared; the ORM's client-side cursor never prepares).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

_cursor_class: Any = None


def _prepared_class() -> Any:
    global _cursor_class
    if _cursor_class is None:
        from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
            ServerBindingCursor,
        )

        class PreparedCursor(ServerBindingCursor):  # type: ignore[misc]
            """Server-side binding; every statement prepared on its first execution."""

            def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
                kwargs["prepare"] = True
                return super().execute(query, params, **kwargs)

            def _maybe_prepare_gen(self, pgq: Any, **kwargs: Any) -> Any:
                # psycopg records the statement sent (what Django's query log and
                # CaptureQueriesContext read back) only when it is not prepared.
                self._query = pgq
                return super()._maybe_prepare_gen(pgq, **kwargs)

        _cursor_class = PreparedCursor
    return _cursor_class


@contextmanager
def fixed_cursor() -> Iterator[Any]:
    """A cursor for a fixed statement: prepared on PostgreSQL when the connection allows
    it, Django's usual cursor otherwise. Use as ``connection.cursor()``."""
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks it up per attribute
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    if raw is None or getattr(raw, "prepare_threshold", None) is None:
        with db.cursor() as cursor:
            yield cursor
        return
    with db.wrap_database_errors:
        cursor = db._prepare_cursor(_prepared_class()(raw))  # type: ignore[attr-defined]
    with cursor:
        yield cursor
