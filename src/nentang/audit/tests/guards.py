"""Test tooling: lift the append-only guards of migration 0002 for a moment.

Used by the test suite's database flush (TransactionTestCase empties every table after
each test) and by the tamper tests, which must edit a row behind the application's back.
PostgreSQL: ``session_replication_role = replica`` (superuser) stops the triggers for the
session; SQLite: the triggers are dropped and created again.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

_GUARDS = tuple(
    importlib.import_module(f"nentang.audit.migrations.{name}")
    for name in ("0002_append_only_guards", "0005_log_origin_and_entry_counters")
)


def _sqlite_has_guards(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'audit_auditentry_no_delete'"
        )
        return bool(cursor.fetchone()[0])


@contextmanager
def guards_lifted(connection: Any) -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
        return
    if connection.vendor == "sqlite" and _sqlite_has_guards(connection):
        editor = SimpleNamespace(connection=connection)
        for guards in _GUARDS:
            guards.remove(None, editor)
        try:
            yield
        finally:
            for guards in _GUARDS:
                guards.install(None, editor)
        return
    yield
