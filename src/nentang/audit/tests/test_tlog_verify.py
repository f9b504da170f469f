"""Verifying the whole log (``tlog_verify``, behind ``nentang audit verify``). The tamper
tests edit rows behind the application's back — the append-only guards lifted, as an
intruder with database access would — and prove the verifier names exactly what changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from nentang.audit.models import AuditEntry, Checkpoint, LogLeaf, PendingEntry, Tile
from nentang.audit.selectors import tlog_origin, tlog_signer, tlog_tree_head
from nentang.audit.selectors.tlog_verify import tlog_verify
from nentang.audit.services import checkpoint_sign, integrate_pending, leaf_bytes, record
from nentang.audit.tests.guards import guards_lifted
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog import Signer, leaf_hash, sign_checkpoint
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db

OFFICER = Actor.officer("001195004321")  # an officer of UBND phường Sài Gòn
TABLES = (AuditEntry, PendingEntry, LogLeaf, Tile, Checkpoint)


def record_entries(count: int) -> None:
    with transaction.atomic():
        for number in range(count):
            record(
                actor=OFFICER,
                action="identity.person.verify_level2",
                subject_type="identity.person",
                subject=f"0190c7e2-7b7d-7a3e-8a1b-{number:012d}",
                summary={"level": 2},
            )


def tamper(sql: str, *params: str | int | bytes) -> None:
    with guards_lifted(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


def checkpoint_ids() -> list[int]:
    return list(Checkpoint.objects.order_by("id").values_list("id", flat=True))


@pytest.fixture
def signed_log() -> None:
    """900 entries over three checkpoints (300, 600, 900), tiles at levels 0 and 1."""
    for _ in range(3):
        record_entries(300)
        integrate_pending(batch_size=128)
        checkpoint_sign()


def test_an_untouched_log_verifies(signed_log: None) -> None:
    record_entries(2)
    report = tlog_verify()
    assert report.ok, report.problems
    assert (report.entries_checked, report.checkpoints_checked, report.pending) == (900, 3, 2)
    assert report.root_hash == tlog_tree_head().root_hash


def test_progress_is_reported_up_to_the_size(signed_log: None) -> None:
    seen: list[tuple[int, int]] = []
    tlog_verify(progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (900, 900)


def test_an_edited_entry_is_found_at_exactly_its_index(signed_log: None) -> None:
    leaf = LogLeaf.objects.get(index=417)
    tamper("UPDATE audit_auditentry SET summary = %s WHERE id = %s", '{"level": 1}', leaf.entry_id)
    before = [model.objects.count() for model in TABLES]
    report = tlog_verify()
    assert not report.ok
    assert (report.first_bad_index, report.first_bad_entry_id) == (417, leaf.entry_id)
    assert report.mismatched_entries == 1
    assert report.problems[0] == (
        f"The entry at index 417 (audit entry #{leaf.entry_id}) no longer matches the log: "
        "its content was changed after it was logged."
    )
    first, second, third = checkpoint_ids()
    problems = " ".join(report.problems)
    assert f"checkpoint #{second} signed root" in problems  # it covers index 417
    assert f"checkpoint #{third} signed root" in problems
    assert f"checkpoint #{first} signed root" not in problems  # 300 entries: before 417
    assert [model.objects.count() for model in TABLES] == before  # verifying writes nothing


def test_an_entry_changed_with_its_leaf_hash_is_found_by_the_tiles(signed_log: None) -> None:
    leaf = LogLeaf.objects.select_related("entry").get(index=777)
    entry = leaf.entry
    entry.actor = "someone-else"
    tamper("UPDATE audit_auditentry SET actor = %s WHERE id = %s", "someone-else", entry.pk)
    tamper(
        'UPDATE audit_logleaf SET leaf_hash = %s WHERE "index" = %s',
        leaf_hash(leaf_bytes(entry)),
        777,
    )
    report = tlog_verify()
    assert report.first_bad_index == 777
    assert report.mismatched_entries == 0  # the leaf hash agrees with the edit…
    assert report.problems[0] == (  # …but not with the tree the log signed
        f"The entry at index 777 (audit entry #{entry.pk}) no longer matches the tree the log "
        "signed (tile 0/3): the entry was changed together with its leaf hash, or the tile "
        "was altered."
    )


def test_a_removed_leaf_is_found(signed_log: None) -> None:
    tamper('DELETE FROM audit_logleaf WHERE "index" = 512')
    report = tlog_verify()
    assert report.first_bad_index == 512
    assert report.problems[0] == (
        "The log has no leaf at index 512, or no entry for it: a row was removed."
    )


def test_a_forged_checkpoint_is_refused(signed_log: None) -> None:
    second = Checkpoint.objects.get(pk=checkpoint_ids()[1])
    forged = second.note.replace("\n600\n", "\n601\n")
    tamper("UPDATE audit_checkpoint SET note = %s WHERE id = %s", forged, second.pk)
    report = tlog_verify()
    assert report.problems == [
        f"checkpoint #{second.pk} is not a valid signed checkpoint of this log: the signature "
        f"by {tlog_signer().name} does not verify: the note was altered."
    ]
    assert report.checkpoints_checked == 2


@pytest.mark.parametrize("cut", [1, 20, 90])
def test_a_truncated_checkpoint_is_refused(signed_log: None, cut: int) -> None:
    first = Checkpoint.objects.get(pk=checkpoint_ids()[0])
    tamper("UPDATE audit_checkpoint SET note = %s WHERE id = %s", first.note[:-cut], first.pk)
    report = tlog_verify()
    assert len(report.problems) == 1
    assert report.problems[0].startswith(
        f"checkpoint #{first.pk} is not a valid signed checkpoint of this log: "
    )


def test_a_checkpoint_signed_by_another_key_is_refused(signed_log: None) -> None:
    head = tlog_tree_head()
    intruder = Signer(tlog_signer().name, bytes(32))
    note = sign_checkpoint(CheckpointText(intruder.name, head.size, head.root_hash), intruder)
    last = checkpoint_ids()[-1]
    tamper("UPDATE audit_checkpoint SET note = %s WHERE id = %s", note, last)
    assert tlog_verify().problems == [
        f"checkpoint #{last} is not a valid signed checkpoint of this log: the note carries "
        f"no signature by {intruder.name}."
    ]


def test_a_rewritten_checkpoint_row_disagrees_with_its_note(signed_log: None) -> None:
    last = checkpoint_ids()[-1]
    tamper("UPDATE audit_checkpoint SET size = 899 WHERE id = %s", last)
    assert tlog_verify().problems == [
        f"checkpoint #{last}: its signed note and its stored size or root disagree."
    ]


def test_checkpoints_given_from_outside_are_checked(signed_log: None) -> None:
    kept = Checkpoint.objects.get(pk=checkpoint_ids()[0]).note
    assert tlog_verify(notes=[kept]).ok
    assert tlog_verify(notes=[kept.encode()]).ok
    truncated = tlog_verify(notes=[kept[:-30]])
    assert truncated.problems[0].startswith(
        "the checkpoint given is not a valid signed checkpoint of this log:"
    )
    signer = tlog_signer()
    larger = sign_checkpoint(CheckpointText(signer.name, 1000, bytes(32)), signer)
    assert tlog_verify(notes=[larger]).problems == [
        "the checkpoint given is for 1000 entries, but the log holds only 900: the log lost "
        "entries, or the checkpoint is not ours."
    ]
    other_root = sign_checkpoint(CheckpointText(signer.name, 300, bytes(32)), signer)
    assert (
        tlog_verify(notes=[other_root])
        .problems[0]
        .startswith(
            "the checkpoint given signed root AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= for 300 "
            "entries, but those entries now hash to "
        )
    )


def test_an_entry_outside_the_log_is_reported(signed_log: None) -> None:
    tamper("DELETE FROM audit_pendingentry")
    record_entries(1)
    tamper("DELETE FROM audit_pendingentry")
    assert tlog_verify().problems == ["1 audit entries are neither in the log nor queued for it."]


def test_an_empty_log_verifies() -> None:
    report = tlog_verify()
    assert report.ok
    assert report.entries_checked == 0


# --- A live log: writers keep going while the verifier scans (issue 8, item 8) -------


def test_entries_integrated_and_signed_during_the_scan_raise_no_alarm(signed_log: None) -> None:
    """The progress callback runs between reading the head and counting the entries:
    exactly where the old verifier subtracted counts taken minutes apart."""

    def writers_meanwhile(done: int, total: int) -> None:
        record_entries(5)
        integrate_pending()
        checkpoint_sign()
        record_entries(2)  # queued, not yet integrated

    report = tlog_verify(progress=writers_meanwhile)
    assert report.ok, report.problems
    assert report.tree_size == report.entries_checked == 900
    assert report.checkpoints_checked == 3  # the one signed meanwhile is left for next time
    assert tlog_verify().ok


# --- The origin stays when NENTANG_BASE_URL changes (item 10) -------------------------


def test_moving_to_another_base_url_keeps_the_origin(settings: Any) -> None:
    settings.BASE_URL = "http://127.0.0.1:8000"
    record_entries(3)
    integrate_pending()
    checkpoint_sign()
    settings.BASE_URL = "https://dichvucong.example.vn"
    record_entries(3)
    integrate_pending()
    later = checkpoint_sign()
    assert later is not None
    assert tlog_origin() == "127.0.0.1:8000/audit"
    assert later.note.startswith("127.0.0.1:8000/audit\n6\n")
    report = tlog_verify()
    assert report.ok, report.problems
    assert report.origins == {"127.0.0.1:8000/audit"}


def test_checkpoints_signed_under_an_earlier_origin_still_verify(signed_log: None) -> None:
    """Before the origin was stored, it followed NENTANG_BASE_URL: an installation that
    moved holds checkpoints signed under two names with one key."""
    head = tlog_tree_head()
    old_name = Signer("staging.nentang.example/audit", tlog_signer().seed)
    note = sign_checkpoint(CheckpointText(old_name.name, head.size, head.root_hash), old_name)
    with transaction.atomic():
        Checkpoint.objects.create(
            size=head.size, root_hash=head.root_hash, note=note, created_at=timezone.now()
        )
    report = tlog_verify(notes=[note])
    assert report.ok, report.problems
    assert report.origins == {tlog_origin(), "staging.nentang.example/audit"}
    # Another key under the old name is still refused.
    intruder = Signer("staging.nentang.example/audit", bytes(32))
    forged = sign_checkpoint(CheckpointText(intruder.name, 900, head.root_hash), intruder)
    assert tlog_verify(notes=[forged]).problems == [
        "the checkpoint given is not a valid signed checkpoint of this log: the note carries "
        "no signature by staging.nentang.example/audit."
    ]


# --- Entries deleted before integration, a cut tail (item 11) --------------------------


def entry_ids() -> list[int]:
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


def test_a_deleted_entry_that_was_not_yet_integrated_is_found() -> None:
    record_entries(5)
    integrate_pending()
    record_entries(4)  # queued
    victim = entry_ids()[6]
    tamper("DELETE FROM audit_pendingentry WHERE entry_id = %s", victim)
    tamper("DELETE FROM audit_auditentry WHERE id = %s", victim)
    assert tlog_verify().problems == [
        "1 committed audit entries are missing from the database (9 were recorded, 8 remain): "
        f"entries were deleted behind the application. Entry ids missing: #{victim}."
    ]


def test_a_cut_tail_of_queued_entries_is_found() -> None:
    record_entries(6)
    last_two = entry_ids()[-2:]
    for entry_id in last_two:
        tamper("DELETE FROM audit_pendingentry WHERE entry_id = %s", entry_id)
        tamper("DELETE FROM audit_auditentry WHERE id = %s", entry_id)
    assert tlog_verify().problems == [
        "2 committed audit entries are missing from the database (6 were recorded, 4 remain): "
        "entries were deleted behind the application. The newest entries are missing."
    ]


def test_a_queued_entry_deleted_without_its_queue_row_is_named() -> None:
    record_entries(3)
    victim = entry_ids()[1]
    tamper("DELETE FROM audit_auditentry WHERE id = %s", victim)
    problems = tlog_verify().problems
    assert problems[0] == (
        "1 queued audit entries no longer exist: entries were deleted before they were "
        "integrated into the log."
    )
    assert problems[1].startswith("1 committed audit entries are missing from the database")
    tamper("DELETE FROM audit_pendingentry WHERE entry_id = %s", victim)  # for the teardown


def test_an_entry_inserted_behind_the_application_is_found() -> None:
    record_entries(2)
    with transaction.atomic():
        forged = AuditEntry.objects.create(
            occurred_at=timezone.now(),
            actor_type="system",
            actor="intruder",
            action="identity.person.verify_level2",
            subject_type="identity.person",
            subject="forged",
            summary={},
        )
        PendingEntry.objects.create(entry=forged)
    assert tlog_verify().problems == [
        "1 audit entries were never recorded by the application (3 rows for 2 recorded): "
        "rows were inserted behind it."
    ]


# --- A rewritten tile is tampering, not an outage (item 11) ----------------------------


def test_a_tile_rewritten_with_a_value_of_another_length_is_named_as_tampering(
    signed_log: None,
) -> None:
    tamper('UPDATE audit_tile SET hashes = %s WHERE level = 0 AND "index" = 1', b"x" * 33)
    problems = tlog_verify().problems
    assert problems[0] == (
        "Tile 0/1 was rewritten behind the application: it holds 33 bytes where the log keeps "
        "32-byte hashes."
    )
    if connection.vendor == "sqlite":  # SQLite keeps text in a blob column; PostgreSQL cannot
        tamper("UPDATE audit_tile SET hashes = 'abc' WHERE level = 0 AND \"index\" = 0")
        assert tlog_verify().problems[0] == (
            "Tile 0/0 was rewritten behind the application: it holds a value of type str "
            "where the log keeps 32-byte hashes."
        )
