"""Verifying the whole log (``tlog_verify``, behind ``nentang audit verify``). The tamper
tests edit rows behind the application's back — the append-only guards lifted, as an
intruder with database access would — and prove the verifier names exactly what changed.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from nentang.audit.models import AuditEntry, Checkpoint, LogLeaf, PendingEntry, Tile
from nentang.audit.selectors import tlog_signer, tlog_tree_head
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
