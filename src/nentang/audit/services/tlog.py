"""Integrating entries into the transparency log and signing checkpoints.

``record`` (services.entries) writes an entry and a queue row in the caller's
transaction and, after commit, calls :func:`integration_soon`, which has the process ask
(:func:`integration_schedule`) once for the commits of the next few milliseconds. A
background task then runs :func:`integrate_pending`: in batches, under a lock on the
single ``TreeState`` row, it gives the queued entries consecutive indices (gap-free, in
entry-id order), hashes them, appends the hashes to the tiles, moves the tree's size and
root, and deletes the queue rows — all in one transaction per batch. Writers never wait
on hashing: they touch neither the tree state nor the tiles, and on PostgreSQL the
integrator skips queue rows another integrator holds.

:func:`checkpoint_sign` signs the current tree head as a C2SP checkpoint. The integrator
task asks for one at most every ``NENTANG_AUDIT_CHECKPOINT_SECONDS`` while the tree
grows; ``nentang audit checkpoint`` signs one at once. Neither step records an audit
entry of its own: they derive from the log, and would otherwise grow it forever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nentang.audit.models import (
    AuditEntry,
    Checkpoint,
    LogLeaf,
    PendingEntry,
    Tile,
    TreeState,
)
from nentang.audit.selectors.tlog import (
    ENTRY_COLUMNS,
    DatabaseTiles,
    derived_origin,
    entries_from_rows,
    tlog_signer,
)
from nentang.audit.services.entries import leaf_bytes
from nentang.audit.tlog import EMPTY_ROOT, TreeBuilder
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog.checkpoint import sign_checkpoint
from nentang.audit.tlog.hashing import HASH_SIZE, leaf_hashes
from nentang.audit.tlog.tiles import partial_tiles, split_hashes
from nentang.kernel.doorbell import Doorbell

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "checkpoint_schedule",
    "checkpoint_sign",
    "integrate_pending",
    "integration_resume",
    "integration_schedule",
    "integration_soon",
    "integration_soon_flush",
    "pending_oldest",
]

DEFAULT_BATCH_SIZE = 5_000

logger = logging.getLogger(__name__)


def integration_schedule() -> None:
    """Ask the background integrator to run: enqueues the task unless one is already
    waiting to start (one run integrates everything committed before it starts)."""
    from nentang.audit.tasks import integrate_entries

    if not _task_waiting(integrate_entries):
        integrate_entries.enqueue()


# After-commit scheduling, gathered per process (kernel.doorbell): asking the queue
# whether a run is waiting was one statement after every audited commit (a third of a
# userinfo answer's statements). It cannot move into the entry's own statement: that
# would read the queue before the entry commits, and a run seen waiting could then start,
# find the queue empty and finish before the commit lands, stranding the entry. A commit
# rings; this process's thread waits ``NENTANG_AUDIT_SCHEDULE_SECONDS``, clears the bell,
# then asks once; with 0 seconds every ring asks inline, as before.
_doorbell = Doorbell(
    "audit-schedule",
    lambda: integration_schedule(),
    lambda: float(settings.NENTANG_AUDIT_SCHEDULE_SECONDS),
)


def integration_soon_flush() -> None:
    """Ask now for the commits still waiting for this process's check (at exit, and
    before a tool drops its database)."""
    _doorbell.answer_now()


def integration_soon() -> None:
    """After an audited commit: make sure an integration run starts after it, asking the
    queue once for all the commits this process makes within a few milliseconds."""
    _doorbell.ring()


def checkpoint_schedule() -> None:
    """Make sure a checkpoint is signed ``NENTANG_AUDIT_CHECKPOINT_SECONDS`` after the
    previous one (or now, before the first), unless a signing task is already waiting."""
    from nentang.audit.tasks import sign_checkpoint as sign_task

    if _task_waiting(sign_task):
        return
    previous = Checkpoint.objects.order_by("-id").values_list("created_at", flat=True).first()
    now = timezone.now()
    due = now
    if previous is not None:
        due = max(now, previous + timedelta(seconds=settings.NENTANG_AUDIT_CHECKPOINT_SECONDS))
    backend = sign_task.get_backend()
    if due > now and backend.supports_defer:
        sign_task.using(run_after=due).enqueue()
    else:
        sign_task.enqueue()


def integration_resume() -> None:
    """Schedule the integrator for entries still queued, and a checkpoint for a tree
    that grew past the last one (run when a worker starts or reconnects)."""
    if PendingEntry.objects.exists():
        integration_schedule()
    latest = Checkpoint.objects.order_by("-id").values_list("size", flat=True).first()
    size = TreeState.objects.filter(id=1).values_list("size", flat=True).first() or 0
    if size and latest != size:
        checkpoint_schedule()


def pending_oldest() -> datetime | None:
    """When the oldest entry still waiting for the integrator was recorded."""
    oldest: datetime | None = (
        AuditEntry.objects.filter(pendingentry__isnull=False)
        .order_by("id")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return oldest


def _task_waiting(task: Any) -> bool:
    """Is a run of ``task`` queued and not yet started? (Database backend only.)"""
    from django_tasks import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    # After every audited commit: a fixed statement, not an ORM query compiled each time.
    sql = _TASK_WAITING.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        meta = DBTaskResult._meta
        column = {name: quote(str(meta.get_field(name).column)) for name in _TASK_COLUMNS}  # type: ignore[union-attr]
        sql = (
            f"SELECT 1 FROM {quote(meta.db_table)} WHERE {column['task_path']} = %s"  # noqa: S608
            f" AND {column['backend_name']} = %s AND {column['status']} = %s LIMIT 1"
        )
        _TASK_WAITING[connection.vendor] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [task.module_path, backend.alias, TaskResultStatus.READY.value])
        return cursor.fetchone() is not None


_TASK_COLUMNS = ("task_path", "backend_name", "status")
_TASK_WAITING: dict[str, str] = {}


def integrate_pending(*, batch_size: int = DEFAULT_BATCH_SIZE, limit: int | None = None) -> int:
    """Integrate queued entries into the tree, ``batch_size`` per transaction, until the
    queue is empty (or ``limit`` entries are done); returns how many were integrated.

    Indices are consecutive from the current tree size: the log has no gaps, and an
    entry is integrated exactly once (the queue row goes in the same transaction).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    total = 0
    while limit is None or total < limit:
        wanted = batch_size if limit is None else min(batch_size, limit - total)
        done = _integrate_batch(wanted)
        total += done
        if done < wanted:
            break
    return total


def _locked_tree_state(now: datetime) -> TreeState:
    """The tree state, locked; the log's origin is fixed here the first time (see
    models.TreeState), from NENTANG_BASE_URL as it is then."""
    state, _created = TreeState.objects.select_for_update().get_or_create(
        id=1,
        defaults={
            "size": 0,
            "root_hash": EMPTY_ROOT,
            "updated_at": now,
            "origin": derived_origin(),
        },
    )
    if not state.origin:
        state.origin = derived_origin()
        TreeState.objects.filter(id=1).update(origin=state.origin)
    return state


def _tree_edge(size: int) -> dict[int, list[bytes]]:
    """The partial tile of each level of a tree of ``size`` entries, from the database."""
    widths = dict(partial_tiles(size))
    stored = DatabaseTiles().read_tiles(widths.keys())
    edge = {}
    for key, width in widths.items():
        hashes = stored.get(key, b"")
        if len(hashes) < width * HASH_SIZE:
            raise RuntimeError(f"audit log damaged: tile {key.level}/{key.index} is missing")
        edge[key.level] = split_hashes(hashes[: width * HASH_SIZE])
    return edge


def _integrate_batch(batch_size: int) -> int:
    with transaction.atomic():
        now = timezone.now()
        state = _locked_tree_state(now)
        entries = _take_pending(batch_size)
        if not entries:
            return 0
        hashes = leaf_hashes(leaf_bytes(entry) for entry in entries)
        builder = TreeBuilder(state.size, _tree_edge(state.size))
        builder.append(hashes)
        ids = [entry.pk for entry in entries]
        _insert_leaves(state.size, ids, hashes, now)
        _store_tiles(builder)
        TreeState.objects.filter(id=1).update(
            size=builder.size, root_hash=builder.root(), updated_at=now
        )
        _drop_pending(ids)
        return len(entries)


# One statement each, with arrays as parameters on PostgreSQL, whatever the batch size
# (an ORM bulk insert of 5,000 rows spends more time building its SQL than running it).
# The queue rows are taken (and locked) in a subquery: the join then looks each entry up
# by its key, whatever the planner's statistics say about the queue (a queue's change all
# the time; a stale estimate made PostgreSQL merge-join the whole entries table).
_TAKE_PENDING = (
    f"SELECT {ENTRY_COLUMNS} FROM (SELECT entry_id FROM audit_pendingentry "  # noqa: S608
    "ORDER BY entry_id LIMIT %s{lock}) p "
    "JOIN audit_auditentry e ON e.id = p.entry_id ORDER BY p.entry_id"
)
_LOCK_PENDING = " FOR UPDATE SKIP LOCKED"
# The hashes travel as one bytea (an array of 5,000 bytea costs ~4× more to send).
_INSERT_LEAVES = """
    INSERT INTO audit_logleaf ("index", entry_id, leaf_hash, integrated_at)
    SELECT %s + position - 1, entry_id, substring(%s::bytea FROM position::int*32 - 31 FOR 32), %s
    FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(entry_id, position)
"""
_DROP_PENDING = "DELETE FROM audit_pendingentry WHERE entry_id = ANY(%s::bigint[])"


def _take_pending(batch_size: int) -> list[AuditEntry]:
    """The next queued entries in id order, their queue rows locked (PostgreSQL skips the
    rows another integrator holds; SQLite has one writer at a time anyway)."""
    lock = _LOCK_PENDING if connection.vendor == "postgresql" else ""
    query = _TAKE_PENDING.replace("{lock}", lock)
    with connection.cursor() as cursor:
        cursor.execute(query, [batch_size])
        return entries_from_rows(cursor.fetchall())


def _insert_leaves(first: int, ids: list[int], hashes: list[bytes], now: datetime) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_LEAVES, [first, b"".join(hashes), now, ids])
        return
    LogLeaf.objects.bulk_create(
        [
            LogLeaf(index=first + offset, entry_id=entry_id, leaf_hash=value, integrated_at=now)
            for offset, (entry_id, value) in enumerate(zip(ids, hashes, strict=True))
        ],
        batch_size=_insert_batch(),
    )


def _drop_pending(ids: list[int]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_DROP_PENDING, [ids])
        return
    for start in range(0, len(ids), 500):
        PendingEntry.objects.filter(entry_id__in=ids[start : start + 500]).delete()


def _insert_batch() -> int | None:
    # SQLite caps the parameters of one statement; PostgreSQL takes the batch at once.
    return None if connection.vendor == "postgresql" else 200


def _store_tiles(builder: TreeBuilder) -> None:
    """Write the tiles that changed: new rows, or wider versions of partial tiles (the
    database refuses anything but growth, migration 0002)."""
    tiles = [
        Tile(level=key.level, index=key.index, width=len(data) // HASH_SIZE, hashes=data)
        for key, data in sorted(builder.take_tiles().items())
    ]
    Tile.objects.bulk_create(
        tiles,
        update_conflicts=True,
        unique_fields=["level", "index"],
        update_fields=["width", "hashes"],
        batch_size=_insert_batch(),
    )


def checkpoint_sign(*, only_if_grown: bool = False) -> Checkpoint | None:
    """Sign the current tree head as a C2SP checkpoint in a signed note and keep it.

    Checkpoints never go backwards: the tree state is locked while signing, so each
    checkpoint's size is at least the previous one's. Once committed, the checkpoint is
    published to the witness when one is configured (services.witness). With
    ``only_if_grown`` nothing is signed (None) when the latest checkpoint already has the
    current size.
    """
    with transaction.atomic():
        now = timezone.now()
        state = _locked_tree_state(now)
        latest = Checkpoint.objects.order_by("-id").values_list("size", flat=True).first()
        if only_if_grown and latest == state.size:
            return None
        signer = tlog_signer(state.origin)
        root = bytes(state.root_hash)
        note = sign_checkpoint(CheckpointText(signer.name, state.size, root), signer)
        checkpoint = Checkpoint.objects.create(
            size=state.size, root_hash=root, note=note, created_at=now
        )
    if settings.NENTANG_AUDIT_WITNESS:
        from nentang.audit.services.witness import witness_publish

        transaction.on_commit(lambda: witness_publish(note), robust=True)
    return checkpoint
