"""Webhooks: subscriptions, fan-out of outbox events, signed delivery, retries, replay.

Guarantees: at least once, in no particular order. A 2xx answer is success; anything
else (including a redirect or a timeout) is retried with exponential back-off and
jitter, and the delivery is dead-lettered after ``NENTANG_WEBHOOK_MAX_ATTEMPTS``
attempts. ``410 Gone`` means the receiver wants no more: the subscription is disabled.

The modules, by topic:

* :mod:`~nentang.kernel.webhooks.signing`: the wire format (Standard Webhooks 1.0),
  secrets, signatures and back-off;
* :mod:`~nentang.kernel.webhooks.subscriptions`: creating and disabling subscriptions,
  topic matching;
* :mod:`~nentang.kernel.webhooks.delivery`: fan-out, claiming, sending, recording and
  dispatching (and how concurrent workers stay out of each other's way);
* :mod:`~nentang.kernel.webhooks.replay`: sending a delivery or an event again.

Import from this package, not from its modules: the names below are its interface.
"""

from __future__ import annotations

from nentang.kernel.webhooks.delivery import (
    BATCH_SIZE,
    FAN_OUT_BATCH,
    LEASE,
    MAX_FAN_OUT_ROUNDS,
    SEND_THREADS,
    USER_AGENT,
    WEBHOOK_TIMEOUTS,
    DispatchResult,
    webhook_deliver_due,
    webhook_dispatch,
    webhook_fan_out,
    webhook_next_due_at,
)
from nentang.kernel.webhooks.replay import webhook_delivery_replay, webhook_event_replay
from nentang.kernel.webhooks.signing import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    SECRET_BYTES,
    SECRET_PREFIX,
    webhook_backoff,
    webhook_envelope,
    webhook_secret_new,
    webhook_signature,
)
from nentang.kernel.webhooks.subscriptions import (
    MAX_TOPICS,
    topic_matches,
    webhook_subscription_create,
    webhook_subscription_disable,
)

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "BATCH_SIZE",
    "FAN_OUT_BATCH",
    "LEASE",
    "MAX_FAN_OUT_ROUNDS",
    "MAX_TOPICS",
    "SECRET_BYTES",
    "SECRET_PREFIX",
    "SEND_THREADS",
    "USER_AGENT",
    "WEBHOOK_TIMEOUTS",
    "DispatchResult",
    "topic_matches",
    "webhook_backoff",
    "webhook_deliver_due",
    "webhook_delivery_replay",
    "webhook_dispatch",
    "webhook_envelope",
    "webhook_event_replay",
    "webhook_fan_out",
    "webhook_next_due_at",
    "webhook_secret_new",
    "webhook_signature",
    "webhook_subscription_create",
    "webhook_subscription_disable",
]
