"""Responding to an alert (issue 9): block its source address for a time, or lock the
account it is about — and undo either. Identity's services decide and record; these
views only parse, confirm and show. An alert grouped by source address offers the
block; one grouped by actor offers the lock."""

from __future__ import annotations

import ipaddress
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nentang.audit import selectors
from nentang.audit.models import Alert
from nentang.audit.services.security.access import CHANGE_ALERTS, Operator, may
from nentang.audit.views.access import SocRequest, operator, soc_page
from nentang.audit.views.forms import add_field_errors
from nentang.identity import services as identity
from nentang.kernel.errors import ProblemError
from nentang.web.forms import Form

RESPOND = "identity.respond_to_alerts"


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("Why: it is kept in the audit log."),
        max_length=2000,
        error_messages={"required": gettext_lazy("Enter the reason for this response.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _confirm_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=gettext_lazy("I confirm this response"),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


class BlockForm(Form):
    hours = forms.TypedChoiceField(
        label=gettext_lazy("For"),
        coerce=int,
        choices=[
            (1, gettext_lazy("1 hour")),
            (24, gettext_lazy("24 hours")),
            (168, gettext_lazy("7 days")),
        ],
        error_messages={"invalid_choice": gettext_lazy("Choose 1 hour, 24 hours or 7 days.")},
    )
    reason = _reason_field()
    confirm = _confirm_field()


class LockForm(Form):
    reason = _reason_field()
    confirm = _confirm_field()


class LiftForm(Form):
    reason = _reason_field()


def _address(alert: Alert) -> str | None:
    try:
        return str(ipaddress.ip_address(alert.key))
    except ValueError:
        return None


def response_context(user: Operator, alert: Alert, bound: dict[str, Any]) -> dict[str, Any]:
    """What the alert page shows about responses: the forms an operator may use."""
    if not (may(user, CHANGE_ALERTS) and user.has_perm(RESPOND)):
        return {"can_respond": False}
    address = _address(alert)
    account = None if address else identity.account_for_actor(alert.key)
    blocks = identity.address_blocks_active(address=address) if address else []
    return {
        "can_respond": bool(address or account),
        "block_address": address,
        "blocks": [
            {"id": block.id, "until": timezone.localtime(block.until), "by": block.blocked_by}
            for block in blocks
        ],
        "lock_account": account,
        "block_form": bound.get("block") or BlockForm(prefix="block"),
        "lock_form": bound.get("lock") or LockForm(prefix="lock"),
        "lift_form": bound.get("lift") or LiftForm(prefix="lift"),
    }


def _respond(
    request: SocRequest, alert_id: UUID, step: str, form: Form, act: Any, done: str
) -> HttpResponse:
    user = operator(request)
    alert = selectors.alert_detail(viewer=user, alert_id=alert_id).alert  # 404 / 403 first
    if form.is_valid():
        try:
            act(alert, form.cleaned_data)
        except ProblemError as problem:
            if problem.status in (403, 404):
                raise
            add_field_errors(form, problem.errors)
            if not problem.errors:
                form.add_error(None, str(problem.detail or problem.code))
        else:
            messages.success(request, done)
            return redirect(reverse("soc:alert", args=[alert_id]) + "#alert-response")
    from nentang.audit.views.soc import alert_page_context

    context = alert_page_context(request, alert_id, {step: form})
    return render(request, "audit/soc/alert.html", context, status=400)


@require_POST
@soc_page(CHANGE_ALERTS)
def alert_block(request: SocRequest, alert_id: UUID) -> HttpResponse:
    def act(alert: Alert, data: dict[str, Any]) -> None:
        identity.address_block(
            by=request.user,  # type: ignore[arg-type]
            address=alert.key,
            hours=data["hours"],
            reason=data["reason"],
            alert=str(alert.pk),
        )

    form = BlockForm(request.POST, prefix="block")
    return _respond(request, alert_id, "block", form, act, _("The address is blocked."))


@require_POST
@soc_page(CHANGE_ALERTS)
def alert_unblock(request: SocRequest, alert_id: UUID, block_id: UUID) -> HttpResponse:
    def act(alert: Alert, data: dict[str, Any]) -> None:
        identity.address_unblock(
            by=request.user,  # type: ignore[arg-type]
            block_id=block_id,
            reason=data["reason"],
        )

    form = LiftForm(request.POST, prefix="lift")
    return _respond(request, alert_id, "lift", form, act, _("The block is lifted."))


@require_POST
@soc_page(CHANGE_ALERTS)
def alert_lock(request: SocRequest, alert_id: UUID) -> HttpResponse:
    def act(alert: Alert, data: dict[str, Any]) -> None:
        identity.account_lock_for_alert(
            by=request.user,  # type: ignore[arg-type]
            actor_ref=alert.key,
            reason=data["reason"],
            alert=str(alert.pk),
        )

    form = LockForm(request.POST, prefix="lock")
    return _respond(request, alert_id, "lock", form, act, _("The account is locked."))


@require_POST
@soc_page(CHANGE_ALERTS)
def alert_unlock(request: SocRequest, alert_id: UUID) -> HttpResponse:
    def act(alert: Alert, data: dict[str, Any]) -> None:
        identity.account_unlock_for_alert(
            by=request.user,  # type: ignore[arg-type]
            actor_ref=alert.key,
            reason=data["reason"],
        )

    form = LiftForm(request.POST, prefix="lift")
    return _respond(request, alert_id, "lift", form, act, _("The account is unlocked."))
