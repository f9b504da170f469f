"""Verifying the whole log from what is stored: ``nentang audit verify``.

Recomputes every leaf hash from the entries' current content and the whole tree from
those hashes (with the integrator's own builder), and checks, in one pass:

* each stored leaf hash against the entry's content — the first index that no longer
  matches is the headline finding (someone edited the entry behind the application);
* each stored tile against the recomputed hashes (what proofs are built from);
* each stored checkpoint: its Ed25519 signature, that its note and its columns agree,
  that its root is the recomputed root at its size, and its consistency with the one
  before it (a proof from the stored tiles, checked with RFC 9162's verifier);
* the tree state's root, and that every entry is in the log or queued for it.

Notes given from outside (a checkpoint a citizen kept) are checked the same way.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from django.db import connection

from nentang.audit.models import AuditEntry, Checkpoint, PendingEntry
from nentang.audit.selectors.tlog import (
    ENTRY_COLUMNS,
    DatabaseTiles,
    _leaf_bytes,
    entries_from_rows,
    tlog_origin,
    tlog_tree_head,
    tlog_verifier,
)
from nentang.audit.tlog import (
    EMPTY_ROOT,
    MissingHashError,
    NoteError,
    ProofError,
    TileKey,
    TreeBuilder,
    open_checkpoint,
    prove_consistency,
    verify_consistency,
)
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog.hashing import HASH_SIZE, leaf_hashes
from nentang.audit.tlog.tiles import TILE_WIDTH

__all__ = ["VerifyReport", "tlog_verify"]

CHUNK = 64 * TILE_WIDTH
MAX_PROBLEMS = 20
Progress = Callable[[int, int], None]


@dataclass
class VerifyReport:
    tree_size: int
    entries_checked: int = 0
    checkpoints_checked: int = 0
    pending: int = 0
    mismatched_entries: int = 0
    first_bad_index: int | None = None
    first_bad_entry_id: int | None = None
    first_bad_sentence: str = ""
    root_hash: bytes = EMPTY_ROOT
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, sentence: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(sentence)

    def bad_index(self, index: int, entry_id: int | None, sentence: str) -> None:
        """Note an index where the log no longer matches; the lowest one heads the report."""
        if self.first_bad_index is None or index < self.first_bad_index:
            self.first_bad_index = index
            self.first_bad_entry_id = entry_id
            self.first_bad_sentence = sentence


@dataclass(frozen=True)
class _Signed:
    label: str
    checkpoint: CheckpointText


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _open_checkpoints(
    report: VerifyReport, notes: Sequence[str | bytes]
) -> tuple[list[_Signed], list[_Signed]]:
    """(stored checkpoints in signing order, given ones), each with a valid signature."""
    verifier, origin = tlog_verifier(), tlog_origin()
    stored: list[_Signed] = []
    rows = Checkpoint.objects.order_by("id").values_list("id", "size", "root_hash", "note")
    for checkpoint_id, size, root, note in rows.iterator(chunk_size=1000):
        label = f"checkpoint #{checkpoint_id}"
        try:
            opened = open_checkpoint(note, verifier, origin=origin)
        except NoteError as error:
            report.problem(f"{label} is not a valid signed checkpoint of this log: {error}.")
            continue
        report.checkpoints_checked += 1
        if opened.size != size or opened.root_hash != bytes(root):
            report.problem(f"{label}: its signed note and its stored size or root disagree.")
        stored.append(_Signed(label, opened))
    given: list[_Signed] = []
    for position, text in enumerate(notes, start=1):
        label = "the checkpoint given" if len(notes) == 1 else f"checkpoint given #{position}"
        try:
            given.append(_Signed(label, open_checkpoint(text, verifier, origin=origin)))
        except NoteError as error:
            report.problem(f"{label} is not a valid signed checkpoint of this log: {error}.")
    return stored, given


def _compare_tiles(
    report: VerifyReport, computed: dict[TileKey, bytes], entry_ids: dict[int, int]
) -> None:
    stored = DatabaseTiles().read_tiles(computed.keys())
    for key in sorted(computed):
        expected, found = computed[key], stored.get(key, b"")[: len(computed[key])]
        if found == expected:
            continue
        if key.level == 0:
            position = next(
                (
                    i
                    for i in range(0, len(expected), HASH_SIZE)
                    if found[i : i + HASH_SIZE] != expected[i : i + HASH_SIZE]
                ),
                0,
            )
            index = key.index * TILE_WIDTH + position // HASH_SIZE
            report.bad_index(
                index,
                entry_ids.get(index),
                f"The entry at index {index} (audit entry #{entry_ids.get(index)}) no longer "
                f"matches the tree the log signed (tile {key.level}/{key.index}): the entry "
                "was changed together with its leaf hash, or the tile was altered.",
            )
        report.problem(
            f"tile {key.level}/{key.index} differs from the hashes recomputed from the "
            "entries: proofs served from it would be wrong."
        )


@dataclass(frozen=True)
class _Leaf:
    index: int
    leaf_hash: bytes  # as stored
    entry: AuditEntry


_SCAN = (
    f'SELECT l."index", l.leaf_hash, {ENTRY_COLUMNS} FROM audit_logleaf l '  # noqa: S608
    'JOIN audit_auditentry e ON e.id = l.entry_id WHERE l."index" >= %s AND l."index" < %s '
    'ORDER BY l."index"'
)


def _leaves(start: int, end: int) -> list[_Leaf]:
    """Leaves ``start`` to ``end`` with their entries (one query, no ORM per row)."""
    with connection.cursor() as cursor:
        cursor.execute(_SCAN, [start, end])
        rows = cursor.fetchall()
    entries = entries_from_rows(rows, start=2)
    return [_Leaf(row[0], bytes(row[1]), entry) for row, entry in zip(rows, entries, strict=True)]


def _recompute(
    report: VerifyReport, expected: dict[int, list[_Signed]], progress: Progress | None
) -> TreeBuilder:
    """Recompute the tree from the entries, chunk by chunk, checking as it goes."""
    size = report.tree_size
    leaf_bytes = _leaf_bytes()
    builder = TreeBuilder()
    sizes = sorted(s for s in expected if 0 < s <= size)
    for start in range(0, size, CHUNK):
        end = min(size, start + CHUNK)
        rows = _leaves(start, end)
        missing = next(
            (start + offset for offset, row in enumerate(rows) if row.index != start + offset),
            start + len(rows) if len(rows) < end - start else None,
        )
        if missing is not None:
            report.bad_index(
                missing,
                None,
                f"The log has no leaf at index {missing}, or no entry for it: a row was removed.",
            )
            return builder
        recomputed = leaf_hashes(leaf_bytes(row.entry) for row in rows)
        for row, value in zip(rows, recomputed, strict=True):
            if value != row.leaf_hash:
                report.mismatched_entries += 1
                report.bad_index(
                    row.index,
                    row.entry.pk,
                    f"The entry at index {row.index} (audit entry #{row.entry.pk}) no longer "
                    "matches the log: its content was changed after it was logged.",
                )
        while sizes and sizes[0] <= end:
            checkpoint_size = sizes.pop(0)
            builder.append(recomputed[builder.size - start : checkpoint_size - start])
            _compare_roots(report, expected[checkpoint_size], builder.root())
        builder.append(recomputed[builder.size - start :])
        _compare_tiles(report, builder.take_tiles(), {row.index: row.entry.pk for row in rows})
        report.entries_checked = end
        if progress is not None:
            progress(end, size)
    return builder


def _compare_roots(report: VerifyReport, signed: list[_Signed], root: bytes) -> None:
    for item in signed:
        if item.checkpoint.root_hash != root:
            report.problem(
                f"{item.label} signed root {_b64(item.checkpoint.root_hash)} for "
                f"{item.checkpoint.size} entries, but those entries now hash to {_b64(root)}."
            )


def _check_consistency(report: VerifyReport, stored: list[_Signed]) -> None:
    tiles = DatabaseTiles()
    for older, newer in pairwise(stored):
        first, second = older.checkpoint, newer.checkpoint
        if second.size > report.tree_size:
            continue  # reported already: the log is smaller than this checkpoint
        try:
            if first.size > second.size:
                raise ProofError(f"the tree shrank from {first.size} to {second.size} entries")
            proof = prove_consistency(tiles, first.size, second.size)
            verify_consistency(
                first.size, second.size, first.root_hash, second.root_hash, proof.hashes
            )
        except (ProofError, MissingHashError) as error:
            report.problem(f"{older.label} and {newer.label} are not consistent: {error}.")


def tlog_verify(
    *, progress: Progress | None = None, notes: Sequence[str | bytes] = ()
) -> VerifyReport:
    """Check the whole log as described in this module; reads only, writes nothing."""
    head = tlog_tree_head()
    report = VerifyReport(tree_size=head.size)
    stored, given = _open_checkpoints(report, notes)
    expected: dict[int, list[_Signed]] = {}
    for item in [*stored, *given]:
        if item.checkpoint.size > head.size:
            report.problem(
                f"{item.label} is for {item.checkpoint.size} entries, but the log holds only "
                f"{head.size}: the log lost entries, or the checkpoint is not ours."
            )
        else:
            expected.setdefault(item.checkpoint.size, []).append(item)
    _compare_roots(report, expected.get(0, []), EMPTY_ROOT)
    builder = _recompute(report, expected, progress)
    if report.first_bad_index is not None:
        report.problems.insert(0, report.first_bad_sentence)
        report.problem_count += 1
    report.root_hash = builder.root()
    if builder.size == head.size and report.root_hash != head.root_hash:
        report.problem("the stored tree root differs from the root recomputed from the entries.")
    _check_consistency(report, stored)
    report.pending = PendingEntry.objects.count()
    unlogged = AuditEntry.objects.count() - head.size - report.pending
    if unlogged > 0:
        report.problem(f"{unlogged} audit entries are neither in the log nor queued for it.")
    elif unlogged < 0:
        report.problem(f"{-unlogged} leaves of the log have lost their audit entry.")
    return report
