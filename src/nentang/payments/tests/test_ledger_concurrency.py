"""The ledger under concurrent writers and a crash, on PostgreSQL:

* 32 threads move money at random among 50 accounts for several seconds, some of them
  replaying each other's ids: every acknowledged transfer exists exactly once, no wallet
  goes below zero, balances sum to zero and equal their entries;
* eight threads post and void the same pending transfers: each resolves once;
* a writer process is killed with SIGKILL in the middle of a stream of transfers with
  deterministic ids; every transfer is retried and exists exactly once afterwards.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from nentang.payments import selectors, services
from nentang.payments.models import Account, AccountKind, Transfer, TransferKind
from nentang.payments.services import TransferInput
from nentang.payments.tests.support import OPERATOR, account, fund

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def assert_invariants() -> None:
    report = selectors.ledger_reconcile()
    assert report.ok, (report.differences[:3], report.problems)
    for acc in Account.objects.exclude(kind=AccountKind.SYSTEM):
        assert acc.available >= 0, acc.code


def test_32_threads_of_random_transfers_keep_every_invariant() -> None:
    wallets = [account(f"wallet:c{n}") for n in range(50)]
    for wallet in wallets:
        fund(wallet, 1_000_000)
    acknowledged: list[tuple[uuid.UUID, int]] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 5
    start = threading.Barrier(32)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[TransferInput] = []
        try:
            start.wait()
            while time.monotonic() < deadline:
                if mine and rng.random() < 0.1:
                    item = rng.choice(mine)  # a retry of an acknowledged transfer
                else:
                    a, b = rng.sample(wallets, 2)
                    item = TransferInput(
                        id=uuid.uuid4(),
                        debit_account_id=a.id,
                        credit_account_id=b.id,
                        amount=rng.randint(1, 400_000),
                        kind=TransferKind.PENDING if rng.random() < 0.1 else "posted",
                        code="p2p",
                    )
                batch = [item]
                if rng.random() < 0.2:  # a small batch, in random account order
                    for _ in range(rng.randint(1, 5)):
                        a, b = rng.sample(wallets, 2)
                        batch.append(
                            TransferInput(
                                id=uuid.uuid4(),
                                debit_account_id=a.id,
                                credit_account_id=b.id,
                                amount=rng.randint(1, 50_000),
                                code="p2p",
                            )
                        )
                results = services.transfers_create(actor=OPERATOR, transfers=batch)
                for sent, result in zip(batch, results, strict=True):
                    if result.status == "created":
                        mine.append(sent)
                        with lock:
                            acknowledged.append((sent.id, sent.amount or 0))
                    elif result.status not in ("exists", "insufficient_funds"):
                        with lock:
                            errors.append(result.status)
        except Exception as error:  # a deadlock or any surprise fails the test below
            with lock:
                errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors[:5]
    assert len(acknowledged) > 100
    ids = [transfer_id for transfer_id, _ in acknowledged]
    assert len(ids) == len(set(ids))
    stored = dict(Transfer.objects.filter(id__in=ids).values_list("id", "amount"))
    assert stored == dict(acknowledged)
    assert_invariants()


def test_concurrent_posts_and_voids_resolve_a_pending_transfer_once() -> None:
    payer, payee = account("wallet:p"), account("merchant:q", AccountKind.MERCHANT)
    fund(payer, 100_000)
    holds = [
        services.transfer_create(
            actor=OPERATOR,
            transfer=TransferInput(
                id=uuid.uuid4(),
                debit_account_id=payer.id,
                credit_account_id=payee.id,
                amount=10_000,
                kind=TransferKind.PENDING,
                code="qr",
            ),
        )
        for _ in range(5)
    ]
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def resolve(n: int) -> None:
        try:
            start.wait()
            for hold in holds:
                kind = TransferKind.POST if n % 2 else TransferKind.VOID
                item = TransferInput(id=uuid.uuid4(), kind=kind, pending_id=hold.id, code="qr")
                status = services.transfers_create(actor=OPERATOR, transfers=[item])[0].status
                with lock:
                    outcomes.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=resolve, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("created") == 5, outcomes
    assert Transfer.objects.filter(pending__in=holds).count() == 5
    assert_invariants()


WRITER = """
import sys, uuid, django
django.setup()
from nentang.kernel.auditing import Actor
from nentang.payments import services
from nentang.payments.services import TransferInput
payer, payee, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for n in range(count):
    item = TransferInput(id=uuid.uuid5(uuid.NAMESPACE_URL, f"crash-{n}"),
                         debit_account_id=payer, credit_account_id=payee,
                         amount=1000 + n, code="p2p")
    status = services.transfers_create(actor=Actor.system("crash"), transfers=[item])[0].status
    print("ack", n, status, flush=True)
"""


def test_a_writer_killed_mid_stream_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    payer, payee = account("wallet:crash-a"), account("wallet:crash-b")
    fund(payer, 10**9)
    count = 400
    db = settings.DATABASES["default"]
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NENTANG_")}
    env.update(
        NENTANG_DATABASE_URL=url,
        NENTANG_HOME=str(tmp_path),
        DJANGO_SETTINGS_MODULE="nentang.config.settings",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(payer.id), str(payee.id), str(count)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: set[int] = set()
    assert process.stdout is not None
    for line in process.stdout:
        parts = line.split()
        if parts[:1] == ["ack"]:
            assert parts[2] == "created"
            acked.add(int(parts[1]))
        if len(acked) >= 60:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    assert 60 <= len(acked) < count

    # Retry every request: the acknowledged ones come back as "exists".
    inputs = [
        TransferInput(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"crash-{n}"),
            debit_account_id=payer.id,
            credit_account_id=payee.id,
            amount=1000 + n,
            code="p2p",
        )
        for n in range(count)
    ]
    results = services.transfers_create(actor=OPERATOR, transfers=inputs)

    assert all(results[n].status == "exists" for n in acked)
    assert {r.status for r in results} <= {"created", "exists"}
    ids = [item.id for item in inputs]
    assert Transfer.objects.filter(id__in=ids).count() == count
    assert Account.objects.get(pk=payee.pk).balance == sum(1000 + n for n in range(count))
    assert_invariants()


def test_a_concurrent_burst_cannot_pass_the_monthly_limit(settings: object) -> None:
    from nentang.payments.tests.support import as_person, person

    settings.PAYMENTS_WALLET_POLICY = "pilot-316-2021"  # type: ignore[attr-defined]
    agent = services.agent_open(actor=OPERATOR, code="a", name="A", float_amount=10**9)
    holder = person()
    wallet = services.wallet_open(actor=as_person(holder), person_id=holder.id)
    services.cash_in(actor=OPERATOR, agent=agent, wallet=wallet, amount=50_000_000,
                     idempotency_key="in")  # fmt: skip
    shop = services.merchant_account_open(actor=OPERATOR, code="shop", name="Shop")
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def pay(n: int) -> None:
        try:
            start.wait()
            services.merchant_pay(actor=as_person(holder), payer=wallet, merchant=shop,
                                  amount=2_000_000, idempotency_key=f"burst-{n}")  # fmt: skip
            outcome = "paid"
        except Exception as error:
            outcome = getattr(error, "code", repr(error))
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["paid"] * 5 + ["wallet_limit_exceeded"] * 11
    assert Account.objects.get(pk=shop.pk).balance == 10_000_000
    assert_invariants()
