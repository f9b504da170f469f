"""Routing a citizen report to the agency that answers it, by ward and category.

The report's ward is the one the citizen chose, or — when they gave coordinates only —
the ward the addresses context places the point in (``digital_code_encode``: the ward
whose centroid is nearest, kept only when it is a ward of the city's province). Then,
first match wins:

1. ``route`` — a ``WardRoute`` of the city for that ward and category;
2. ``route`` — a ``WardRoute`` for that ward and any category;
3. ``ward`` — the ward's own agency (an active agency registered on that commune, such
   as its People's Committee), the first by code;
4. ``city`` — the city's desk (``CityDesk``).

The desk's officers keep seeing and acting on every report of their city (oversight);
the routed agency's officers see and act on the reports routed to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.identity import selectors as identity
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, NotFound, ValidationFailed
from nentang.smartcity.models import CityDesk, ReportCategory, WardRoute
from nentang.smartcity.problems import CITY_NOT_FOUND


@dataclass(frozen=True)
class Route:
    agency: Any
    how: str  # route, ward, city


def staff_of(agency_code: str) -> Q:
    """The reports an agency's officers see and act on: routed to it, or of a city
    whose desk it is."""
    return Q(agency_id=agency_code) | Q(tenant__desk__agency_id=agency_code)


def ward_at(*, province_code: str, latitude: float, longitude: float) -> tuple[str, str]:
    """(code, name) of the ward of ``province_code`` a point lies in, or ("", "")."""
    try:
        cell = addresses.digital_code_encode(latitude=latitude, longitude=longitude)
    except ValueError:  # outside Vietnam
        return "", ""
    if not cell.ward_code:
        return "", ""
    commune = addresses.commune_list(province_code=province_code).filter(code=cell.ward_code)
    found = commune.first()
    return (found.code, found.name) if found is not None else ("", "")


def route_for(*, desk: CityDesk, ward_code: str, category: str) -> Route:
    if ward_code:
        routes = WardRoute.objects.select_related("agency").filter(
            tenant_id=desk.tenant_id, ward_code=ward_code, category__in=(category, "")
        )
        chosen = sorted(routes, key=lambda r: r.category == "")
        if chosen and chosen[0].agency.is_active:
            return Route(chosen[0].agency, "route")
        own = identity.agency_list().filter(commune_code=ward_code).order_by("code").first()
        if own is not None:
            return Route(own, "ward")
    return Route(desk.agency, "city")


def _text(value: object) -> str:
    """A code as given, stripped; "" for anything that cannot be one (NUL bytes, over
    100 characters), which then fails its field's check."""
    text = str(value or "").strip()
    return "" if "\x00" in text or len(text) > 100 else text


def ward_route_set(
    *, actor: Actor, tenant: str, ward_code: str, agency_code: str, category: str = ""
) -> WardRoute:
    """Route ``tenant``'s reports from ``ward_code`` (of ``category``, or of any
    category) to the agency ``agency_code``. Unchanged: no write, no entry."""
    desk = CityDesk.objects.select_related("tenant").filter(tenant__name=tenant).first()
    if desk is None:
        raise NotFound(_("There is no such city."), code=CITY_NOT_FOUND)
    errors = []
    ward, code, kind = (_text(v) for v in (ward_code, agency_code, category))
    communes = addresses.commune_list(province_code=desk.province_code)
    if not ward or not communes.filter(code=ward).exists():
        errors.append(FieldError("ward_code", _("Choose a ward of this city."), "invalid_choice"))
    agency = identity.agency_list().filter(code=code).first() if code else None
    if agency is None:
        errors.append(FieldError("agency_code", _("Choose an active agency."), "invalid_choice"))
    if kind and not ReportCategory.objects.filter(code=kind).exists():
        errors.append(FieldError("category", _("Choose what the problem is."), "invalid_choice"))
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=errors)
    with transaction.atomic():
        existing = WardRoute.objects.filter(
            tenant=desk.tenant, ward_code=ward, category=kind
        ).first()
        if existing is not None and existing.agency_id == agency.code:  # type: ignore[union-attr]
            return existing
        route, _created = WardRoute.objects.update_or_create(
            tenant=desk.tenant, ward_code=ward, category=kind, defaults={"agency": agency}
        )
        auditing.record(
            actor=actor,
            action="smartcity.route.set",
            subject_type="smartcity.tenant",
            subject=tenant,
            summary={"ward": ward, "category": kind, "agency": route.agency_id},
        )
    return route
