"""Citizen reports ("phản ánh hiện trường"): the report form, my reports, a report's
status and answer, the city staff's queue and report page, and each city's public list
of resolved reports (no personal data). The rules live in ``services.reports`` and
``selectors.reports``; these views parse, call and render."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import Conflict, FieldError, NotFound, RateLimited, ValidationFailed
from nentang.smartcity import services
from nentang.smartcity.models import Report, ReportCategory
from nentang.smartcity.selectors import reports as selectors
from nentang.smartcity.services.ratings import CLOSED, MAX_COMMENT
from nentang.smartcity.services.reports import ACTIONS, MAX_DESCRIPTION, MAX_PHOTO_BYTES
from nentang.web.components import Badge, TimelineEvent
from nentang.web.forms import Form

STATES: dict[str, tuple[Any, str]] = {
    "received": (pgettext_lazy("report state", "Received"), "info"),
    "triaged": (gettext_lazy("Being checked"), "info"),
    "assigned": (gettext_lazy("Assigned"), "info"),
    "in_progress": (gettext_lazy("Being fixed"), "warning"),
    "resolved": (gettext_lazy("Resolved"), "success"),
    "rejected": (gettext_lazy("Not accepted"), "error"),
}
STEP_TITLES = {
    "create": gettext_lazy("Report sent"),
    "triage": gettext_lazy("Checked by the city"),
    "assign": gettext_lazy("Assigned to an officer"),
    "start": gettext_lazy("Work started"),
    "resolve": gettext_lazy("Resolved"),
    "reject": gettext_lazy("Not accepted"),
}
BUTTONS = {
    "triage": gettext_lazy("Accept for handling"),
    "assign": gettext_lazy("Assign"),
    "start": gettext_lazy("Start the work"),
    "resolve": gettext_lazy("Resolved: publish the answer"),
    "reject": gettext_lazy("Reject with the answer"),
}


def badge(report: Report) -> Badge:
    label, tone = STATES[report.state]
    return Badge(label, tone)  # type: ignore[arg-type]


def category_label(category: ReportCategory) -> str:
    return category.title if (get_language() or "vi").startswith("vi") else category.title_en


def _login_or(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def _account(request: HttpRequest) -> Any:
    return request.user


class ReportForm(Form):
    category = forms.ChoiceField(
        label=gettext_lazy("What is the problem?"), widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=gettext_lazy("Describe the problem"),
        help_text=gettext_lazy("What you see and where exactly (house number, landmark)."),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    ward_code = forms.ChoiceField(
        label=gettext_lazy("Ward or commune"),
        help_text=gettext_lazy("Choose the ward, or type the coordinates below."),
        required=False,
    )
    latitude = forms.CharField(
        label=gettext_lazy("Latitude"),
        help_text=gettext_lazy("For example 16.4637 (from your phone's map)."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    longitude = forms.CharField(
        label=gettext_lazy("Longitude"),
        help_text=gettext_lazy("For example 107.5905."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        help_text=gettext_lazy("A JPEG or PNG photo, at most 5 MB."),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, tenant: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.code, category_label(c)) for c in selectors.categories()]
        wards = self.fields["ward_code"]
        assert isinstance(wards, forms.ChoiceField)
        wards.choices = [("", _("— choose —"))] + [
            (w.code, w.name) for w in selectors.city_wards(tenant=tenant)
        ]


class RatingForm(Form):
    rating = forms.ChoiceField(
        label=gettext_lazy("How well did the city answer?"),
        choices=[
            ("5", gettext_lazy("5 — very good")),
            ("4", gettext_lazy("4 — good")),
            ("3", gettext_lazy("3 — acceptable")),
            ("2", gettext_lazy("2 — poor")),
            ("1", gettext_lazy("1 — very poor")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Your comment"),
        max_length=MAX_COMMENT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _field_errors(form: forms.Form, errors: list[FieldError]) -> None:
    for error in errors:
        name = error.field if error.field in form.fields else None
        if name is not None and form.has_error(name):
            continue
        form.add_error(name, str(error.message))


@require_http_methods(["GET"])
def reports_home(request: HttpRequest) -> HttpResponse:
    return render(request, "smartcity/reports_home.html", {"desks": selectors.desks()})


@never_cache
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, tenant: str) -> HttpResponse:
    if (redirect := _login_or(request)) is not None:
        return redirect
    try:
        desk = selectors.desk_get(tenant=tenant)
    except NotFound:
        raise Http404 from None
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, tenant=tenant)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("photo")
            content = None
            if upload is not None:
                content = upload.read(MAX_PHOTO_BYTES + 1)
            try:
                report = services.report_create(
                    actor=_account(request),
                    tenant=tenant,
                    category=data["category"],
                    description=data["description"],
                    idempotency_key=data["idempotency_key"],
                    ward_code=data.get("ward_code") or "",
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    photo=content,
                )
            except ValidationFailed as failed:
                _field_errors(form, list(failed.errors))
                status = 422
            except RateLimited as limited:
                form.add_error(None, str(limited.detail))
                status = 429
            else:
                return HttpResponseRedirect(
                    reverse("smartcity:report", args=[report.public_id]) + "?sent=1"
                )
    else:
        form = ReportForm(tenant=tenant, initial={"idempotency_key": uuid.uuid4().hex})
    return render(request, "smartcity/report_new.html", {"form": form, "desk": desk}, status=status)


@never_cache
@require_http_methods(["GET"])
def my_reports(request: HttpRequest) -> HttpResponse:
    if (redirect := _login_or(request)) is not None:
        return redirect
    rows = [
        {"report": r, "badge": badge(r), "category": category_label(r.category)}
        for r in selectors.reports_mine(actor=_account(request))[:200]
    ]
    return render(request, "smartcity/my_reports.html", {"rows": rows, "desks": selectors.desks()})


def _timeline(report: Report) -> list[TimelineEvent]:
    steps = list(selectors.report_steps(report=report))
    events = []
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        state = "done"
        if last and step.state == "rejected":
            state = "failed"
        elif last and step.state not in ("resolved",):
            state = "current"
        events.append(
            TimelineEvent(
                title=STEP_TITLES.get(step.action, step.action),
                state=state,  # type: ignore[arg-type]
                time=step.at,
                text=step.note if step.action in ("resolve", "reject") else "",
            )
        )
    return events


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    """The reporter's report: its progress, the answer, and rating the answer (POST)."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    try:
        found = selectors.report_own(actor=_account(request), report_id=str(report_id))
    except NotFound:
        raise Http404 from None
    form = RatingForm()
    status = 200
    if request.method == "POST":
        form = RatingForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.report_rate(
                    actor=_account(request),
                    report_id=str(report_id),
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationFailed as failed:
                _field_errors(form, list(failed.errors))
                status = 422
            except Conflict as conflict:
                form.add_error("rating", str(conflict.detail))
                status = 409
            else:
                url = reverse("smartcity:report", args=[report_id])
                return HttpResponseRedirect(url + "?rated=1")
    return render(
        request,
        "smartcity/report.html",
        {
            "report": found,
            "badge": badge(found),
            "category": category_label(found.category),
            "events": _timeline(found),
            "sent": request.GET.get("sent") == "1",
            "rated": request.GET.get("rated") == "1",
            "can_rate": found.state in CLOSED and found.rating is None,
            "form": form,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET"])
def report_photo(request: HttpRequest, report_id: uuid.UUID, answer: bool = False) -> FileResponse:
    if not request.user.is_authenticated:
        raise Http404
    try:
        name = selectors.photo_for(actor=_account(request), report_id=str(report_id), answer=answer)
    except NotFound:
        raise Http404 from None
    response = FileResponse(default_storage.open(name, "rb"))
    response["Content-Type"] = "image/png" if name.endswith(".png") else "image/jpeg"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _upload(request: HttpRequest) -> bytes | None:
    upload = request.FILES.get("photo")
    return upload.read(MAX_PHOTO_BYTES + 1) if upload is not None else None


def _officer(request: HttpRequest) -> Any:
    officer = selectors.officer_of(actor=_account(request))
    if officer is None:
        raise PermissionDenied(_("This page is for the staff of a city's agency."))
    return officer


@never_cache
@require_http_methods(["GET"])
def staff_queue(request: HttpRequest) -> HttpResponse:
    if (redirect := _login_or(request)) is not None:
        return redirect
    officer = _officer(request)
    state = request.GET.get("state", "")
    queue = selectors.staff_queue(officer=officer, state=state)
    rows = [
        {
            "report": r,
            "badge": badge(r),
            "category": category_label(r.category),
            "overdue": r.due_at < queue.now and r.state not in ("resolved", "rejected"),
        }
        for r in queue.reports
    ]
    filters = [("", _("Open"), None)] + [
        (key, label, queue.counts.get(key, 0)) for key, (label, _tone) in STATES.items()
    ]
    return render(
        request,
        "smartcity/staff_queue.html",
        {"rows": rows, "state": state, "filters": filters, "officer": officer},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def staff_report(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    if (redirect := _login_or(request)) is not None:
        return redirect
    officer = _officer(request)
    try:
        found = selectors.report_for_staff(officer=officer, report_id=str(report_id))
    except NotFound:
        raise Http404 from None
    errors: list[FieldError] = []
    status = 200
    if request.method == "POST":
        try:
            services.report_act(
                actor=_account(request),
                report_id=str(report_id),
                action=request.POST.get("action", ""),
                answer=request.POST.get("answer", ""),
                assignee_username=request.POST.get("assignee", ""),
                photo=_upload(request),
            )
        except ValidationFailed as failed:
            errors = list(failed.errors)
            status = 422
        except Conflict as conflict:
            errors = [FieldError("action", str(conflict.detail), conflict.code)]
            status = 409
        else:
            return HttpResponseRedirect(reverse("smartcity:staff_report", args=[report_id]))
        found = selectors.report_for_staff(officer=officer, report_id=str(report_id))
    actions = [
        (name, BUTTONS[name])
        for name, (starts, _target) in ACTIONS.items()
        if found.state in starts
    ]
    return render(
        request,
        "smartcity/staff_report.html",
        {
            "report": found,
            "badge": badge(found),
            "category": category_label(found.category),
            "events": _timeline(found),
            "actions": [a for a in actions if a[0] not in ("assign", "resolve", "reject")],
            "can_assign": any(a[0] == "assign" for a in actions),
            "can_close": any(a[0] in ("resolve", "reject") for a in actions),
            "can_resolve": any(a[0] == "resolve" for a in actions),
            "colleagues": selectors.colleagues(officer=officer),
            "errors": [{"field": e.field, "message": e.message} for e in errors],
            "error_list": errors,
        },
        status=status,
    )


@require_http_methods(["GET"])
def resolved(request: HttpRequest, tenant: str) -> HttpResponse:
    try:
        desk = selectors.desk_get(tenant=tenant)
    except NotFound:
        raise Http404 from None
    rows = [
        {"report": r, "category": category_label(r.category)}
        for r in selectors.resolved_public(tenant=tenant)
    ]
    return render(request, "smartcity/resolved.html", {"desk": desk, "rows": rows})
