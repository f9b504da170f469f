"""Retention of the temporal history (``Observation``) per city tenant.

A tenant's ``retention_days`` (0: keep everything) bounds how far back its history
goes. On PostgreSQL ``history_prune`` first drops the monthly partitions
(``services.partitions``) that every city holding rows in them lets go (one
``DROP TABLE``, no row-by-row delete, no bloat); then it deletes the older rows left
in batches of ``batch_size`` ids, each batch its own short transaction (no long lock,
no huge WAL burst; a crash loses at most one batch's progress, and the next run
carries on). The current state (``Entity``) is
never touched: an attribute last observed before the cutoff still shows its value.
One audit entry per tenant and run that deleted something.

The task ``tasks.prune_history_daily`` runs it and queues its own next run a day later;
setting a retention (``tenant_retention_set``) queues the first run.
"""

from __future__ import annotations

import datetime
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, NotFound, ValidationFailed
from nentang.kernel.scheduling import task_enqueue_unless_waiting
from nentang.smartcity.models import Observation, Tenant
from nentang.smartcity.problems import CITY_NOT_FOUND
from nentang.smartcity.services import partitions

BATCH_SIZE = 5000
MAX_RETENTION_DAYS = 36_500
PRUNE_INTERVAL = timedelta(days=1)


def tenant_retention_set(*, actor: Actor, tenant: str, days: object) -> Tenant:
    """Keep ``days`` of ``tenant``'s history (0: all of it). Unchanged: no entry."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(
                    field="retention_days",
                    message=_("Enter whole days, from 0 (keep everything) to 36500."),
                    code="invalid",
                )
            ],
        )
    with transaction.atomic():
        row = Tenant.objects.select_for_update().filter(name=tenant).first()
        if row is None:
            raise NotFound(_("There is no such city."), code=CITY_NOT_FOUND)
        if row.retention_days == days:
            return row
        before = row.retention_days
        row.retention_days = days
        row.save(update_fields=["retention_days"])
        auditing.record(
            actor=actor,
            action="smartcity.tenant.retention",
            subject_type="smartcity.tenant",
            subject=tenant or "(default)",
            summary={"retention_days": days, "before": before},
        )
    if days:
        history_prune_schedule(run_after=timezone.now())
    return row


def _prune_tenant(tenant: Tenant, cutoff: datetime.datetime, batch_size: int) -> tuple[int, int]:
    deleted = batches = 0
    old = Observation.objects.filter(tenant=tenant, observed_at__lt=cutoff)
    while True:
        with transaction.atomic():
            ids = list(old.order_by("id").values_list("id", flat=True)[:batch_size])
            if not ids:
                return deleted, batches
            count, _by_model = Observation.objects.filter(id__in=ids).delete()
        deleted += count
        batches += 1
        if len(ids) < batch_size:
            return deleted, batches


def history_prune(
    *,
    actor: Actor,
    now: datetime.datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> dict[str, int]:
    """Delete the history older than each tenant's retention; rows deleted per tenant."""
    if batch_size < 1:
        raise ValueError("batch_size is at least 1")
    moment = now or timezone.now()
    tenants = list(Tenant.objects.order_by("name"))
    cutoffs = {
        t.pk: moment - timedelta(days=t.retention_days) if t.retention_days else None
        for t in tenants
    }
    dropped: dict[int, int] = {}
    months: dict[int, list[str]] = {}
    for name in partitions.droppable_partitions(cutoffs):
        for tenant_id, count in partitions.drop_partition(name).items():
            dropped[tenant_id] = dropped.get(tenant_id, 0) + count
            months.setdefault(tenant_id, []).append(name)
    done: dict[str, int] = {}
    for tenant in tenants:
        cutoff = cutoffs[tenant.pk]
        if cutoff is None:
            continue
        deleted, batches = _prune_tenant(tenant, cutoff, batch_size)
        deleted += dropped.get(tenant.pk, 0)
        done[tenant.name] = deleted
        if deleted:
            summary: dict[str, object] = {
                "deleted": deleted,
                "batches": batches,
                "before": cutoff.isoformat(),
            }
            if tenant.pk in months:
                summary["partitions"] = months[tenant.pk]
            auditing.record(
                actor=actor,
                action="smartcity.history.prune",
                subject_type="smartcity.tenant",
                subject=tenant.name or "(default)",
                summary=summary,
            )
    return done


def history_prune_schedule(*, run_after: datetime.datetime | None = None) -> bool:
    """Queue the daily prune unless one is waiting already; True when queued."""
    from nentang.smartcity.tasks import prune_history_daily

    return task_enqueue_unless_waiting(prune_history_daily, run_after=run_after)
