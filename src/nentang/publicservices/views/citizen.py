"""Citizens' pages: the catalogue, a procedure, the e-form one question per page
(GOV.UK Forms), the review, "my dossiers" and a dossier's status; the public status
look-up by receipt code."""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import Forbidden, NotFound, ProblemError, ValidationFailed
from nentang.kernel.money import format_vnd
from nentang.publicservices import selectors, services
from nentang.publicservices.catalogue import Page, Procedure
from nentang.publicservices.models import Dossier
from nentang.publicservices.services.common import open_to_applicant, procedure_of, state_label
from nentang.publicservices.views.presenters import (
    answer_text,
    badge_for,
    procedure_rows,
    sla_for,
    timeline,
)
from nentang.publicservices.workflow import allowed_actions
from nentang.web import forms as web_forms


def _login_or(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


@require_http_methods(["GET"])
def catalogue(request: HttpRequest) -> HttpResponse:
    """Browse and search the procedures (folded Vietnamese: "dang ky khai sinh")."""
    query = (request.GET.get("q") or "")[:100]
    found = selectors.procedure_list(query=query)
    return render(
        request,
        "publicservices/catalogue.html",
        {"query": query, "procedures": found},
    )


@require_http_methods(["GET"])
def procedure(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.procedure_get(slug=slug)
    return render(
        request,
        "publicservices/procedure.html",
        {"procedure": found, "rows": procedure_rows(found)},
    )


@never_cache
@require_http_methods(["POST"])
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a draft, with the answers the platform already knows (logged for the person)."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    found = selectors.procedure_get(slug=slug)
    try:
        services.applicants.applicant_check(request.user, found)
    except Forbidden as refused:
        return render(
            request,
            "publicservices/refused.html",
            {"procedure": found, "code": refused.code, "detail": refused.detail},
            status=403,
        )
    prefill = selectors.form_prefill(actor=request.user, procedure=found)
    draft = services.dossier_draft_save(actor=request.user, procedure_slug=slug, data=prefill)
    first = found.pages[0].field
    return HttpResponseRedirect(reverse("publicservices:question", args=[draft.pk, first]))


def _field_for(page: Page) -> forms.Field:
    label = str(page.label)
    help_text = str(page.help) if page.help else ""
    common: dict[str, Any] = {"label": label, "help_text": help_text, "required": page.required}
    if page.kind == "choice":
        return forms.ChoiceField(
            choices=[(value, str(text)) for value, text in page.choices],
            widget=forms.RadioSelect,
            **common,
        )
    if page.kind == "integer":
        return forms.IntegerField(
            widget=forms.NumberInput(attrs={"class": "input--w10", "inputmode": "numeric"}),
            **common,
        )
    if page.kind == "date":
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date", "class": "input--w10"}),
            **common,
        )
    return forms.CharField(max_length=page.max_length, strip=True, **common)


def _question_form(page: Page, data: Any = None, initial: Any = None) -> web_forms.Form:
    form = web_forms.Form(data=data, initial=initial)
    form.fields[page.field] = _field_for(page)
    web_forms.name_required_fields(form)
    return form


def _draft(request: HttpRequest, dossier_id: Any) -> tuple[Dossier, Procedure]:
    dossier = selectors.dossier_for_applicant(actor=request.user, dossier_id=dossier_id)
    return dossier, procedure_of(dossier)


@never_cache
@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, dossier_id: str, field: str) -> HttpResponse:
    """One question per page; its answer is checked and saved to the draft."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    dossier, found = _draft(request, dossier_id)
    page = found.page(field)
    if page is None:
        raise NotFound(_("This form has no such question."))
    editable = open_to_applicant(dossier)
    if not editable:
        return HttpResponseRedirect(reverse("publicservices:dossier", args=[dossier.pk]))
    names = [p.field for p in found.pages]
    index = names.index(field)
    if request.method == "POST":
        form = _question_form(page, data=request.POST)
        if form.is_valid():
            value = form.cleaned_data[field]
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            answers = {} if value in ("", None) else {field: value}
            try:
                if dossier.state == "draft":
                    services.dossier_draft_save(
                        actor=request.user,
                        procedure_slug=found.slug,
                        data=answers,
                        dossier_id=dossier.pk,
                    )
                else:
                    _stash(request, dossier, answers)
            except ValidationFailed as invalid:
                for error in invalid.errors:
                    form.add_error(field, error.message)
            if not form.errors:
                following = (
                    names[index + 1] if index + 1 < len(names) and not request.GET.get("r") else ""
                )
                target = (
                    reverse("publicservices:question", args=[dossier.pk, following])
                    if following
                    else reverse(
                        "publicservices:documents" if found.documents else "publicservices:review",
                        args=[dossier.pk],
                    )
                )
                return HttpResponseRedirect(target)
    else:
        stashed = request.session.get(f"ps.{dossier.pk}", {})
        value = stashed.get(field, dossier.data.get(field))
        form = _question_form(page, initial={field: value} if value is not None else None)
    back = (
        reverse("publicservices:question", args=[dossier.pk, names[index - 1]])
        if index
        else reverse("publicservices:procedure", args=[found.slug])
    )
    return render(
        request,
        "publicservices/question.html",
        {
            "procedure": found,
            "dossier": dossier,
            "form": form,
            "page": page,
            "number": index + 1,
            "total": len(names),
            "back": back,
        },
        status=400 if form.errors else 200,
    )


def _stash(request: HttpRequest, dossier: Dossier, answers: dict[str, Any]) -> None:
    """While supplementing, answers wait in the session until the applicant resubmits
    (the dossier itself changes only through ``dossier_resubmit``)."""
    found = procedure_of(dossier)
    errors = found.validate_answers(answers, only=answers.keys())
    if errors:
        raise ValidationFailed(_("Some answers need correcting."), errors=errors)
    key = f"ps.{dossier.pk}"
    request.session[key] = {**request.session.get(key, {}), **answers}


@never_cache
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, dossier_id: str) -> HttpResponse:
    """Check the answers, choose the agency, submit (or resubmit after supplementation)."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    dossier, found = _draft(request, dossier_id)
    if not open_to_applicant(dossier):
        return HttpResponseRedirect(reverse("publicservices:dossier", args=[dossier.pk]))
    stashed = request.session.get(f"ps.{dossier.pk}", {})
    answers = {**dossier.data, **stashed}
    agencies = selectors.agencies_for(procedure=found)
    errors: list[Any] = []
    chosen = request.POST.get("agency", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            if dossier.state == "draft":
                services.dossier_submit(
                    actor=request.user,
                    procedure_slug=found.slug,
                    agency_code=chosen,
                    dossier_id=dossier.pk,
                )
            else:
                services.dossier_resubmit(actor=request.user, dossier_id=dossier.pk, data=stashed)
                request.session.pop(f"ps.{dossier.pk}", None)
            return HttpResponseRedirect(
                reverse("publicservices:dossier", args=[dossier.pk]) + "?submitted=1"
            )
        except ValidationFailed as invalid:
            errors = list(invalid.errors)
    documents_url = reverse("publicservices:documents", args=[dossier.pk])
    # A missing document's error links to its section of the documents page.
    links = {
        error.field: f"{documents_url}#doc{error.field.split('.')[1]}-title"
        for error in errors
        if error.field.startswith("documents.")
    }
    rows = [
        {
            "label": page.label,
            "value": answer_text(page, answers.get(page.field)),
            "url": reverse("publicservices:question", args=[dossier.pk, page.field]) + "?r=1",
            "field": page.field,
            "missing": page.required and answers.get(page.field) in (None, ""),
        }
        for page in found.pages
    ]
    fee = found.fee_for(answers) if not found.validate_answers(answers) else found.fee["base"]
    return render(
        request,
        "publicservices/review.html",
        {
            "procedure": found,
            "dossier": dossier,
            "rows": rows,
            "agencies": agencies,
            "chosen": chosen or (agencies[0].code if len(agencies) == 1 else ""),
            "errors": [error for error in errors if error.field not in links],
            "document_errors": [(links[e.field], e.message) for e in errors if e.field in links],
            "documents": selectors.dossier_documents(
                dossier=dossier, language=request.LANGUAGE_CODE
            ),
            "fee": format_vnd(fee),
            "resubmitting": dossier.state != "draft",
        },
        status=400 if errors else 200,
    )


@never_cache
@require_http_methods(["GET"])
def my_dossiers(request: HttpRequest) -> HttpResponse:
    if (redirect := _login_or(request)) is not None:
        return redirect
    dossiers = list(selectors.dossiers_of_applicant(actor=request.user)[:100])
    rows = [
        {
            "dossier": d,
            "procedure": procedure_of(d),
            "badge": badge_for(d.state),
            "sla": sla_for(d),
        }
        for d in dossiers
    ]
    return render(request, "publicservices/my_dossiers.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
def dossier(request: HttpRequest, dossier_id: str) -> HttpResponse:
    """A dossier's status and timeline; withdraw while it may be withdrawn."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    found_dossier = selectors.dossier_for_applicant(actor=request.user, dossier_id=dossier_id)
    if request.method == "POST" and request.POST.get("action") == "pay_fee":
        try:
            services.dossier_fee_pay(actor=request.user, dossier_id=found_dossier.pk)
        except ProblemError as problem:
            if problem.status == 404:
                raise
            messages.error(request, str(problem.detail or problem.title))
        else:
            messages.success(request, _("The fee is paid. Your dossier goes on to processing."))
        return HttpResponseRedirect(reverse("publicservices:dossier", args=[found_dossier.pk]))
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        with contextlib.suppress(ProblemError):  # a refused withdrawal shows the state
            services.dossier_withdraw(
                actor=request.user,
                dossier_id=found_dossier.pk,
                reason=request.POST.get("reason", ""),
            )
        return HttpResponseRedirect(reverse("publicservices:dossier", args=[found_dossier.pk]))
    found = procedure_of(found_dossier)
    actions = list(selectors.dossier_timeline(dossier=found_dossier))
    apology = selectors.dossier_apology(dossier=found_dossier)
    return render(
        request,
        "publicservices/dossier.html",
        {
            "dossier": found_dossier,
            "procedure": found,
            "badge": badge_for(found_dossier.state),
            "sla": sla_for(found_dossier),
            "apology": apology,
            "apology_date": datetime.date.fromisoformat(apology.payload["new"])
            if apology
            else None,
            "state_label": state_label(found_dossier.state),
            "events": timeline(actions),
            "can_withdraw": "withdraw" in allowed_actions(found.workflow, found_dossier.state),
            "supplement": found.workflow.awaits_applicant(found_dossier.state),
            "reasons": next(
                (
                    a.payload.get("reasons", [])
                    for a in reversed(actions)
                    if a.action == "request_supplement"
                ),
                [],
            ),
            "submitted": request.GET.get("submitted") == "1",
            "fee": format_vnd(found_dossier.fee_amount),
            "pay_online": found_dossier.state == "fee_due"
            and services.fee_online_payment_available(),
            "first_question": found.pages[0].field,
            "has_result": selectors.dossier_has_result(dossier=found_dossier),
            "partner_results": selectors.dossier_partner_results(dossier=found_dossier),
            # Parts of an interconnected group a partner refused: which, by whom, why.
            "refused_parts": [a for a in actions if a.action == "refuse_part"],
        },
    )


@require_http_methods(["GET"])
def status(request: HttpRequest) -> HttpResponse:
    """Anyone with the receipt code: the status, nothing else."""
    code = (request.GET.get("code") or "").strip()[:40]
    result = None
    error = ""
    if code:
        try:
            result = selectors.dossier_public_status(receipt_code=code)
        except NotFound:
            error = _("No dossier has this receipt code. Check it against your receipt.")
    return render(
        request,
        "publicservices/status.html",
        {"code": code, "result": result, "error": error},
        status=404 if error else 200,
    )
