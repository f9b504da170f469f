"""The holder's account: profile and level, sessions, consents, personal-data usage."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from nentang.identity.oidc.scopes import SCOPES
from nentang.identity.oidc.services import consent_withdraw
from nentang.identity.selectors import (
    officer_for_account,
    person_for_account,
    person_own,
    session_list,
)
from nentang.identity.selectors.account import consents_active, data_usage_page
from nentang.identity.services import session_end, sessions_end_all
from nentang.identity.services.passkeys import passkeys_of
from nentang.identity.views import presenters
from nentang.identity.views.access import IdentityRequest, account_of, account_page, security_page
from nentang.identity.views.factors import totp_state
from nentang.web.components import Link, SummaryRow

SECTIONS = (
    ("overview", "identity_web:account"),
    ("sessions", "identity_web:sessions"),
    ("consents", "identity_web:consents"),
    ("data_usage", "identity_web:data_usage"),
    ("my_data", "identity_web:my_data"),
    ("children", "identity_web:children"),
    ("organisations", "identity_web:organisations"),
    ("passkeys", "identity_web:passkeys"),
    ("totp", "identity_web:totp"),
    ("backup_codes", "identity_web:backup_codes"),
)


def account_nav(current: str, *, person: bool) -> list[tuple[Link, bool]]:
    """The account's own navigation (consents, data usage, children and organisations
    only for persons)."""
    labels = {
        "overview": _("Overview"),
        "sessions": _("Where you are logged in"),
        "consents": _("Services you share data with"),
        "data_usage": _("Who used your data"),
        "my_data": _("Your data"),
        "children": _("Your children"),
        "organisations": _("Organisations you represent"),
        "passkeys": _("Passkeys"),
        "totp": _("Authenticator app"),
        "backup_codes": _("Backup codes"),
    }
    return [
        (Link(labels[key], reverse(name)), key == current)
        for key, name in SECTIONS
        if person or key not in ("consents", "data_usage", "my_data", "children", "organisations")
    ]


def crumbs(*, deeper: bool) -> list[Link]:
    links = [Link(_("Home"), reverse("web:home"))]
    if deeper:
        links.append(Link(_("Your account"), reverse("identity_web:account")))
    return links


@never_cache
@require_safe
@account_page
def overview(request: IdentityRequest) -> HttpResponse:
    account = account_of(request)
    person = person_for_account(account=account)
    officer = officer_for_account(account=account) if person is None else None
    context: dict[str, object] = {
        "account_nav": account_nav("overview", person=person is not None),
        "breadcrumbs": crumbs(deeper=False),
        "person": person,
        "totp": totp_state(account=account),
        "passkey_count": passkeys_of(account=account).count(),
        "session_count": session_list(account=account).count(),
    }
    if person is not None:
        context["profile"] = presenters.profile_rows(person)
        context["level"] = presenters.level_info(person.level)
    else:
        facts = [SummaryRow(_("Login"), account.username, mono=True)]
        if officer is not None:
            facts += [
                SummaryRow(pgettext("person", "Name"), officer.full_name),
                SummaryRow(_("Your agency"), officer.agency.name),
            ]
        context["profile"] = facts
        context["officer"] = officer
    return render(request, "identity/account/overview.html", context)


@never_cache
@require_safe
@account_page
def sessions(request: IdentityRequest) -> HttpResponse:
    account = account_of(request)
    rows = presenters.session_rows(
        session_list(account=account), current_key=request.session.session_key
    )
    return render(
        request,
        "identity/account/sessions.html",
        {
            "account_nav": account_nav(
                "sessions", person=person_for_account(account=account) is not None
            ),
            "breadcrumbs": crumbs(deeper=True),
            "rows": rows,
            "others": sum(1 for row in rows if not row.current),
        },
    )


@require_POST
@security_page
def session_end_view(request: IdentityRequest, session_id: int) -> HttpResponse:
    session_end(actor=account_of(request), session_id=session_id)
    messages.success(request, _("That session is ended: the device is logged out."))
    return HttpResponseRedirect(reverse("identity_web:sessions"))


@require_POST
@security_page
def sessions_end_all_view(request: IdentityRequest) -> HttpResponse:
    ended = sessions_end_all(
        actor=account_of(request), keep_session_key=request.session.session_key
    )
    messages.success(
        request,
        _(
            "Signed out everywhere else: %(n)d other sessions ended, and services lost "
            "the access you had given them until you log in to them again."
        )
        % {"n": ended},
    )
    return HttpResponseRedirect(reverse("identity_web:sessions"))


@never_cache
@require_safe
@account_page
def consents(request: IdentityRequest) -> HttpResponse:
    account = account_of(request)
    rows = [
        {
            "consent": consent,
            "scopes": [str(SCOPES[name].description) for name in consent.scopes if name in SCOPES],
            "since": presenters.when(consent.granted_at),
        }
        for consent in consents_active(account=account)
    ]
    return render(
        request,
        "identity/account/consents.html",
        {
            "account_nav": account_nav(
                "consents", person=person_for_account(account=account) is not None
            ),
            "breadcrumbs": crumbs(deeper=True),
            "rows": rows,
        },
    )


@require_POST
@account_page
def consent_withdraw_view(request: IdentityRequest, consent_id: uuid.UUID) -> HttpResponse:
    consent = consent_withdraw(actor=account_of(request), consent_id=consent_id)
    messages.success(
        request,
        _("%(client)s will receive no more of your data. Its access was revoked.")
        % {"client": consent.application.name},
    )
    return HttpResponseRedirect(reverse("identity_web:consents"))


@never_cache
@require_safe
@account_page
def data_usage(request: IdentityRequest) -> HttpResponse:
    person = person_own(actor=account_of(request))  # 404 page for staff accounts
    items, total = data_usage_page(person=person)
    return render(
        request,
        "identity/account/data_usage.html",
        {
            "account_nav": account_nav("data_usage", person=True),
            "breadcrumbs": crumbs(deeper=True),
            "person": person,
            "columns": presenters.usage_columns(),
            "rows": presenters.usage_rows(items),
            "shown": len(items),
            "total": total,
        },
    )
