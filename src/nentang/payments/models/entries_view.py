"""``payments_entry``: the two legs of every transfer, a view over ``payments_transfer``
(migration 0006 moved the legs onto the transfer row).

The view is dropped before every ``migrate`` and created again after it, on both
databases: a later migration may then rebuild or alter the transfers table (SQLite
rebuilds a table to change it, and refuses while a view names it; PostgreSQL refuses to
change a column a view uses). Its SQL follows the current models, not the migration
history.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

# The legs: the debit side moves the debit totals, the credit side the credit totals; a
# post/void/expire first releases what its pending transfer held (``held``).
_LEG = """
SELECT t.seq * 2{side} AS id, t.seq, t.{account}_account_id AS account_id,
       t.id AS transfer_id, {pending_d} AS debits_pending, {posted_d} AS debits_posted,
       {pending_c} AS credits_pending, {posted_c} AS credits_posted,
       t.{account}_balance_after AS balance_after, t.created_at
FROM payments_transfer t"""
_PENDING = "CASE t.kind WHEN 'pending' THEN t.amount ELSE -t.held END"
_POSTED = "CASE WHEN t.kind IN ('posted', 'post') THEN t.amount ELSE 0 END"
VIEW = (
    "CREATE VIEW payments_entry AS"
    + _LEG.format(side="", account="debit", pending_d=_PENDING, posted_d=_POSTED,
                  pending_c="0", posted_c="0")
    + "\nUNION ALL"
    + _LEG.format(side=" + 1", account="credit", pending_d="0", posted_d="0",
                  pending_c=_PENDING, posted_c=_POSTED)
)  # fmt: skip


def _relations(using: str) -> dict[str, str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        return {info.name: info.type for info in connection.introspection.get_table_list(cursor)}


def drop_before_migrate(*, using: str = "default", **_kwargs: Any) -> None:
    """``pre_migrate``: drop the view (a table of that name, before 0006, stays)."""
    if _relations(using).get("payments_entry") == "v":
        with connections[using].cursor() as cursor:
            cursor.execute("DROP VIEW payments_entry")


def create_after_migrate(*, using: str = "default", **_kwargs: Any) -> None:
    """``post_migrate``: create the view once the transfers carry their legs."""
    connection = connections[using]
    if "payments_entry" in _relations(using):
        return
    with connection.cursor() as cursor:
        try:
            columns = connection.introspection.get_table_description(cursor, "payments_transfer")
        except Exception:  # no transfers table (migrated back to zero)
            return
        if "seq" in {column.name for column in columns}:
            cursor.execute(VIEW)
