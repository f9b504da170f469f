"""The reporter rates the city's answer to their report (1–5 stars and an optional
comment), once the report is resolved or rejected. Only the reporter may rate (anyone
else gets the 404 of ``selectors.reports``); a rating is given once: sending the same
one again changes nothing, a different one is a 409. One audit entry per rating."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, ValidationFailed
from nentang.smartcity.models import Report
from nentang.smartcity.problems import REPORT_RATING_NOT_ALLOWED

MAX_COMMENT = 1000
CLOSED = ("resolved", "rejected")


def _rating_errors(rating: Any, comment: str) -> tuple[int, list[FieldError]]:
    errors: list[FieldError] = []
    value = 0
    try:
        value = int(str(rating).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        errors.append(FieldError("rating", _("Choose from 1 to 5 stars."), "invalid_choice"))
    if len(comment) > MAX_COMMENT:
        errors.append(
            FieldError("comment", _("At most %(n)s characters.") % {"n": MAX_COMMENT}, "too_long")
        )
    if "\x00" in comment:
        errors.append(FieldError("comment", _("Remove the invisible characters."), "invalid"))
    return value, errors


def report_rate(*, actor: Any, report_id: str, rating: Any, comment: str = "") -> Report:
    """The reporter rates the answer to their closed report (once)."""
    from nentang.smartcity.selectors.reports import report_own

    text = (comment or "").strip()
    value, errors = _rating_errors(rating, text)
    own = report_own(actor=actor, report_id=report_id)  # 404 for anyone but the reporter
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=own.pk)
        if errors:
            raise ValidationFailed(_("Some fields are invalid."), errors=errors)
        if report.state not in CLOSED or (
            report.rating is not None and (report.rating, report.rating_comment) != (value, text)
        ):
            raise Conflict(
                _("This report cannot be rated now, or was rated already."),
                code=REPORT_RATING_NOT_ALLOWED,
            )
        if report.rating is not None:
            return report  # the same rating again
        report.rating = value
        report.rating_comment = text
        report.rated_at = timezone.now()
        report.save(update_fields=["rating", "rating_comment", "rated_at"])
        auditing.record(
            actor=Actor.person(str(report.reporter_id)),
            action="smartcity.report.rate",
            subject_type="smartcity.report",
            subject=str(report.public_id),
            summary={"rating": value, "agency": report.agency_id},
        )
    return report
