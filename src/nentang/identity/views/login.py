"""Log in (ID number + password), the second factor (authenticator code or passkey),
passkey login without a password, and log out. THE login of the platform:
``settings.LOGIN_URL`` points here, so the OpenID Connect provider sends people here.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import login as django_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from nentang.identity.auth import LoginRefused, request_source_ip
from nentang.identity.models import Account
from nentang.identity.oidc.views.authorize import AUTH_TIME_SESSION_KEY, requested_locale_of_next
from nentang.identity.problems import ACCOUNT_LOCKED
from nentang.identity.selectors.account import account_for_second_step
from nentang.identity.services import (
    passkeys,
    requires_second_factor,
    second_factor_mark,
    totp_verify,
)
from nentang.identity.services.backup import backup_code_use, backup_codes_left
from nentang.identity.services.factors import SESSION_FLAG
from nentang.identity.views import presenters
from nentang.identity.views.access import (
    IdentityRequest,
    account_of,
    needs_step_up,
    pending_end,
    pending_get,
    pending_start,
    safe_next,
)
from nentang.identity.views.factors import totp_state
from nentang.identity.views.forms import BackupCodeForm, CodeForm, LoginForm, submit
from nentang.identity.views.oidc_return import allow_return_to_client
from nentang.kernel.errors import ProblemError

BACKEND = "nentang.identity.auth.AccountBackend"


def finish_login(request: HttpRequest, account: Account, *, factor: str = "") -> None:
    """Open the session (Django's login: new session key), note when the person
    authenticated (the OpenID provider's ``auth_time``/``max_age``) and which second
    factor they presented."""
    pending_end(request.session)
    request.session.pop(SESSION_FLAG, None)  # only what this login presented counts
    django_login(request, account, backend=BACKEND)
    request.session[AUTH_TIME_SESSION_KEY] = int(time.time())
    if factor:
        second_factor_mark(request.session, method=factor, session_key=request.session.session_key)


def refusal_message(problem: ProblemError) -> str:
    """What a refused login says: the service's sentence, and for an e-ID lock its
    reason when the service gives it."""
    text = str(problem.detail or _("You could not be logged in."))
    reason = problem.extra.get("lock_reason") if problem.code == ACCOUNT_LOCKED else None
    if reason:
        text = (
            _("This e-ID was locked %(reason)s.")
            % {"reason": presenters.lock_reason_label(str(reason))}
            + " "
            + text
        )
    return text


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: IdentityRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    # A service that sent the person here with ui_locales gets its language (OIDC Core
    # 3.1.2.1) unless the person chose one on this site.
    locale = requested_locale_of_next(request, next_url)
    if locale:
        with translation.override(locale):
            response = _login(request, next_url)
            response.setdefault("Content-Language", locale)
            return response
    return _login(request, next_url)


def _login(request: IdentityRequest, next_url: str) -> HttpResponse:
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                account = authenticate(
                    request,
                    username=form.cleaned_data["login"],
                    password=form.cleaned_data["password"],
                )
            except LoginRefused as refused:
                status = refused.problem.status
                form.add_error(None, refusal_message(refused.problem))
            else:
                if account is None:
                    status = 401
                    form.add_error(
                        None,
                        _(
                            "The ID number (or login) or the password is wrong. Check both "
                            "and try again: after 10 mistakes in a row the login is blocked "
                            "for 15 minutes."
                        ),
                    )
                else:
                    assert isinstance(account, Account)
                    if requires_second_factor(account):
                        pending_start(request.session, account=account, next_url=next_url)
                        return HttpResponseRedirect(reverse("identity_web:second_factor"))
                    finish_login(request, account)
                    return HttpResponseRedirect(next_url)
    response = render(
        request,
        "identity/login/login.html",
        {
            "form": form,
            "next": next_url,
            "passkey_options": reverse("identity_web:passkey_login_options"),
        },
        status=status,
    )
    return allow_return_to_client(response, next_url)


def _second_step(request: HttpRequest) -> tuple[Account, str, bool] | None:
    """(account, next, pending): a password login waiting for its second factor, or a
    logged-in session asked to present it (step-up); None when neither."""
    waiting = pending_get(request.session)
    if waiting is not None:
        account_id, next_url = waiting
        account = account_for_second_step(account_id=account_id)
        if account is not None:
            return account, safe_next(request, next_url), True
        pending_end(request.session)
    if request.user.is_authenticated and needs_step_up(request):
        return account_of(request), safe_next(request, request.GET.get("next")), False
    return None


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor_view(request: IdentityRequest) -> HttpResponse:
    step = _second_step(request)
    if step is None:
        if request.user.is_authenticated:
            return HttpResponseRedirect(safe_next(request, request.GET.get("next")))
        messages.info(request, _("Log in again: the second step waits 5 minutes at most."))
        return HttpResponseRedirect(reverse("identity_web:login"))
    account, next_url, pending = step
    has_totp = totp_state(account=account) == "active"
    has_passkey = passkeys.passkeys_of(account=account).exists()
    backup = request.method == "POST" and request.POST.get("action") == "backup"
    form = CodeForm(request.POST if request.method == "POST" and not backup else None)
    backup_form = BackupCodeForm(request.POST if backup else None)
    status = 200
    if request.method == "POST":
        method = "backup_code" if backup else "totp"
        _verified, status = submit(
            backup_form if backup else form,
            lambda data: (
                backup_code_use(
                    account=account,
                    code=data["backup_code"],
                    source_ip=request_source_ip(request),
                )
                if backup
                else totp_verify(
                    account=account, code=data["code"], source_ip=request_source_ip(request)
                )
            ),
            show_problems=True,
            show_refusals=True,
        )
        if status == 200:
            if pending:
                finish_login(request, account, factor=method)
            else:
                second_factor_mark(
                    request.session, method=method, session_key=request.session.session_key
                )
            return HttpResponseRedirect(next_url)
    response = render(
        request,
        "identity/login/second_factor.html",
        {
            "form": form,
            "has_totp": has_totp,
            "has_passkey": has_passkey,
            "backup_form": backup_form,
            "has_backup_codes": backup_codes_left(account=account) > 0,
            "step_up": not pending,
            "next": next_url,
            "passkey_options": reverse("identity_web:passkey_login_options"),
        },
        status=status,
    )
    return allow_return_to_client(response, next_url)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def json_problem(problem: ProblemError) -> JsonResponse:
    """A ceremony's refusal as the passkey script shows it: one sentence."""
    message = next((str(error.message) for error in problem.errors), None)
    return JsonResponse(
        {"error": message or str(problem.detail or problem.code), "code": problem.code},
        status=problem.status,
    )


@never_cache
@require_POST
def passkey_login_options(request: HttpRequest) -> JsonResponse:
    """Options of ``navigator.credentials.get``: the account's passkeys in a second
    step, any passkey of this platform otherwise."""
    step = _second_step(request)
    account = step[0] if step is not None else None
    options = passkeys.passkey_authentication_options(session=request.session, account=account)
    return JsonResponse(json.loads(options))


@never_cache
@require_POST
def passkey_login(request: HttpRequest) -> JsonResponse:
    """Finish a passkey login (or second step): the JSON answer says where to go."""
    body = _json_body(request)
    step = _second_step(request)
    try:
        account = passkeys.passkey_authenticate(
            session=request.session,
            credential=body.get("credential") or {},
            source_ip=request_source_ip(request),
        )
    except ProblemError as problem:
        return json_problem(problem)
    pending = step is not None and step[2]
    next_url = (
        step[1] if step is not None and pending else safe_next(request, str(body.get("next") or ""))
    )
    if step is not None and not pending:  # step-up of the logged-in account
        if account.pk != step[0].pk:
            return JsonResponse(
                {"error": _("This passkey belongs to another account."), "code": "invalid"},
                status=422,
            )
        second_factor_mark(
            request.session, method="passkey", session_key=request.session.session_key
        )
        return JsonResponse({"redirect": next_url})
    finish_login(request, account, factor="passkey")
    return JsonResponse({"redirect": next_url})


@never_cache
def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: the administration has no login of its own. Everyone logs in
    on the e-ID login page (password, then the second factor), and comes back."""
    query = urlencode({"next": safe_next(request, request.GET.get("next"), default="/admin/")})
    return HttpResponseRedirect(f"{reverse('identity_web:login')}?{query}")


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """GET asks (a link must not log anyone out); POST logs out and ends the session."""
    if request.method == "POST":
        logout(request)
        messages.success(request, _("You are logged out. Close the browser on a shared device."))
        return HttpResponseRedirect(reverse("web:home"))
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("identity_web:login"))
    return render(request, "identity/login/logout.html", {})
