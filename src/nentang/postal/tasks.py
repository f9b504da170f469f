"""Background tasks of the postal context (django-tasks). Thin: load by id, call one
service."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from nentang.kernel.auditing import Actor
from nentang.postal.services.cod import (
    REMITTANCE_INTERVAL,
    cod_remittance_schedule,
    cod_remittances_run_due,
)


@task()
def remit_cod_daily() -> int:
    """Remit the COD of every merchant whose schedule is due; queue the next run a day
    later. Returns how many remittances were made."""
    done = cod_remittances_run_due(actor=Actor.system("postal.cod"))
    cod_remittance_schedule(run_after=timezone.now() + REMITTANCE_INTERVAL)
    return len(done)
