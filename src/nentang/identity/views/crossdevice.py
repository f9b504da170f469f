"""Cross-device login pages (issue 9): the login page shows a QR code; the phone,
logged in, scans it, sees which browser and service ask, approves; the waiting browser
(polling with htmx every two seconds, or a button without JavaScript) starts its
session. The rules are in ``services.crossdevice``; here the browser's secret is kept
in its own session, so only the browser that showed the code can take the login.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from nentang.identity.auth import request_source_ip
from nentang.identity.services.crossdevice import (
    cross_device_allowed,
    cross_device_claim,
    cross_device_decide,
    cross_device_pending,
    cross_device_start,
    cross_device_state,
)
from nentang.identity.views import presenters
from nentang.identity.views.access import (
    IdentityRequest,
    account_of,
    login_url,
    needs_step_up,
    safe_next,
    second_factor_url,
)
from nentang.identity.views.login import finish_login
from nentang.identity.views.oidc_return import client_name
from nentang.identity.views.qr import qr_svg
from nentang.kernel.errors import ProblemError
from nentang.kernel.security import return_url

SESSION_KEY = "identity.cross_device"


def approve_link(code: str) -> str:
    """What the QR code holds: the approval page on the phone, absolute."""
    path = reverse("identity_web:qr_approve")
    return f"{str(settings.BASE_URL).rstrip('/')}{path}?{urlencode({'c': code})}"


def _panel(request: IdentityRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    template = "identity/login/qr_panel.html" if request.htmx else "identity/login/qr.html"
    return render(request, template, context, status=status)


@never_cache
@csrf_protect
@require_POST
def qr_start(request: IdentityRequest) -> HttpResponse:
    """A new QR code for this browser (the previous one of this browser is forgotten)."""
    next_url = safe_next(request, request.POST.get("next"))
    try:
        started = cross_device_start(
            source_ip=request_source_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            service=client_name(next_url),
            next_url=next_url,
        )
    except ProblemError as refused:
        # htmx swaps only 2xx answers: the refusal comes as 200 to it, 429 otherwise.
        context = {"state": "refused_start", "message": refused.detail}
        return _panel(request, context, status=200 if request.htmx else 429)
    request.session[SESSION_KEY] = {"id": str(started.login_id), "secret": started.browser_secret}
    link = approve_link(started.code)
    return _panel(
        request,
        {
            "state": "waiting",
            "qr": qr_svg(link, title=_("QR code to log in with your phone")),
            "link": link,
            "minutes": started.expires_in // 60,
            "next": next_url,
        },
    )


@never_cache
@csrf_protect
@require_POST
def qr_wait(request: IdentityRequest) -> HttpResponse:
    """Has the phone approved? Then this browser's session starts, once."""
    held = request.session.get(SESSION_KEY)
    next_url = safe_next(request, request.POST.get("next"))
    state = "expired"
    if isinstance(held, dict):
        try:
            login_id = uuid.UUID(str(held.get("id")))
        except ValueError:
            login_id = None
        secret = str(held.get("secret") or "")
        if login_id is not None:
            state = cross_device_state(login_id=login_id, browser_secret=secret)
            if state == "approved":
                claimed = cross_device_claim(
                    login_id=login_id,
                    browser_secret=secret,
                    source_ip=request_source_ip(request),
                )
                state = "expired"
                if claimed is not None:
                    account, wanted = claimed
                    request.session.pop(SESSION_KEY, None)
                    finish_login(request, account)
                    target = safe_next(request, wanted or next_url)
                    if request.htmx:
                        response = HttpResponse(status=204)
                        response["HX-Redirect"] = target
                        return response
                    return HttpResponseRedirect(target)
    context = {"state": state, "next": next_url, "polled": True}
    if state == "waiting":  # htmx swaps the waiting form alone; the QR code stays
        if request.htmx:
            return render(request, "identity/login/qr_wait.html", context)
        return _panel(request, context)
    request.session.pop(SESSION_KEY, None)
    response = _panel(request, context)
    if request.htmx:  # the whole panel goes: no QR code left that no longer works
        response["HX-Retarget"] = "#qr-panel"
        response["HX-Reswap"] = "outerHTML"
    return response


def _phone_gate(request: IdentityRequest) -> HttpResponse | None:
    """The phone must be logged in (and have presented its second factor if it has
    one); then back here with the code."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(login_url(return_url(request)))
    if needs_step_up(request):
        return HttpResponseRedirect(second_factor_url(return_url(request)))
    return None


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def qr_approve(request: IdentityRequest) -> HttpResponse:
    """On the phone: which browser asks, approve or refuse."""
    gate = _phone_gate(request)
    if gate is not None:
        return gate
    account = account_of(request)
    code = (request.POST.get("c") if request.method == "POST" else request.GET.get("c")) or ""
    context: dict[str, Any] = {"code": code}
    if not cross_device_allowed(account):
        context["problem"] = _(
            "Staff and organisation accounts log in with their password and second factor."
        )
        return render(request, "identity/login/qr_approve.html", context, status=403)
    try:
        if request.method == "POST":
            approve = request.POST.get("action") == "approve"
            cross_device_decide(actor=account, code=code, approve=approve)
            context["done"] = "approved" if approve else "refused"
            return render(request, "identity/login/qr_approve.html", context)
        waiting = cross_device_pending(code=code)
    except ProblemError as problem:
        context["problem"] = str(problem.detail or problem.code)
        return render(request, "identity/login/qr_approve.html", context, status=problem.status)
    context["asking"] = {
        "device": presenters.device_of(waiting.user_agent) or _("An unknown browser"),
        "address": waiting.source_ip or "—",
        "when": presenters.when(waiting.created_at),
        "service": waiting.service,
        "seconds_left": max(0, int((waiting.expires_at - timezone.now()).total_seconds())),
    }
    return render(request, "identity/login/qr_approve.html", context)
