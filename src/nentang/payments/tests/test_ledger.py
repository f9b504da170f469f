"""The ledger's rules, one by one: double entry, idempotent ids, balance rules, frozen
and closed accounts, two-phase transfers, linked chains, batches, statements."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nentang.kernel.errors import Conflict, PayloadTooLarge, ProblemError
from nentang.payments import selectors, services
from nentang.payments.models import Account, AccountKind, Entry, Transfer, TransferKind
from nentang.payments.services import TransferInput
from nentang.payments.tests.support import OPERATOR, account, fresh, fund, move

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> Account:
    return account("wallet:alice")


@pytest.fixture
def bob() -> Account:
    return account("wallet:bob")


def create(*inputs: TransferInput) -> list[str]:
    return [r.status for r in services.transfers_create(actor=OPERATOR, transfers=inputs)]


def assert_reconciled() -> None:
    report = selectors.ledger_reconcile()
    assert report.ok, (report.differences, report.problems)
    assert report.sums["debits_posted"] == report.sums["credits_posted"]


def test_a_transfer_debits_one_account_and_credits_another(alice: Account, bob: Account) -> None:
    fund(alice, 500_000)

    transfer = services.transfer_create(actor=OPERATOR, transfer=move(alice, bob, 120_000))

    assert (fresh(alice).balance, fresh(bob).balance) == (380_000, 120_000)
    assert transfer.kind == TransferKind.POSTED
    legs = Entry.objects.filter(transfer=transfer).order_by("account_id")
    assert [(e.account_id, e.balance_after) for e in legs] == [
        (alice.id, 380_000),
        (bob.id, 120_000),
    ]
    bank = services.system_account("system:bank-settlement")
    assert fresh(bank).balance == -500_000  # system accounts may go negative
    assert sum(a.balance for a in Account.objects.all()) == 0
    assert (
        apps.get_model("audit", "AuditEntry")
        .objects.filter(action="payments.transfers.create")
        .count()
        == 2
    )
    assert_reconciled()


def test_the_same_id_returns_the_original_and_other_parameters_are_refused(
    alice: Account, bob: Account
) -> None:
    fund(alice, 100_000)
    first = move(alice, bob, 10_000)

    assert create(first) == ["created"]
    assert create(first) == ["exists"]
    again = services.transfer_create(actor=OPERATOR, transfer=first)
    assert again.id == first.id
    assert again.amount == 10_000

    changed = TransferInput(
        id=first.id, debit_account_id=alice.id, credit_account_id=bob.id, amount=10_001, code="p2p"
    )
    with pytest.raises(Conflict) as refused:
        services.transfer_create(actor=OPERATOR, transfer=changed)
    assert refused.value.code == "transfer_exists_with_different_parameters"
    assert (fresh(alice).balance, fresh(bob).balance) == (90_000, 10_000)
    assert Transfer.objects.filter(id=first.id).count() == 1


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "amount_must_be_positive"),
        (-5, "amount_must_be_positive"),
        (2.5, "amount_not_whole"),
        (10**15 + 1, "amount_too_large"),
        (2**63, "amount_too_large"),  # past PostgreSQL's bigint: was a 500
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(
    alice: Account, bob: Account, amount: object, code: str
) -> None:
    fund(alice, 100_000)
    before = Transfer.objects.count()

    assert create(move(alice, bob, amount)) == [code]  # type: ignore[arg-type]

    assert Transfer.objects.count() == before
    assert fresh(alice).balance == 100_000


def test_a_wallet_cannot_spend_more_than_it_received(alice: Account, bob: Account) -> None:
    fund(alice, 50_000)

    with pytest.raises(Conflict) as refused:
        services.transfer_create(actor=OPERATOR, transfer=move(alice, bob, 50_001))

    assert refused.value.code == "insufficient_funds"
    assert create(move(alice, bob, 50_000)) == ["created"]
    assert fresh(alice).balance == 0


def test_unknown_and_identical_accounts(alice: Account) -> None:
    assert create(
        TransferInput(id=uuid.uuid4(), debit_account_id=alice.id, credit_account_id=99_999,
                      amount=1, code="p2p"),
        TransferInput(id=uuid.uuid4(), debit_account_id=99_999, credit_account_id=alice.id,
                      amount=1, code="p2p"),
        move(alice, alice, 1),
        move(alice, account("wallet:carol"), 1, code=""),
    ) == [
        "credit_account_not_found",
        "debit_account_not_found",
        "accounts_must_be_different",
        "transfer_code_required",
    ]  # fmt: skip


def test_frozen_and_closed_accounts(alice: Account, bob: Account) -> None:
    fund(alice, 10_000)
    services.account_set_status(actor=OPERATOR, account=bob, status="frozen", reason="fraud")

    assert create(move(alice, bob, 1_000)) == ["payment_account_frozen"]
    assert create(move(bob, alice, 1_000)) == ["payment_account_frozen"]

    services.account_set_status(actor=OPERATOR, account=bob, status="active", reason="cleared")
    assert create(move(alice, bob, 1_000)) == ["created"]
    with pytest.raises(Conflict) as not_empty:
        services.account_set_status(actor=OPERATOR, account=bob, status="closed", reason="x")
    assert not_empty.value.code == "payment_account_not_empty"
    assert create(move(bob, alice, 1_000)) == ["created"]
    services.account_set_status(actor=OPERATOR, account=bob, status="closed", reason="asked")
    assert create(move(alice, bob, 1)) == ["payment_account_closed"]
    with pytest.raises(Conflict):
        services.account_set_status(actor=OPERATOR, account=bob, status="active", reason="x")


def test_a_pending_transfer_reserves_and_a_post_moves_part_of_it(
    alice: Account, bob: Account
) -> None:
    fund(alice, 100_000)
    hold = services.transfer_create(
        actor=OPERATOR, transfer=move(alice, bob, 80_000, kind=TransferKind.PENDING)
    )

    a = fresh(alice)
    assert (a.balance, a.available, a.debits_pending) == (100_000, 20_000, 80_000)
    assert create(move(alice, bob, 30_000)) == ["insufficient_funds"]
    assert selectors.pending_state(transfer=hold) == "pending"

    post = TransferInput(id=uuid.uuid4(), kind=TransferKind.POST, pending_id=hold.id,
                         amount=50_000, code="p2p")  # fmt: skip
    assert create(post) == ["created"]

    a, b = fresh(alice), fresh(bob)
    assert (a.balance, a.available, a.debits_pending) == (50_000, 50_000, 0)
    assert (b.balance, b.credits_pending) == (50_000, 0)
    assert selectors.pending_state(transfer=hold) == "posted"
    again = TransferInput(id=uuid.uuid4(), kind=TransferKind.POST, pending_id=hold.id,
                          code="p2p")  # fmt: skip
    void = TransferInput(id=uuid.uuid4(), kind=TransferKind.VOID, pending_id=hold.id, code="p2p")
    assert create(again, void) == [
        "pending_transfer_already_posted",
        "pending_transfer_already_posted",
    ]
    assert create(post) == ["exists"]
    assert_reconciled()


def test_void_releases_and_a_voided_transfer_cannot_be_posted(alice: Account, bob: Account) -> None:
    fund(alice, 10_000)
    hold = move(alice, bob, 10_000, kind=TransferKind.PENDING)
    void = TransferInput(id=uuid.uuid4(), kind=TransferKind.VOID, pending_id=hold.id, code="x")
    post = TransferInput(id=uuid.uuid4(), kind=TransferKind.POST, pending_id=hold.id, code="x")
    too_much = TransferInput(
        id=uuid.uuid4(), kind=TransferKind.POST, pending_id=hold.id, amount=10_001, code="x"
    )

    assert create(hold, too_much, void, post) == [
        "created",
        "post_amount_exceeds_pending",
        "created",
        "pending_transfer_already_voided",
    ]
    assert (fresh(alice).available, fresh(bob).balance) == (10_000, 0)
    voided = Transfer.objects.get(pending_id=hold.id)
    assert create(
        TransferInput(id=uuid.uuid4(), kind=TransferKind.POST, pending_id=uuid.uuid4(), code="x"),
        TransferInput(id=uuid.uuid4(), kind=TransferKind.VOID, pending_id=voided.id,
                      code="x"),
    ) == ["pending_transfer_not_found", "pending_transfer_not_pending"]  # fmt: skip
    assert_reconciled()


def test_pending_transfers_expire_after_their_timeout(alice: Account, bob: Account) -> None:
    fund(alice, 10_000)
    now = timezone.now()
    hold = move(alice, bob, 7_000, kind=TransferKind.PENDING, timeout=60)
    keep = move(alice, bob, 1_000, kind=TransferKind.PENDING, timeout=3_600)
    assert create(hold, keep) == ["created", "created"]

    later = now + datetime.timedelta(seconds=120)
    post = TransferInput(id=uuid.uuid4(), kind=TransferKind.POST, pending_id=hold.id, code="x")
    with pytest.raises(ProblemError) as expired:
        services.transfer_create(actor=OPERATOR, transfer=post, now=later)
    assert expired.value.code == "pending_transfer_expired"

    assert services.pending_expire(actor=OPERATOR, now=later) == 1
    assert services.pending_expire(actor=OPERATOR, now=later) == 0
    assert fresh(alice).available == 10_000 - 1_000
    assert selectors.pending_state(transfer=Transfer.objects.get(id=hold.id)) == "expired"
    assert_reconciled()


def test_linked_transfers_succeed_or_fail_together(alice: Account, bob: Account) -> None:
    carol = account("wallet:carol")
    fund(alice, 10_000)

    statuses = create(
        move(alice, bob, 6_000, linked=True),
        move(bob, carol, 6_000, linked=True),
        move(alice, carol, 6_000),  # alice has only 4,000 left: the chain fails
        move(alice, carol, 1_000),  # not in the chain
    )

    assert statuses == [
        "linked_event_failed",
        "linked_event_failed",
        "insufficient_funds",
        "created",
    ]
    assert (fresh(alice).balance, fresh(bob).balance, fresh(carol).balance) == (9_000, 0, 1_000)
    assert create(move(alice, bob, 10, linked=True)) == ["linked_event_chain_open"]
    assert create(move(alice, bob, 10, linked=True), move(bob, carol, 10)) == ["created"] * 2
    assert_reconciled()


def test_a_batch_is_set_based_and_returns_one_result_per_transfer(alice: Account) -> None:
    wallets = [account(f"wallet:w{n}") for n in range(50)]
    fund(alice, 10_000_000)
    inputs = [move(alice, wallets[n % 50], 1_000 + n) for n in range(2_000)]
    inputs.append(move(wallets[0], alice, 10**9))  # insufficient

    with CaptureQueriesContext(connection) as queries:
        results = services.transfers_create(actor=OPERATOR, transfers=inputs)

    assert [r.status for r in results[:-1]] == ["created"] * 2_000
    assert results[-1].status == "insufficient_funds"
    # Statements per batch, not per transfer (SQLite splits inserts at 999 parameters).
    limit = 12 if connection.vendor == "postgresql" else len(inputs) // 20
    assert len(queries) < limit, [q["sql"][:80] for q in queries]
    assert fresh(alice).balance == 10_000_000 - sum(1_000 + n for n in range(2_000))
    assert Entry.objects.filter(account__code__startswith="wallet:w").count() == 2_000
    assert_reconciled()
    # Kinds and references that differ within a batch (a column with one value goes as
    # one parameter, the others as arrays): every row is stored as given.
    said = 'say "hi" \\ {ok}'
    mixed = [
        TransferInput(uuid.uuid4(), alice.id, wallets[1].id, 5, code="p2p", reference=said),
        TransferInput(
            uuid.uuid4(), alice.id, wallets[2].id, 7, TransferKind.PENDING, timeout=60, code="p2p"
        ),
    ]
    assert create(*mixed) == ["created", "created"]
    stored = Transfer.objects.in_bulk([item.id for item in mixed])
    assert [
        (stored[m.id].kind, stored[m.id].reference, stored[m.id].timeout, stored[m.id].amount)
        for m in mixed
    ] == [("posted", said, 0, 5), ("pending", "", 60, 7)]
    assert stored[mixed[1].id].expires_at is not None
    with pytest.raises(PayloadTooLarge):
        services.transfers_create(actor=OPERATOR, transfers=[move(alice, wallets[0], 1)] * 8_001)


def test_a_statement_pages_with_a_cursor(alice: Account, bob: Account) -> None:
    fund(alice, 1_000_000)
    create(*[move(alice, bob, 100 * (n + 1)) for n in range(7)])

    first = selectors.account_statement(account=bob, limit=5)
    second = selectors.account_statement(account=bob, cursor=first.next_cursor, limit=5)

    amounts = [e.credits_posted for e in first.items + second.items]
    assert amounts == [700, 600, 500, 400, 300, 200, 100]
    assert second.next_cursor is None
    assert first.items[0].balance_after == sum(amounts)


def test_the_kinds_of_accounts_and_their_balance_rules() -> None:
    for kind in (AccountKind.MERCHANT, AccountKind.AGENCY, AccountKind.AGENT):
        assert account(f"{kind}:x", kind).debits_must_not_exceed_credits
    float_ = services.system_account("system:cash-float")
    assert not float_.debits_must_not_exceed_credits
    assert create(move(float_, account("agent:y", AccountKind.AGENT), 5_000)) == ["created"]


def test_references_with_any_characters_are_stored_exactly(alice: Account, bob: Account) -> None:
    fund(alice, 1_000)
    tricky = ['a "quoted", {braced} ref', "back\\slash\\", "Hoá đơn số 7, NULL", "", "  sp  "]
    items = [
        TransferInput(
            id=uuid.uuid4(),
            debit_account_id=alice.id,
            credit_account_id=bob.id,
            amount=1,
            code="p2p",
            reference=text,
        )
        for text in tricky
    ]
    results = services.transfers_create(actor=OPERATOR, transfers=items)

    assert [r.status for r in results] == ["created"] * len(tricky)
    stored = dict(
        Transfer.objects.filter(id__in=[i.id for i in items]).values_list("id", "reference")
    )
    assert [stored[i.id] for i in items] == tricky
    assert [r.transfer.reference for r in results if r.transfer] == tricky
    assert_reconciled()


def test_the_legs_are_derived_from_the_transfer_and_the_reconciliation_checks_them(
    alice: Account, bob: Account
) -> None:
    fund(alice, 100_000)
    hold = TransferInput(id=uuid.uuid4(), debit_account_id=alice.id, credit_account_id=bob.id,
                         amount=60_000, kind=TransferKind.PENDING, code="p2p")  # fmt: skip
    post = TransferInput(id=uuid.uuid4(), kind=TransferKind.POST, pending_id=hold.id,
                         amount=45_000, code="p2p")  # fmt: skip
    assert create(hold, move(alice, bob, 10_000), post) == ["created"] * 3

    # The post's legs release the 60,000 held and move the 45,000 posted; the view's
    # rows follow the order the batch applied them in (seq), newest first.
    legs = selectors.account_statement(account=alice, limit=10).items
    assert [(e.debits_pending, e.debits_posted, e.balance_after) for e in legs[:3]] == [
        (-60_000, 45_000, 45_000),
        (0, 10_000, 90_000),
        (60_000, 0, 100_000),
    ]
    bob_legs = Entry.objects.filter(account=bob).order_by("seq")
    assert [(e.credits_pending, e.credits_posted) for e in bob_legs] == [
        (60_000, 0),
        (0, 10_000),
        (-60_000, 45_000),
    ]
    assert_reconciled()

    # No database foreign keys on the transfers: the reconciliation names what they
    # would have refused, and a resolution that released another amount than was held.
    Transfer.objects.filter(pending_id=hold.id).update(held=59_999)
    report = selectors.ledger_reconcile()
    assert any("released another amount" in problem for problem in report.problems)
    Transfer.objects.filter(pending_id=hold.id).update(held=60_000)
    Transfer.objects.filter(id=hold.id).update(credit_account_id=10**9)
    report = selectors.ledger_reconcile()
    assert any("names an account that does not exist" in p for p in report.problems)
