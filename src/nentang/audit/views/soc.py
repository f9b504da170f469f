"""SOC pages: alerts (list, detail, acknowledge/resolve), security events (+ export),
audit-log browser. The system register is in register_views.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from nentang.audit import selectors
from nentang.audit.models import Alert
from nentang.audit.services import security as services
from nentang.audit.services.security.access import (
    CHANGE_ALERTS,
    EXPORT_EVENTS,
    VIEW_ALERTS,
    VIEW_AUDIT_LOG,
    VIEW_EVENTS,
    VIEW_SYSTEMS,
    may,
)
from nentang.audit.services.security.alerts import ALLOWED
from nentang.audit.views import presenters
from nentang.audit.views.access import SocRequest, operator, soc_page
from nentang.audit.views.forms import (
    AlertAssignForm,
    AlertStepForm,
    AuditLogFilterForm,
    EventFilterForm,
    add_field_errors,
)
from nentang.kernel.errors import ProblemError
from nentang.web.components import Badge, Cell, Column, Link, SummaryRow

STATE_FILTERS = {
    "active": Alert.ACTIVE_STATES,
    "open": (Alert.State.OPEN,),
    "acknowledged": (Alert.State.ACKNOWLEDGED,),
    "resolved": (Alert.State.RESOLVED,),
}
EXPORT_DEFAULT_PERIOD = timedelta(hours=24)


def soc_nav(request: SocRequest, current: str) -> list[tuple[Link, bool]]:
    """The SOC's own navigation: the sections this operator may open."""
    user = operator(request)
    sections = [
        ("alerts", _("Security alerts"), "soc:alerts", VIEW_ALERTS),
        ("events", _("Security events"), "soc:events", VIEW_EVENTS),
        ("audit_log", _("Audit log"), "soc:audit_log", VIEW_AUDIT_LOG),
        ("systems", _("System register"), "soc:systems", VIEW_SYSTEMS),
    ]
    return [
        (Link(label, reverse(name)), key == current)
        for key, label, name, permission in sections
        if may(user, permission)
    ]


def _soc_crumbs() -> list[Link]:
    return [
        Link(_("Home"), reverse("web:home")),
        Link(_("Security monitoring"), reverse("soc:alerts")),
    ]


@require_safe
@soc_page(VIEW_ALERTS)
def alert_list(request: SocRequest) -> HttpResponse:
    state = request.GET.get("state", "active")
    if state not in STATE_FILTERS:
        state = "active"
    user = operator(request)
    page = selectors.alert_page(
        viewer=user, states=STATE_FILTERS[state], cursor=request.GET.get("cursor")
    )
    counts = selectors.alert_counts(viewer=user)
    activity = (
        presenters.activity_chart(selectors.security_activity(viewer=user))
        if may(user, VIEW_EVENTS)
        else None
    )
    columns = [
        Column(_("Alert"), row_header=True),
        Column(_("Severity")),
        Column(_("State")),
        Column(_("Handled by")),
        Column(_("Source or actor")),
        Column(_("Events"), numeric=True),
        Column(_("Last event")),
    ]
    rows = [
        [
            Cell(presenters.rule_name(alert.rule), url=reverse("soc:alert", args=[alert.pk])),
            Cell(badge=presenters.severity_badge(alert.severity)),
            Cell(badge=presenters.state_badge(alert.state)),
            Cell(alert.assigned_to or "—"),
            Cell(alert.key, mono=True),
            Cell(str(alert.event_count)),
            Cell(timezone.localtime(alert.last_event_at).strftime("%H:%M:%S %d/%m/%Y")),
        ]
        for alert in page.items
    ]
    filters = [
        (Link(label, f"{reverse('soc:alerts')}?state={key}"), key == state)
        for key, label in (
            ("active", _("Open and acknowledged")),
            ("open", _("Open")),
            ("acknowledged", _("Acknowledged")),
            ("resolved", _("Resolved")),
        )
    ]
    severities = [
        (presenters.severity_badge(severity), counts.active_by_severity.get(severity, 0))
        for severity in ("critical", "high", "medium", "low", "info")
        if counts.active_by_severity.get(severity)
    ]
    return render(
        request,
        "audit/soc/alerts.html",
        {
            "soc_nav": soc_nav(request, "alerts"),
            "breadcrumbs": [Link(_("Home"), reverse("web:home"))],
            "counts": counts,
            "activity": activity,
            "severities": severities,
            "filters": filters,
            "state": state,
            "columns": columns,
            "rows": rows,
            "next_url": f"?state={state}&cursor={page.next_cursor}" if page.next_cursor else None,
        },
    )


def alert_page_context(
    request: SocRequest, alert_id: UUID, forms: dict[str, Any]
) -> dict[str, Any]:
    """The alert page's context with the response forms (soc_response.py)."""
    from nentang.audit.views.soc_response import response_context

    context = _detail_context(request, alert_id, forms)
    return {**context, **response_context(operator(request), context["alert"], forms)}


def _detail_context(request: SocRequest, alert_id: UUID, forms: dict[str, Any]) -> dict[str, Any]:
    user = operator(request)
    detail = selectors.alert_detail(viewer=user, alert_id=alert_id)
    alert = detail.alert
    allowed = ALLOWED[alert.state] if may(user, CHANGE_ALERTS) else ()

    def when(moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%H:%M:%S %d/%m/%Y")

    facts = [
        SummaryRow(_("Rule"), f"{presenters.rule_name(alert.rule)} ({alert.rule.code})"),
        SummaryRow(_("How it fires"), presenters.rule_kind_label(alert.rule)),
        SummaryRow(_("Source or actor"), alert.key, mono=True),
        SummaryRow(_("System"), f"{alert.system.name} ({alert.system.code})"),
        SummaryRow(_("Handled by"), alert.assigned_to or _("Nobody yet")),
        SummaryRow(_("Opened"), when(alert.opened_at)),
        SummaryRow(_("First event"), when(alert.first_event_at)),
        SummaryRow(_("Last event"), when(alert.last_event_at)),
        SummaryRow(_("Events"), str(alert.event_count)),
        SummaryRow(_("Modelled on"), alert.rule.modelled_on or "—"),
    ]
    return {
        "breadcrumbs": _soc_crumbs(),
        "alert": alert,
        "title": presenters.rule_name(alert.rule),
        "severity": presenters.severity_badge(alert.severity),
        "state": presenters.state_badge(alert.state),
        "facts": facts,
        "timeline": presenters.alert_timeline(detail),
        "evidence_shown": len(detail.evidence),
        "evidence_total": detail.evidence_total,
        "can_acknowledge": Alert.State.ACKNOWLEDGED in allowed,
        "can_resolve": Alert.State.RESOLVED in allowed,
        "acknowledge_form": forms.get("acknowledge") or AlertStepForm(prefix="acknowledge"),
        "resolve_form": forms.get("resolve") or AlertStepForm(prefix="resolve"),
        "can_assign": bool(allowed),
        "assigned_to_me": alert.assigned_to == user.get_username(),
        "assign_form": forms.get("assign")
        or AlertAssignForm(
            prefix="assign",
            operators=selectors.alert_operators(viewer=user) if allowed else [],
            initial={"assignee": alert.assigned_to},
        ),
    }


@require_safe
@soc_page(VIEW_ALERTS)
def alert_detail(request: SocRequest, alert_id: UUID) -> HttpResponse:
    return render(request, "audit/soc/alert.html", alert_page_context(request, alert_id, {}))


def _alert_step(
    request: SocRequest,
    alert_id: UUID,
    step: str,
    service: Callable[..., Alert],
    done: str,
    *,
    form: AlertStepForm | AlertAssignForm | None = None,
) -> HttpResponse:
    form = form or AlertStepForm(request.POST, prefix=step)
    status = 200
    if form.is_valid():
        try:
            service(
                alert_id=alert_id, by=operator(request), reason=form.cleaned_data["reason"] or ""
            )
        except ProblemError as problem:
            if problem.status in (403, 404):
                raise
            add_field_errors(form, problem.errors)
            if not problem.errors:
                form.add_error(None, str(problem.detail or problem.code))
            status = 200 if request.htmx else problem.status
        else:
            messages.success(request, done)
            url = reverse("soc:alert", args=[alert_id])
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    context = alert_page_context(request, alert_id, {step: form})
    if request.htmx:
        return render(request, "audit/soc/alert_actions.html", context, status=status)
    return render(request, "audit/soc/alert.html", context, status=status if form.errors else 200)


@require_POST
@soc_page(CHANGE_ALERTS)
def alert_acknowledge(request: SocRequest, alert_id: UUID) -> HttpResponse:
    return _alert_step(
        request, alert_id, "acknowledge", services.alert_acknowledge, _("Alert acknowledged.")
    )


@require_POST
@soc_page(CHANGE_ALERTS)
def alert_resolve(request: SocRequest, alert_id: UUID) -> HttpResponse:
    return _alert_step(request, alert_id, "resolve", services.alert_resolve, _("Alert resolved."))


@require_POST
@soc_page(CHANGE_ALERTS)
def alert_assign(request: SocRequest, alert_id: UUID) -> HttpResponse:
    user = operator(request)
    if "take" in request.POST:  # "Assign to me": no form to fill
        data = {"assign-assignee": user.get_username(), "assign-reason": ""}
    else:
        data = request.POST
    form = AlertAssignForm(data, prefix="assign", operators=selectors.alert_operators(viewer=user))

    def assign(reason: str) -> Alert:
        return services.alert_assign(
            alert_id=alert_id, by=user, assignee=form.cleaned_data["assignee"], reason=reason
        )

    if not form.is_valid():
        context = alert_page_context(request, alert_id, {"assign": form})
        template = "audit/soc/alert_actions.html" if request.htmx else "audit/soc/alert.html"
        return render(request, template, context, status=200 if request.htmx else 400)
    return _alert_step(
        request,
        alert_id,
        "assign",
        lambda *, alert_id, by, reason: assign(reason),
        _("Alert assigned.") if form.cleaned_data["assignee"] else _("Alert unassigned."),
        form=form,
    )


@require_safe
@soc_page(VIEW_EVENTS)
def event_list(request: SocRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {name: value for name, value in form.cleaned_data.items() if value}
    page = selectors.security_event_page(
        viewer=operator(request),
        kind=filters.get("kind"),
        source_ip=filters.get("source_ip"),
        since=filters.get("since"),
        until=filters.get("until"),
        cursor=request.GET.get("cursor") if not form.errors else None,
    )
    columns = [
        Column(_("Time"), row_header=True),
        Column(_("Event")),
        Column(_("Severity")),
        Column(_("Source address")),
        Column(_("Actor")),
        Column(_("Subject")),
    ]
    rows = [
        [
            Cell(timezone.localtime(event.occurred_at).strftime("%H:%M:%S %d/%m/%Y")),
            Cell(f"{presenters.kind_label(event.kind)} · {event.kind}"),
            Cell(badge=presenters.severity_badge(event.severity)),
            Cell(event.source_ip or "—", mono=bool(event.source_ip)),
            Cell(presenters.actor_label(event.actor_type, event.actor)),
            Cell(presenters.short_ref(event.subject) or "—"),
        ]
        for event in page.items
    ]
    query = request.GET.copy()
    query.pop("cursor", None)
    if page.next_cursor:
        query["cursor"] = page.next_cursor
    return render(
        request,
        "audit/soc/events.html",
        {
            "soc_nav": soc_nav(request, "events"),
            "breadcrumbs": _soc_crumbs(),
            "form": form,
            "columns": columns,
            "rows": rows,
            "next_url": f"?{query.urlencode()}" if page.next_cursor else None,
            "can_export": may(operator(request), EXPORT_EVENTS),
            "export_values": {name: request.GET.get(name, "") for name in form.fields},
        },
    )


@require_POST
@soc_page(EXPORT_EVENTS)
def event_export(request: SocRequest) -> HttpResponseBase:
    form = EventFilterForm(request.POST)
    fmt = request.POST.get("format", "jsonl")
    if not form.is_valid() or fmt not in ("jsonl", "syslog"):
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(reverse("soc:events"))
    data = form.cleaned_data
    since = data.get("since") or timezone.now() - EXPORT_DEFAULT_PERIOD
    export = services.security_export_jsonl if fmt == "jsonl" else services.security_export_syslog
    lines: Iterator[str] = export(
        by=operator(request), since=since, until=data.get("until"), kind=data.get("kind") or None
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    extension, content_type = (
        ("jsonl", "application/x-ndjson; charset=utf-8")
        if fmt == "jsonl"
        else ("log", "text/plain; charset=utf-8")
    )
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="nentang-security-{stamp}.{extension}"'
    return response


@require_safe
@soc_page(VIEW_AUDIT_LOG)
def audit_log(request: SocRequest) -> HttpResponse:
    form = AuditLogFilterForm(request.GET or None)
    action = form.cleaned_data.get("action") if form.is_bound and form.is_valid() else None
    page = selectors.audit_log_page(
        viewer=operator(request),
        action=action or None,
        cursor=request.GET.get("cursor") if not form.errors else None,
    )
    columns = [
        Column(_("Entry"), row_header=True),
        Column(_("Time")),
        Column(_("Action")),
        Column(_("Subject")),
        Column(_("Actor")),
        Column(_("Leaf index"), numeric=True),
        Column(_("Verification")),
    ]
    rows = []
    for row in page.rows:
        entry = row.entry
        if row.covered:
            status = Badge(_("In a signed checkpoint"), "success")
        elif row.leaf_index is not None:
            status = Badge(_("In the tree, awaiting a checkpoint"), "info")
        else:
            status = Badge(_("Waiting to be sequenced"), "neutral")
        rows.append(
            [
                Cell(f"#{entry.pk}"),
                Cell(timezone.localtime(entry.occurred_at).strftime("%H:%M:%S %d/%m/%Y")),
                Cell(entry.action, mono=True),
                Cell(f"{entry.subject_type}:{entry.subject}", mono=True),
                Cell(presenters.actor_label(entry.actor_type, entry.actor)),
                Cell(str(row.leaf_index) if row.leaf_index is not None else "—"),
                Cell(badge=status),
            ]
        )
    query = request.GET.copy()
    query.pop("cursor", None)
    if page.next_cursor:
        query["cursor"] = page.next_cursor
    return render(
        request,
        "audit/soc/audit_log.html",
        {
            "soc_nav": soc_nav(request, "audit_log"),
            "breadcrumbs": _soc_crumbs(),
            "form": form,
            "checkpoint": page.checkpoint,
            "pending": page.pending,
            "columns": columns,
            "rows": rows,
            "next_url": f"?{query.urlencode()}" if page.next_cursor else None,
        },
    )
