"""Tables of the shared kernel: idempotency records, the holiday calendar, the outbox,
the throttle buckets."""

from nentang.kernel.models.calendar import CalendarDay
from nentang.kernel.models.idempotency import IdempotencyRecord
from nentang.kernel.models.outbox import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from nentang.kernel.models.throttle import ThrottleBucket

__all__ = [
    "CalendarDay",
    "IdempotencyRecord",
    "OutboxEvent",
    "ThrottleBucket",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
