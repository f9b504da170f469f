"""A Hypothesis state machine drives random sequences of ledger operations — transfers,
pending holds, posts (full or partial), voids, replays of an id with the same and with
other parameters, freezes — against a plain model, and checks after every step: the
stored totals equal the model's, no wallet is below zero, all balances sum to zero,
every balance equals its entries, and a pending transfer is resolved at most once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from nentang.payments import selectors, services
from nentang.payments.models import Account, AccountKind, Transfer, TransferKind
from nentang.payments.services import TransferInput
from nentang.payments.tests.support import OPERATOR

TOTALS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")


class Ledger(RuleBasedStateMachine):
    done = Bundle("done")

    def __init__(self) -> None:
        super().__init__()
        self.prefix = uuid.uuid4().hex[:8]
        self.accounts: list[Account] = []
        self.model: dict[int, dict[str, int]] = {}
        self.frozen: set[int] = set()
        self.resolved: set[uuid.UUID] = set()
        self.open_pendings: list[TransferInput] = []

    @initialize()
    def open_accounts(self) -> None:
        kinds = [AccountKind.SYSTEM] + [AccountKind.WALLET] * 4 + [AccountKind.MERCHANT]
        for n, kind in enumerate(kinds):
            acc = services.account_open(
                actor=OPERATOR, code=f"{kind}:{self.prefix}:{n}", kind=kind, name=str(n)
            )
            self.accounts.append(acc)
            self.model[acc.id] = dict.fromkeys(TOTALS, 0)

    # -- helpers -------------------------------------------------------------------
    def _available(self, acc: Account) -> int:
        m = self.model[acc.id]
        return m["credits_posted"] - m["debits_posted"] - m["debits_pending"]

    def _apply(self, debit: int, credit: int, deltas: dict[str, int]) -> None:
        for side, account_id in (("debits", debit), ("credits", credit)):
            for phase in ("pending", "posted"):
                self.model[account_id][f"{side}_{phase}"] += deltas.get(phase, 0)

    def _expected_new(self, debit: Account, credit: Account, amount: int) -> str:
        if debit.id in self.frozen or credit.id in self.frozen:
            return "payment_account_frozen"
        if debit.kind != AccountKind.SYSTEM and self._available(debit) < amount:
            return "insufficient_funds"
        return "created"

    # -- rules ---------------------------------------------------------------------
    @rule(
        target=done,
        debit=st.integers(0, 5),
        credit=st.integers(0, 5),
        amount=st.integers(1, 300_000),
        pending=st.booleans(),
    )
    def transfer(self, debit: int, credit: int, amount: int, pending: bool) -> Any:
        return self._transfer(debit, credit, amount, pending)

    def _transfer(self, debit: int, credit: int, amount: int, pending: bool) -> Any:
        a, b = self.accounts[debit], self.accounts[credit]
        item = TransferInput(
            id=uuid.uuid4(),
            debit_account_id=a.id,
            credit_account_id=b.id,
            amount=amount,
            kind=TransferKind.PENDING if pending else TransferKind.POSTED,
            code="test",
        )
        status = services.transfers_create(actor=OPERATOR, transfers=[item])[0].status
        expected = (
            "accounts_must_be_different" if a.id == b.id else self._expected_new(a, b, amount)
        )
        assert status == expected, (status, expected)
        if status == "created":
            self._apply(a.id, b.id, {"pending" if pending else "posted": amount})
            if pending:
                return item
        return item if status == "created" else None

    @rule(debit=st.integers(0, 5), credit=st.integers(0, 5), amount=st.integers(1, 50_000))
    def hold(self, debit: int, credit: int, amount: int) -> None:
        item = self._transfer(debit, credit, amount, True)
        if item is not None:
            self.open_pendings.append(item)

    @rule(share=st.integers(0, 100), void=st.booleans())
    def resolve(self, share: int, void: bool) -> None:
        if not self.open_pendings:
            return
        pending = self.open_pendings.pop(0)
        assert pending.amount is not None
        amount = pending.amount * share // 100
        item = TransferInput(
            id=uuid.uuid4(),
            kind=TransferKind.VOID if void else TransferKind.POST,
            pending_id=pending.id,
            amount=None if void else amount,
            code="test",
        )
        status = services.transfers_create(actor=OPERATOR, transfers=[item])[0].status
        debit, credit = pending.debit_account_id, pending.credit_account_id
        if not void and (debit in self.frozen or credit in self.frozen):
            assert status == "payment_account_frozen"
            self.open_pendings.append(pending)
            return
        assert status == "created", status
        self._apply(debit, credit, {"pending": -pending.amount, "posted": 0 if void else amount})
        self.resolved.add(pending.id)
        again = TransferInput(
            id=uuid.uuid4(), kind=TransferKind.POST, pending_id=pending.id, code="test"
        )
        second = services.transfers_create(actor=OPERATOR, transfers=[again])[0].status
        assert second in ("pending_transfer_already_posted", "pending_transfer_already_voided")

    @rule(item=consumes(done), same=st.booleans())
    def replay(self, item: TransferInput | None, same: bool) -> None:
        if item is None:
            return
        replayed = item if same else TransferInput(**{**item.__dict__, "amount": item.amount + 1})  # type: ignore[operator]
        status = services.transfers_create(actor=OPERATOR, transfers=[replayed])[0].status
        assert status == ("exists" if same else "transfer_exists_with_different_parameters")

    @rule(index=st.integers(1, 5))
    def toggle_freeze(self, index: int) -> None:
        acc = self.accounts[index]
        frozen = acc.id in self.frozen
        services.account_set_status(
            actor=OPERATOR, account=acc, status="active" if frozen else "frozen", reason="test"
        )
        (self.frozen.discard if frozen else self.frozen.add)(acc.id)

    # -- invariants ----------------------------------------------------------------
    @invariant()
    def totals_match_the_model_and_wallets_stay_above_zero(self) -> None:
        if not self.accounts:
            return
        rows = Account.objects.filter(id__in=self.model).values("id", "kind", *TOTALS)
        total = 0
        for row in rows:
            assert {name: row[name] for name in TOTALS} == self.model[row["id"]]
            balance = row["credits_posted"] - row["debits_posted"]
            total += balance
            if row["kind"] != AccountKind.SYSTEM:
                assert balance - row["debits_pending"] >= 0
        assert total == 0

    @invariant()
    def every_pending_is_resolved_at_most_once(self) -> None:
        if self.resolved:
            resolutions = Transfer.objects.filter(pending_id__in=self.resolved).count()
            assert resolutions == len(self.resolved)

    def teardown(self) -> None:
        report = selectors.ledger_reconcile()
        assert report.ok, (report.differences, report.problems)


Ledger.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.django_db
def test_random_ledger_operations_keep_every_invariant() -> None:
    Ledger.TestCase().runTest()
