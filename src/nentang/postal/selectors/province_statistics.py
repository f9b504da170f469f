"""Shipments per province of destination and month, for the statistics the open-data
context publishes (``opendata.services.statistics``). Aggregates only: no row names a
person, a merchant or a parcel; the publisher withholds the small cells."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from nentang.postal.models import Shipment
from nentang.postal.models.shipments import CodStatus, Status

_COLLECTED = (CodStatus.COLLECTED, CodStatus.REMITTED)


def shipments_by_province_month(*, since: datetime.date | None = None) -> list[dict[str, Any]]:
    """Per recipient province and month of creation (Vietnam time), oldest first:
    shipments created (cancelled ones left out), delivered, returned to the sender,
    and cash on delivery collected (count and amount in đồng). ``since`` is the first
    day of the first month counted."""
    queryset = Shipment.objects.exclude(status=Status.CANCELLED)
    if since is not None:
        start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
        queryset = queryset.filter(created_at__gte=start)
    rows = (
        queryset.annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values("recipient_province_code", "month")
        .annotate(
            shipments=Count("id"),
            delivered=Count("id", filter=Q(status=Status.DELIVERED)),
            returned=Count("id", filter=Q(status=Status.RETURN_TO_SENDER)),
            cod_collected=Count("id", filter=Q(cod_status__in=_COLLECTED)),
            cod_amount=Sum("cod_amount", filter=Q(cod_status__in=_COLLECTED)),
        )
        .order_by("month", "recipient_province_code")
    )
    out = []
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        out.append({
            "month": month.isoformat()[:7], "province_code": row["recipient_province_code"],
            "shipments": row["shipments"], "delivered": row["delivered"],
            "returned": row["returned"], "cod_collected": row["cod_collected"],
            "cod_amount": row["cod_amount"] or 0,
        })  # fmt: skip
    return out
