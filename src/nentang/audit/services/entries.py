"""Recording audit entries: the only way into the log.

An entry is written in the caller's transaction together with a queue row; the
integrator (services.tlog) later gives it a gap-free index in the Merkle tree, so a
writer never waits on hashing. People are named by a keyed hash (``pseudonym``), never
by a raw identifier: the log is published for verification and must carry no personal
data (Law 91/2025/QH15 on personal data protection).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nentang.audit.models import AuditEntry, PendingEntry
from nentang.kernel.auditing import Actor
from nentang.kernel.jsonvalues import check_json, check_text, json_size
from nentang.kernel.observability.context import current_request_id
from nentang.kernel.prepared import fixed_cursor
from nentang.kernel.privatefiles import load_or_create_key

__all__ = ["AuditRecordError", "leaf_bytes", "pseudonym", "record"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,4}$")
MAX_SUMMARY_BYTES = 4096
LEAF_FORMAT_VERSION = 1
_HUMAN_ACTORS = {"person", "officer"}
# Django builds a choices enum's ``values`` list anew on every access; record() is on
# every audited write's path.
_ACTOR_TYPES = frozenset(AuditEntry.ActorType.values)

_key_lock = threading.Lock()
_key_cache: dict[Path, bytes] = {}


class AuditRecordError(ValueError):
    """A call to ``record`` broke a rule (format, size, transaction); nothing was written."""


def _pseudonym_key() -> bytes:
    path = Path(settings.HOME) / "audit" / "pseudonym.key"
    with _key_lock:
        if path not in _key_cache:
            _key_cache[path] = load_or_create_key(path, size=32)
        return _key_cache[path]


def pseudonym(identifier: str) -> str:
    """The keyed hash that stands for a person in the log: stable, not reversible
    without the key kept in NENTANG_HOME/audit/pseudonym.key. The same person gets the
    same pseudonym as citizen and as officer, so their own data-usage log can be found."""
    digest = hmac.new(_pseudonym_key(), identifier.encode("utf-8"), hashlib.sha256).digest()
    return "p_" + digest[:16].hex()


def _actor_ref(actor: Actor) -> str:
    if actor.type in _HUMAN_ACTORS:
        return pseudonym(actor.id)
    return actor.id


def leaf_bytes(entry: AuditEntry) -> bytes:
    """The canonical bytes of an entry: the leaf of the log, what a verifier sees.

    Leaf format v1 (docs/audit-log.md): the entry as a JSON object in the RFC 8785
    (JCS) canonical form, which ``record``'s rules make Python's compact, key-sorted
    encoding produce exactly (integers within ±(2⁵³ − 1), no floats, keys in the BMP).
    """
    occurred = entry.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    document = {
        "v": LEAF_FORMAT_VERSION,
        "id": entry.pk,
        "occurred_at": occurred,
        "actor_type": entry.actor_type,
        "actor": entry.actor,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject": entry.subject,
        "summary": entry.summary,
        "request_id": entry.request_id,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


# One counter row per database session (modulo the shard count) on PostgreSQL, so two
# writers rarely wait for each other's commit; SQLite has one writer at a time anyway.
COUNTER_SHARDS = 128
_COUNT_ENTRY = (
    "INSERT INTO audit_entrycounter (shard, entries) VALUES ({shard}, 1) "
    "ON CONFLICT (shard) DO UPDATE SET entries = audit_entrycounter.entries + 1"
)


def _count_entry() -> None:
    """Add one to the committed-entries counters, in the entry's transaction (see
    models.EntryCounter: ``nentang audit verify`` compares them with the entries)."""
    shard = f"pg_backend_pid() % {COUNTER_SHARDS}" if connection.vendor == "postgresql" else "0"
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_ENTRY.format(shard=shard))


# PostgreSQL: the entry, its queue row and the counter in one statement (one round trip
# instead of three on every audited request; issue 8's token-endpoint targets). With the
# caller's own INSERT (``alongside``) as the first part, the same statement returns its id too.
_ENTRY_QUEUED_AND_COUNTED = f"""entry AS (
    INSERT INTO audit_auditentry
        (occurred_at, actor_type, actor, action, subject_type, subject, summary, request_id)
    VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s)
    RETURNING id
), queued AS (
    INSERT INTO audit_pendingentry (entry_id) SELECT id FROM entry
), counted AS (
    INSERT INTO audit_entrycounter (shard, entries)
    VALUES (pg_backend_pid() %% {COUNTER_SHARDS}, 1)
    ON CONFLICT (shard) DO UPDATE SET entries = audit_entrycounter.entries + 1
)"""  # noqa: S608 - constants only; the values are parameters
_INSERT_QUEUED_AND_COUNTED = f"WITH {_ENTRY_QUEUED_AND_COUNTED}\nSELECT id FROM entry\n"
# {alongside} is the caller's statement; constants only, the values are parameters.
_ALONGSIDE = (
    "WITH alongside AS ({alongside}), "  # noqa: S608
    + _ENTRY_QUEUED_AND_COUNTED
    + "\nSELECT (SELECT id FROM entry), (SELECT id FROM alongside)\n"
)


def _insert_queued_and_counted(
    entry: AuditEntry, alongside: tuple[str, Sequence[Any]] | None = None
) -> Any:
    values: list[Any] = [
        entry.occurred_at,
        entry.actor_type,
        entry.actor,
        entry.action,
        entry.subject_type,
        entry.subject,
        json.dumps(entry.summary),
        entry.request_id,
    ]
    with fixed_cursor() as cursor:
        if alongside is None:
            cursor.execute(_INSERT_QUEUED_AND_COUNTED, values)
            row = (*cursor.fetchone(), None)
        else:
            sql, params = alongside
            cursor.execute(_ALONGSIDE.replace("{alongside}", sql), [*params, *values])
            row = cursor.fetchone()
    entry.pk = row[0]
    entry._state.adding = False
    entry._state.db = connection.alias
    return row[1]


def _insert_alongside(alongside: tuple[str, Sequence[Any]]) -> Any:
    sql, params = alongside
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        row = cursor.fetchone()
    return row[0] if row else None


def record(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject: str,
    summary: Mapping[str, Any] | None = None,
    alongside: tuple[str, Sequence[Any]] | None = None,
) -> AuditEntry:
    """Append an audit entry to the log, in the caller's transaction.

    ``action`` and ``subject_type`` are dotted lower-case names
    (``identity.person.verify_level2``, ``identity.person``); ``subject`` is a public id
    of the object, never a personal ID number; ``summary`` is a small JSON object (no
    floats, at most 4 KiB) of facts a verifier may see. Raises :class:`AuditRecordError`
    outside a transaction: an entry must exist if and only if its change committed.

    ``alongside`` is the change itself when it is one ``INSERT … RETURNING id`` (SQL with
    ``%s`` parameters, and the parameters): on PostgreSQL it goes in the entry's own
    statement (a data-modifying ``WITH``), which commits as a whole, so no transaction
    is needed around the call; elsewhere it runs just before the entry, in a transaction
    made here if the caller has none. Its id is ``entry.alongside_id``.
    """
    if not connection.in_atomic_block and alongside is None:
        raise AuditRecordError("record() must run inside the transaction of the change.")
    if not _NAME.match(action):
        raise AuditRecordError(f"action {action!r} is not a dotted name like context.noun.verb.")
    if not _NAME.match(subject_type):
        raise AuditRecordError(f"subject_type {subject_type!r} is not a dotted name.")
    if actor.type not in _ACTOR_TYPES:
        raise AuditRecordError(f"unknown actor type {actor.type!r}.")
    if not subject or len(subject) > 128:
        raise AuditRecordError("subject must be 1 to 128 characters.")
    check_text(subject, "subject", AuditRecordError)
    check_text(actor.id, "actor", AuditRecordError)
    facts = dict(summary or {})
    check_json(facts, "summary", AuditRecordError, canonical_keys=True)
    if json_size(facts) > MAX_SUMMARY_BYTES:
        raise AuditRecordError(f"summary is larger than {MAX_SUMMARY_BYTES} bytes.")

    entry = AuditEntry(
        occurred_at=timezone.now(),
        actor_type=actor.type,
        actor=_actor_ref(actor),
        action=action,
        subject_type=subject_type,
        subject=subject,
        summary=facts,
        request_id=current_request_id() if current_request_id() != "-" else "",
    )
    if connection.vendor == "postgresql":
        entry.alongside_id = _insert_queued_and_counted(entry, alongside)
    else:
        with transaction.atomic(savepoint=False):
            entry.alongside_id = _insert_alongside(alongside) if alongside is not None else None
            entry.save(force_insert=True)
            PendingEntry.objects.create(entry=entry)
            _count_entry()
    from nentang.audit.services.tlog import integration_soon

    # One schedule per transaction, however many entries it records (after commit the
    # process asks the queue "is a run waiting?", once for the commits of a few ms).
    # Django keeps the callbacks of the open transaction in ``run_on_commit`` and drops
    # those of a rolled-back savepoint.
    pending = transaction.get_connection().run_on_commit
    if not any(func is integration_soon for _, func, _ in pending):
        transaction.on_commit(integration_soon, robust=True)
    return entry
