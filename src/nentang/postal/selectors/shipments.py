"""Shipments as each reader may see them."""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel.errors import NotFound
from nentang.postal.models import Facility, Merchant, PostalWorker, Shipment, TrackingEvent
from nentang.postal.models.shipments import CodStatus, Status
from nentang.postal.problems import SHIPMENT_NOT_FOUND
from nentang.postal.services.s10 import S10_PATTERN, s10_parse
from nentang.postal.services.tracking import EVENT_CODES, FAILURE_REASONS

SHIPMENT_ORDER = ("-created_at", "-id")


def shipment_not_found() -> NotFound:
    return NotFound(
        _("No shipment you may see has this id or item number."), code=SHIPMENT_NOT_FOUND
    )


def merchant_for_client(*, client_id: str) -> Merchant | None:
    return Merchant.objects.filter(client_id=client_id, is_active=True).first()


def merchant_for_staff(*, account: Any) -> Merchant | None:
    """The merchant whose staff ``account`` is (None for anyone else)."""
    if account is None or not getattr(account, "is_authenticated", False):
        return None
    return (
        Merchant.objects.filter(staff__account=account, staff__is_active=True, is_active=True)
        .order_by("name")
        .first()
    )


def merchant_parcels(*, merchant: Merchant, limit: int = 50) -> list[Shipment]:
    """The merchant's latest parcels, with only what its page shows (no recipient's
    name, phone or street: the order code, the number, the destination province)."""
    return list(
        Shipment.objects.filter(merchant=merchant)
        .order_by("-created_at", "-id")
        .only(
            "id", "s10", "client_order_code", "service", "status", "recipient_province_name",
            "cod_amount", "cod_status", "created_at", "delivered_at", "promised_by",
        )[:limit]
    )  # fmt: skip


def worker_for_account(*, account: Any) -> PostalWorker | None:
    if account is None or not getattr(account, "is_authenticated", False):
        return None
    return (
        PostalWorker.objects.select_related("facility")
        .filter(account=account, is_active=True, facility__is_active=True)
        .first()
    )


def _by_reference(queryset: QuerySet[Shipment], reference: str) -> Shipment:
    """A shipment by its UUID or its S10 number (latest cycle)."""
    text = str(reference or "").strip()
    try:
        return queryset.get(id=uuid.UUID(text))
    except (ValueError, Shipment.DoesNotExist):
        pass
    if S10_PATTERN.fullmatch(text.upper().replace(" ", "")):
        number = s10_parse(text)
        found = queryset.filter(s10=number).order_by("-s10_cycle").first()
        if found is not None:
            return found
    raise shipment_not_found()


def shipment_for_merchant(*, merchant: Merchant, reference: str) -> Shipment:
    """One of the merchant's shipments; any other is "not found" (no BOLA, no oracle)."""
    return _by_reference(Shipment.objects.filter(merchant=merchant), reference)


def shipment_for_worker(*, worker: PostalWorker, reference: str) -> Shipment:
    """Postal staff see every shipment in the network (they handle them all)."""
    del worker
    return _by_reference(Shipment.objects.all(), reference)


def shipment_list(
    *, merchant: Merchant, status: str | None = None, client_order_code: str | None = None
) -> QuerySet[Shipment]:
    queryset = Shipment.objects.filter(merchant=merchant)
    if status:
        queryset = queryset.filter(status=status)
    if client_order_code:
        queryset = queryset.filter(client_order_code=client_order_code)
    return queryset.order_by(*SHIPMENT_ORDER)


def events_of(*, shipment: Shipment) -> list[TrackingEvent]:
    return list(TrackingEvent.objects.filter(shipment=shipment).order_by("occurred_at", "id"))


@dataclass(frozen=True)
class PublicEvent:
    code: str
    label: str
    occurred_at: datetime.datetime
    city: str
    reason: str
    flagged: bool


@dataclass(frozen=True)
class PublicTracking:
    s10: str
    status: str
    status_label: str
    service: str
    destination_city: str
    promised_by: datetime.date
    delivered_at: datetime.datetime | None
    events: list[PublicEvent]


_CITIES: tuple[float, dict[str, str]] = (0.0, {})
CITIES_TTL = 60.0


def _facility_cities(wanted: set[str]) -> dict[str, str]:
    """Facility → province name, kept a minute per process: a few hundred rows that
    change when a post office opens, read on every public look-up (read again at once
    when a code is not known yet)."""
    global _CITIES
    now = time.monotonic()
    if now - _CITIES[0] > CITIES_TTL or not wanted <= _CITIES[1].keys():
        _CITIES = (now, dict(Facility.objects.values_list("code", "city")))
    return _CITIES[1]


# The shipment (latest cycle) and its unflagged events, newest first, in one round trip:
# the public look-up is the context's most frequent read.
_PUBLIC_SQL = """
SELECT s.s10, s.status, s.service, s.recipient_province_name, s.promised_by, s.delivered_at,
       e.code, e.occurred_at, e.facility_code, e.reason
FROM (SELECT id, s10, status, service, recipient_province_name, promised_by, delivered_at
      FROM postal_shipment WHERE s10 = %s ORDER BY s10_cycle DESC LIMIT 1) AS s
LEFT JOIN postal_trackingevent AS e ON e.shipment_id = s.id AND e.flag = ''
ORDER BY e.occurred_at DESC, e.id DESC
"""


def shipment_public(*, s10: str) -> PublicTracking:
    """What anyone holding the number may see: status, destination province and events
    with the facility's province only — no names, phones or street addresses."""
    number = s10_parse(s10)
    with connection.cursor() as cursor:
        cursor.execute(_PUBLIC_SQL, [number])
        rows = cursor.fetchall()
    if not rows:
        raise shipment_not_found()
    head = rows[0]
    found = [row[6:] for row in rows if row[6] is not None]
    cities = _facility_cities({facility for _c, _a, facility, _r in found if facility})
    events = [
        PublicEvent(
            code=code,
            label=str(EVENT_CODES[code].label),
            occurred_at=_aware(occurred_at),
            city=cities.get(facility, ""),
            reason=str(FAILURE_REASONS.get(reason, "")),
            flagged=False,
        )
        for code, occurred_at, facility, reason in found
    ]
    return PublicTracking(
        s10=head[0],
        status=head[1],
        status_label=str(Status(head[1]).label),
        service=head[2],
        destination_city=head[3],
        promised_by=_date(head[4]),
        delivered_at=_aware(head[5]) if head[5] is not None else None,
        events=events,
    )


def _aware(value: Any) -> datetime.datetime:
    """A time column as the ORM would give it: SQLite's raw value is text in UTC."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return cast(datetime.datetime, value)


def _date(value: Any) -> datetime.date:
    return (
        datetime.date.fromisoformat(value) if isinstance(value, str) else cast(datetime.date, value)
    )


def cod_report(*, merchant: Merchant) -> dict[str, Any]:
    """COD amounts and counts by lifecycle state, and the latest remittances."""
    rows = (
        Shipment.objects.filter(merchant=merchant)
        .exclude(cod_status=CodStatus.NONE)
        .values("cod_status")
        .annotate(amount=Sum("cod_amount"), count=Count("id"))
    )
    totals = {row["cod_status"]: {"amount": row["amount"], "count": row["count"]} for row in rows}
    remittances = list(merchant.remittances.order_by("-created_at")[:20])
    return {"totals": totals, "remittances": remittances}
