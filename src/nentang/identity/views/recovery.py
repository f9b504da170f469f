"""Online recovery of a forgotten password (``services.recovery``): the three answers,
then the code from the SMS and a new password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.identity.auth import request_source_ip
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors
from nentang.identity.services.recovery import POLICY, recovery_complete, recovery_start
from nentang.identity.services.sms import mask
from nentang.identity.views.access import IdentityRequest
from nentang.identity.views.forms import (
    DateInput,
    SmsCodeForm,
    new_password_field,
    password_again_field,
    passwords_match,
    submit,
    text_input,
)
from nentang.web.components import Link
from nentang.web.forms import Form

RECOVERY_KEY = "identity.recovery"
PHONE_KEY = "identity.recovery.phone"


class RecoverForm(Form):
    id_number = forms.CharField(
        label=gettext_lazy("Personal ID number"),
        help_text=gettext_lazy("The 12 digits on your citizen identity card (CCCD)."),
        max_length=20,
        error_messages={"required": gettext_lazy("Enter your 12-digit personal ID number.")},
        widget=text_input(("inputmode", "numeric"), ("autocomplete", "username"), cls="input--w20"),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": gettext_lazy("Enter your date of birth."),
            "invalid": gettext_lazy(
                "Enter the date of birth as day/month/year, for example 15/05/1990."
            ),
        },
        widget=DateInput(attrs={"autocomplete": "bday", "class": "input--w10"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number of your e-ID"),
        help_text=gettext_lazy("The number you gave when you registered, e.g. 0912 345 678."),
        max_length=30,
        error_messages={"required": gettext_lazy("Enter your mobile phone number.")},
        widget=text_input(("autocomplete", "tel"), cls="input--w20", input_type="tel"),
    )


class NewPasswordForm(SmsCodeForm):
    password = new_password_field(
        gettext_lazy("New password"), required=gettext_lazy("Choose a new password.")
    )
    password_again = password_again_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        passwords_match(self, data)
        return data


def _crumbs() -> list[Link]:
    return [Link(_("Home"), reverse("web:home")), Link(_("Log in"), reverse("identity_web:login"))]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def recover(request: IdentityRequest) -> HttpResponse:
    """Step 1. The same next page whether or not the answers matched an e-ID."""
    posted = request.method == "POST"
    form = RecoverForm(request.POST if posted else None)
    recovery, status = (None, 200)
    if posted:
        recovery, status = submit(
            form,
            lambda data: recovery_start(
                id_number=data["id_number"],
                date_of_birth=data["date_of_birth"],
                phone=data["phone"],
                source_ip=request_source_ip(request),
            ),
        )
        if recovery is not None:
            request.session[RECOVERY_KEY] = str(recovery.id)
            typed = inputs.mobile_phone(Errors(), form.cleaned_data["phone"])
            request.session[PHONE_KEY] = mask(typed)  # as typed: says nothing of a match
            return HttpResponseRedirect(reverse("identity_web:recover_code"))
    return render(
        request,
        "identity/login/recover.html",
        {"form": form, "breadcrumbs": _crumbs(), "cooling_hours": _cooling_hours()},
        status=status,
    )


def _cooling_hours() -> int:
    return int(POLICY.cooling_off.total_seconds() // 3600)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def recover_code(request: IdentityRequest) -> HttpResponse:
    """Step 2: the code and the new password; on success, the login page."""
    recovery_id = request.session.get(RECOVERY_KEY)
    if not recovery_id:
        return HttpResponseRedirect(reverse("identity_web:recover"))
    posted = request.method == "POST"
    form = NewPasswordForm(request.POST if posted else None)
    status = 200
    if posted:
        account, status = submit(
            form,
            lambda data: recovery_complete(
                recovery_id=recovery_id,
                code=data["code"],
                password=data["password"],
                source_ip=request_source_ip(request),
            ),
        )
        if account is not None:
            request.session.pop(RECOVERY_KEY, None)
            request.session.pop(PHONE_KEY, None)
            messages.success(
                request,
                _(
                    "Your password is changed and every session of your account has ended. "
                    "Log in with the new password."
                ),
            )
            return HttpResponseRedirect(reverse("identity_web:login"))
    return render(
        request,
        "identity/login/recover_code.html",
        {
            "form": form,
            "phone": request.session.get(PHONE_KEY, ""),
            "breadcrumbs": _crumbs(),
            "cooling_hours": _cooling_hours(),
        },
        status=status,
    )
