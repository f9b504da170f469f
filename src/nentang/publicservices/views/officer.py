"""Officers' pages: the work queue of their agency and roles, with SLA badges and
filters, and the dossier with its action timeline and the forms of its actions."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import FieldError, ProblemError
from nentang.kernel.pagination import paginate
from nentang.publicservices import selectors, services
from nentang.publicservices.catalogue import catalogue
from nentang.publicservices.services.common import (
    current_agency,
    officer_of,
    procedure_of,
    state_label,
)
from nentang.publicservices.services.officers import handoff_target
from nentang.publicservices.views.presenters import (
    SLA_TONES,
    answer_text,
    badge_for,
    timeline,
)
from nentang.publicservices.workflow import HAND_OFF, REFUSE_PART, REVOKE, allowed_actions
from nentang.web.components import Badge

SLA_FILTERS = ("", "overdue", "due_today", "on_track")
BUTTONS = {
    "receive": gettext_lazy("Receive the dossier"),
    "process": gettext_lazy("Done: hand it on"),
    "approve": gettext_lazy("Approve"),
    "issue_result": gettext_lazy("Issue the result"),
    "return_result": gettext_lazy("Hand the result over"),
}


def _officer(request: HttpRequest) -> Any:
    if not request.user.is_authenticated:
        return None
    officer = officer_of(request.user)
    if officer is None:
        raise PermissionDenied(_("This page is for officers of a public agency."))
    return officer


@never_cache
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    officer = _officer(request)
    if officer is None:
        return redirect_to_login(request.get_full_path())
    role = request.GET.get("role", "")
    sla = request.GET.get("sla", "")
    role = role if role in ("reception", "processing", "approval") else ""
    sla = sla if sla in SLA_FILTERS else ""
    sort = request.GET.get("sort", "")
    sort = sort if sort in selectors.QUEUE_SORTS else "due"
    page = paginate(
        selectors.officer_queue(actor=request.user, role=role, sla=sla, officer=officer),
        order=selectors.QUEUE_SORTS[sort],
        cursor=request.GET.get("cursor") or None,
        limit=25,
    )
    rows = []
    for dossier in page.items:
        procedure = procedure_of(dossier)
        badge = selectors.sla_badge(dossier)
        rows.append(
            {
                "dossier": dossier,
                "procedure": procedure,
                "state": badge_for(dossier.state),
                "sla": Badge(badge.label, SLA_TONES[badge.code]),
            }
        )
    roles = [r for r in ("reception", "processing", "approval") if officer.has_role(r)]
    return render(
        request,
        "publicservices/queue.html",
        {
            "officer": officer,
            "rows": rows,
            "next_cursor": page.next_cursor,
            "role": role,
            "sla": sla,
            "sort": sort,
            "sort_labels": [
                ("due", _("Earliest deadline first")),
                ("-due", _("Latest deadline first")),
            ],
            "roles": [(r, state_label({"reception": "reception"}.get(r, r))) for r in roles],
            "role_labels": {
                "reception": _("Reception"),
                "processing": _("Processing"),
                "approval": _("Approval"),
            },
            "sla_labels": [
                ("", _("All")),
                ("overdue", _("Overdue")),
                ("due_today", _("Due today")),
                ("on_track", _("On track")),
            ],
        },
    )


def _date(value: str) -> Any:
    """The date an officer typed (``YYYY-MM-DD`` from a date input), else the text
    (the service refuses it with its field error)."""
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return value


ACTIONS: dict[str, Callable[..., Any]] = {
    "receive": services.dossier_receive,
    "process": services.dossier_process,
    "approve": services.dossier_approve,
    "issue_result": services.dossier_issue_result,
    "return_result": services.dossier_return_result,
}


@never_cache
@require_http_methods(["GET", "POST"])
def dossier(request: HttpRequest, dossier_id: str) -> HttpResponse:
    officer = _officer(request)
    if officer is None:
        return redirect_to_login(request.get_full_path())
    errors: list[FieldError] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        text = request.POST.get("reason", "")
        try:
            if action in ACTIONS:
                ACTIONS[action](actor=request.user, dossier_id=dossier_id)
            elif action == "reject":
                services.dossier_reject(actor=request.user, dossier_id=dossier_id, reason=text)
            elif action == "hand_off":
                services.dossier_hand_off(actor=request.user, dossier_id=dossier_id, reason=text)
            elif action == REFUSE_PART:
                services.dossier_refuse_part(actor=request.user, dossier_id=dossier_id, reason=text)
            elif action == "request_supplement":
                services.dossier_request_supplement(
                    actor=request.user, dossier_id=dossier_id, reasons=text.splitlines()
                )
            elif action == "comment":
                services.dossier_comment(actor=request.user, dossier_id=dossier_id, text=text)
            elif action == "apologise":
                services.dossier_apologise(
                    actor=request.user,
                    dossier_id=dossier_id,
                    new_due_date=_date(request.POST.get("new_due_date", "")),
                    reason=request.POST.get("apology_reason", ""),
                )
            elif action == REVOKE:
                services.dossier_result_revoke(
                    actor=request.user, dossier_id=dossier_id, reason=text
                )
            else:
                errors = [FieldError("action", _("Choose one of the actions."), "invalid_choice")]
            if not errors:
                return HttpResponseRedirect(
                    reverse("publicservices:officer_dossier", args=[dossier_id])
                )
        except ProblemError as problem:
            if problem.status == 404:
                raise
            errors = list(problem.errors) or [FieldError("", str(problem.detail), problem.code)]
    found = selectors.dossier_for_officer(actor=request.user, dossier_id=dossier_id)
    procedure = procedure_of(found)
    allowed = allowed_actions(procedure.workflow, found.state)
    step_role = procedure.workflow.state(found.state).role or (
        "reception" if found.state == "delivery" else ""
    )
    here = officer.agency_id == current_agency(found)
    mine = here and bool(step_role) and officer.has_role(step_role)
    hand_off_to = None
    if mine and HAND_OFF in allowed:
        target = procedure.workflow.state(found.state).transitions[HAND_OFF]
        hand_off_to = handoff_target(found, procedure.workflow.state(target).agency)
    buttons = ("receive", "process", "approve", "issue_result", "return_result")
    return render(
        request,
        "publicservices/officer_dossier.html",
        {
            "dossier": found,
            "procedure": procedure,
            "badge": badge_for(found.state),
            "sla": selectors.sla_badge(found),
            "sla_tone": SLA_TONES[selectors.sla_badge(found).code],
            "answers": [
                {"label": page.label, "value": answer_text(page, found.data.get(page.field))}
                for page in procedure.pages
            ],
            "events": timeline(selectors.dossier_timeline(dossier=found), internal=True),
            "documents": selectors.dossier_documents(dossier=found, language=request.LANGUAGE_CODE),
            "buttons": [(a, BUTTONS[a]) for a in buttons if mine and a in allowed],
            "can_reject": mine and "reject" in allowed,
            "can_refuse_part": mine and REFUSE_PART in allowed,
            "hand_off_to": hand_off_to,
            "can_hand_off": mine and HAND_OFF in allowed,
            "holder": None if here else found.handler,
            "can_revoke": here
            and officer.has_role("approval")
            and REVOKE in allowed
            and selectors.dossier_has_result(dossier=found),
            "can_supplement": mine
            and "request_supplement" in allowed
            and found.supplement_count < procedure.max_supplements,
            "can_apologise": here and found.due_date is not None and found.completed_at is None,
            "apology": selectors.dossier_apology(dossier=found),
            "errors": errors,
            "catalogue": catalogue(),
        },
        status=409 if errors else 200,
    )
