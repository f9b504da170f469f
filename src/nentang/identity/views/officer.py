"""Officers' pages: find a person — by ID number, or by name and date of birth — (a
logged read, with its purpose), then the person's card with their portrait.

A look-up is logged once (one data-usage entry per person shown, with its purpose) and
grants the officer the person's card, portrait and actions (``officer_actions``) for
``GRANT_TTL`` in the same session: the ID number, account and purpose are remembered,
never the person's data, so coming back to the card after an action logs nothing new.
Roles and the agency's area are checked by the services: a refusal is the 403 page,
never data.
"""

from __future__ import annotations

import mimetypes
import time
import uuid
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from nentang.identity.models import Officer, Person
from nentang.identity.selectors import person_by_id
from nentang.identity.services import person_find_by_id_number, person_find_by_name
from nentang.identity.services.common import officer_covers
from nentang.identity.views import presenters
from nentang.identity.views.access import IdentityRequest, front_office_officer, officer_page
from nentang.identity.views.forms import submit
from nentang.identity.views.officer_forms import (
    FindByNameForm,
    FindPersonForm,
    LockForm,
    UnlockForm,
    VerifyForm,
)
from nentang.web.components import Link, SummaryRow

GRANT_KEY = "identity.officer.found"
GRANT_TTL = 30 * 60
GRANT_MAX = 20
NAME_PREFIX = "byname"
Form = VerifyForm | LockForm | UnlockForm


def _grants(request: IdentityRequest) -> dict[str, dict[str, Any]]:
    value = request.session.get(GRANT_KEY)
    now = int(time.time())
    if not isinstance(value, dict):
        return {}
    return {
        k: v for k, v in value.items() if isinstance(v, dict) and now - v.get("at", 0) < GRANT_TTL
    }


def _grant_store(request: IdentityRequest, people: list[Person], purpose: str) -> None:
    grants = _grants(request)
    for person in people:
        grants[str(person.pk)] = {
            "id_number": person.id_number,
            "account": str(person.account_id) if person.account_id else "",
            "purpose": purpose,
            "at": int(time.time()),
        }
    newest = sorted(grants.items(), key=lambda item: item[1]["at"])[-GRANT_MAX:]
    request.session[GRANT_KEY] = dict(newest)


def granted(request: IdentityRequest, person_id: uuid.UUID) -> dict[str, Any] | None:
    """The grant of a look-up of this person in this session, or None (with a message
    sending the officer to the search)."""
    grant = _grants(request).get(str(person_id))
    if grant is None:
        messages.info(
            request,
            _("Find the person first: every look-up is logged with its purpose."),
        )
    return grant


def crumbs(*, deeper: bool = False) -> list[Link]:
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


def _find_page(
    request: IdentityRequest,
    officer: Officer,
    form: FindPersonForm,
    name_form: FindByNameForm,
    *,
    status: int = 200,
    matches: list[Person] | None = None,
) -> HttpResponse:
    return render(
        request,
        "identity/officer/find.html",
        {
            "form": form,
            "name_form": name_form,
            "officer": officer,
            "matches": [
                {
                    "id": person.pk,
                    "name": person.full_name,
                    "born": person.date_of_birth.strftime("%d/%m/%Y"),
                    "address": presenters.address_of(person),
                    "id_number": person.id_number,
                }
                for person in matches or []
            ],
            "breadcrumbs": crumbs(),
        },
        status=status,
    )


def _to_card(person_id: uuid.UUID) -> HttpResponse:
    return HttpResponseRedirect(reverse("identity_web:officer_card", args=[person_id]), status=303)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@officer_page
def find(request: IdentityRequest) -> HttpResponse:
    officer = front_office_officer(request)
    by_name = request.method == "POST" and f"{NAME_PREFIX}-full_name" in request.POST
    data = request.POST if request.method == "POST" else None
    form = FindPersonForm(None if by_name else data)
    name_form = FindByNameForm(data if by_name else None, prefix=NAME_PREFIX)
    if request.method != "POST":
        return _find_page(request, officer, form, name_form)
    if by_name:
        people, status = submit(
            name_form,
            lambda data: person_find_by_name(
                actor=officer.account,
                full_name=data["full_name"],
                date_of_birth=data["date_of_birth"],
                province_code=data["province_code"],
                purpose=data["purpose"],
            ),
            show_problems=True,
            problem_field="full_name",
        )
        if people:
            _grant_store(request, people, name_form.cleaned_data["purpose"])
            if len(people) == 1:
                return _to_card(people[0].pk)
            return _find_page(request, officer, form, name_form, matches=people)
        return _find_page(request, officer, form, name_form, status=status)
    person, status = submit(
        form,
        lambda data: person_find_by_id_number(
            actor=officer.account, id_number=data["id_number"], purpose=data["purpose"]
        ),
        show_problems=True,
        problem_field="id_number",
    )
    if person is not None:
        _grant_store(request, [person], form.cleaned_data["purpose"])
        return _to_card(person.pk)
    return _find_page(request, officer, form, name_form, status=status)


def card_page(
    request: IdentityRequest,
    officer: Officer,
    person: Person,
    grant: dict[str, Any],
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
            "purpose": grant.get("purpose", ""),
            "officer": officer,
            "has_portrait": bool(person.portrait),
            **_actions(officer, person),
            "verify_form": given.get("verify")
            or VerifyForm(
                initial={"place": officer.agency.name, "document_type": "citizen_id_card"}
            ),
            "lock_form": given.get("lock") or LockForm(),
            "unlock_form": given.get("unlock") or UnlockForm(),
            "breadcrumbs": crumbs(deeper=True),
        },
        status=status,
    )


def _granted_person(request: IdentityRequest, person_id: uuid.UUID) -> Person | None:
    grant = granted(request, person_id)
    if grant is None:
        return None
    person = person_by_id(person_id=person_id)
    if person is None or person.id_number != grant["id_number"]:
        return None
    return person


@never_cache
@require_safe
@officer_page
def card(request: IdentityRequest, person_id: uuid.UUID) -> HttpResponse:
    """The card of a person found in this session: no new read is logged (the look-up
    was), so the officer comes back here after every action."""
    officer = front_office_officer(request)
    person = _granted_person(request, person_id)
    if person is None:
        return HttpResponseRedirect(reverse("identity_web:officer_find"))
    return card_page(request, officer, person, _grants(request)[str(person_id)])


@never_cache
@require_safe
@officer_page
def portrait(request: IdentityRequest, person_id: uuid.UUID) -> FileResponse:
    """The portrait of a person found in this session (read with the card, logged with
    it), never cached by the browser or a proxy."""
    front_office_officer(request)
    person = _granted_person(request, person_id)
    if person is None or not person.portrait or not default_storage.exists(person.portrait.name):
        raise Http404(_("There is no portrait to show."))
    kind = mimetypes.guess_type(person.portrait.name)[0] or "application/octet-stream"
    if kind not in {"image/jpeg", "image/png"}:
        raise Http404(_("There is no portrait to show."))
    response = FileResponse(default_storage.open(person.portrait.name, "rb"), content_type=kind)
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
