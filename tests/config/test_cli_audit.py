"""`nentang audit integrate | checkpoint | verify`, in-process. The tamper tests edit rows
behind the application's back (the append-only guards lifted, as an intruder with
database access would) and prove that ``verify`` names exactly what was changed, in one
sentence, and exits 1. (The checks themselves: src/nentang/audit/tests/test_tlog_verify.py.)"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from django.db import connection, transaction
from django.utils import timezone

from nentang.audit.models import AuditEntry, Checkpoint, LogLeaf, PendingEntry, Tile
from nentang.audit.selectors import tlog_signer, tlog_tree_head
from nentang.audit.services import checkpoint_sign, integrate_pending, record
from nentang.audit.tests.guards import guards_lifted
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog import Signer, leaf_hash, sign_checkpoint
from nentang.config import cli as cli_module
from nentang.config.cli import cli
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db

OFFICER = Actor.officer("001195004321")  # an officer of UBND phường Sài Gòn


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


def nentang(*args: str) -> Result:
    return CliRunner().invoke(cli, ["audit", *args])


def tamper(sql: str, *params: str | int | bytes) -> None:
    with guards_lifted(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def signed_log() -> None:
    """900 entries over three checkpoints (300, 600, 900), tiles at levels 0 and 1."""
    for _ in range(3):
        record_entries(300)
        integrate_pending(batch_size=128)
        checkpoint_sign()


def test_checkpoint_integrates_signs_and_prints_the_note() -> None:
    record_entries(5)
    result = nentang("checkpoint")
    assert result.exit_code == 0, result.output
    note = Checkpoint.objects.get().note
    assert result.stdout == note
    assert note.splitlines()[1] == "5"
    assert not PendingEntry.objects.exists()


def test_integrate_says_how_many() -> None:
    record_entries(7)
    result = nentang("integrate", "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert "7 audit entries integrated; the log holds 7" in result.stdout


def test_an_untouched_log_verifies(signed_log: None) -> None:
    record_entries(2)  # queued, not yet integrated: reported, not a problem
    result = nentang("verify")
    assert result.exit_code == 0, result.output
    root = base64.b64encode(tlog_tree_head().root_hash).decode()
    assert (
        f"the audit log verifies: 900 entries, 3 signed checkpoints, root {root}; "
        "2 entries queued" in result.stdout
    )


def test_an_empty_log_verifies() -> None:
    result = nentang("verify")
    assert result.exit_code == 0, result.output
    assert "0 entries, 0 signed checkpoints" in result.stdout


def test_an_edited_entry_is_found_at_its_index(signed_log: None) -> None:
    leaf = LogLeaf.objects.get(index=417)
    tamper("UPDATE audit_auditentry SET summary = %s WHERE id = %s", '{"level": 1}', leaf.entry_id)
    counts = [m.objects.count() for m in (AuditEntry, LogLeaf, Tile, Checkpoint)]
    result = nentang("verify")
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first == (
        f"nentang: The entry at index 417 (audit entry #{leaf.entry_id}) no longer matches "
        "the log: its content was changed after it was logged."
    )
    first_id, second_id, third_id = Checkpoint.objects.order_by("id").values_list("id", flat=True)
    assert f"checkpoint #{second_id} signed root" in result.stderr  # later ones disagree too
    assert f"checkpoint #{third_id} signed root" in result.stderr
    assert f"checkpoint #{first_id} signed root" not in result.stderr  # it predates the entry
    assert [m.objects.count() for m in (AuditEntry, LogLeaf, Tile, Checkpoint)] == counts


def test_an_entry_and_its_leaf_hash_edited_together_are_found_by_the_tiles(
    signed_log: None,
) -> None:
    leaf = LogLeaf.objects.select_related("entry").get(index=777)
    entry = leaf.entry
    entry.actor = "someone-else"
    from nentang.audit.services import leaf_bytes

    forged_hash = leaf_hash(leaf_bytes(entry))
    tamper("UPDATE audit_auditentry SET actor = %s WHERE id = %s", "someone-else", entry.pk)
    tamper('UPDATE audit_logleaf SET leaf_hash = %s WHERE "index" = %s', forged_hash, 777)
    result = nentang("verify")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"nentang: The entry at index 777 (audit entry #{entry.pk}) no longer matches the "
        "tree the log signed (tile 0/3): the entry was changed together with its leaf hash, "
        "or the tile was altered."
    )
    assert "tile 0/3 differs from the hashes recomputed from the entries" in result.stderr


def test_a_removed_leaf_is_found(signed_log: None) -> None:
    tamper('DELETE FROM audit_logleaf WHERE "index" = 512')
    result = nentang("verify")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "nentang: The log has no leaf at index 512, or no entry for it: a row was removed."
    )


def test_a_forged_checkpoint_is_refused(signed_log: None) -> None:
    second = Checkpoint.objects.order_by("id")[1]
    forged = second.note.replace("\n600\n", "\n601\n")
    tamper("UPDATE audit_checkpoint SET note = %s WHERE id = %s", forged, second.pk)
    result = nentang("verify")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"nentang: checkpoint #{second.pk} is not a valid signed checkpoint of this log: the "
        f"signature by {tlog_signer().name} does not verify: the note was altered."
    )


def test_a_truncated_checkpoint_is_refused(signed_log: None) -> None:
    first = Checkpoint.objects.order_by("id")[0]
    tamper("UPDATE audit_checkpoint SET note = %s WHERE id = %s", first.note[:-20], first.pk)
    result = nentang("verify")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"nentang: checkpoint #{first.pk} is not a valid signed")


def test_a_checkpoint_signed_by_another_key_is_refused(signed_log: None) -> None:
    head = tlog_tree_head()
    intruder = Signer(tlog_signer().name, bytes(32))
    note = sign_checkpoint(CheckpointText(intruder.name, head.size, head.root_hash), intruder)
    last = Checkpoint.objects.order_by("id").last()
    assert last is not None
    tamper("UPDATE audit_checkpoint SET note = %s WHERE id = %s", note, last.pk)
    result = nentang("verify")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"nentang: checkpoint #{last.pk} is not a valid signed checkpoint of this log: the note "
        f"carries no signature by {intruder.name}."
    )


def test_a_checkpoint_given_from_outside_is_checked(signed_log: None, tmp_path: Path) -> None:
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(Checkpoint.objects.order_by("id")[0].note, encoding="utf-8")
    assert nentang("verify", "--checkpoint", str(kept)).exit_code == 0

    kept.write_text(Checkpoint.objects.order_by("id")[0].note[:-30], encoding="utf-8")
    result = nentang("verify", "--checkpoint", str(kept))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "nentang: the checkpoint given is not a valid signed checkpoint of this log:"
    )


def test_a_valid_checkpoint_of_a_larger_log_means_entries_were_lost(
    signed_log: None, tmp_path: Path
) -> None:
    signer = tlog_signer()
    note = sign_checkpoint(CheckpointText(signer.name, 1000, bytes(32)), signer)
    result = CliRunner().invoke(cli, ["audit", "verify", "--checkpoint", "-"], input=note)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "nentang: the checkpoint given is for 1000 entries, but the log holds only 900: the "
        "log lost entries, or the checkpoint is not ours."
    )


def test_a_rewritten_tile_is_named_as_tampering(signed_log: None) -> None:
    tamper('UPDATE audit_tile SET hashes = %s WHERE level = 0 AND "index" = 2', b"\x00" * 31)
    result = nentang("verify")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "nentang: Tile 0/2 was rewritten behind the application: it holds 31 bytes where the "
        "log keeps 32-byte hashes."
    )


def test_a_statement_the_database_refuses_is_not_called_unreachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The database answers, but a table was changed behind the application: the
    operator is told that, not sent to check NENTANG_DATABASE_URL."""

    def query_a_missing_column() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM audit_tile")

    with pytest.raises(SystemExit) as exited:
        cli_module._run(query_a_missing_column)
    assert exited.value.code == 1
    message = capsys.readouterr().err
    assert message.startswith("nentang: the database refused a statement (")
    assert "not reachable" not in message


def test_verify_names_every_origin_the_log_was_signed_under(
    signed_log: None, settings: Any
) -> None:
    head = tlog_tree_head()
    old = Signer("staging.nentang.example/audit", tlog_signer().seed)
    note = sign_checkpoint(CheckpointText(old.name, head.size, head.root_hash), old)
    with transaction.atomic():
        Checkpoint.objects.create(
            size=head.size, root_hash=head.root_hash, note=note, created_at=timezone.now()
        )
    settings.BASE_URL = "https://dichvucong.example.vn"  # a move: the origin stays
    result = nentang("verify")
    assert result.exit_code == 0, result.output
    origins = ", ".join(sorted(["staging.nentang.example/audit", tlog_signer().name]))
    assert "4 signed checkpoints, root " in result.stdout
    assert f"signed under 2 origins ({origins})" in result.stdout
