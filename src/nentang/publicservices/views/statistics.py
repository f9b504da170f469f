"""The public statistics page (Decision 766/QĐ-TTg measures of service quality): for
the chosen period, the platform's totals and, per procedure and per agency, dossiers
received, the share finished on time, submitted online, paid online and with an
electronic result, and the average processing time — as bar charts that are tables
(screen readers read the numbers). Aggregates only: nothing about any person."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.addresses import selectors as addresses
from nentang.identity import selectors as identity
from nentang.publicservices import selectors
from nentang.publicservices.catalogue import catalogue
from nentang.publicservices.selectors.statistics import Measure
from nentang.publicservices.services.common import officer_of

PERIODS = {"30": 30, "90": 90, "365": 365}
DEFAULT_PERIOD = "90"
# A group of fewer dossiers shows its count, not its shares nor its average time: with
# so few, "0 % online" says how one person applied. Open data withholds counts below 5
# the same way (opendata.services.statistics).
SMALL_GROUP = 5


def _public(measures: list[Measure]) -> list[Measure]:
    return [
        measure
        if measure.received >= SMALL_GROUP
        else dataclasses.replace(
            measure,
            on_time_percent=None,
            online_percent=None,
            paid_online_percent=None,
            electronic_percent=None,
            average_days=None,
        )
        for measure in measures
    ]


def _percent(value: int | None) -> tuple[int, str]:
    """A bar's width and its label: "—" when there was nothing to count."""
    return (value or 0, "—" if value is None else f"{value}%")


def _rows(measures: list[Measure], names: dict[str, str]) -> list[dict[str, object]]:
    return [
        {
            "name": names.get(measure.key, measure.key),
            "received": measure.received,
            "bars": [
                _percent(measure.on_time_percent),
                _percent(measure.online_percent),
                _percent(measure.electronic_percent),
            ],
            "average": "—"
            if measure.average_days is None
            else number_format(measure.average_days, 1),
        }
        for measure in measures
    ]


def _month(month: Any, busiest: int) -> dict[str, object]:
    """A month of the officer's chart: received (bar relative to the busiest month) and
    the shares finished early, on time and late (bars of 100%)."""
    finished = month.early + month.on_time + month.late

    def share(part: int) -> tuple[int, str]:
        return _percent(round(100 * part / finished) if finished else None)

    return {
        "name": f"{month.month:%m/%Y}",
        "received": (round(100 * month.received / busiest) if busiest else 0, month.received),
        "bars": [share(month.early), share(month.on_time), share(month.late)],
    }


@require_http_methods(["GET"])
def statistics(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    # The last N days, today included: whole days, as the daily roll-up counts them.
    since = timezone.localdate() - datetime.timedelta(days=PERIODS[period] - 1)
    agencies = list(identity.agency_list())
    agency_names = {agency.code: agency.name for agency in agencies}
    with_agencies = {agency.province_code for agency in agencies}
    provinces = [(p.code, p.name) for p in addresses.province_list() if p.code in with_agencies]
    # Filters outside the lists (a stale link, a hand-made URL) mean "all", as the period.
    province = request.GET.get("province", "")
    province = province if province in with_agencies else ""
    agency = request.GET.get("agency", "")
    agency = agency if agency in agency_names else ""
    rows = selectors.service_statistics(since=since, agency=agency, province=province)
    vietnamese = request.LANGUAGE_CODE == "vi"
    procedure_names = {
        procedure.slug: procedure.name.vi if vietnamese else procedure.name.en
        for procedure in catalogue().in_force()
    }
    totals = _public(selectors.statistics_measures(rows, by="all"))
    return render(
        request,
        "publicservices/statistics.html",
        {
            "period": period,
            "periods": [
                ("30", _("Last 30 days")),
                ("90", _("Last 90 days")),
                ("365", _("Last 12 months")),
            ],
            "since": since,
            "province": province,
            "provinces": provinces,
            "agency": agency,
            "agency_choices": sorted(agency_names.items(), key=lambda item: item[1]),
            "total": totals[0] if totals else None,
            "total_online": _percent(totals[0].online_percent)[1] if totals else "",
            "total_paid": _percent(totals[0].paid_online_percent)[1] if totals else "",
            "total_electronic": _percent(totals[0].electronic_percent)[1] if totals else "",
            "small_group": SMALL_GROUP,
            "procedures": _rows(
                _public(selectors.statistics_measures(rows, by="procedure")), procedure_names
            ),
            "agencies": _rows(
                _public(selectors.statistics_measures(rows, by="agency")), agency_names
            ),
        },
    )


@never_cache
@require_http_methods(["GET"])
def officer_statistics(request: HttpRequest) -> HttpResponse:
    """The officer's own agency over a period, from the same daily roll-up: dossiers
    received, in progress, finished early / on time / late, the average processing
    time, in total and per procedure. Another agency's numbers are not offered."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    officer = officer_of(request.user)
    if officer is None:
        raise PermissionDenied(_("This page is for officers of a public agency."))
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    since = timezone.localdate() - datetime.timedelta(days=PERIODS[period] - 1)
    rows = selectors.service_statistics(since=since, agency=officer.agency_id)
    vietnamese = request.LANGUAGE_CODE == "vi"
    names = {
        procedure.slug: procedure.name.vi if vietnamese else procedure.name.en
        for procedure in catalogue().in_force()
    }
    totals = selectors.statistics_measures(rows, by="all")
    months = selectors.statistics_by_month(since=since, agency=officer.agency_id)
    busiest = max((m.received for m in months), default=0)
    return render(
        request,
        "publicservices/officer_statistics.html",
        {
            "officer": officer,
            "period": period,
            "periods": [
                ("30", _("Last 30 days")),
                ("90", _("Last 90 days")),
                ("365", _("Last 12 months")),
            ],
            "since": since,
            "total": {
                "received": sum(row.received for row in rows),
                "in_progress": sum(row.in_progress for row in rows),
                "early": sum(row.early for row in rows),
                "on_time": sum(row.on_time for row in rows),
                "late": sum(row.late for row in rows),
                "parts_refused": sum(row.parts_refused for row in rows),
                "on_time_percent": _percent(totals[0].on_time_percent)[1] if totals else "—",
                "average": "—"
                if not totals or totals[0].average_days is None
                else number_format(totals[0].average_days, 1),
            },
            "rows": sorted(
                ((names.get(row.procedure, row.procedure), row) for row in rows),
                key=lambda item: item[0],
            ),
            "procedures": _rows(selectors.statistics_measures(rows, by="procedure"), names),
            "months": [_month(month, busiest) for month in months],
        },
    )
