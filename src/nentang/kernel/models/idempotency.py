from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The stored outcome of an unsafe request sent with an ``Idempotency-Key``.

    Unique per (scope, key): a key belongs to one user or client. ``fingerprint`` is
    the SHA-256 of method, path and canonical body; a replay with another body conflicts.
    """

    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=200)
    body = models.BinaryField()
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
