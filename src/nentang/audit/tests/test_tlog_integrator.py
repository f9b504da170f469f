"""The integrator: committed entries become gap-free leaves of the tree, in batches, with
tiles and root kept in step; checkpoints are signed on demand and on schedule."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from nentang.audit.models import AuditEntry, Checkpoint, LogLeaf, PendingEntry, Tile
from nentang.audit.selectors import DatabaseTiles, tlog_origin, tlog_tree_head, tlog_verifier
from nentang.audit.services import (
    checkpoint_schedule,
    checkpoint_sign,
    integrate_pending,
    integration_schedule,
    leaf_bytes,
    record,
)
from nentang.audit.tasks import integrate_entries, sign_checkpoint
from nentang.audit.tests.tlog_support import MemoryTiles
from nentang.audit.tlog import EMPTY_ROOT, TileKey, leaf_hash, open_checkpoint, tree_root
from nentang.kernel.auditing import Actor

OFFICER = Actor.officer("079090001234")  # an officer of UBND phường Sài Gòn


def record_entries(count: int, *, per_transaction: int = 50) -> list[AuditEntry]:
    entries = []
    for start in range(0, count, per_transaction):
        with transaction.atomic():
            for number in range(start, min(count, start + per_transaction)):
                entries.append(
                    record(
                        actor=OFFICER,
                        action="publicservices.dossier.receive",
                        subject_type="publicservices.dossier",
                        subject=f"000.00.26.H29-250101-{number:04d}",
                        summary={"ward": "26734", "step": number},
                    )
                )
    return entries


def leaf_hashes_in_order() -> list[bytes]:
    return [bytes(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]


def queued(task: Any) -> list[DBTaskResult[Any, Any]]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at"))


@pytest.mark.django_db
def test_the_tree_is_empty_before_the_first_entry() -> None:
    assert tlog_tree_head().size == 0
    assert tlog_tree_head().root_hash == EMPTY_ROOT
    assert integrate_pending() == 0


@pytest.mark.django_db
def test_entries_become_consecutive_leaves_in_entry_order() -> None:
    entries = record_entries(300)
    assert integrate_pending() == 300
    leaves = list(LogLeaf.objects.order_by("index").values_list("index", "entry_id", "leaf_hash"))
    assert [index for index, _e, _h in leaves] == list(range(300))
    assert [entry for _i, entry, _h in leaves] == [e.pk for e in entries]
    expected = [leaf_hash(leaf_bytes(AuditEntry.objects.get(pk=e.pk))) for e in entries]
    assert [bytes(h) for _i, _e, h in leaves] == expected
    assert not PendingEntry.objects.exists()
    head = tlog_tree_head()
    assert (head.size, head.root_hash) == (300, tree_root(expected))


@pytest.mark.django_db
def test_batches_of_any_size_build_the_same_tiles_and_root() -> None:
    record_entries(700)
    assert integrate_pending(batch_size=67) == 700
    hashes = leaf_hashes_in_order()
    stored = DatabaseTiles().read_tiles(
        [TileKey(0, 0), TileKey(0, 1), TileKey(0, 2), TileKey(1, 0)]
    )
    assert stored == MemoryTiles(hashes).tiles
    assert Tile.objects.get(level=0, index=2).width == 700 - 512
    assert tlog_tree_head().root_hash == tree_root(hashes)


@pytest.mark.django_db
def test_a_limit_stops_after_that_many_and_the_rest_waits() -> None:
    record_entries(30)
    assert integrate_pending(batch_size=8, limit=20) == 20
    assert tlog_tree_head().size == 20
    assert PendingEntry.objects.count() == 10
    assert integrate_pending() == 10
    assert list(LogLeaf.objects.values_list("index", flat=True)) == list(range(30))


@pytest.mark.django_db
def test_a_rolled_back_integration_changes_nothing() -> None:
    record_entries(10)

    class Crash(Exception):
        pass

    def integrate_then_crash() -> None:
        with transaction.atomic():
            integrate_pending()
            raise Crash

    with pytest.raises(Crash):
        integrate_then_crash()
    assert PendingEntry.objects.count() == 10
    assert not LogLeaf.objects.exists()
    assert not Tile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_tiles_may_only_grow() -> None:
    record_entries(20)
    integrate_pending()
    with pytest.raises(DatabaseError, match="only grow"), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_tile SET width = 3, hashes = substr(hashes, 1, 96)")
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_tile")
    assert Tile.objects.get(level=0, index=0).width == 20


@pytest.mark.django_db
def test_a_committed_entry_schedules_one_integration(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record_entries(3, per_transaction=1)
    waiting = queued(integrate_entries)
    assert [result.status for result in waiting] == [TaskResultStatus.READY]
    assert waiting[0].queue_name == "default"
    integration_schedule()
    assert len(queued(integrate_entries)) == 1
    DBTaskResult.objects.filter(pk=waiting[0].pk).update(status=TaskResultStatus.RUNNING)
    integration_schedule()  # the running one may have read the queue already
    assert len(queued(integrate_entries)) == 2


@pytest.mark.django_db(transaction=True)
def test_commits_ask_for_the_integrator_once_from_a_thread_after_they_land(
    settings: Any,
) -> None:
    """Outside the tests a process gathers its commits for a few ms and asks the queue
    once, after all of them, from a thread of its own: no statement follows a commit on
    the request's connection, and a run is queued that starts after every one."""
    from django.test.utils import CaptureQueriesContext

    settings.NENTANG_AUDIT_SCHEDULE_SECONDS = 0.05
    with CaptureQueriesContext(connection) as seen:
        record_entries(3, per_transaction=1)
    assert not [q for q in seen.captured_queries if "dbtaskresult" in q["sql"].lower()]
    for _ in range(200):  # the thread asks within ~50 ms; no timing is asserted
        if queued(integrate_entries):
            break
        threading.Event().wait(0.05)
    waiting = queued(integrate_entries)
    assert [result.status for result in waiting] == [TaskResultStatus.READY]
    assert integrate_entries.call() == {"integrated": 3}


@pytest.mark.django_db
def test_the_integration_task_integrates_and_asks_for_a_checkpoint(settings: Any) -> None:
    settings.NENTANG_AUDIT_CHECKPOINT_SECONDS = 60
    record_entries(5)
    assert integrate_entries.call() == {"integrated": 5}
    signing = queued(sign_checkpoint)
    assert len(signing) == 1
    assert signing[0].run_after == get_date_max()  # not deferred: no checkpoint yet
    assert sign_checkpoint.call() == {"size": 5}
    assert sign_checkpoint.call() == {"size": None}  # the tree did not grow
    assert integrate_entries.call() == {"integrated": 0}


@pytest.mark.django_db
def test_the_next_checkpoint_waits_for_the_interval(settings: Any) -> None:
    settings.NENTANG_AUDIT_CHECKPOINT_SECONDS = 90
    record_entries(2)
    integrate_pending()
    signed = checkpoint_sign()
    assert signed is not None
    checkpoint_schedule()
    checkpoint_schedule()
    (waiting,) = queued(sign_checkpoint)
    assert waiting.run_after == signed.created_at + timedelta(seconds=90)


@pytest.mark.django_db
def test_a_checkpoint_signs_the_tree_head(settings: Any) -> None:
    settings.BASE_URL = "https://dichvucong.example.vn/nentang"
    record_entries(12)
    integrate_pending()
    checkpoint = checkpoint_sign()
    assert checkpoint is not None
    assert tlog_origin() == "dichvucong.example.vn/nentang/audit"
    opened = open_checkpoint(checkpoint.note, tlog_verifier(), origin=tlog_origin())
    head = tlog_tree_head()
    assert (
        (opened.size, opened.root_hash)
        == (head.size, head.root_hash)
        == (
            checkpoint.size,
            bytes(checkpoint.root_hash),
        )
    )
    assert checkpoint_sign(only_if_grown=True) is None
    record_entries(1)
    integrate_pending()
    grown = checkpoint_sign(only_if_grown=True)
    assert grown is not None
    assert grown.size == 13
    assert Checkpoint.objects.count() == 2


@pytest.mark.django_db
def test_the_origin_keeps_the_port_of_the_base_url(settings: Any) -> None:
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert tlog_origin() == "127.0.0.1:8000/audit"
    settings.BASE_URL = "http://[::1]:8000"
    assert tlog_origin() == "[::1]:8000/audit"
