"""The ledger's one service interface: accounts and transfers, with TigerBeetle's
semantics (docs/payments.md maps each notion to TigerBeetle's).

``transfers_create`` is the only function that moves money. It takes up to
:data:`MAX_BATCH` transfers and returns one result per transfer, in order:

1. read the pending transfers that the batch posts or voids (immutable rows);
2. lock every account involved in one ``SELECT … FOR UPDATE`` ordered by id (a stable
   order: two batches touching the same accounts never deadlock), reading in the same
   statement the transfers that already exist with the batch's ids (one written by a
   concurrent writer while this one waited for a lock fails the insert on its key, and
   the next attempt sees it); then the resolutions of its pending transfers;
3. apply the batch in order to the locked totals in memory (linked chains roll back
   together), and
4. write with set-based SQL: one multi-row insert of the transfers (each row carries
   both legs: the balances after and what a resolution released; ``Entry`` is a view
   over them) with the ``UPDATE … FROM`` of the accounts' four totals in the same
   statement on PostgreSQL, and one audit entry.

A transfer that fails writes nothing; the others of its batch still apply (unless
linked to it). Calling it again with the same ids is safe: each existing transfer with
the same parameters comes back as ``exists`` with the original row.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    ValidationFailed,
)
from nentang.kernel.errors.registry import problem_type_for_code
from nentang.payments.models import Transfer, TransferKind
from nentang.payments.problems import MAX_AMOUNT, TRANSFER_BATCH_TOO_LARGE
from nentang.payments.services import ledger_sql
from nentang.payments.services.accounts import (
    SYSTEM_ACCOUNTS,
    account_open,
    account_set_status,
    system_account,
)
from nentang.payments.services.ledger_rules import (
    MAX_BATCH,
    RESOLVING,
    Batch,
    TransferInput,
    TransferResult,
    run_chains,
)

__all__ = [
    "MAX_BATCH",
    "SYSTEM_ACCOUNTS",
    "TransferInput",
    "TransferResult",
    "account_open",
    "account_set_status",
    "pending_expire",
    "problem_for",
    "system_account",
    "transfer_create",
    "transfer_id",
    "transfers_create",
]

NAMESPACE = uuid.UUID("3f0c2a8e-7d0b-4c43-9a52-6b0e4e2f4a11")


# --------------------------------------------------------------------------- transfers


def transfers_create(
    *,
    actor: Actor,
    transfers: Sequence[TransferInput],
    now: datetime.datetime | None = None,
) -> list[TransferResult]:
    """Create up to :data:`MAX_BATCH` transfers (see the module docstring)."""
    if len(transfers) > MAX_BATCH:
        raise PayloadTooLarge(
            _("A batch holds at most %(max)s transfers.") % {"max": MAX_BATCH},
            code=TRANSFER_BATCH_TOO_LARGE,
        )
    if not transfers:
        return []
    now = now or timezone.now()
    if len(transfers) == 1 and connection.vendor == "postgresql":
        result = _create_one(actor, transfers[0], now)
        if result is not None:
            return [result]
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _apply(actor=actor, inputs=transfers, now=now)
        except IntegrityError:
            # A concurrent writer inserted one of these ids on other accounts (so it
            # held other locks); the next attempt sees its row and compares.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def transfer_create(
    *, actor: Actor, transfer: TransferInput, now: datetime.datetime | None = None
) -> Transfer:
    """One transfer; a failure is raised as its problem."""
    result = transfers_create(actor=actor, transfers=[transfer], now=now)[0]
    if not result.ok:
        raise problem_for(result.status)
    assert result.transfer is not None
    return result.transfer


def transfer_id(*parts: object) -> uuid.UUID:
    """A deterministic transfer id derived from a business key (idempotent retries)."""
    return uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts))


def pending_expire(*, actor: Actor, now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Expire the pending transfers whose timeout passed (idempotent: the expiry's id is
    derived from the pending transfer's). Returns how many were expired."""
    now = now or timezone.now()
    due = list(
        Transfer.objects.filter(
            kind=TransferKind.PENDING, expires_at__lte=now, resolution__isnull=True
        )
        .order_by("expires_at")
        .values_list("id", flat=True)[:limit]
    )
    inputs = [
        TransferInput(
            id=transfer_id("expire", pending),
            kind=TransferKind.EXPIRE,
            pending_id=pending,
            code="expire",
        )
        for pending in due
    ]
    results = transfers_create(actor=actor, transfers=inputs, now=now)
    return sum(1 for result in results if result.status == "created")


# ------------------------------------------------------------------------- internals

_ONE_KINDS = {str(TransferKind.POSTED): str(TransferKind.POSTED), "pending": "pending"}


def _plain(item: TransferInput) -> bool:
    """Inputs with nothing to resolve and nothing wrong on their face (a posted or
    pending transfer between two different accounts, a positive whole amount, a code)."""
    amount = item.amount
    return not (
        item.pending_id is not None
        or item.linked
        or not item.code
        or type(amount) is not int
        or not 0 < amount <= MAX_AMOUNT
        or item.debit_account_id == item.credit_account_id
        or not item.debit_account_id
        or not item.credit_account_id
    )


def _refused(write: Any) -> Any:
    """Run ``write`` (one statement) — in a savepoint when the caller has a transaction,
    so a refusal leaves it intact; alone in autocommit otherwise (its own transaction).
    ``None`` when the statement refused (nothing was written)."""
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                return write()
        return write()
    except IntegrityError:
        return None  # an id a concurrent writer committed meanwhile: the batch path sees it
    except DatabaseError as error:
        if ledger_sql.TRANSFER_ONE_REFUSED in str(error):
            return None
        raise


def _create_one(actor: Actor, item: TransferInput, now: datetime.datetime) -> TransferResult | None:
    """A single posted or pending transfer in one statement on PostgreSQL: migration
    0011's ``payments_transfer_one`` (the totals' updates with the rules in their
    ``WHERE``, then the insert) as the audit entry's ``alongside``, so the transfer and
    its entry are written together — one round trip, no BEGIN/COMMIT when the caller has
    no transaction (a savepoint when it has one). It only creates: ``None`` when the
    inputs are not a plain valid transfer or the function refused it (an account missing,
    frozen or closed, insufficient funds, the id exists), and nothing was written — the
    batch path then gives the exact status."""
    kind = _ONE_KINDS.get(item.kind)
    if kind is None or not _plain(item) or (kind == "pending" and item.timeout < 0):
        return None
    row, params = ledger_sql.transfer_one_row(item, kind, now)
    entry = _refused(
        lambda: auditing.record(
            actor=actor,
            action="payments.transfers.create",
            subject_type="payments.transfer",
            subject=str(item.id),
            summary={"count": 1, "amount": item.amount, "code": row["code"]},
            alongside=(ledger_sql.TRANSFER_ONE_SQL, params),
        )
    )
    if entry is None:
        return None
    row["seq"], row["debit_balance_after"], row["credit_balance_after"] = entry.alongside_id
    row["created_at"] = now
    return TransferResult(id=item.id, status="created", row=row)


def _apply(
    *, actor: Actor, inputs: Sequence[TransferInput], now: datetime.datetime
) -> list[TransferResult]:
    ids = [item.id for item in inputs]
    batch_ids = set(ids)
    pending_refs = {
        item.pending_id
        for item in inputs
        if item.kind in RESOLVING and item.pending_id and item.pending_id not in batch_ids
    }
    # Most batches resolve nothing: no query built for them (compiling an empty
    # ``__in`` costs the ORM as much as a real one, and a single transfer pays it twice).
    pendings: dict[uuid.UUID, dict[str, Any]] = {}
    if pending_refs:
        pendings = {
            row["id"]: dict(row)
            for row in Transfer.objects.filter(id__in=pending_refs).values(
                "id", "debit_account_id", "credit_account_id", "amount", "kind", "expires_at"
            )
        }
    account_ids: set[int] = set()
    for item in inputs:
        account_ids.update((item.debit_account_id, item.credit_account_id))
    for row in pendings.values():
        account_ids.update((row["debit_account_id"], row["credit_account_id"]))
    account_ids.discard(0)
    accounts, existing = ledger_sql.lock_and_read(account_ids, batch_ids)
    resolved: dict[uuid.UUID, str] = {}
    if pending_refs:
        resolved = dict(
            Transfer.objects.filter(pending_id__in=pending_refs).values_list("pending_id", "kind")
        )
    batch = Batch(
        now=now, accounts=accounts, pendings=pendings, resolved=resolved, existing=existing
    )

    statuses = run_chains(batch, inputs)

    rows = list(batch.created.values())
    if rows:
        # In the order they applied: ``seq`` follows it (statements, balances after).
        # The accounts a created transfer moved (one whose linked chain was undone
        # again gets its unchanged totals written: harmless, and rare).
        changed = [accounts[key] for key in batch.touched]
        ledger_sql.write(rows, changed, now)
        auditing.record(
            actor=actor,
            action="payments.transfers.create",
            subject_type="payments.transfer",
            subject=str(rows[0]["id"]),
            summary={
                "count": len(rows),
                "amount": sum(r["amount"] for r in rows if r["kind"] != TransferKind.VOID),
                "code": rows[0]["code"],
            },
        )
    missing_existing = [
        item.id
        for item, status in zip(inputs, statuses, strict=True)
        if status == "exists" and item.id not in batch.created
    ]
    stored = Transfer.objects.in_bulk(missing_existing) if missing_existing else {}
    created = batch.created
    results = []
    for item, status in zip(inputs, statuses, strict=True):
        values = created.get(item.id)
        if values is not None:
            values["created_at"] = now
        results.append(
            TransferResult(id=item.id, status=status, row=values, stored=stored.get(item.id))
        )
    return results


def problem_for(code: str) -> ProblemError:
    """The problem a failed transfer's status code stands for (HTTP status from the
    registry; the detail is the registered title)."""
    registered = problem_type_for_code(code)
    status = registered.status if registered else 409
    cls = {404: NotFound, 409: Conflict, 413: PayloadTooLarge, 422: ValidationFailed}.get(
        status, Conflict
    )
    title = str(registered.title) if registered else code
    return cls(title, code=code)
