"""Officers' pages: find a person by ID number (a logged read, with its purpose), the
person's card, verify to level 2, lock and unlock the e-ID.

A card is shown only as the answer to a logged look-up; the actions on it are allowed
for ``GRANT_TTL`` after that look-up, in the same session (the ID number and account
are remembered, never the person's data). Roles and the agency's area are checked by
the services: a refusal is the 403 page, never data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from nentang.identity.models import Officer, Person
from nentang.identity.services import (
    account_lock,
    account_unlock,
    person_find_by_id_number,
    person_verify_level2,
)
from nentang.identity.services.common import officer_covers
from nentang.identity.views import presenters
from nentang.identity.views.access import IdentityRequest, front_office_officer, officer_page
from nentang.identity.views.forms import (
    FindPersonForm,
    LockForm,
    UnlockForm,
    VerifyForm,
    submit,
)
from nentang.web.components import Link, SummaryRow

GRANT_KEY = "identity.officer.found"
GRANT_TTL = 30 * 60
GRANT_MAX = 20
Form = VerifyForm | LockForm | UnlockForm


def _grants(request: IdentityRequest) -> dict[str, dict[str, Any]]:
    value = request.session.get(GRANT_KEY)
    now = int(time.time())
    if not isinstance(value, dict):
        return {}
    return {
        k: v for k, v in value.items() if isinstance(v, dict) and now - v.get("at", 0) < GRANT_TTL
    }


def _grant_store(request: IdentityRequest, person: Person) -> None:
    grants = _grants(request)
    grants[str(person.pk)] = {
        "id_number": person.id_number,
        "account": str(person.account_id) if person.account_id else "",
        "at": int(time.time()),
    }
    newest = sorted(grants.items(), key=lambda item: item[1]["at"])[-GRANT_MAX:]
    request.session[GRANT_KEY] = dict(newest)


def _crumbs(*, deeper: bool = False) -> list[Link]:
    links = [Link(_("Home"), reverse("web:home"))]
    if deeper:
        links.append(Link(_("Find a person"), reverse("identity_web:officer_find")))
    return links


def _actions(officer: Officer, person: Person) -> dict[str, bool]:
    account = person.account
    covered = officer_covers(
        officer, province_code=person.province_code, commune_code=person.commune_code
    )
    return {
        "can_verify": account is not None and person.level < 2 and officer.has_role("enrolment"),
        "can_lock": account is not None
        and not account.is_locked
        and covered
        and officer.has_role("identity_admin"),
        "can_unlock": account is not None
        and account.is_locked
        and covered
        and officer.has_role("identity_admin"),
        "covered": covered,
    }


def _card(person: Person) -> list[SummaryRow]:
    rows = [
        SummaryRow(_("Full name"), person.full_name),
        SummaryRow(_("Personal ID number"), person.id_number, mono=True),
        SummaryRow(_("Date of birth"), person.date_of_birth.strftime("%d/%m/%Y")),
        SummaryRow(_("Sex"), presenters.sex_label(person.sex)),
        SummaryRow(_("Residence address"), presenters.address_of(person)),
    ]
    account = person.account
    if account is None:
        state = _("No account of their own (a child attached to a guardian)")
    elif account.is_locked:
        state = _("Locked %(reason)s since %(when)s") % {
            "reason": presenters.lock_reason_label(account.lock_reason),
            "when": presenters.when(account.locked_at),
        }
    else:
        state = _("Active")
    rows.append(SummaryRow(_("e-ID account"), state))
    return rows


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@officer_page
def find(request: IdentityRequest) -> HttpResponse:
    officer = front_office_officer(request)
    form = FindPersonForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        person, status = submit(
            form,
            lambda data: person_find_by_id_number(
                actor=officer.account, id_number=data["id_number"], purpose=data["purpose"]
            ),
            show_problems=True,
            problem_field="id_number",
        )
        if person is not None:
            _grant_store(request, person)
            return _card_page(request, officer, person, form.cleaned_data["purpose"])
    return render(
        request,
        "identity/officer/find.html",
        {"form": form, "officer": officer, "breadcrumbs": _crumbs()},
        status=status,
    )


def _card_page(
    request: IdentityRequest,
    officer: Officer,
    person: Person,
    purpose: str,
    *,
    forms: dict[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    given = forms or {}
    return render(
        request,
        "identity/officer/card.html",
        {
            "person": person,
            "facts": _card(person),
            "level": presenters.level_badge(person.level),
            "purpose": purpose,
            "officer": officer,
            **_actions(officer, person),
            "verify_form": given.get("verify")
            or VerifyForm(
                initial={"place": officer.agency.name, "document_type": "citizen_id_card"}
            ),
            "lock_form": given.get("lock") or LockForm(),
            "unlock_form": given.get("unlock") or UnlockForm(),
            "breadcrumbs": _crumbs(deeper=True),
        },
        status=status,
    )


def _granted(request: IdentityRequest, person_id: uuid.UUID) -> dict[str, Any] | None:
    grant = _grants(request).get(str(person_id))
    if grant is None:
        messages.info(
            request,
            _("Find the person by ID number first: every look-up is logged with its purpose."),
        )
    return grant


def _action_result(
    request: IdentityRequest,
    *,
    template: str,
    form: Form,
    person_id: uuid.UUID,
    grant: dict[str, Any],
    status: int,
) -> HttpResponse:
    """A refused action: its form again with the errors (the fragment for htmx, which
    swaps only 2xx answers; the form alone on a page otherwise)."""
    context = {
        "form": form,
        "person_id": person_id,
        "id_number": grant["id_number"],
        "breadcrumbs": _crumbs(deeper=True),
        "template": template,
    }
    if request.htmx:
        return render(request, template, context)
    return render(request, "identity/officer/action_page.html", context, status=status)


def _attempt(form: forms.Form, action: Callable[[dict[str, Any]], object]) -> int | None:
    """Run an officer's action with the form's data: None when it was done, else the
    status to answer with (mistakes at their fields or on top). A refusal (403) is not
    the form's business: it goes on to the error page and the security event."""
    _done, status = submit(form, action, show_problems=True)
    return None if status == 200 else status


def _done(request: IdentityRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    target = reverse("identity_web:officer_find")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


@require_POST
@officer_page
def verify(request: IdentityRequest, person_id: uuid.UUID) -> HttpResponse:
    grant = _granted(request, person_id)
    if grant is None:
        return HttpResponseRedirect(reverse("identity_web:officer_find"))
    form = VerifyForm(request.POST)
    status = _attempt(
        form,
        lambda data: person_verify_level2(
            actor=front_office_officer(request).account,
            person_id=person_id,
            place=data["place"],
            document_type=data["document_type"],
            document_number=data["document_number"],
            fingerprint_attested=data["fingerprint_attested"],
        ),
    )
    if status is None:
        return _done(
            request,
            _("The e-ID of ID number %(number)s is now at level 2.")
            % {"number": grant["id_number"]},
        )
    return _action_result(
        request,
        template="identity/officer/verify_form.html",
        form=form,
        person_id=person_id,
        grant=grant,
        status=status,
    )


@require_POST
@officer_page
def lock(request: IdentityRequest, person_id: uuid.UUID) -> HttpResponse:
    grant = _granted(request, person_id)
    if grant is None or not grant.get("account"):
        return HttpResponseRedirect(reverse("identity_web:officer_find"))
    form = LockForm(request.POST)
    status = _attempt(
        form,
        lambda data: account_lock(
            actor=front_office_officer(request).account,
            account_id=uuid.UUID(grant["account"]),
            reason=data["reason"],
            note=data["note"],
        ),
    )
    if status is None:
        return _done(
            request,
            _(
                "The e-ID of ID number %(number)s is locked: it cannot log in, and every "
                "session and service access it had is ended."
            )
            % {"number": grant["id_number"]},
        )
    return _action_result(
        request,
        template="identity/officer/lock_form.html",
        form=form,
        person_id=person_id,
        grant=grant,
        status=status,
    )


@require_POST
@officer_page
def unlock(request: IdentityRequest, person_id: uuid.UUID) -> HttpResponse:
    grant = _granted(request, person_id)
    if grant is None or not grant.get("account"):
        return HttpResponseRedirect(reverse("identity_web:officer_find"))
    form = UnlockForm(request.POST)
    status = _attempt(
        form,
        lambda data: account_unlock(
            actor=front_office_officer(request).account,
            account_id=uuid.UUID(grant["account"]),
            note=data["note"],
        ),
    )
    if status is None:
        return _done(
            request,
            _("The e-ID of ID number %(number)s is unlocked: it can log in again.")
            % {"number": grant["id_number"]},
        )
    return _action_result(
        request,
        template="identity/officer/unlock_form.html",
        form=form,
        person_id=person_id,
        grant=grant,
        status=status,
    )
