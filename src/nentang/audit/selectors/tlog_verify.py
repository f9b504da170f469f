"""Verifying the whole log from what is stored: ``nentang audit verify``.

Recomputes every leaf hash from the entries' current content and the whole tree from
those hashes (with the integrator's own builder), and checks, in one pass:

* each stored leaf hash against the entry's content — the first index that no longer
  matches is the headline finding (someone edited the entry behind the application);
* each stored tile against the recomputed hashes (what proofs are built from), and that
  it is a tile at all (a value of another type is tampering, not an outage);
* each stored checkpoint: its Ed25519 signature, that its note and its columns agree,
  that its root is the recomputed root at its size, and its consistency with the one
  before it (a proof from the stored tiles, checked with RFC 9162's verifier);
* the tree state's root; that every entry is in the log or queued for it; that every
  queued entry still exists; and that the entries table holds exactly as many entries as
  were ever committed (models.EntryCounter) — a deleted entry that was not integrated
  yet, or a cut tail, shows there, with the missing entry ids;
* the checkpoint held by the witness (``NENTANG_AUDIT_WITNESS``), like one given.

Notes given from outside (a checkpoint a citizen kept) are checked the same way. A
checkpoint is verified under the origin it names, with this log's key: checkpoints
signed before the installation moved to another ``NENTANG_BASE_URL`` (when the origin
still followed it) keep verifying.

**A live log.** Writers keep appending while the scan runs (minutes on a large log).
The verifier reads the tree head and the newest checkpoint's id in one statement and
checks only that snapshot: leaves below the head never change, newer checkpoints are
left for the next run, and each count compares rows of one statement (an anti-join, not
two counts taken minutes apart), so an entry integrated during the scan is no alarm.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.db import connection

from nentang.audit.models import AuditEntry
from nentang.audit.selectors.tlog import (
    ENTRY_COLUMNS,
    DamagedTileError,
    DatabaseTiles,
    _leaf_bytes,
    entries_from_rows,
    stored_hashes,
    tlog_verifier,
)
from nentang.audit.selectors.witness import WitnessError, read_witness, witness_location
from nentang.audit.tlog import (
    EMPTY_ROOT,
    MissingHashError,
    NoteError,
    ProofError,
    TileKey,
    TreeBuilder,
    Verifier,
    open_checkpoint,
    prove_consistency,
    verify_consistency,
)
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog.hashing import HASH_SIZE, leaf_hashes
from nentang.audit.tlog.tiles import TILE_WIDTH

__all__ = ["VerifyReport", "open_our_checkpoint", "tlog_verify"]

CHUNK = 64 * TILE_WIDTH
MAX_PROBLEMS = 20
MAX_GAPS_NAMED = 5
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
    origins: set[str] = field(default_factory=set)
    witness: str = ""  # "" (none configured), or what the witness held: a sentence

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


@dataclass(frozen=True)
class _Snapshot:
    size: int
    root_hash: bytes
    last_checkpoint_id: int


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _snapshot() -> _Snapshot:
    """The tree head and the newest checkpoint's id, read in one statement (so one
    snapshot on both databases): every checkpoint up to that id is at most this size."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT size FROM audit_treestate WHERE id = 1), "
            "(SELECT root_hash FROM audit_treestate WHERE id = 1), "
            "(SELECT max(id) FROM audit_checkpoint)"
        )
        size, root, last = cursor.fetchone()
    if size is None:
        return _Snapshot(0, EMPTY_ROOT, last or 0)
    return _Snapshot(size, bytes(root), last or 0)


_verifiers: dict[str, Verifier] = {}


def open_our_checkpoint(note: str | bytes) -> CheckpointText:
    """The checkpoint in ``note`` once a signature by this log's key verifies, under the
    origin the note names: the log's current origin, or the one it had before a move
    (an origin is a key's name, so only our key can sign under any of them)."""
    text = note.decode("utf-8", errors="replace") if isinstance(note, bytes) else note
    claimed = text.split("\n", 1)[0]
    verifier = _verifiers.get(claimed)
    if verifier is None:
        try:
            verifier = tlog_verifier(claimed)
        except NoteError:
            raise NoteError(f"its origin line {claimed[:80]!r} cannot be a log's name") from None
        if len(_verifiers) > 100:
            _verifiers.clear()
        _verifiers[claimed] = verifier
    return open_checkpoint(note, verifier, origin=claimed)


def _open_checkpoints(
    report: VerifyReport, notes: Sequence[tuple[str, str | bytes]], last_id: int
) -> tuple[list[_Signed], list[_Signed]]:
    """(stored checkpoints in signing order up to ``last_id``, given ones), each with a
    valid signature."""
    stored: list[_Signed] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, size, root_hash, note FROM audit_checkpoint WHERE id <= %s ORDER BY id",
            [last_id],
        )
        rows = cursor.fetchall()
    for checkpoint_id, size, root, note in rows:
        label = f"checkpoint #{checkpoint_id}"
        try:
            opened = open_our_checkpoint(note)
        except (NoteError, TypeError, AttributeError) as error:
            report.problem(f"{label} is not a valid signed checkpoint of this log: {error}.")
            continue
        report.checkpoints_checked += 1
        report.origins.add(opened.origin)
        if (
            opened.size != size
            or not isinstance(root, bytes | memoryview)
            or (opened.root_hash != bytes(root))
        ):
            report.problem(f"{label}: its signed note and its stored size or root disagree.")
        stored.append(_Signed(label, opened))
    given: list[_Signed] = []
    for label, text in notes:
        try:
            given.append(_Signed(label, open_our_checkpoint(text)))
        except NoteError as error:
            report.problem(f"{label} is not a valid signed checkpoint of this log: {error}.")
    return stored, given


def _compare_tiles(
    report: VerifyReport, computed: dict[TileKey, bytes], entry_ids: dict[int, int]
) -> None:
    raw = DatabaseTiles().read_raw(computed.keys())
    for key in sorted(computed):
        expected = computed[key]
        try:
            found = stored_hashes(key, raw.get(key, b""))[: len(expected)]
        except DamagedTileError as error:
            first = key.index * TILE_WIDTH if key.level == 0 else None
            sentence = (
                f"Tile {key.level}/{key.index} was rewritten behind the application: it "
                f"holds {error.found} where the log keeps 32-byte hashes."
            )
            if first is not None:
                report.bad_index(first, entry_ids.get(first), sentence)
            else:
                report.problem(sentence)
            continue
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
    leaf_hash: bytes | None  # as stored; None when it is not bytes at all
    entry: AuditEntry | None  # None when the row cannot be read as an entry
    entry_id: Any
    damage: str = ""


_SCAN = (
    f'SELECT l."index", l.leaf_hash, {ENTRY_COLUMNS} FROM audit_logleaf l '  # noqa: S608
    'JOIN audit_auditentry e ON e.id = l.entry_id WHERE l."index" >= %s AND l."index" < %s '
    'ORDER BY l."index"'
)


def _leaves(start: int, end: int) -> list[_Leaf]:
    """Leaves ``start`` to ``end`` with their entries (one query, no ORM per row); a row
    whose values are not of their column's type is returned with its damage named."""
    with connection.cursor() as cursor:
        cursor.execute(_SCAN, [start, end])
        rows = cursor.fetchall()
    try:
        entries: list[AuditEntry | None] = list(entries_from_rows(rows, start=2))
        damages = [""] * len(rows)
    except Exception:  # a rewritten value: find the row, one by one
        entries, damages = [], []
        for row in rows:
            try:
                entries.append(entries_from_rows([row], start=2)[0])
                damages.append("")
            except Exception as error:
                entries.append(None)
                damages.append(f"{type(error).__name__}: {error}"[:200])
    leaves = []
    for row, entry, damage in zip(rows, entries, damages, strict=True):
        value = row[1]
        stored = bytes(value) if isinstance(value, bytes | memoryview) else None
        leaves.append(_Leaf(row[0], stored, entry, row[2], damage))
    return leaves


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
        recomputed = leaf_hashes(
            leaf_bytes(row.entry) if row.entry is not None else b"" for row in rows
        )
        for row, value in zip(rows, recomputed, strict=True):
            if row.entry is None:
                report.bad_index(
                    row.index,
                    row.entry_id,
                    f"The entry at index {row.index} (audit entry #{row.entry_id}) was "
                    f"rewritten behind the application with a value of the wrong type "
                    f"({row.damage}).",
                )
            elif value != row.leaf_hash:
                report.mismatched_entries += 1
                report.bad_index(
                    row.index,
                    row.entry_id,
                    f"The entry at index {row.index} (audit entry #{row.entry_id}) no longer "
                    "matches the log: its content was changed after it was logged.",
                )
        while sizes and sizes[0] <= end:
            checkpoint_size = sizes.pop(0)
            builder.append(recomputed[builder.size - start : checkpoint_size - start])
            _compare_roots(report, expected[checkpoint_size], builder.root())
        builder.append(recomputed[builder.size - start :])
        _compare_tiles(report, builder.take_tiles(), {row.index: row.entry_id for row in rows})
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


# Each count is one statement, so it compares rows of one snapshot however long the
# scan took: the integrator moves an entry from the queue to the leaves in one commit,
# and ``record`` writes an entry, its queue row and its count in one commit.
_UNLOGGED = (
    "SELECT count(*) FROM audit_auditentry e WHERE NOT EXISTS "
    "(SELECT 1 FROM audit_logleaf l WHERE l.entry_id = e.id) AND NOT EXISTS "
    "(SELECT 1 FROM audit_pendingentry p WHERE p.entry_id = e.id)"
)
_COUNTS = (
    "SELECT (SELECT count(*) FROM audit_pendingentry), "
    "(SELECT count(*) FROM audit_pendingentry p WHERE NOT EXISTS "
    " (SELECT 1 FROM audit_auditentry e WHERE e.id = p.entry_id)), "
    "(SELECT coalesce(sum(entries), 0) FROM audit_entrycounter), "
    "(SELECT count(*) FROM audit_auditentry)"
)
_GAPS = (
    "SELECT id + 1, next_id - 1 FROM (SELECT id, lead(id) OVER (ORDER BY id) AS next_id "
    "FROM audit_auditentry) ids WHERE next_id > id + 1 ORDER BY id LIMIT %s"
)


def _gaps() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_GAPS, [MAX_GAPS_NAMED])
        ranges = [f"#{a}" if a == b else f"#{a}–#{b}" for a, b in cursor.fetchall()]
    return ", ".join(ranges)


def _check_entries(report: VerifyReport) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_UNLOGGED)
        (unlogged,) = cursor.fetchone()
        cursor.execute(_COUNTS)
        pending, orphaned, committed, present = cursor.fetchone()
    report.pending = pending
    if unlogged:
        report.problem(f"{unlogged} audit entries are neither in the log nor queued for it.")
    if orphaned:
        report.problem(
            f"{orphaned} queued audit entries no longer exist: entries were deleted before "
            "they were integrated into the log."
        )
    if committed > present:
        gaps = _gaps()
        where = f" Entry ids missing: {gaps}." if gaps else " The newest entries are missing."
        report.problem(
            f"{committed - present} committed audit entries are missing from the database "
            f"({committed} were recorded, {present} remain): entries were deleted behind "
            f"the application.{where}"
        )
    elif committed < present:
        report.problem(
            f"{present - committed} audit entries were never recorded by the application "
            f"({present} rows for {committed} recorded): rows were inserted behind it."
        )


def _witness_note(report: VerifyReport) -> list[tuple[str, str | bytes]]:
    location = witness_location()
    if not location:
        return []
    try:
        held = read_witness()
    except WitnessError as error:
        report.problem(f"the witness at {location} could not be read: {error}.")
        return []
    if held is None:
        report.witness = f"the witness at {location} holds no checkpoint yet"
        return []
    report.witness = f"compared with the witness at {location}"
    return [(f"the checkpoint held by the witness at {location}", held)]


def tlog_verify(
    *, progress: Progress | None = None, notes: Sequence[str | bytes] = ()
) -> VerifyReport:
    """Check the whole log as described in this module; reads only, writes nothing."""
    given_notes: list[tuple[str, str | bytes]] = [
        ("the checkpoint given" if len(notes) == 1 else f"checkpoint given #{n}", text)
        for n, text in enumerate(notes, start=1)
    ]
    report = VerifyReport(tree_size=0)
    # The witness is read before the snapshot: what it holds was signed before the head.
    given_notes += _witness_note(report)
    head = _snapshot()
    report.tree_size = head.size
    stored, given = _open_checkpoints(report, given_notes, head.last_checkpoint_id)
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
    _check_entries(report)
    return report
