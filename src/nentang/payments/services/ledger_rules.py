"""The ledger's rules, applied in memory to one batch: each transfer is checked against
the locked accounts' totals and the batch's earlier transfers, in order, and linked
chains roll back together through an undo log (``transfers_create`` then writes what
was created with set-based SQL, see ``ledger_sql``)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nentang.payments.models import Account, Transfer, TransferKind
from nentang.payments.problems import (
    ACCOUNT_CLOSED,
    ACCOUNT_FROZEN,
    ACCOUNTS_MUST_BE_DIFFERENT,
    AMOUNT_MUST_BE_POSITIVE,
    AMOUNT_NOT_WHOLE,
    AMOUNT_TOO_LARGE,
    CREDIT_ACCOUNT_NOT_FOUND,
    DEBIT_ACCOUNT_NOT_FOUND,
    INSUFFICIENT_FUNDS,
    LINKED_CHAIN_OPEN,
    LINKED_EVENT_FAILED,
    MAX_AMOUNT,
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
    TRANSFER_CODE_REQUIRED,
    TRANSFER_EXISTS_DIFFERENT,
    TRANSFER_KIND_INVALID,
)

MAX_BATCH = 8000
# Two transfers are "the same" when these parameters are equal (the id aside).
COMPARED = ("debit_account_id", "credit_account_id", "amount", "kind", "pending_id", "code")
RESOLVING = (TransferKind.POST, TransferKind.VOID, TransferKind.EXPIRE)
# Plain strings for the hot loop (an enum member's lookup costs more than the compare).
_POSTED, _PENDING, _POST = str(TransferKind.POSTED), str(TransferKind.PENDING), "post"
_VOID, _EXPIRE = str(TransferKind.VOID), str(TransferKind.EXPIRE)
_ACTIVE, _FROZEN = str(Account.Status.ACTIVE), str(Account.Status.FROZEN)
assert _POST == TransferKind.POST


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
    """One transfer's outcome. ``transfer`` is the stored row; for a created transfer it
    is built from the batch's values only when asked (a batch of 8,000 whose caller
    reads only the statuses builds no model instances)."""

    id: uuid.UUID
    status: str  # "created", "exists" or a problem code
    row: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    stored: Transfer | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status in ("created", "exists")

    @property
    def transfer(self) -> Transfer | None:
        if self.stored is None and self.row is not None:
            built = Transfer(**self.row)
            built._state.adding = False
            built._state.db = "default"
            object.__setattr__(self, "stored", built)
        return self.stored


@dataclass
class Batch:
    now: datetime.datetime
    accounts: dict[int, dict[str, Any]]
    pendings: dict[uuid.UUID, dict[str, Any]]
    resolved: dict[uuid.UUID, str]
    existing: dict[uuid.UUID, dict[str, Any]]
    created: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)  # accounts whose totals moved
    undo: list[tuple[str, Any, Any, Any]] = field(default_factory=list)


def run_chains(batch: Batch, inputs: Sequence[TransferInput]) -> list[str]:
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
        mark = len(batch.undo)
        failed_at = None
        # Only a chain needs an undo log: a lone transfer that fails changed nothing.
        chained = end > index or is_open
        for member in members:
            statuses[member] = apply_one(batch, inputs[member], chained)
            if statuses[member] not in ok:
                failed_at = member
                break
        if failed_at is None and is_open:
            failed_at = end
            statuses[end] = LINKED_CHAIN_OPEN
        if failed_at is not None and (len(members) > 1 or is_open):
            _undo(batch, mark)
            for member in members:
                if member != failed_at:
                    statuses[member] = LINKED_EVENT_FAILED
        index = end + 1
    return statuses


def _undo(batch: Batch, undo_mark: int) -> None:
    while len(batch.undo) > undo_mark:
        what, target, key, old = batch.undo.pop()
        if what == "totals":
            target[key + "_pending"], target[key + "_posted"] = old
        elif what == "created":
            del batch.created[key]
        else:  # "resolved"
            if old is None:
                batch.resolved.pop(key, None)
            else:
                batch.resolved[key] = old


def apply_one(batch: Batch, item: TransferInput, chained: bool = True) -> str:
    """Check one transfer against the batch's state and apply it in memory (with an
    undo log when it belongs to a linked chain)."""
    pending = None
    kind = item.kind
    if kind != _POSTED and kind in RESOLVING:
        if item.pending_id is None:
            return PENDING_ID_REQUIRED
        pending = batch.created.get(item.pending_id) or batch.pendings.get(item.pending_id)
        if pending is None:
            return PENDING_TRANSFER_NOT_FOUND
        if pending["kind"] != _PENDING:
            return PENDING_TRANSFER_NOT_PENDING
        debit = item.debit_account_id or pending["debit_account_id"]
        credit = item.credit_account_id or pending["credit_account_id"]
        if (debit, credit) != (pending["debit_account_id"], pending["credit_account_id"]):
            return PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS
        if kind == _POST:
            amount = pending["amount"] if item.amount is None else item.amount
        else:
            amount = pending["amount"]
            if item.amount not in (None, pending["amount"]):
                return PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT
    else:
        if kind not in (_POSTED, _PENDING):
            return TRANSFER_KIND_INVALID
        if item.pending_id is not None:
            return PENDING_ID_MUST_BE_EMPTY
        debit, credit = item.debit_account_id, item.credit_account_id
        amount = item.amount if item.amount is not None else 0
    created = batch.created
    previous = created.get(item.id)
    if previous is None and batch.existing:
        previous = batch.existing.get(item.id)
    if previous is not None:
        # The same parameters as COMPARED names them, with the accounts and amount
        # resolved from the pending transfer.
        same = (debit, credit, amount, kind, item.pending_id, item.code)
        if tuple(previous[name] for name in COMPARED) == same:
            return "exists"
        return TRANSFER_EXISTS_DIFFERENT

    if not item.code:
        return TRANSFER_CODE_REQUIRED
    if type(amount) is not int and (isinstance(amount, bool) or not isinstance(amount, int)):
        return AMOUNT_NOT_WHOLE
    if amount > MAX_AMOUNT:
        return AMOUNT_TOO_LARGE
    if debit == credit:
        return ACCOUNTS_MUST_BE_DIFFERENT
    accounts = batch.accounts
    debit_row = accounts.get(debit)
    credit_row = accounts.get(credit)
    if debit_row is None:
        return DEBIT_ACCOUNT_NOT_FOUND
    if credit_row is None:
        return CREDIT_ACCOUNT_NOT_FOUND
    if amount <= 0 and kind in (_POSTED, _PENDING):
        return AMOUNT_MUST_BE_POSITIVE
    if pending is not None:
        done = batch.resolved.get(pending["id"])
        if done == _POST:
            return PENDING_TRANSFER_ALREADY_POSTED
        if done == _VOID:
            return PENDING_TRANSFER_ALREADY_VOIDED
        if done == _EXPIRE:
            return PENDING_TRANSFER_EXPIRED
        expires_at = pending.get("expires_at")
        if kind != _EXPIRE and expires_at is not None and expires_at <= batch.now:
            return PENDING_TRANSFER_EXPIRED
        if kind == _EXPIRE and (expires_at is None or expires_at > batch.now):
            return PENDING_TRANSFER_NOT_EXPIRED
        if amount < 0 or amount > pending["amount"]:
            return POST_AMOUNT_EXCEEDS_PENDING

    if (debit_row["status"] != _ACTIVE or credit_row["status"] != _ACTIVE) and kind in (
        _POSTED,
        _PENDING,
        _POST,
    ):
        for row in (debit_row, credit_row):
            if row["status"] == _FROZEN:
                return ACCOUNT_FROZEN
            if row["status"] != _ACTIVE:
                return ACCOUNT_CLOSED
    if kind == _PENDING and item.timeout < 0:
        return TIMEOUT_INVALID

    # The four totals of each side move by the same deltas: pending by ``pending``,
    # posted by ``posted`` (a post/void/expire first releases what the pending held).
    if kind == _POSTED:
        pending_delta, posted, held = 0, amount, 0
    elif kind == _PENDING:
        pending_delta, posted, held = amount, 0, 0
    else:
        assert pending is not None
        held = pending["amount"]
        pending_delta = -held
        posted = amount if kind == _POST else 0

    if debit_row["debits_must_not_exceed_credits"] and (
        debit_row["debits_posted"] + debit_row["debits_pending"] + posted + pending_delta
        > debit_row["credits_posted"]
    ):
        return INSUFFICIENT_FUNDS

    if chained:
        batch.undo.append(
            (
                "totals",
                debit_row,
                "debits",
                (debit_row["debits_pending"], debit_row["debits_posted"]),
            )
        )
        batch.undo.append(
            (
                "totals",
                credit_row,
                "credits",
                (credit_row["credits_pending"], credit_row["credits_posted"]),
            )
        )
    batch.touched.add(debit)
    batch.touched.add(credit)
    debit_row["debits_pending"] += pending_delta
    debit_row["debits_posted"] += posted
    credit_row["credits_pending"] += pending_delta
    credit_row["credits_posted"] += posted
    expires = None
    if kind == _PENDING and item.timeout > 0:
        expires = batch.now + datetime.timedelta(seconds=item.timeout)
    created[item.id] = {
        "id": item.id,
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "kind": kind,
        "pending_id": item.pending_id,
        "linked": item.linked,
        "timeout": item.timeout if kind == _PENDING else 0,
        "expires_at": expires,
        "code": item.code,
        "reference": item.reference[:140],
        "held": held,
        "debit_balance_after": debit_row["credits_posted"] - debit_row["debits_posted"],
        "credit_balance_after": credit_row["credits_posted"] - credit_row["debits_posted"],
    }
    if chained:
        batch.undo.append(("created", None, item.id, None))
    if pending is not None:
        if chained:
            batch.undo.append(("resolved", None, pending["id"], batch.resolved.get(pending["id"])))
        batch.resolved[pending["id"]] = kind
    return "created"
