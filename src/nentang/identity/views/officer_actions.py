"""Officers' actions on a person's card: verify to level 2, lock and unlock the e-ID.

Each is allowed only within the grant of a logged look-up (``officer.granted``); when
it is done the officer is back on the person's card, with the result on top — no new
look-up, so no second data-usage entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nentang.identity.services import account_lock, account_unlock, person_verify_level2
from nentang.identity.views.access import IdentityRequest, front_office_officer, officer_page
from nentang.identity.views.forms import submit
from nentang.identity.views.officer import Form, crumbs, granted
from nentang.identity.views.officer_forms import LockForm, UnlockForm, VerifyForm


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
        "breadcrumbs": crumbs(deeper=True),
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


def _done(request: IdentityRequest, person_id: uuid.UUID, message: str) -> HttpResponse:
    """Back to the person's card (the look-up's grant still holds), the result on top."""
    messages.success(request, message)
    target = reverse("identity_web:officer_card", args=[person_id])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target, status=303)


def _run(
    request: IdentityRequest,
    person_id: uuid.UUID,
    *,
    form: Form,
    template: str,
    action: Callable[[dict[str, Any], dict[str, Any]], object],
    done: str,
    needs_account: bool,
) -> HttpResponse:
    grant = granted(request, person_id)
    if grant is None or (needs_account and not grant.get("account")):
        return HttpResponseRedirect(reverse("identity_web:officer_find"))
    status = _attempt(form, lambda data: action(data, grant))
    if status is None:
        return _done(request, person_id, done % {"number": grant["id_number"]})
    return _action_result(
        request, template=template, form=form, person_id=person_id, grant=grant, status=status
    )


@require_POST
@officer_page
def verify(request: IdentityRequest, person_id: uuid.UUID) -> HttpResponse:
    return _run(
        request,
        person_id,
        form=VerifyForm(request.POST),
        template="identity/officer/verify_form.html",
        action=lambda data, _grant: person_verify_level2(
            actor=front_office_officer(request).account,
            person_id=person_id,
            place=data["place"],
            document_type=data["document_type"],
            document_number=data["document_number"],
            fingerprint_attested=data["fingerprint_attested"],
        ),
        done=_("The e-ID of ID number %(number)s is now at level 2."),
        needs_account=False,
    )


@require_POST
@officer_page
def lock(request: IdentityRequest, person_id: uuid.UUID) -> HttpResponse:
    return _run(
        request,
        person_id,
        form=LockForm(request.POST),
        template="identity/officer/lock_form.html",
        action=lambda data, grant: account_lock(
            actor=front_office_officer(request).account,
            account_id=uuid.UUID(grant["account"]),
            reason=data["reason"],
            note=data["note"],
        ),
        done=_(
            "The e-ID of ID number %(number)s is locked: it cannot log in, and every "
            "session and service access it had is ended."
        ),
        needs_account=True,
    )


@require_POST
@officer_page
def unlock(request: IdentityRequest, person_id: uuid.UUID) -> HttpResponse:
    return _run(
        request,
        person_id,
        form=UnlockForm(request.POST),
        template="identity/officer/unlock_form.html",
        action=lambda data, grant: account_unlock(
            actor=front_office_officer(request).account,
            account_id=uuid.UUID(grant["account"]),
            note=data["note"],
        ),
        done=_("The e-ID of ID number %(number)s is unlocked: it can log in again."),
        needs_account=True,
    )
