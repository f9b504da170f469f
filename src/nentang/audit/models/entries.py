from __future__ import annotations

from typing import Any

from django.db import models


class AuditEntry(models.Model):
    """Who did what to which object, when: one row per committed state change.

    Append-only: no code path updates or deletes a row, and on PostgreSQL a trigger
    rejects UPDATE and DELETE (migration 0002). ``actor`` and ``subject`` never hold a
    raw personal identifier: people are referred to by a keyed hash (services.pseudonym).
    The row's canonical bytes (services.leaf_bytes) are the leaf of the transparency log.
    """

    class ActorType(models.TextChoices):
        PERSON = "person", "Person"
        OFFICER = "officer", "Officer"
        CLIENT = "client", "API client"
        SYSTEM = "system", "System"
        ANONYMOUS = "anonymous", "Anonymous"

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor = models.CharField(max_length=128)
    action = models.CharField(max_length=100, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject = models.CharField(max_length=128)
    summary = models.JSONField(default=dict)
    request_id = models.CharField(max_length=128, blank=True, default="")
    # Not stored: the id that record(alongside=…) got back from the caller's INSERT.
    alongside_id: Any = None

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject"], name="audit_subject_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.subject_type}:{self.subject}"


class PendingEntry(models.Model):
    """Queue of committed entries not yet integrated into the tree (drained in id order).

    Written in the same transaction as the entry, deleted by the integrator when the
    entry becomes a leaf: a writer never waits on hashing.
    """

    entry = models.OneToOneField(AuditEntry, on_delete=models.PROTECT, primary_key=True)

    def __str__(self) -> str:
        return f"pending #{self.pk}"
