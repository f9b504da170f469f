"""The ledger's one service interface: accounts and transfers, with TigerBeetle's
semantics (docs/payments.md maps each notion to TigerBeetle's).

``transfers_create`` is the only function that moves money. It takes up to
:data:`MAX_BATCH` transfers and returns one result per transfer, in order:

1. read the pending transfers that the batch posts or voids (immutable rows);
2. lock every account involved in one ``SELECT … FOR UPDATE`` ordered by id (a stable
   order: two batches touching the same accounts never deadlock);
3. read the transfers that already exist with the batch's ids, and the resolutions of
   its pending transfers (after the lock, so a concurrent writer's commit is seen);
4. apply the batch in order to the locked totals in memory (linked chains roll back
   together), and
5. write with set-based SQL: one multi-row insert of the transfers, one of their entries
   (the two legs), one ``UPDATE … FROM`` of the accounts' four totals, one audit entry.

A transfer that fails writes nothing; the others of its batch still apply (unless
linked to it). Calling it again with the same ids is safe: each existing transfer with
the same parameters comes back as ``exists`` with the original row.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import (
    Conflict,
    FieldError,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    ValidationFailed,
)
from nentang.kernel.errors.registry import problem_type_for_code
from nentang.payments.models import Account, AccountKind, Entry, Transfer, TransferKind
from nentang.payments.problems import (
    ACCOUNT_CLOSED,
    ACCOUNT_FROZEN,
    ACCOUNT_NOT_EMPTY,
    ACCOUNTS_MUST_BE_DIFFERENT,
    AMOUNT_MUST_BE_POSITIVE,
    AMOUNT_NOT_WHOLE,
    CREDIT_ACCOUNT_NOT_FOUND,
    DEBIT_ACCOUNT_NOT_FOUND,
    INSUFFICIENT_FUNDS,
    LINKED_CHAIN_OPEN,
    LINKED_EVENT_FAILED,
    PENDING_ID_MUST_BE_EMPTY,
    PENDING_ID_REQUIRED,
    PENDING_TRANSFER_ALREADY_POSTED,
    PENDING_TRANSFER_ALREADY_VOIDED,
    PENDING_TRANSFER_EXPIRED,
    PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS,
    PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT,
    PENDING_TRANSFER_NOT_EXPIRED,
    PENDING_TRANSFER_NOT_FOUND,
    PENDING_TRANSFER_NOT_PENDING,
    POST_AMOUNT_EXCEEDS_PENDING,
    TIMEOUT_INVALID,
    TRANSFER_BATCH_TOO_LARGE,
    TRANSFER_CODE_REQUIRED,
    TRANSFER_EXISTS_DIFFERENT,
    TRANSFER_KIND_INVALID,
)

MAX_BATCH = 8000
# Two transfers are "the same" when these parameters are equal (the id aside).
COMPARED = ("debit_account_id", "credit_account_id", "amount", "kind", "pending_id", "code")
RESOLVING = (TransferKind.POST, TransferKind.VOID, TransferKind.EXPIRE)
NAMESPACE = uuid.UUID("3f0c2a8e-7d0b-4c43-9a52-6b0e4e2f4a11")


@dataclass(frozen=True)
class TransferInput:
    """One transfer to create. For ``post``/``void`` the accounts may be left 0 (they are
    the pending transfer's) and ``amount=None`` posts the full pending amount."""

    id: uuid.UUID
    debit_account_id: int = 0
    credit_account_id: int = 0
    amount: int | None = None
    kind: str = TransferKind.POSTED
    pending_id: uuid.UUID | None = None
    linked: bool = False
    timeout: int = 0
    code: str = ""
    reference: str = ""


@dataclass(frozen=True)
class TransferResult:
    id: uuid.UUID
    status: str  # "created", "exists" or a problem code
    transfer: Transfer | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("created", "exists")


@dataclass
class _Batch:
    now: datetime.datetime
    accounts: dict[int, dict[str, Any]]
    pendings: dict[uuid.UUID, dict[str, Any]]
    resolved: dict[uuid.UUID, str]
    existing: dict[uuid.UUID, dict[str, Any]]
    created: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    undo: list[tuple[str, Any, Any, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------- accounts


SYSTEM_ACCOUNTS = {
    "system:cash-float": "Tiền mặt tại đại lý (quỹ hệ thống)",
    "system:bank-settlement": "Tài khoản thanh toán ngân hàng",
    "system:fee-revenue": "Doanh thu phí",
    "system:cod-clearing": "Thu hộ COD chờ đối soát",
}


def account_open(
    *,
    actor: Actor,
    code: str,
    kind: str,
    name: str,
    owner: str = "",
) -> Account:
    """Open an account (idempotent per ``code``: an existing one is returned). System
    accounts may go negative; every other kind may not spend more than it received."""
    if kind not in AccountKind.values:
        raise ValidationFailed(errors=[FieldError("kind", _("Unknown account kind."))])
    with transaction.atomic():
        account, created = Account.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "owner": owner,
                "debits_must_not_exceed_credits": kind != AccountKind.SYSTEM,
                "created_at": timezone.now(),
            },
        )
        if created:
            auditing.record(
                actor=actor,
                action="payments.account.open",
                subject_type="payments.account",
                subject=str(account.public_id),
                summary={"code": code, "kind": kind},
            )
    return account


def system_account(code: str) -> Account:
    """A system account by code, opened on first use."""
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    return account_open(
        actor=Actor.system("payments"),
        code=code,
        kind=AccountKind.SYSTEM,
        name=SYSTEM_ACCOUNTS.get(code, code),
    )


def account_set_status(*, actor: Actor, account: Account, status: str, reason: str) -> Account:
    """Freeze, unfreeze or close an account. Closing needs a zero balance and nothing
    pending; a closed account never reopens."""
    if status not in Account.Status.values:
        raise ValidationFailed(errors=[FieldError("status", _("Unknown status."))])
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.status == Account.Status.CLOSED:
            raise Conflict(_("This account is closed."), code=ACCOUNT_CLOSED)
        if status == Account.Status.CLOSED and (
            locked.balance != 0 or locked.debits_pending or locked.credits_pending
        ):
            raise Conflict(
                _("Only an account with a zero balance and nothing pending can be closed."),
                code=ACCOUNT_NOT_EMPTY,
            )
        previous = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        auditing.record(
            actor=actor,
            action="payments.account.status",
            subject_type="payments.account",
            subject=str(locked.public_id),
            summary={"from": previous, "to": status, "reason": reason[:200]},
        )
    return locked


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
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _apply(actor=actor, inputs=transfers, now=now or timezone.now())
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
    pendings: dict[uuid.UUID, dict[str, Any]] = {
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
    accounts = _lock_accounts(account_ids)
    before = {key: dict(row) for key, row in accounts.items()}
    existing = _existing(batch_ids)
    resolved = dict(
        Transfer.objects.filter(pending_id__in=pending_refs).values_list("pending_id", "kind")
    )
    batch = _Batch(
        now=now, accounts=accounts, pendings=pendings, resolved=resolved, existing=existing
    )

    statuses = _run_chains(batch, inputs)

    transfers = [
        Transfer(
            id=row["id"],
            debit_account_id=row["debit_account_id"],
            credit_account_id=row["credit_account_id"],
            amount=row["amount"],
            kind=row["kind"],
            pending_id=row["pending_id"],
            linked=row["linked"],
            timeout=row["timeout"],
            expires_at=row["expires_at"],
            code=row["code"],
            reference=row["reference"],
            created_at=now,
        )
        for row in batch.created.values()
    ]
    if transfers:
        # Pending transfers first: a post or void in the same batch refers to them.
        transfers.sort(key=lambda t: t.kind != TransferKind.PENDING)
        _insert(transfers, batch.entries, now)
        changed = [row for key, row in accounts.items() if row != before.get(key)]
        _write_totals(changed)
        auditing.record(
            actor=actor,
            action="payments.transfers.create",
            subject_type="payments.transfer",
            subject=str(transfers[0].id),
            summary={
                "count": len(transfers),
                "amount": sum(t.amount for t in transfers if t.kind != TransferKind.VOID),
                "code": transfers[0].code,
            },
        )
    stored = {t.id: t for t in transfers}
    missing_existing = [
        item.id
        for item, status in zip(inputs, statuses, strict=True)
        if status == "exists" and item.id not in stored
    ]
    if missing_existing:
        stored.update(Transfer.objects.in_bulk(missing_existing))
    return [
        TransferResult(id=item.id, status=status, transfer=stored.get(item.id))
        for item, status in zip(inputs, statuses, strict=True)
    ]


def _run_chains(batch: _Batch, inputs: Sequence[TransferInput]) -> list[str]:
    """Apply the batch in order. A linked chain (members with ``linked`` up to the first
    without) succeeds or fails as one: the failing member keeps its own code, the others
    get ``linked_event_failed`` and their effects are undone. A chain still open at the
    end of the batch fails with ``linked_event_chain_open``."""
    ok = ("created", "exists")
    statuses = [""] * len(inputs)
    index, last = 0, len(inputs) - 1
    while index <= last:
        end = index
        while inputs[end].linked and end < last:
            end += 1
        members = range(index, end + 1)
        is_open = inputs[end].linked
        mark = len(batch.undo), len(batch.entries)
        failed_at = None
        for member in members:
            statuses[member] = _one(batch, inputs[member])
            if statuses[member] not in ok:
                failed_at = member
                break
        if failed_at is None and is_open:
            failed_at = end
            statuses[end] = LINKED_CHAIN_OPEN
        if failed_at is not None and (len(members) > 1 or is_open):
            _undo(batch, *mark)
            for member in members:
                if member != failed_at:
                    statuses[member] = LINKED_EVENT_FAILED
        index = end + 1
    return statuses


def _undo(batch: _Batch, undo_mark: int, entries_mark: int) -> None:
    while len(batch.undo) > undo_mark:
        what, target, key, old = batch.undo.pop()
        if what == "total":
            target[key] = old
        elif what == "created":
            del batch.created[key]
        else:  # "resolved"
            if old is None:
                batch.resolved.pop(key, None)
            else:
                batch.resolved[key] = old
    del batch.entries[entries_mark:]


def _one(batch: _Batch, item: TransferInput) -> str:
    """Check one transfer against the batch's state and apply it in memory."""
    pending = None
    if item.kind in RESOLVING:
        if item.pending_id is None:
            return PENDING_ID_REQUIRED
        pending = batch.created.get(item.pending_id) or batch.pendings.get(item.pending_id)
        if pending is None:
            return PENDING_TRANSFER_NOT_FOUND
        if pending["kind"] != TransferKind.PENDING:
            return PENDING_TRANSFER_NOT_PENDING
        debit = item.debit_account_id or pending["debit_account_id"]
        credit = item.credit_account_id or pending["credit_account_id"]
        if (debit, credit) != (pending["debit_account_id"], pending["credit_account_id"]):
            return PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS
        if item.kind == TransferKind.POST:
            amount = pending["amount"] if item.amount is None else item.amount
        else:
            amount = pending["amount"]
            if item.amount not in (None, pending["amount"]):
                return PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT
    else:
        if item.kind not in (TransferKind.POSTED, TransferKind.PENDING):
            return TRANSFER_KIND_INVALID
        if item.pending_id is not None:
            return PENDING_ID_MUST_BE_EMPTY
        debit, credit = item.debit_account_id, item.credit_account_id
        amount = item.amount if item.amount is not None else 0
    resolved = replace(item, debit_account_id=debit, credit_account_id=credit, amount=amount)

    previous = batch.existing.get(item.id) or batch.created.get(item.id)
    if previous is not None:
        if all(previous[name] == getattr(resolved, name) for name in COMPARED):
            return "exists"
        return TRANSFER_EXISTS_DIFFERENT

    if not item.code:
        return TRANSFER_CODE_REQUIRED
    if isinstance(amount, bool) or not isinstance(amount, int):
        return AMOUNT_NOT_WHOLE
    if debit == credit:
        return ACCOUNTS_MUST_BE_DIFFERENT
    debit_row = batch.accounts.get(debit)
    credit_row = batch.accounts.get(credit)
    if debit_row is None:
        return DEBIT_ACCOUNT_NOT_FOUND
    if credit_row is None:
        return CREDIT_ACCOUNT_NOT_FOUND
    if item.kind in (TransferKind.POSTED, TransferKind.PENDING) and amount <= 0:
        return AMOUNT_MUST_BE_POSITIVE
    assert pending is not None or item.kind not in RESOLVING
    if pending is not None:
        done = batch.resolved.get(pending["id"])
        if done == TransferKind.POST:
            return PENDING_TRANSFER_ALREADY_POSTED
        if done == TransferKind.VOID:
            return PENDING_TRANSFER_ALREADY_VOIDED
        if done == TransferKind.EXPIRE:
            return PENDING_TRANSFER_EXPIRED
        expires_at = pending.get("expires_at")
        if item.kind != TransferKind.EXPIRE and expires_at is not None and expires_at <= batch.now:
            return PENDING_TRANSFER_EXPIRED
        if item.kind == TransferKind.EXPIRE and (expires_at is None or expires_at > batch.now):
            return PENDING_TRANSFER_NOT_EXPIRED
        if amount < 0 or amount > pending["amount"]:
            return POST_AMOUNT_EXCEEDS_PENDING

    if item.kind in (TransferKind.POSTED, TransferKind.PENDING, TransferKind.POST):
        for row in (debit_row, credit_row):
            if row["status"] == Account.Status.FROZEN:
                return ACCOUNT_FROZEN
            if row["status"] == Account.Status.CLOSED:
                return ACCOUNT_CLOSED
    if item.kind == TransferKind.PENDING and item.timeout < 0:
        return TIMEOUT_INVALID

    # Deltas of the four totals on each side.
    if item.kind == TransferKind.POSTED:
        d_delta = {"debits_posted": amount}
        c_delta = {"credits_posted": amount}
    elif item.kind == TransferKind.PENDING:
        d_delta = {"debits_pending": amount}
        c_delta = {"credits_pending": amount}
    else:
        assert pending is not None
        held = pending["amount"]
        posted = amount if item.kind == TransferKind.POST else 0
        d_delta = {"debits_pending": -held, "debits_posted": posted}
        c_delta = {"credits_pending": -held, "credits_posted": posted}

    if debit_row["debits_must_not_exceed_credits"] and (
        debit_row["debits_posted"]
        + debit_row["debits_pending"]
        + d_delta.get("debits_posted", 0)
        + d_delta.get("debits_pending", 0)
        > debit_row["credits_posted"]
    ):
        return INSUFFICIENT_FUNDS

    for row, delta in ((debit_row, d_delta), (credit_row, c_delta)):
        for name, value in delta.items():
            batch.undo.append(("total", row, name, row[name]))
            row[name] += value
        batch.entries.append(
            {
                "account_id": row["id"],
                "transfer_id": item.id,
                "debits_pending": delta.get("debits_pending", 0),
                "debits_posted": delta.get("debits_posted", 0),
                "credits_pending": delta.get("credits_pending", 0),
                "credits_posted": delta.get("credits_posted", 0),
                "balance_after": row["credits_posted"] - row["debits_posted"],
            }
        )
    expires = None
    if item.kind == TransferKind.PENDING and item.timeout > 0:
        expires = batch.now + datetime.timedelta(seconds=item.timeout)
    batch.created[item.id] = {
        "id": item.id,
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "kind": item.kind,
        "pending_id": item.pending_id,
        "linked": item.linked,
        "timeout": item.timeout if item.kind == TransferKind.PENDING else 0,
        "expires_at": expires,
        "code": item.code,
        "reference": item.reference[:140],
    }
    batch.undo.append(("created", None, item.id, None))
    if pending is not None:
        batch.undo.append(("resolved", None, pending["id"], batch.resolved.get(pending["id"])))
        batch.resolved[pending["id"]] = item.kind
    return "created"


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
    ("created_at", "timestamptz"),
)
_ENTRY_COLUMNS = (
    ("account_id", "bigint"),
    ("transfer_id", "uuid"),
    ("debits_pending", "bigint"),
    ("debits_posted", "bigint"),
    ("credits_pending", "bigint"),
    ("credits_posted", "bigint"),
    ("balance_after", "bigint"),
    ("created_at", "timestamptz"),
)


def _insert(
    transfers: list[Transfer], entries: list[dict[str, Any]], now: datetime.datetime
) -> None:
    """The batch's transfers and entries, each in one statement on PostgreSQL (arrays
    through ``unnest``: no per-value work in Python), Django's bulk insert elsewhere."""
    if connection.vendor != "postgresql":
        Transfer.objects.bulk_create(transfers)
        Entry.objects.bulk_create([Entry(created_at=now, **entry) for entry in entries])
        return
    assert Transfer._meta.db_table == "payments_transfer"
    assert Entry._meta.db_table == "payments_entry"
    with connection.cursor() as cursor:
        for table, columns, rows in (
            (
                "payments_transfer",
                _TRANSFER_COLUMNS,
                [[getattr(t, name) for t in transfers] for name, _type in _TRANSFER_COLUMNS],
            ),
            (
                "payments_entry",
                _ENTRY_COLUMNS,
                [
                    [now] * len(entries) if name == "created_at" else [e[name] for e in entries]
                    for name, _type in _ENTRY_COLUMNS
                ],
            ),
        ):
            names = ", ".join(name for name, _type in columns)
            arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
            sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
            cursor.execute(sql, rows)


_ACCOUNT_FIELDS = (
    "id",
    "status",
    "debits_must_not_exceed_credits",
    "debits_pending",
    "debits_posted",
    "credits_pending",
    "credits_posted",
)


def _lock_accounts(ids: set[int]) -> dict[int, dict[str, Any]]:
    """Lock the accounts in id order and read their totals. On PostgreSQL the ids go as
    one array parameter (``= ANY``), not thousands of placeholders."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, status, debits_must_not_exceed_credits, debits_pending, "
                "debits_posted, credits_pending, credits_posted FROM payments_account "
                "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
                [list(ids)],
            )
            return {row[0]: dict(zip(_ACCOUNT_FIELDS, row, strict=True)) for row in cursor}
    rows = (
        Account.objects.select_for_update()
        .filter(id__in=ids)
        .order_by("id")
        .values(*_ACCOUNT_FIELDS)
    )
    return {row["id"]: dict(row) for row in rows}


def _existing(ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if connection.vendor == "postgresql":
        names = ("id", *COMPARED)
        columns = ", ".join(names)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM payments_transfer WHERE id = ANY(%s::uuid[])",  # noqa: S608
                [list(ids)],
            )
            return {row[0]: dict(zip(names, row, strict=True)) for row in cursor}
    return {row["id"]: row for row in Transfer.objects.filter(id__in=ids).values("id", *COMPARED)}


def _write_totals(rows: Iterable[dict[str, Any]]) -> None:
    """Set the four totals of the locked accounts in one statement (chunks on SQLite)."""
    rows = list(rows)
    if not rows:
        return
    assert Account._meta.db_table == "payments_account"
    names = ("id", "debits_pending", "debits_posted", "credits_pending", "credits_posted")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = (
                "UPDATE payments_account AS a SET debits_pending = v.dpe, "
                "debits_posted = v.dpo, credits_pending = v.cpe, credits_posted = v.cpo "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], "
                "%s::bigint[]) AS v(id, dpe, dpo, cpe, cpo) WHERE a.id = v.id"
            )
            cursor.execute(sql, [[row[name] for row in rows] for name in names])
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
