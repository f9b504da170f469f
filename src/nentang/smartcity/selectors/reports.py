"""Reads of citizen reports, with their object-level rules: a reporter reads their own
reports; an officer reads the reports of the cities their agency answers for; the public
reads resolved reports without personal data (no reporter, no photo). Anything else is a
404 ``city_report_not_found``. Officers never see who reported: the answer reaches the
reporter through the platform, so no personal data of the reporter is used."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.identity import selectors as identity
from nentang.kernel.errors import NotFound
from nentang.smartcity.models import CityDesk, Report, ReportCategory, ReportStep, WardRoute
from nentang.smartcity.problems import REPORT_CITY_NOT_FOUND, REPORT_NOT_FOUND
from nentang.smartcity.services.routing import staff_of


def _not_found() -> NotFound:
    return NotFound(_("No report you may see has this id."), code=REPORT_NOT_FOUND)


def _uuid(report_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(report_id))
    except ValueError:
        raise _not_found() from None


def categories() -> QuerySet[ReportCategory]:
    return ReportCategory.objects.filter(is_active=True)


def desks() -> QuerySet[CityDesk]:
    """The cities that take reports, with their agency."""
    return CityDesk.objects.select_related("tenant", "agency").order_by("tenant__title")


def desk_get(*, tenant: str) -> CityDesk:
    desk = desks().filter(tenant__name=tenant).first()
    if desk is None:
        raise NotFound(_("No city takes reports under this name."), code=REPORT_CITY_NOT_FOUND)
    return desk


def city_wards(*, tenant: str) -> QuerySet[Any]:
    """The wards and communes a report in this city may name (addresses context)."""
    return addresses.commune_list(province_code=desk_get(tenant=tenant).province_code)


def _reports() -> QuerySet[Report]:
    return Report.objects.select_related("tenant", "category", "assignee")


def reports_mine(*, actor: Any) -> QuerySet[Report]:
    person = identity.person_for_account(account=actor)
    if person is None:
        return Report.objects.none()
    return _reports().filter(reporter=person).order_by("-created_at", "-id")


def report_own(*, actor: Any, report_id: str) -> Report:
    """The reporter's own report; another person's report is a 404."""
    person = identity.person_for_account(account=actor)
    report = (
        _reports().filter(public_id=_uuid(report_id), reporter=person).first()
        if person is not None
        else None
    )
    if report is None:
        raise _not_found()
    return report


def officer_of(*, actor: Any) -> Any:
    """The actor's officer record if their agency answers for at least one city."""
    officer = identity.officer_for_account(account=actor)
    if officer is None or not officer.is_active:
        return None
    agency = officer.agency_id
    if not (
        CityDesk.objects.filter(agency_id=agency).exists()
        or WardRoute.objects.filter(agency_id=agency).exists()
        or Report.objects.filter(agency_id=agency).exists()
    ):
        return None
    return officer


@dataclass(frozen=True)
class Queue:
    reports: list[Report]
    counts: dict[str, int]
    now: datetime


def staff_queue(*, officer: Any, state: str = "", limit: int = 200) -> Queue:
    """The reports of the officer's cities: open ones by due time, or one state."""
    base = _reports().filter(staff_of(officer.agency_id))
    counts = {s: base.filter(state=s).count() for s in Report.State.values}
    chosen = (
        base.filter(state=state)
        if state in Report.State.values
        else base.filter(state__in=("received", "triaged", "assigned", "in_progress"))
    )
    return Queue(list(chosen.order_by("due_at", "id")[:limit]), counts, timezone.now())


def report_for_staff(*, officer: Any, report_id: str) -> Report:
    report = _reports().filter(staff_of(officer.agency_id), public_id=_uuid(report_id)).first()
    if report is None:
        raise _not_found()
    return report


def colleagues(*, officer: Any) -> QuerySet[Any]:
    return identity.agency_officers(agency_code=officer.agency_id)


def report_steps(*, report: Report) -> QuerySet[ReportStep]:
    return ReportStep.objects.filter(report=report).select_related("officer")


def resolved_public(*, tenant: str, limit: int = 100) -> QuerySet[Report]:
    """A city's resolved reports for everyone: no reporter, no photo (the template shows
    category, ward, dates and the public answer only)."""
    desk = desk_get(tenant=tenant)
    return (
        Report.objects.filter(tenant=desk.tenant, state=Report.State.RESOLVED)
        .select_related("category")
        .only(
            "public_id",
            "category__title",
            "category__title_en",
            "ward_name",
            "created_at",
            "closed_at",
            "answer",
            "latitude",
            "longitude",
        )
        .order_by("-closed_at", "-id")[:limit]
    )


def photo_for(*, actor: Any, report_id: str, answer: bool = False) -> str:
    """The stored photo's name — the report's, or with ``answer`` the photo of the work
    done — for the reporter or an officer of the city; else 404."""
    officer = officer_of(actor=actor)
    if officer is not None:
        report = report_for_staff(officer=officer, report_id=report_id)
    else:
        report = report_own(actor=actor, report_id=report_id)
    name = report.answer_photo if answer else report.photo
    if not name:
        raise _not_found()
    return name
