"""Dossiers as their readers may see them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nentang.identity import services as identity
from nentang.kernel.text import clean
from nentang.publicservices.catalogue import Procedure
from nentang.publicservices.models import Dossier, DossierAction
from nentang.publicservices.services.common import (
    OFFICER_ROLES,
    as_applicant,
    as_officer,
    not_found,
    officer_of,
    parse_uuid,
    person_of,
    state_label,
)

# The queue's keyset order: the earliest step deadline first, the id breaks ties.
QUEUE_ORDER = ("step_due_date", "id")
# The queue's sort orders by the step's deadline, both served by the queue's index.
QUEUE_SORTS = {"due": QUEUE_ORDER, "-due": ("-step_due_date", "-id")}
PLATFORM_CLIENT = "publicservices"
PLATFORM_NAME = "Cổng dịch vụ công"


def dossiers_of_applicant(*, actor: Any) -> QuerySet[Dossier]:
    """The actor's own dossiers, newest first (none for a non-person account)."""
    person = person_of(actor)
    if person is None:
        return Dossier.objects.none()
    return Dossier.objects.filter(applicant=person).order_by("-created_at", "-id")


def dossier_for_applicant(*, actor: Any, dossier_id: Any) -> Dossier:
    key = parse_uuid(dossier_id)
    dossier = Dossier.objects.filter(pk=key).first() if key else None
    as_applicant(actor, dossier, what="publicservices.dossier.read", dossier_id=dossier_id)
    assert dossier is not None
    return dossier


def dossier_for_officer(*, actor: Any, dossier_id: Any) -> Dossier:
    """An officer of the agency working on the dossier, or of one that held it before
    (read-only), opens it: the read of the applicant's data is
    written to the applicant's data-usage log (Law 91/2025/QH15)."""
    key = parse_uuid(dossier_id)
    dossier = (
        Dossier.objects.select_related("agency", "assignee", "handler").filter(pk=key).first()
        if key
        else None
    )
    acting = as_officer(
        actor,
        dossier,
        what="publicservices.dossier.read",
        dossier_id=dossier_id,
        roles=None,
        read=True,
    )
    assert dossier is not None
    identity.data_usage_record(
        person_id=dossier.applicant_id,
        client_id=PLATFORM_CLIENT,
        client_name=f"{PLATFORM_NAME}: {acting.officer.agency.name}",
        fields=["full_name", "id_number", "date_of_birth", "address"],
        purpose=_("An officer processes your dossier %(reference)s")
        % {"reference": dossier.receipt_code or dossier.procedure_slug},
    )
    return dossier


def dossier_timeline(*, dossier: Dossier) -> QuerySet[DossierAction]:
    """The dossier's log, oldest first (call after one of the reads above)."""
    return DossierAction.objects.filter(dossier=dossier).select_related("officer").order_by("seq")


# The columns a queue row shows (the page, the API's tasks, the SLA badge): not the
# answers (``data``), which a queue never shows and which cost a JSON decode per row.
QUEUE_FIELDS = (
    "id",
    "procedure_slug",
    "procedure_version",
    "agency_id",
    "state",
    "step_role",
    "receipt_code",
    "submitted_at",
    "due_date",
    "step_due_date",
    "completed_at",
    "sla_outcome",
    "apologised_at",
)


def officer_queue(
    *,
    actor: Any,
    role: str = "",
    sla: str = "",
    procedure: str = "",
    today: datetime.date | None = None,
    officer: Any = None,
) -> QuerySet[Dossier]:
    """The dossiers the officer's agency works on now (received there, or handed off to
    it) waiting for one of the officer's roles (or
    the one asked for), earliest deadline first; ``sla`` = ``overdue``, ``due_today``
    or ``on_track`` filters by the step's deadline. ``officer``: the actor's officer
    as the caller already read it in this request (``officer_of``), saving a query."""
    if officer is None or officer.account_id != actor.pk:
        officer = officer_of(actor)
    if officer is None:
        return Dossier.objects.none()
    roles = [r for r in OFFICER_ROLES if officer.has_role(r)]
    if role:
        roles = [r for r in roles if r == role]
    if not roles:
        return Dossier.objects.none()
    queryset = Dossier.objects.filter(handler_id=officer.agency_id, step_role__in=roles)
    day = today or timezone.localdate()
    if sla == "overdue":
        queryset = queryset.filter(step_due_date__lt=day)
    elif sla == "due_today":
        queryset = queryset.filter(step_due_date=day)
    elif sla == "on_track":
        queryset = queryset.filter(step_due_date__gt=day)
    if procedure:
        queryset = queryset.filter(procedure_slug=procedure)
    return queryset.only(*QUEUE_FIELDS).order_by(*QUEUE_ORDER)


# Translated when a badge is made (one label per badge, not seven).
_SLA_LABELS = {
    "early": gettext_lazy("Early"),
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "overdue": gettext_lazy("Overdue"),
    "due_today": gettext_lazy("Due today"),
    "on_track": gettext_lazy("On track"),
    "none": gettext_lazy("No deadline"),
}


@dataclass(frozen=True)
class SlaBadge:
    code: str  # overdue, due_today, on_track, early, on_time, late, none
    label: str


def sla_badge(dossier: Dossier, *, today: datetime.date | None = None) -> SlaBadge:
    """The dossier's SLA as a badge: its outcome once ended, else its deadline."""
    day = today or timezone.localdate()
    if dossier.sla_outcome:
        code = dossier.sla_outcome
    elif dossier.completed_at is None and dossier.apologised_at is not None:
        code = "late"  # its deadline was missed: the new date does not make it on track
    elif dossier.completed_at is not None or dossier.due_date is None:
        code = "none"
    elif dossier.due_date < day:
        code = "overdue"
    elif dossier.due_date == day:
        code = "due_today"
    else:
        code = "on_track"
    return SlaBadge(code, str(_SLA_LABELS[code]))


def dossier_public_status(*, receipt_code: str) -> tuple[str, str, str]:
    """(receipt code, state, state label) of a dossier — the status only, nothing
    personal — for the public look-up by receipt code."""
    code = clean(receipt_code or "").upper()
    row = (
        Dossier.objects.filter(receipt_code=code).values_list("receipt_code", "state").first()
        if code and len(code) <= 30 and code.isprintable()  # a NUL is a 500 on PostgreSQL
        else None
    )
    if row is None:
        raise not_found()
    return str(row[0]), row[1], state_label(row[1])


def form_prefill(*, actor: Any, procedure: Procedure) -> dict[str, str]:
    """Answers the platform already knows (name, ID number, date of birth, address),
    for the pages marked ``prefill``; the read is shown in the person's data-usage log."""
    person = person_of(actor)
    wanted = {page.field: page.prefill for page in procedure.pages if page.prefill}
    if person is None or not wanted:
        return {}
    values = {
        "full_name": person.full_name,
        "id_number": person.id_number,
        "date_of_birth": person.date_of_birth.isoformat(),
        "address": person.street,
    }
    identity.data_usage_record(
        person_id=person.pk,
        client_id=PLATFORM_CLIENT,
        client_name=PLATFORM_NAME,
        fields=sorted(set(wanted.values())),
        purpose=_("Pre-filling the form “%(name)s”") % {"name": procedure.name.vi},
        person=person,
    )
    return {field: values[source] for field, source in wanted.items()}
