"""The account's sign-in methods: passkeys (add, rename, remove) and the
authenticator app (set up with a QR code, confirm, turn off)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from nentang.identity.auth import request_source_ip
from nentang.identity.middleware import ENROLMENT_NEXT_KEY
from nentang.identity.selectors import person_for_account
from nentang.identity.services import (
    passkeys,
    requires_second_factor,
    second_factor_mark,
    totp_confirm,
    totp_enrol,
)
from nentang.identity.services.backup import backup_codes_left, backup_codes_make
from nentang.identity.views import presenters
from nentang.identity.views.access import IdentityRequest, account_of, safe_next, security_page
from nentang.identity.views.account import account_nav, crumbs
from nentang.identity.views.factors import totp_disable, totp_state
from nentang.identity.views.forms import CodeForm, PasskeyNameForm, submit
from nentang.identity.views.login import json_problem
from nentang.identity.views.qr import qr_svg
from nentang.kernel.errors import Conflict, ProblemError

ENROLMENT_KEY = "identity.totp.enrolment"
CODES_KEY = "identity.backup_codes.fresh"


def _is_person(request: HttpRequest) -> bool:
    return person_for_account(account=account_of(request)) is not None


@never_cache
@require_http_methods(["GET", "HEAD"])
@security_page
def passkey_list(request: IdentityRequest) -> HttpResponse:
    return _passkey_page(request)


def _passkey_page(
    request: IdentityRequest,
    *,
    rename: tuple[uuid.UUID, PasskeyNameForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    account = account_of(request)
    items = [
        {
            "passkey": passkey,
            "created": presenters.when(passkey.created_at),
            "last_used": presenters.when(passkey.last_used_at) if passkey.last_used_at else None,
            "form": rename[1]
            if rename and rename[0] == passkey.pk
            else PasskeyNameForm(initial={"name": passkey.name}, prefix=f"p{passkey.pk.hex[:8]}"),
        }
        for passkey in passkeys.passkeys_of(account=account)
    ]
    return render(
        request,
        "identity/account/passkeys.html",
        {
            "account_nav": account_nav("passkeys", person=_is_person(request)),
            "breadcrumbs": crumbs(deeper=True),
            "items": items,
            "add_form": PasskeyNameForm(prefix="new", initial={"name": _("My phone")}),
        },
        status=status,
    )


def _json_body(request: HttpRequest) -> dict[str, object]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@never_cache
@require_POST
@security_page
def passkey_add_options(request: IdentityRequest) -> JsonResponse:
    try:
        options = passkeys.passkey_registration_options(
            actor=account_of(request), session=request.session
        )
    except Conflict as problem:  # the cooling-off after an online recovery
        return json_problem(problem)
    return JsonResponse(json.loads(options))


@never_cache
@require_POST
@security_page
def passkey_add(request: IdentityRequest) -> JsonResponse:
    body = _json_body(request)
    credential = body.get("credential")
    try:
        passkey = passkeys.passkey_register(
            actor=account_of(request),
            session=request.session,
            credential=credential if isinstance(credential, dict | str) else {},
            name=str(body.get("name") or ""),
        )
    except ProblemError as problem:
        return json_problem(problem)
    # The person just unlocked this passkey (user verification): this session has it.
    second_factor_mark(request.session, method="passkey", session_key=request.session.session_key)
    messages.success(
        request,
        _("Passkey “%(name)s” added. Next time, log in with it: no password needed.")
        % {"name": passkey.name},
    )
    return JsonResponse({"redirect": _after_enrolment(request, "identity_web:passkeys")})


def _after_enrolment(request: HttpRequest, default: str) -> str:
    """Where to go once a second factor is set up: the staff page that sent here (the
    staff middleware keeps it), else ``default``."""
    waiting = request.session.pop(ENROLMENT_NEXT_KEY, None)
    return safe_next(request, waiting, default=reverse(default)) if waiting else reverse(default)


@require_POST
@security_page
def passkey_rename(request: IdentityRequest, passkey_id: uuid.UUID) -> HttpResponse:
    form = PasskeyNameForm(request.POST, prefix=f"p{passkey_id.hex[:8]}")
    _renamed, status = submit(
        form,
        lambda data: passkeys.passkey_rename(
            actor=account_of(request), passkey_id=passkey_id, name=data["name"]
        ),
    )
    if status == 200:
        messages.success(request, _("The passkey is renamed."))
        return HttpResponseRedirect(reverse("identity_web:passkeys"))
    return _passkey_page(request, rename=(passkey_id, form), status=400)


@require_POST
@security_page
def passkey_remove(request: IdentityRequest, passkey_id: uuid.UUID) -> HttpResponse:
    try:
        passkeys.passkey_remove(actor=account_of(request), passkey_id=passkey_id)
    except Conflict as problem:  # a staff account's last second factor stays
        messages.error(request, str(problem.detail or problem.code))
        return HttpResponseRedirect(reverse("identity_web:passkeys"))
    messages.success(request, _("The passkey is removed: it can no longer log in."))
    return HttpResponseRedirect(reverse("identity_web:passkeys"))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@security_page
def totp(request: IdentityRequest) -> HttpResponse:
    """One page, three states: none (set up), pending (scan and confirm), active (off)."""
    account = account_of(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = CodeForm(request.POST if action in ("confirm", "disable") else None)
    status = 200
    if action == "enrol":
        try:
            enrolment = totp_enrol(actor=account)
        except Conflict as problem:  # the cooling-off after an online recovery
            messages.error(request, str(problem.detail or problem.code))
            return HttpResponseRedirect(reverse("identity_web:totp"))
        request.session[ENROLMENT_KEY] = enrolment.provisioning_uri
        return HttpResponseRedirect(reverse("identity_web:totp"))
    if action in ("confirm", "disable"):

        def change(data: dict[str, Any]) -> None:
            if action == "confirm":
                totp_confirm(actor=account, code=data["code"])
            else:
                totp_disable(actor=account, code=data["code"], source_ip=request_source_ip(request))

        _nothing, status = submit(form, change, show_problems=True, show_refusals=True)
        if status == 200:
            request.session.pop(ENROLMENT_KEY, None)
            if action == "confirm":  # the app's code was just shown: this session has it
                second_factor_mark(
                    request.session, method="totp", session_key=request.session.session_key
                )
            messages.success(
                request,
                _("The authenticator app is set up: logins now ask for its code.")
                if action == "confirm"
                else _("The authenticator app is turned off."),
            )
            if action == "confirm":
                if ENROLMENT_NEXT_KEY not in request.session:  # a holder, not a staff detour
                    request.session[CODES_KEY] = backup_codes_make(actor=account)
                    return HttpResponseRedirect(reverse("identity_web:backup_codes"))
                return HttpResponseRedirect(_after_enrolment(request, "identity_web:totp"))
            return HttpResponseRedirect(reverse("identity_web:totp"))
    state = totp_state(account=account)
    uri = request.session.get(ENROLMENT_KEY) if state == "pending" else None
    secret = ""
    if isinstance(uri, str) and "secret=" in uri:
        secret = uri.split("secret=", 1)[1].split("&", 1)[0]
    return render(
        request,
        "identity/account/totp.html",
        {
            "account_nav": account_nav("totp", person=_is_person(request)),
            "breadcrumbs": crumbs(deeper=True),
            "state": state,
            "form": form,
            "qr": qr_svg(uri, title=_("QR code for your authenticator app")) if uri else "",
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@security_page
def backup_codes(request: IdentityRequest) -> HttpResponse:
    """How many backup codes are left; a new set on POST, shown once (the next GET)."""
    account = account_of(request)
    if request.method == "POST":
        try:
            request.session[CODES_KEY] = backup_codes_make(actor=account)
        except Conflict as problem:  # no second factor, or the cooling-off period
            messages.error(request, str(problem.detail or problem.code))
        return HttpResponseRedirect(reverse("identity_web:backup_codes"))
    fresh = request.session.pop(CODES_KEY, None)
    return render(
        request,
        "identity/account/backup_codes.html",
        {
            "account_nav": account_nav("backup_codes", person=_is_person(request)),
            "breadcrumbs": crumbs(deeper=True),
            "fresh": fresh if isinstance(fresh, list) else [],
            "left": backup_codes_left(account=account),
            "protected": requires_second_factor(account),
        },
    )
