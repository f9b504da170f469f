"""Background tasks of the shared kernel. Thin: each calls one service.

Run them with ``nentang manage db_worker --queue-name webhooks`` (or ``default,webhooks``).
"""

from __future__ import annotations

from django_tasks import task

from nentang.kernel.events import outbox_schedule_dispatch
from nentang.kernel.webhooks import webhook_dispatch

WEBHOOKS_QUEUE = "webhooks"


@task(queue_name=WEBHOOKS_QUEUE)
def dispatch_outbox() -> dict[str, int]:
    """Fan new outbox events out to webhooks, deliver what is due, come back for retries."""
    result = webhook_dispatch()
    if result.next_due_at is not None:
        outbox_schedule_dispatch(run_after=result.next_due_at)
    return result.counts()
