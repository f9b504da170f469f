"""Recording audit entries: in the caller's transaction, pseudonymous, append-only."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from nentang.audit.models import AuditEntry, PendingEntry
from nentang.audit.services import AuditRecordError, leaf_bytes, pseudonym, record
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor

AN = "079090001234"  # Nguyễn Văn An's personal ID number


def record_one(**overrides: object) -> AuditEntry:
    arguments: dict[str, object] = {
        "actor": Actor.person(AN),
        "action": "identity.person.verify_level2",
        "subject_type": "identity.person",
        "subject": "0190c7e2-7b7d-7a3e-8a1b-5d6f7e8f9a0b",
        "summary": {"level": 2, "agency": "UBND phường Sài Gòn"},
    }
    arguments.update(overrides)
    with transaction.atomic():
        return record(**arguments)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_an_entry_and_its_queue_row_are_written_together() -> None:
    entry = record_one()
    assert PendingEntry.objects.filter(entry=entry).exists()
    assert entry.actor == pseudonym(AN)
    assert AN not in json.dumps(AuditEntry.objects.values().get(pk=entry.pk), default=str)


@pytest.mark.django_db
def test_the_kernel_hook_records_through_the_audit_context() -> None:
    with transaction.atomic():
        entry = auditing.record(
            actor=Actor.system("webhooks"),
            action="kernel.webhook_subscription.create",
            subject_type="kernel.webhook_subscription",
            subject="0190c7e2-0000-7000-8000-000000000001",
        )
    assert AuditEntry.objects.get(pk=entry.pk).actor == "webhooks"


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_entry() -> None:
    class Declined(Exception):
        pass

    def transfer_that_fails() -> None:
        with transaction.atomic():
            record(
                actor=Actor.person(AN),
                action="payments.transfer.create",
                subject_type="payments.transfer",
                subject="t-1",
            )
            raise Declined

    before = AuditEntry.objects.count()
    with pytest.raises(Declined):
        transfer_that_fails()
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused() -> None:
    with pytest.raises(AuditRecordError, match="inside the transaction"):
        record(actor=Actor.person(AN), action="a.b.c", subject_type="a.b", subject="x")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"action": "Verify"}, "dotted name"),
        ({"subject_type": "person"}, "dotted name"),
        ({"subject": ""}, "1 to 128"),
        ({"summary": {"amount": 1.5}}, "floats"),
        ({"summary": {"blob": "x" * 5000}}, "larger than"),
        ({"actor": Actor("robot", "r2")}, "unknown actor type"),
        # A lone surrogate cannot be encoded (it was a UnicodeEncodeError); a NUL was
        # refused only by PostgreSQL (a DataError) and stored by SQLite.
        ({"summary": {"name": "Nguy\ud800n"}}, "summary.name: not valid Unicode"),
        ({"summary": {"\udcff": 1}}, "summary: a key is not valid Unicode"),
        ({"summary": {"note": "a\x00b"}}, "summary.note: contains a NUL character"),
        ({"summary": {"list": ["ok", "x\x00"]}}, "summary.list.1: contains a NUL"),
        ({"summary": {"a\x00": 1}}, "summary: a key contains a NUL"),
        ({"subject": "t-\x00"}, "subject: contains a NUL"),
        ({"subject": "t-\udc80"}, "subject: not valid Unicode"),
        ({"actor": Actor.client("c\x00")}, "actor: contains a NUL"),
        ({"summary": {"n": 2**53}}, "summary.n: integers must lie within"),
        ({"summary": {"n": -(2**53)}}, "summary.n: integers must lie within"),
    ],
)
def test_malformed_entries_are_refused(override: dict[str, object], message: str) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(AuditRecordError, match=message):
        record_one(**override)
    assert AuditEntry.objects.count() == before


def test_pseudonyms_are_stable_keyed_and_distinct() -> None:
    assert pseudonym(AN) == pseudonym(AN)
    assert pseudonym(AN) != pseudonym("001195004321")
    assert pseudonym(AN).startswith("p_")
    assert AN not in pseudonym(AN)


@pytest.mark.django_db
def test_leaf_bytes_are_canonical_and_survive_a_round_trip() -> None:
    entry = record_one(summary={"b": 1, "a": ["x", True, None]})
    again = AuditEntry.objects.get(pk=entry.pk)
    assert leaf_bytes(again) == leaf_bytes(entry)
    document = json.loads(leaf_bytes(again))
    assert list(document) == sorted(document)
    assert document["summary"] == {"a": ["x", True, None], "b": 1}
    assert document["occurred_at"].endswith("Z")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'x.y.z'",
        "DELETE FROM audit_auditentry",
    ],
)
def test_the_database_refuses_to_rewrite_history(statement: str) -> None:
    record_one()
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEntry.objects.count() == 1
