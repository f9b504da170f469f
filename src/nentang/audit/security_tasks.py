"""Background task of security monitoring: prune raw security events past retention.

Thin: calls ``security_events_prune`` and queues its own next run a day later. The first
run is queued after the first security event a process commits
(``services.security.register.prune_schedule_once``); ``nentang audit prune`` runs it
by hand or from cron.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from nentang.audit.services.security.register import (
    PRUNE_INTERVAL,
    security_events_prune,
    security_prune_schedule,
)


@task()
def prune_security_events() -> int:
    deleted = security_events_prune()
    security_prune_schedule(run_after=timezone.now() + PRUNE_INTERVAL)
    return deleted
