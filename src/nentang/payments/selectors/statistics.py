"""Transfers per month and purpose, for the statistics the open-data context publishes
(``opendata.services.statistics``). Aggregates only — no account, party or transfer is
named; the publisher withholds the small cells."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from nentang.payments.models import Transfer, TransferKind

# The transfers that move money: posted at once, or a pending transfer's posting.
# Pending holds, voids and expiries move nothing and are not counted.
_MOVING = (TransferKind.POSTED, TransferKind.POST)


def transfer_statistics(*, since: datetime.date | None = None) -> list[dict[str, Any]]:
    """Per month (Vietnam time) and purpose (the transfer's ``code``: p2p, merchant,
    cod, fee, …), oldest first: the number of transfers that moved money and their
    amount in đồng. ``since`` is the first day of the first month counted."""
    queryset = Transfer.objects.filter(kind__in=_MOVING)
    if since is not None:
        start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
        queryset = queryset.filter(created_at__gte=start)
    rows = (
        queryset.annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values("code", "month")
        .annotate(transfers=Count("id"), amount=Sum("amount"))
        .order_by("month", "code")
    )
    out = []
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        out.append({
            "month": month.isoformat()[:7], "purpose": row["code"],
            "transfers": row["transfers"], "amount": row["amount"] or 0,
        })  # fmt: skip
    return out
