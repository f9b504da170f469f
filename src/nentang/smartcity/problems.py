"""Problem codes of the smartcity context (see kernel/errors/registry.py): each code a
service raises is registered here with its status, title, meaning and advice."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

REPORT_NOT_FOUND = register(
    "city_report_not_found",
    status=404,
    title=_("Report not found"),
    meaning=_("No citizen report you may see has this id."),
    advice=_("Reporters see their own reports, officers the reports of their city's agency."),
)
REPORT_RATING_NOT_ALLOWED = register(
    "city_report_rating_not_allowed",
    status=409,
    title=_("The answer cannot be rated now"),
    meaning=_("A report is rated once, by its reporter, after the city has answered it."),
    advice=_("Wait for the city's answer; a rating already given stays as it is."),
)
REPORT_CITY_NOT_FOUND = register(
    "city_report_city_not_found",
    status=404,
    title=_("City not found"),
    meaning=_("No city takes citizen reports under this name."),
    advice=_("Choose one of the cities listed on the reports page."),
)
REPORT_ACTION_NOT_ALLOWED = register(
    "city_report_action_not_allowed",
    status=409,
    title=_("Action not allowed in this state"),
    meaning=_("A report moves received → triaged → assigned → in progress → resolved/rejected."),
    advice=_("Reload the report and choose one of the actions it offers."),
)
CITY_NOT_FOUND = register(
    "city_tenant_not_found",
    status=404,
    title=_("City not found"),
    meaning=_("No city tenant has this name."),
    advice=_("Use one of the city names listed at /do-thi/."),
)
