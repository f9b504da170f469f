"""Under real concurrency (PostgreSQL): writers recording entries while two integrators
run produce a gap-free log holding every entry exactly once, and a writer never waits
for an integrator that holds the tree."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from nentang.audit.models import AuditEntry, LogLeaf, PendingEntry, Tile, TreeState
from nentang.audit.selectors import DatabaseTiles, tlog_tree_head
from nentang.audit.selectors.tlog_verify import tlog_verify
from nentang.audit.services import checkpoint_sign, integrate_pending, leaf_bytes, record
from nentang.audit.tests.tlog_support import MemoryTiles
from nentang.audit.tlog import leaf_hash, tree_root
from nentang.kernel.auditing import Actor

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WRITERS = 4
ENTRIES_PER_WRITER = 150


def in_thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def writer(number: int) -> Callable[[], None]:
    def write() -> None:
        cashier = Actor.client(f"merchant-bach-hoa-an-{number}")
        for step in range(ENTRIES_PER_WRITER):
            with transaction.atomic():
                record(
                    actor=cashier,
                    action="payments.merchant_payment.create",
                    subject_type="payments.merchant_payment",
                    subject=f"mp-{number}-{step}",
                    summary={"amount_vnd": 25_000 + step},
                )

    return write


def test_concurrent_writers_and_integrators_give_a_gap_free_log() -> None:
    errors: list[BaseException] = []
    done = threading.Event()

    def integrator() -> None:
        while not done.is_set():
            integrate_pending(batch_size=37)
        integrate_pending(batch_size=37)

    writers = [in_thread(writer(number), errors) for number in range(WRITERS)]
    integrators = [in_thread(integrator, errors) for _ in range(2)]
    for thread in writers:
        thread.join()
    done.set()
    for thread in integrators:
        thread.join()
    assert errors == []

    total = WRITERS * ENTRIES_PER_WRITER
    leaves = list(LogLeaf.objects.order_by("index").values_list("index", "entry_id", "leaf_hash"))
    assert [index for index, _entry, _hash in leaves] == list(range(total))
    assert sorted(entry for _index, entry, _hash in leaves) == sorted(
        AuditEntry.objects.values_list("id", flat=True)
    )
    assert not PendingEntry.objects.exists()
    entries = AuditEntry.objects.in_bulk([entry for _index, entry, _hash in leaves])
    hashes = [leaf_hash(leaf_bytes(entries[entry])) for _index, entry, _hash in leaves]
    assert hashes == [bytes(value) for _index, _entry, value in leaves]
    head = tlog_tree_head()
    assert (head.size, head.root_hash) == (total, tree_root(hashes))
    expected_tiles = MemoryTiles(hashes).tiles
    stored_keys = {
        key
        for key in expected_tiles
        if Tile.objects.filter(level=key.level, index=key.index).exists()
    }
    assert stored_keys == set(expected_tiles)
    assert DatabaseTiles().read_tiles(expected_tiles.keys()) == expected_tiles
    assert tlog_verify().ok


def test_a_writer_does_not_wait_for_an_integrator_holding_the_tree() -> None:
    with transaction.atomic():
        record(
            actor=Actor.system("seed"),
            action="kernel.seed.create",
            subject_type="kernel.seed",
            subject="s-0",
        )
    integrate_pending()
    errors: list[BaseException] = []
    holding, release = threading.Event(), threading.Event()

    def slow_integrator() -> None:
        with transaction.atomic():
            TreeState.objects.select_for_update().get(id=1)
            list(PendingEntry.objects.select_for_update())
            holding.set()
            release.wait(10)

    thread = in_thread(slow_integrator, errors)
    assert holding.wait(10)
    started = time.monotonic()
    with transaction.atomic():
        record(
            actor=Actor.person("079090001234"),
            action="identity.person.login",
            subject_type="identity.person",
            subject="0190c7e2-7b7d-7a3e-8a1b-5d6f7e8f9a0b",
        )
    elapsed = time.monotonic() - started
    release.set()
    thread.join()
    assert errors == []
    assert elapsed < 1.0  # committed while the tree was locked
    assert integrate_pending() == 1
    assert tlog_tree_head().size == 2


def test_verify_raises_no_alarm_while_writers_integrate_and_sign() -> None:
    """``nentang audit verify`` on a live system: four writers, an integrator and a
    checkpoint signer keep going while the verifier runs, again and again."""
    writer(99)()
    integrate_pending()
    errors: list[BaseException] = []
    done = threading.Event()

    def integrator_and_signer() -> None:
        while not done.is_set():
            integrate_pending(batch_size=17)
            checkpoint_sign(only_if_grown=True)

    threads = [in_thread(writer(number), errors) for number in range(WRITERS)]
    threads.append(in_thread(integrator_and_signer, errors))
    reports = []
    while any(thread.is_alive() for thread in threads[:WRITERS]):
        reports.append(tlog_verify())
    done.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(reports) >= 2
    assert [report.problems for report in reports if not report.ok] == []
    assert tlog_verify().ok
