from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it announces.

    Rows are immutable. ``fanned_out_at`` is set once deliveries to the matching
    webhook subscriptions have been created.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    topic = models.CharField(max_length=120, db_index=True)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    request_id = models.CharField(max_length=128, blank=True, default="")
    # Empty: every subscription to the topic receives it. Otherwise only subscriptions
    # whose ``owner`` equals it (a merchant receives the events of its own shipments).
    audience = models.CharField(max_length=200, blank=True, default="")
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending_idx",
                condition=models.Q(fanned_out_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.id}"


class WebhookSubscription(models.Model):
    """An HTTPS endpoint that receives events of some topics, signed with its secret.

    ``topics`` holds exact topics (``payments.transfer.completed``), prefixes ending in
    ``.*`` (``payments.*``) or ``*`` for every event.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    owner = models.CharField(max_length=200, help_text="Who owns it, e.g. client:<id>.")
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=200)
    topics = models.JSONField(default=list)
    description = models.CharField(max_length=300, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.owner} → {self.url}"


class WebhookDelivery(models.Model):
    """One event owed to one subscription, retried with back-off until it succeeds or dies."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        DEAD = "dead", "Dead-lettered"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="webhook_delivery_event_sub_uniq"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    """The log of every HTTP attempt of a delivery, for operators and replay decisions."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"
