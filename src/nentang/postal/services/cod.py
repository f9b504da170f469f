"""Cash on delivery: the amount's lifecycle on the shipment, and the port to payments.

Lifecycle (``Shipment.cod_status``): ``pending`` from creation (to collect at the door)
→ ``collected`` when delivered (the postal worker took the cash; it is owed to the
merchant) → ``remitted`` when a remittance pays it to the merchant, on the merchant's
schedule; or ``pending`` → ``voided`` when the parcel starts back to its sender.

The money itself moves in the payments context as a two-phase transfer: a hold when
the shipment is created, posted when the cash is collected, voided on return. That
context is wired in later (docs/postal.md, "Seams"): :class:`CodLedger` is the port,
and :class:`LocalCodLedger` — which only records the lifecycle here — is what runs until
``cod_ledger_install`` puts the payments adapter in its place.
"""

from __future__ import annotations

import datetime
import logging
from typing import Protocol

from django.db import DatabaseError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from nentang.kernel import auditing, events
from nentang.kernel.auditing import Actor
from nentang.kernel.scheduling import task_enqueue_unless_waiting
from nentang.postal.models import CodRemittance, Merchant, Shipment
from nentang.postal.models.shipments import CodStatus

logger = logging.getLogger(__name__)


class CodLedger(Protocol):
    """What postal asks of payments. Called inside postal's transaction; an adapter
    that moves money must be idempotent per shipment id (retries happen)."""

    def hold(self, *, shipment: Shipment) -> None:
        """A parcel with COD was created: hold ``cod_amount`` for its merchant."""

    def hold_many(self, *, shipments: list[Shipment]) -> None:
        """:meth:`hold` for many new shipments at once (a bulk import): an adapter may
        move their money in one batch."""

    def collected(self, *, shipment: Shipment, at: datetime.datetime) -> None:
        """The cash was collected at the door: post the hold."""

    def voided(self, *, shipment: Shipment, at: datetime.datetime) -> None:
        """The parcel goes back to its sender: void the hold."""

    def remitted(self, *, remittance: CodRemittance) -> None:
        """The collected cash of these shipments is paid out to the merchant."""


class LocalCodLedger:
    """Records the lifecycle on the shipment only (no payments context yet)."""

    def hold(self, *, shipment: Shipment) -> None:
        shipment.cod_status = CodStatus.PENDING if shipment.cod_amount > 0 else CodStatus.NONE

    def hold_many(self, *, shipments: list[Shipment]) -> None:
        """One :meth:`hold` after another: an adapter with a batch call overrides it."""
        for shipment in shipments:
            self.hold(shipment=shipment)

    def collected(self, *, shipment: Shipment, at: datetime.datetime) -> None:
        shipment.cod_status = CodStatus.COLLECTED
        shipment.cod_collected_at = at

    def voided(self, *, shipment: Shipment, at: datetime.datetime) -> None:
        shipment.cod_status = CodStatus.VOIDED

    def remitted(self, *, remittance: CodRemittance) -> None:
        return None


_ledger: CodLedger = LocalCodLedger()


def cod_ledger() -> CodLedger:
    return _ledger


def cod_ledger_install(ledger: CodLedger) -> None:
    """Put the payments adapter in place (from the wiring code, at start-up)."""
    global _ledger
    _ledger = ledger


def cod_remittance_run(
    *, actor: Actor, merchant: Merchant, now: datetime.datetime | None = None
) -> CodRemittance | None:
    """Remit the cash collected for ``merchant`` at least ``remittance_days`` ago, in
    one remittance; None when nothing is due. Idempotent: a shipment is remitted once
    (its rows are locked and move to ``remitted`` in the same transaction)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=merchant.remittance_days)
    with transaction.atomic():
        due = list(
            Shipment.objects.select_for_update()
            .filter(
                merchant=merchant,
                cod_status=CodStatus.COLLECTED,
                cod_collected_at__lte=cutoff,
            )
            .order_by("id")
            .only("id", "cod_amount")
        )
        if not due:
            return None
        remittance = CodRemittance.objects.create(
            merchant=merchant,
            amount=sum(s.cod_amount for s in due),
            shipment_count=len(due),
            status=CodRemittance.Status.PAID,
            created_at=now,
            paid_at=now,
        )
        Shipment.objects.filter(id__in=[s.id for s in due]).update(
            cod_status=CodStatus.REMITTED, cod_remittance=remittance
        )
        cod_ledger().remitted(remittance=remittance)
        auditing.record(
            actor=actor,
            action="postal.cod.remit",
            subject_type="postal.cod_remittance",
            subject=str(remittance.id),
            summary={
                "merchant": merchant.code,
                "amount": remittance.amount,
                "shipments": len(due),
            },
        )
        events.emit(
            "postal.cod.remitted",
            {
                "remittance_id": str(remittance.id),
                "amount": remittance.amount,
                "shipments": len(due),
            },
            audience=merchant.webhook_owner,
        )
    return remittance


# The daily run drifts a little (it is queued again after it ran): a merchant remitted
# "yesterday" at 02:00:05 is due again today at 02:00:00.
SCHEDULE_SLACK = datetime.timedelta(hours=1)
REMITTANCE_INTERVAL = datetime.timedelta(days=1)


def cod_remittance_due(*, merchant: Merchant, now: datetime.datetime) -> bool:
    """Is ``merchant``'s remittance due: never remitted, or its last remittance at least
    ``remittance_days`` ago (less ``SCHEDULE_SLACK``)?"""
    last = merchant.remittances.order_by("-created_at").values_list("created_at", flat=True)[:1]
    if not last:
        return True
    every = datetime.timedelta(days=max(merchant.remittance_days, 1))
    return last[0] <= now - every + SCHEDULE_SLACK


def cod_remittances_run_due(
    *, actor: Actor, now: datetime.datetime | None = None
) -> list[CodRemittance]:
    """The daily run: ``cod_remittance_run`` for every active merchant whose schedule is
    due. Idempotent: run twice, the second run finds each merchant just remitted (not
    due) or nothing collected left; two runs at once remit each shipment once (its row
    lock). A merchant whose run fails is logged and left for the next run."""
    now = now or timezone.now()
    done: list[CodRemittance] = []
    for merchant in Merchant.objects.filter(is_active=True).order_by("code"):
        if not cod_remittance_due(merchant=merchant, now=now):
            continue
        try:
            remittance = cod_remittance_run(actor=actor, merchant=merchant, now=now)
        except DatabaseError:
            logger.exception("COD remittance of merchant %s failed", merchant.code)
            continue
        if remittance is not None:
            done.append(remittance)
    return done


def cod_remittance_schedule(*, run_after: datetime.datetime | None = None) -> bool:
    """Queue the daily remittance task unless one is waiting already; True when queued."""
    from nentang.postal.tasks import remit_cod_daily

    return task_enqueue_unless_waiting(remit_cod_daily, run_after=run_after)


_scheduled = False


def cod_remittance_schedule_once() -> None:
    """After the first COD collection a process commits, make sure the daily run is
    queued (the task then queues its next run itself)."""
    global _scheduled
    if _scheduled:
        return
    _scheduled = True
    cod_remittance_schedule(run_after=timezone.now() + REMITTANCE_INTERVAL)


def cod_totals(*, merchant: Merchant) -> dict[str, dict[str, int]]:
    """COD amounts and counts of a merchant by lifecycle state."""
    rows = (
        Shipment.objects.filter(merchant=merchant)
        .exclude(cod_status=CodStatus.NONE)
        .values("cod_status")
        .annotate(amount=Sum("cod_amount"), count=Count("id"))
    )
    return {row["cod_status"]: {"amount": row["amount"], "count": row["count"]} for row in rows}
