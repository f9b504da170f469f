"""The ledger's storage: lock the accounts, read existing transfers, and write a batch
with set-based SQL (arrays through ``unnest`` on PostgreSQL, Django's bulk insert and
chunked ``UPDATE … FROM (VALUES …)`` on SQLite). A transfer is one row carrying both
legs (``payments_entry`` is a view over it)."""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection

from nentang.payments.models import Account, Transfer
from nentang.payments.services.ledger_rules import COMPARED, TransferInput

_TRANSFER_COLUMNS = (
    ("id", "uuid"),
    ("debit_account_id", "bigint"),
    ("credit_account_id", "bigint"),
    ("amount", "bigint"),
    ("kind", "varchar"),
    ("pending_id", "uuid"),
    ("linked", "boolean"),
    ("timeout", "integer"),
    ("expires_at", "timestamptz"),
    ("code", "varchar"),
    ("reference", "varchar"),
    ("held", "bigint"),
    ("debit_balance_after", "bigint"),
    ("credit_balance_after", "bigint"),
)
# The columns worth checking for one value across a batch (the others rarely have one).
_OFTEN_CONSTANT = frozenset(
    ("kind", "pending_id", "linked", "timeout", "expires_at", "code", "reference", "held")
)


def _literal(values: Iterable[Any], kind: str) -> str:
    """A PostgreSQL array literal built with one join: psycopg's adaptation of a list of
    8,000 UUIDs element by element cost more than the insert itself (profiled)."""
    if kind == "varchar":
        items: Iterable[str] = (
            "NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        )
    elif kind == "boolean":
        items = ("t" if v else "f" for v in values)
    elif kind == "timestamptz":
        items = ("NULL" if v is None else '"' + v.isoformat() + '"' for v in values)
    else:  # uuid, bigint, integer: ``str`` in C, and a NULL is the only "None" it makes
        texts = list(map(str, values))
        items = ["NULL" if v == "None" else v for v in texts] if "None" in texts else texts
    return "{" + ",".join(items) + "}"


def write(rows: list[dict[str, Any]], totals: list[dict[str, Any]], now: datetime.datetime) -> None:
    """The batch's transfers and the accounts' new ``totals``. On PostgreSQL one
    statement: ``INSERT … SELECT FROM unnest`` (one text array literal per column, the
    creation time once, ``seq`` drawn from the ledger's sequence in the batch's order)
    with the totals' ``UPDATE … FROM unnest`` as a data-modifying ``WITH``; elsewhere
    Django's bulk insert and :func:`write_totals`. Each row gets its ``seq``: the
    accounts are locked, so an account's transfers are numbered in the order they
    applied to it."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:  # SQLite: BEGIN IMMEDIATE holds the write lock
            cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM payments_transfer")
            (top,) = cursor.fetchone()
        for number, row in enumerate(rows, start=top + 1):
            row["seq"] = number
        Transfer.objects.bulk_create([Transfer(**{**row, "created_at": now}) for row in rows])
        write_totals(totals)
        return
    assert Transfer._meta.db_table == "payments_transfer"
    # A column with one value for the whole batch (the kind, code, no pending id, …: most
    # of them) goes as one parameter, not an array for PostgreSQL to parse into 8,000
    # values; the others through ``unnest``. A single transfer keeps one array a column:
    # psycopg quotes a text literal faster than a typed value (measured: 14 scalars cost
    # the client and the server more CPU than 14 one-element arrays).
    # ``nextval`` is evaluated row by row as ``unnest`` yields them, and RETURNING gives
    # the rows in that order. The update reads only its own arrays (it never sees the
    # inserted rows, nor they it): one round trip for both.
    selected, unnested, scalars, arrays_in = [], [], [], []
    for name, kind in _TRANSFER_COLUMNS:
        values = [row[name] for row in rows]
        if len(values) > 1 and name in _OFTEN_CONSTANT and values.count(values[0]) == len(values):
            selected.append(f"%s::{kind}")
            first = values[0]
            # A TextChoices member as its value (psycopg would pick by the type's MRO).
            scalars.append(str(first) if kind == "varchar" and first is not None else first)
        else:
            selected.append(f"u.{name}")
            unnested.append((name, kind))
            arrays_in.append(_literal(values, kind))
    source = ""
    if unnested:
        arrays = ", ".join(f"%s::{kind}[]" for _name, kind in unnested)
        source = f" FROM unnest({arrays}) AS u({', '.join(name for name, _kind in unnested)})"
    names = ", ".join(name for name, _type in _TRANSFER_COLUMNS)
    sql = (
        f"WITH totals AS ({_TOTALS_SQL}) "
        f"INSERT INTO payments_transfer (created_at, seq, {names}) "
        f"SELECT %s::timestamptz, nextval('payments_transfer_ledger_seq'), {', '.join(selected)}"
        f"{source} RETURNING seq"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_totals_arrays(totals), now, *scalars, *arrays_in])
        seqs = [seq for (seq,) in cursor.fetchall()]
    if any(later <= earlier for earlier, later in itertools.pairwise(seqs)):
        raise AssertionError("transfers were numbered out of the batch's order")
    for row, seq in zip(rows, seqs, strict=True):
        row["seq"] = seq


_ACCOUNT_FIELDS = (
    "id",
    "status",
    "debits_must_not_exceed_credits",
    "debits_pending",
    "debits_posted",
    "credits_pending",
    "credits_posted",
)


def lock_and_read(
    account_ids: set[int], transfer_ids: set[uuid.UUID]
) -> tuple[dict[int, dict[str, Any]], dict[uuid.UUID, dict[str, Any]]]:
    """:func:`lock_accounts` and :func:`existing` — on PostgreSQL in one statement (a
    ``UNION ALL`` whose first branch locks the accounts in id order, the second reading
    the transfers). That read uses the statement's snapshot, taken before any wait for
    a lock: a transfer with one of these ids committed meanwhile is not seen, and its
    insert then fails on the primary key — ``transfers_create`` rolls back and tries
    again, and the next attempt sees it (as for an id written on other accounts)."""
    if connection.vendor != "postgresql":
        return lock_accounts(account_ids), existing(transfer_ids)
    compared = ", ".join(COMPARED)
    nulls = ", ".join(["NULL"] * len(_ACCOUNT_FIELDS))
    fields = ", ".join(_ACCOUNT_FIELDS)
    sql = (
        f"WITH locked AS (SELECT {fields} FROM payments_account "  # noqa: S608
        "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE) "
        f"SELECT {fields}, NULL::uuid, NULL::bigint, NULL::bigint, NULL::bigint, "
        "NULL::varchar, NULL::uuid, NULL::varchar FROM locked "
        f"UNION ALL SELECT {nulls}, id, {compared} FROM payments_transfer "
        "WHERE id = ANY(%s::uuid[])"
    )
    accounts: dict[int, dict[str, Any]] = {}
    found: dict[uuid.UUID, dict[str, Any]] = {}
    width = len(_ACCOUNT_FIELDS)
    names = ("id", *COMPARED)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_literal(account_ids, "bigint"), _literal(transfer_ids, "uuid")])
        rows = cursor.fetchall()  # one call: iterating the cursor costs a call a row
    for row in rows:
        if row[width] is None:
            accounts[row[0]] = dict(zip(_ACCOUNT_FIELDS, row[:width], strict=True))
        else:
            found[row[width]] = dict(zip(names, row[width:], strict=True))
    return accounts, found


def lock_accounts(ids: set[int]) -> dict[int, dict[str, Any]]:
    """Lock the accounts in id order and read their totals. On PostgreSQL the ids go as
    one array parameter (``= ANY``), not thousands of placeholders."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, status, debits_must_not_exceed_credits, debits_pending, "
                "debits_posted, credits_pending, credits_posted FROM payments_account "
                "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
                [_literal(ids, "bigint")],
            )
            return {row[0]: dict(zip(_ACCOUNT_FIELDS, row, strict=True)) for row in cursor}
    rows = (
        Account.objects.select_for_update()
        .filter(id__in=ids)
        .order_by("id")
        .values(*_ACCOUNT_FIELDS)
    )
    return {row["id"]: dict(row) for row in rows}


def existing(ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if connection.vendor == "postgresql":
        names = ("id", *COMPARED)
        columns = ", ".join(names)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM payments_transfer WHERE id = ANY(%s::uuid[])",  # noqa: S608
                [_literal(ids, "uuid")],
            )
            return {row[0]: dict(zip(names, row, strict=True)) for row in cursor}
    return {row["id"]: row for row in Transfer.objects.filter(id__in=ids).values("id", *COMPARED)}


_TOTAL_NAMES = ("id", "debits_pending", "debits_posted", "credits_pending", "credits_posted")
_TOTALS_SQL = (
    "UPDATE payments_account AS a SET debits_pending = v.dpe, "
    "debits_posted = v.dpo, credits_pending = v.cpe, credits_posted = v.cpo "
    "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], "
    "%s::bigint[]) AS v(id, dpe, dpo, cpe, cpo) WHERE a.id = v.id"
)


def _totals_arrays(rows: list[dict[str, Any]]) -> list[str]:
    return [_literal((row[name] for row in rows), "bigint") for name in _TOTAL_NAMES]


def write_totals(rows: Iterable[dict[str, Any]]) -> None:
    """Set the four totals of the locked accounts in one statement (chunks on SQLite)."""
    rows = list(rows)
    if not rows:
        return
    assert Account._meta.db_table == "payments_account"
    names = _TOTAL_NAMES
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_TOTALS_SQL, _totals_arrays(rows))
            return
        size = 150
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk)).replace("?", "%s")
            sql = "WITH v(id, dpe, dpo, cpe, cpo) AS (VALUES " + values + ")"
            sql += (
                " UPDATE payments_account SET debits_pending = v.dpe, debits_posted = v.dpo,"
                " credits_pending = v.cpe, credits_posted = v.cpo"
                " FROM v WHERE payments_account.id = v.id"
            )
            cursor.execute(sql, [row[name] for row in chunk for name in names])


# PostgreSQL: one posted or pending transfer in one statement (migration 0011's function:
# the totals' updates with the rules in their ``WHERE``, then the insert). Called as the
# audit entry's ``alongside``, so the transfer and its entry are one statement.
TRANSFER_ONE_SQL = (
    "SELECT payments_transfer_one(%s::uuid, %s::bigint, %s::bigint, %s::bigint, "
    "%s::varchar, %s::integer, %s::timestamptz, %s::varchar, %s::varchar, "
    "%s::timestamptz) AS id"
)
# What the function raises when it cannot create the transfer (nothing is written).
TRANSFER_ONE_REFUSED = "payments_transfer_one_refused"


def transfer_one_row(
    item: TransferInput, kind: str, now: datetime.datetime
) -> tuple[dict[str, Any], list[Any]]:
    """The row a created ``item`` will be (without ``seq`` and the balances after) and the
    parameters of :data:`TRANSFER_ONE_SQL` for it."""
    timeout = item.timeout if kind == "pending" else 0
    expires = now + datetime.timedelta(seconds=timeout) if timeout > 0 else None
    reference = item.reference[:140]
    row = {
        "id": item.id,
        "debit_account_id": item.debit_account_id,
        "credit_account_id": item.credit_account_id,
        "amount": item.amount,
        "kind": kind,
        "pending_id": None,
        "linked": False,
        "timeout": timeout,
        "expires_at": expires,
        "code": str(item.code),
        "reference": reference,
        "held": 0,
    }
    params = [
        item.id,
        item.debit_account_id,
        item.credit_account_id,
        item.amount,
        kind,
        timeout,
        expires,
        str(item.code),
        reference,
        now,
    ]
    return row, params
