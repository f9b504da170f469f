"""A single posted or pending transfer on PostgreSQL is one statement — the transfer,
both accounts' totals and its audit entry (migration 0011's ``payments_transfer_one``
as the entry's ``alongside``) — and a refusal writes nothing, entry included, whether
or not the caller has a transaction of its own."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from nentang.payments import selectors, services
from nentang.payments.models import Account, Transfer
from nentang.payments.tests.support import OPERATOR, account, fresh, fund, move

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def entries() -> int:
    return int(
        apps.get_model("audit", "AuditEntry")
        .objects.filter(action="payments.transfers.create")
        .count()
    )


def test_a_single_transfer_without_a_transaction_is_one_statement() -> None:
    alice, bob = account("wallet:one-a"), account("wallet:one-b")
    fund(alice, 100_000)
    before = entries()

    with CaptureQueriesContext(connection) as queries:
        [result] = services.transfers_create(actor=OPERATOR, transfers=[move(alice, bob, 30_000)])

    assert result.status == "created"
    # (The audit context's after-commit "is an integrator run waiting?" aside: inline in
    # the tests, gathered per process every few milliseconds in production.)
    sent = [q["sql"] for q in queries.captured_queries if "dbtaskresult" not in q["sql"]]
    assert len(sent) == 1, [sql[:80] for sql in sent]
    assert "payments_transfer_one" in sent[0]
    assert "audit_auditentry" in sent[0]
    assert entries() == before + 1
    stored = Transfer.objects.get(id=result.id)
    assert (stored.debit_balance_after, stored.credit_balance_after) == (70_000, 30_000)
    assert result.transfer is not None
    assert (result.transfer.seq, result.transfer.debit_balance_after) == (stored.seq, 70_000)
    assert (fresh(alice).balance, fresh(bob).balance) == (70_000, 30_000)
    assert selectors.ledger_reconcile().ok


def test_a_pending_transfer_reserves_in_one_statement_and_posts_through_the_batch_path() -> None:
    alice, bob = account("wallet:one-c"), account("wallet:one-d")
    fund(alice, 50_000)

    hold = move(alice, bob, 20_000, kind="pending", timeout=60)
    [held] = services.transfers_create(actor=OPERATOR, transfers=[hold])
    assert held.status == "created"
    assert held.transfer is not None
    assert held.transfer.expires_at is not None
    assert (fresh(alice).debits_pending, fresh(alice).available) == (20_000, 30_000)
    # More than what is available now: refused, nothing written.
    assert services.transfers_create(
        actor=OPERATOR, transfers=[move(alice, bob, 30_001)]
    )[0].status == "insufficient_funds"  # fmt: skip
    post = move(alice, bob, None, kind="post", pending_id=hold.id)
    assert services.transfers_create(actor=OPERATOR, transfers=[post])[0].status == "created"
    assert (fresh(alice).balance, fresh(bob).balance) == (30_000, 20_000)
    assert selectors.ledger_reconcile().ok


def test_refusals_write_nothing_and_leave_no_audit_entry() -> None:
    alice, bob = account("wallet:one-e"), account("wallet:one-f")
    fund(alice, 10_000)
    first = move(alice, bob, 4_000)
    assert services.transfers_create(actor=OPERATOR, transfers=[first])[0].status == "created"
    before, count = entries(), Transfer.objects.count()

    def status(item: object) -> str:
        return services.transfers_create(actor=OPERATOR, transfers=[item])[0].status  # type: ignore[list-item]

    assert status(move(alice, bob, 6_001)) == "insufficient_funds"
    assert status(first) == "exists"
    assert status(move(alice, bob, 4_001, id=first.id)) == (
        "transfer_exists_with_different_parameters"
    )
    services.account_set_status(actor=OPERATOR, account=bob, status="frozen", reason="check")
    assert status(move(alice, bob, 1)) == "payment_account_frozen"
    assert status(move(alice, Account(id=99_999_999), 1)) == "credit_account_not_found"

    assert (entries(), Transfer.objects.count()) == (before, count)
    assert (fresh(alice).balance, fresh(bob).balance) == (6_000, 4_000)
    assert selectors.ledger_reconcile().ok


def test_a_refusal_inside_the_callers_transaction_leaves_it_usable() -> None:
    alice, bob = account("wallet:one-g"), account("wallet:one-h")
    fund(alice, 1_000)

    with transaction.atomic():
        refused = services.transfers_create(actor=OPERATOR, transfers=[move(alice, bob, 1_001)])
        created = services.transfers_create(actor=OPERATOR, transfers=[move(alice, bob, 1_000)])

    assert [refused[0].status, created[0].status] == ["insufficient_funds", "created"]
    assert (fresh(alice).balance, fresh(bob).balance) == (0, 1_000)
    assert selectors.ledger_reconcile().ok


def test_a_batch_with_a_failing_transfer_falls_back_to_transfer_by_transfer() -> None:
    alice, bob = account("wallet:one-k"), account("wallet:one-l")
    fund(alice, 100)
    before = entries()
    batch = [move(alice, bob, 60), move(alice, bob, 60), move(alice, bob, 40)]

    results = services.transfers_create(actor=OPERATOR, transfers=batch)

    assert [r.status for r in results] == ["created", "insufficient_funds", "created"]
    assert entries() == before + 1
    assert (fresh(alice).balance, fresh(bob).balance) == (0, 100)
    # The same batch again: the two that exist are answered as such, nothing moves.
    again = services.transfers_create(actor=OPERATOR, transfers=batch)
    assert [r.status for r in again] == ["exists", "insufficient_funds", "exists"]
    assert (fresh(alice).balance, fresh(bob).balance) == (0, 100)
    assert selectors.ledger_reconcile().ok
