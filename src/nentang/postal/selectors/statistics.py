"""Aggregate, anonymous statistics of the postal service for the programme dashboard.

* e-commerce parcels per month and their growth (the postal strategy, Decision
  654/QĐ-TTg, targets at least 30 % a year);
* on-time delivery rate: delivered on or before the promised date;
* first-attempt success rate: delivered at the first attempt (no failed attempt before);
* COD remittance time: hours from collection at the door to payment to the merchant.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from nentang.postal.models import CodRemittance, Shipment
from nentang.postal.models.shipments import Service, Status


def ecommerce_parcels_per_month(
    *, months: int = 12, now: datetime.datetime | None = None
) -> list[dict[str, Any]]:
    """E-commerce parcels created per month (Vietnam time), oldest first, with the
    growth over the same month a year before and over the month before (None when
    there is nothing to compare with)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    start = (local.replace(day=1) - datetime.timedelta(days=(months + 12) * 31)).replace(day=1)
    rows = (
        Shipment.objects.filter(service=Service.ECOMMERCE, created_at__gte=start)
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(count=Count("id"))
    )
    counts = {
        timezone.localtime(r["month"]).date().replace(day=1)
        if isinstance(r["month"], datetime.datetime)
        else r["month"]: r["count"]
        for r in rows
    }
    out = []
    month = local.date().replace(day=1)
    series = []
    for _ in range(months):
        series.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    for month in reversed(series):
        count = counts.get(month, 0)
        year_before = counts.get(month.replace(year=month.year - 1), 0)
        previous = counts.get((month - datetime.timedelta(days=1)).replace(day=1), 0)
        out.append(
            {
                "month": month.isoformat()[:7],
                "parcels": count,
                "growth_year_on_year": round(count / year_before - 1, 4) if year_before else None,
                "growth_month_on_month": round(count / previous - 1, 4) if previous else None,
            }
        )
    return out


def _delivered(since: datetime.datetime | None) -> Any:
    queryset = Shipment.objects.filter(status=Status.DELIVERED, delivered_at__isnull=False)
    return queryset.filter(delivered_at__gte=since) if since else queryset


def on_time_rate(*, since: datetime.datetime | None = None) -> float | None:
    delivered = list(_delivered(since).values_list("delivered_at", "promised_by"))
    if not delivered:
        return None
    on_time = sum(1 for at, promised in delivered if timezone.localtime(at).date() <= promised)
    return round(on_time / len(delivered), 4)


def first_attempt_success_rate(*, since: datetime.datetime | None = None) -> float | None:
    counts = _delivered(since).aggregate(total=Count("id"), first=Count("id", filter=Q(attempts=1)))
    return round(counts["first"] / counts["total"], 4) if counts["total"] else None


def cod_remittance_hours(*, since: datetime.datetime | None = None) -> float | None:
    """Mean hours from collection to remittance over the remitted COD."""
    queryset = Shipment.objects.filter(cod_remittance__isnull=False, cod_collected_at__isnull=False)
    if since:
        queryset = queryset.filter(cod_collected_at__gte=since)
    mean = queryset.annotate(
        wait=ExpressionWrapper(
            F("cod_remittance__paid_at") - F("cod_collected_at"), output_field=DurationField()
        )
    ).aggregate(mean=Avg("wait"))["mean"]
    return round(mean.total_seconds() / 3600, 1) if mean is not None else None


def statistics_summary(*, now: datetime.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    since = now - datetime.timedelta(days=365)
    return {
        "ecommerce_parcels_per_month": ecommerce_parcels_per_month(now=now),
        "on_time_rate": on_time_rate(since=since),
        "first_attempt_success_rate": first_attempt_success_rate(since=since),
        "cod_remittance_hours": cod_remittance_hours(since=since),
        "remittances": CodRemittance.objects.count(),
    }
