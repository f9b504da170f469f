"""GSMA Mobile Money API request states: what became of each transaction request a
client made with an ``X-CorrelationID`` (``GET /requeststates/{serverCorrelationId}``,
``GET /responses/{clientCorrelationId}``), and where its callback goes. An
asynchronous request is stored ``pending`` with its ``operation`` until the worker runs
it."""

from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class RequestState(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    server_correlation_id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    client_id = models.CharField(max_length=200)
    client_correlation_id = models.UUIDField()
    kind = models.CharField(max_length=20, help_text="transfer, merchantpay, reversal …")
    status = models.CharField(max_length=10, choices=Status.choices)
    notification_method = models.CharField(max_length=8, default="polling")
    object_reference = models.UUIDField(null=True, blank=True, help_text="The transfer's id.")
    error_code = models.CharField(max_length=80, blank=True, default="")
    error_description = models.CharField(max_length=300, blank=True, default="")
    operation = models.JSONField(
        default=dict,
        blank=True,
        help_text="What an asynchronous request does, for the worker (kind's parameters).",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client_id", "client_correlation_id"], name="payments_request_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.client_correlation_id} {self.status}"
