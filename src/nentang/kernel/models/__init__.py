"""Tables of the shared kernel: idempotency records, the holiday calendar, the outbox."""

from nentang.kernel.models.calendar import CalendarDay
from nentang.kernel.models.idempotency import IdempotencyRecord
from nentang.kernel.models.outbox import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "CalendarDay",
    "IdempotencyRecord",
    "OutboxEvent",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
