"""Changing the phone or e-mail of one's e-ID (``services.contacts``): the new contact
and the current password, then the code sent to the new contact. Both pages are
security pages (the second factor in this session when the account has one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.identity.auth import request_source_ip
from nentang.identity.models import Person
from nentang.identity.selectors import person_for_account
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors
from nentang.identity.services.contacts import (
    POLICY,
    contact_change_confirm,
    contact_change_pending,
    contact_change_start,
    masked,
)
from nentang.identity.views.access import IdentityRequest, account_of, security_page
from nentang.identity.views.account import account_nav, crumbs
from nentang.identity.views.forms import add_field_errors, submit, text_input
from nentang.identity.views.presenters import phone_display
from nentang.web.forms import Form

PENDING_KEY = "identity.contact_change"

_PASSWORD = forms.CharField(
    label=gettext_lazy("Your current password"),
    help_text=gettext_lazy("To be sure it is you who asks."),
    max_length=1024,
    strip=False,
    error_messages={"required": gettext_lazy("Enter the password of your e-ID.")},
    widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
)


class PhoneChangeForm(Form):
    phone = forms.CharField(
        label=gettext_lazy("New mobile phone number"),
        help_text=gettext_lazy("For example 0912 345 678. We send a code to this number."),
        max_length=30,
        error_messages={"required": gettext_lazy("Enter a mobile phone number.")},
        widget=text_input(("autocomplete", "tel"), cls="input--w20", input_type="tel"),
    )
    password = _PASSWORD

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("phone"):  # its format in the same pass as a missing password
            _format_errors(self, lambda errors: inputs.mobile_phone(errors, data["phone"]))
        return data


class EmailChangeForm(Form):
    email = forms.CharField(
        label=gettext_lazy("New e-mail address"),
        help_text=gettext_lazy("We send a code to this address."),
        max_length=254,
        error_messages={"required": gettext_lazy("Enter the new e-mail address.")},
        widget=text_input(("autocomplete", "email"), ("spellcheck", "false"), input_type="email"),
    )
    password = _PASSWORD

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("email"):
            _format_errors(self, lambda errors: inputs.email_address(errors, data["email"]))
        return data


def _format_errors(form: Form, check: Callable[[Errors], object]) -> None:
    errors = Errors()
    check(errors)
    add_field_errors(form, errors.items)


class ContactCodeForm(Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code"),
        help_text=gettext_lazy("It is valid for 10 minutes."),
        max_length=12,
        error_messages={"required": gettext_lazy("Enter the 6-digit code.")},
        widget=text_input(
            ("inputmode", "numeric"),
            ("autocomplete", "one-time-code"),
            ("pattern", "[0-9 ]*"),
            cls="input--w10",
        ),
    )


def _person_or_404(request: IdentityRequest) -> Person:
    person = person_for_account(account=account_of(request))
    if person is None:
        raise Http404  # staff accounts keep their contacts with their agency
    return person


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@security_page
def change(request: IdentityRequest, kind: str) -> HttpResponse:
    """The new phone (``kind`` "phone") or e-mail, and the current password."""
    person = _person_or_404(request)
    form_class = PhoneChangeForm if kind == "phone" else EmailChangeForm
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None)
    status = 200
    if posted:
        started, status = submit(
            form,
            lambda data: contact_change_start(
                actor=account_of(request),
                kind=kind,
                value=data[kind],
                password=data["password"],
                source_ip=request_source_ip(request),
            ),
        )
        if started is not None:
            request.session[PENDING_KEY] = str(started.id)
            return HttpResponseRedirect(reverse("identity_web:contact_confirm"))
    current = phone_display(person.phone) if kind == "phone" else person.email
    return render(
        request,
        "identity/account/contact_change.html",
        {
            "account_nav": account_nav("overview", person=True),
            "breadcrumbs": crumbs(deeper=True),
            "kind": kind,
            "current": current,
            "form": form,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@security_page
def confirm(request: IdentityRequest) -> HttpResponse:
    """The code sent to the new contact. Only this session's own request counts."""
    _person_or_404(request)
    account = account_of(request)
    change_id = str(request.session.get(PENDING_KEY) or "")
    pending = contact_change_pending(actor=account, change_id=change_id) if change_id else None
    posted = request.method == "POST"
    form = ContactCodeForm(request.POST if posted else None)
    status = 200
    if posted and change_id:
        done, status = submit(
            form,
            lambda data: contact_change_confirm(
                actor=account,
                change_id=change_id,
                code=data["code"],
                source_ip=request_source_ip(request),
            ),
        )
        if done is not None:
            request.session.pop(PENDING_KEY, None)
            text = (
                _("The phone of your e-ID is now %(new)s.")
                if done.kind == "phone"
                else _("The e-mail of your e-ID is now %(new)s.")
            )
            new = phone_display(done.value) if done.kind == "phone" else done.value
            messages.success(request, text % {"new": new})
            return HttpResponseRedirect(reverse("identity_web:account"))
        pending = contact_change_pending(actor=account, change_id=change_id)
    elif posted:
        status = 409
    return render(
        request,
        "identity/account/contact_confirm.html",
        {
            "account_nav": account_nav("overview", person=True),
            "breadcrumbs": crumbs(deeper=True),
            "pending": pending,
            "to": masked(pending.kind, pending.value) if pending else "",
            "form": form,
            "minutes": int(POLICY.code_lifetime.total_seconds() // 60),
        },
        status=status,
    )
