from __future__ import annotations

from django.db import models


class ThrottleBucket(models.Model):
    """The recent attempts of one (scope, keyed hash of the key) for ``throttle_take``.

    One row per key, locked for each attempt (``select_for_update``), so parallel
    requests queue on it and cannot all pass. ``attempts`` holds at most ``limit``
    ISO timestamps, most recent first; ``expires_at`` is when the last one leaves its
    window — past it the row says nothing and is pruned.

    A refusal is a security event, but a flood must not write one row per refused
    request: ``refused`` counts the refusals not yet reported and ``reported_at`` is
    when the last event was written (at most one per ``REPORT_EVERY`` per row).
    """

    scope = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64)
    attempts = models.JSONField(default=list)
    expires_at = models.DateTimeField(db_index=True)
    refused = models.PositiveIntegerField(default=0)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="throttle_scope_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key_hash[:12]}"
