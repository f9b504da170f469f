"""The system register (Decree 85/2016/NĐ-CP): systems, their levels and approval
records, the log retention of each level, and the detection rules in force."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from nentang.audit import selectors
from nentang.audit.services import security as services
from nentang.audit.services.security.access import (
    ADD_SYSTEMS,
    CHANGE_RETENTION,
    CHANGE_SYSTEMS,
    VIEW_SYSTEMS,
    may,
)
from nentang.audit.views import presenters
from nentang.audit.views.access import SocRequest, operator, soc_page
from nentang.audit.views.forms import RetentionForm, SystemForm, add_field_errors
from nentang.audit.views.soc import soc_nav
from nentang.kernel.errors import ProblemError
from nentang.web.components import Cell, Column, Link


def _crumbs(*more: Link) -> list[Link]:
    return [
        Link(_("Home"), reverse("web:home")),
        Link(_("Security monitoring"), reverse("soc:alerts")),
        *more,
    ]


@require_safe
@soc_page(VIEW_SYSTEMS)
def system_list(request: SocRequest) -> HttpResponse:
    user = operator(request)
    can_change = may(user, CHANGE_SYSTEMS)
    system_columns = [
        Column(_("System"), row_header=True),
        Column(_("Code")),
        Column(_("Security level"), numeric=True),
        Column(_("Approval decision")),
        Column(_("Raw events kept (days)"), numeric=True),
        Column(_("Status")),
    ]
    system_rows = []
    for row in selectors.system_list(viewer=user):
        system = row.system
        approval = (
            f"{system.approval_reference}, {system.approved_on:%d/%m/%Y}, "
            f"{system.approving_authority}"
            if system.approved_on
            else _("Not recorded yet")
        )
        system_rows.append(
            [
                Cell(
                    system.name,
                    url=reverse("soc:system_edit", args=[system.code]) if can_change else None,
                ),
                Cell(system.code, mono=True),
                Cell(str(system.security_level)),
                Cell(approval),
                Cell(str(row.retention_days) if row.retention_days is not None else "—"),
                Cell(_("In operation") if system.is_active else _("Retired")),
            ]
        )
    can_retention = may(user, CHANGE_RETENTION)
    retention_columns = [
        Column(_("Security level"), row_header=True),
        Column(_("Raw events kept (days)"), numeric=True),
        Column(_("Source")),
    ]
    retention_rows = [
        [
            Cell(
                _("Level %(level)s") % {"level": policy.security_level},
                url=reverse("soc:retention_edit", args=[policy.security_level])
                if can_retention
                else None,
            ),
            Cell(str(policy.raw_event_days)),
            Cell(policy.source or "—"),
        ]
        for policy in selectors.retention_policy_list(viewer=user)
    ]
    rule_columns = [
        Column(_("Rule"), row_header=True),
        Column(_("How it fires")),
        Column(_("Severity")),
        Column(_("Modelled on")),
    ]
    rule_rows = [
        [
            Cell(f"{presenters.rule_name(rule)} ({rule.code})"),
            Cell(presenters.rule_kind_label(rule) + ("" if rule.is_active else f" · {_('off')}")),
            Cell(badge=presenters.severity_badge(rule.severity)),
            Cell(rule.modelled_on or "—"),
        ]
        for rule in selectors.detection_rule_list(viewer=user)
    ]
    return render(
        request,
        "audit/soc/systems.html",
        {
            "soc_nav": soc_nav(request, "systems"),
            "breadcrumbs": _crumbs(),
            "can_add": may(user, ADD_SYSTEMS),
            "system_columns": system_columns,
            "system_rows": system_rows,
            "retention_columns": retention_columns,
            "retention_rows": retention_rows,
            "rule_columns": rule_columns,
            "rule_rows": rule_rows,
        },
    )


def _system_values(form: SystemForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "security_level": data["security_level"],
        "description": data.get("description", ""),
        "approval_reference": data.get("approval_reference", ""),
        "approved_on": data.get("approved_on"),
        "approving_authority": data.get("approving_authority", ""),
        "owner": data.get("owner", ""),
    }


def _form_page(request: SocRequest, context: dict[str, Any], failed: bool) -> HttpResponse:
    return render(
        request,
        "audit/soc/form_page.html",
        context,
        status=422 if failed else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@soc_page(ADD_SYSTEMS)
def system_new(request: SocRequest) -> HttpResponse:
    form = SystemForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            system = services.system_create(
                by=operator(request), code=form.cleaned_data["code"], **_system_values(form)
            )
        except ProblemError as problem:
            if problem.status == 403:
                raise
            add_field_errors(form, problem.errors)
            if problem.code == "system_code_taken":
                form.add_error("code", str(problem.detail))
        else:
            messages.success(
                request, _("System %(code)s added to the register.") % {"code": system.code}
            )
            return redirect(reverse("soc:systems"))
    return _form_page(
        request,
        {
            "breadcrumbs": _crumbs(Link(_("System register"), reverse("soc:systems"))),
            "title": _("Add a system to the register"),
            "form": form,
            "submit": _("Add the system"),
        },
        failed=form.is_bound,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@soc_page(CHANGE_SYSTEMS)
def system_edit(request: SocRequest, code: str) -> HttpResponse:
    system = selectors.system_get(viewer=operator(request), code=code)
    if request.method == "POST":
        form = SystemForm(request.POST, editing=True)
    else:
        form = SystemForm(
            editing=True,
            initial={
                "name": system.name,
                "security_level": str(system.security_level),
                "description": system.description,
                "approval_reference": system.approval_reference,
                "approved_on": system.approved_on,
                "approving_authority": system.approving_authority,
                "owner": system.owner,
                "is_active": system.is_active,
            },
        )
    if form.is_bound and form.is_valid():
        try:
            services.system_update(
                by=operator(request),
                code=system.code,
                is_active=form.cleaned_data.get("is_active", False),
                **_system_values(form),
            )
        except ProblemError as problem:
            if problem.status in (403, 404):
                raise
            add_field_errors(form, problem.errors)
        else:
            messages.success(request, _("System %(code)s updated.") % {"code": system.code})
            return redirect(reverse("soc:systems"))
    return _form_page(
        request,
        {
            "breadcrumbs": _crumbs(Link(_("System register"), reverse("soc:systems"))),
            "title": _("Edit %(name)s") % {"name": system.name},
            "caption": system.code,
            "form": form,
            "submit": _("Save the changes"),
        },
        failed=form.is_bound,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@soc_page(CHANGE_RETENTION)
def retention_edit(request: SocRequest, level: int) -> HttpResponse:
    user = operator(request)
    current = {
        policy.security_level: policy for policy in selectors.retention_policy_list(viewer=user)
    }
    policy = current.get(level)
    minimum = services.retention_minimum(level)
    if request.method == "POST":
        form = RetentionForm(request.POST, minimum=minimum)
    else:
        form = RetentionForm(
            initial={"raw_event_days": policy.raw_event_days, "source": policy.source}
            if policy
            else None,
            minimum=minimum,
        )
    if form.is_bound and form.is_valid():
        try:
            services.retention_policy_set(
                by=user,
                security_level=level,
                raw_event_days=form.cleaned_data["raw_event_days"],
                source=form.cleaned_data.get("source", ""),
            )
        except ProblemError as problem:
            if problem.status == 403:
                raise
            add_field_errors(form, problem.errors)
        else:
            messages.success(request, _("Retention of level %(level)s updated.") % {"level": level})
            return redirect(reverse("soc:systems"))
    return _form_page(
        request,
        {
            "breadcrumbs": _crumbs(Link(_("System register"), reverse("soc:systems"))),
            "title": _("Log retention of security level %(level)s") % {"level": level},
            "intro": _(
                "Raw security events of systems of this level are deleted after this many "
                "days. Audit entries and the transparency log are never deleted."
            ),
            "form": form,
            "submit": _("Save the retention"),
        },
        failed=form.is_bound,
    )
