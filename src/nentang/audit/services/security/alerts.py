"""Moving alerts through their states: open → acknowledged → resolved.

An operator acknowledges an alert to say someone is on it, and resolves it when it is
handled (an alert may be resolved straight from open, e.g. a known false positive).
A resolved alert stays resolved: if the activity goes on, the rule opens a new one.
Every step needs a reason, is kept as an ``AlertTransition`` (who, when, why) and is
recorded in the audit log in the same transaction (OWASP ASVS 5.0 V16: security
events and their handling are logged).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.audit.models import Alert, AlertTransition
from nentang.audit.problems import ALERT_NOT_FOUND, ALERT_TRANSITION_NOT_ALLOWED
from nentang.audit.services.entries import record
from nentang.audit.services.security.access import (
    CHANGE_ALERTS,
    Operator,
    may,
    operator_actor,
    require,
)
from nentang.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed

MAX_REASON_LENGTH = 2000

# The states each state may move to.
ALLOWED: dict[str, tuple[str, ...]] = {
    Alert.State.OPEN: (Alert.State.ACKNOWLEDGED, Alert.State.RESOLVED),
    Alert.State.ACKNOWLEDGED: (Alert.State.RESOLVED,),
    Alert.State.RESOLVED: (),
}


def _clean_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationFailed(
            _("Give a reason: it is kept with the alert and in the audit log."),
            errors=[FieldError("reason", _("Enter the reason for this step."), "required")],
        )
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            _("The reason is too long."),
            errors=[
                FieldError(
                    "reason",
                    _("Keep the reason under %(limit)s characters.") % {"limit": MAX_REASON_LENGTH},
                    "max_length",
                )
            ],
        )
    return text


def _move(*, alert_id: UUID | str, by: Operator, reason: str, to: str) -> Alert:
    require(by, CHANGE_ALERTS)
    text = _clean_reason(reason)
    pk = _alert_pk(alert_id)
    with transaction.atomic():
        # Lock the row: two operators clicking at once make one transition, not two.
        alert = Alert.objects.select_for_update().filter(pk=pk).first()
        if alert is None:
            raise NotFound(_("There is no alert with this id."), code=ALERT_NOT_FOUND)
        if to not in ALLOWED[alert.state]:
            raise Conflict(
                _("This alert is %(state)s: it cannot be %(target)s.")
                % {"state": _state_word(alert.state), "target": _state_word(to)},
                code=ALERT_TRANSITION_NOT_ALLOWED,
                extra={"state": alert.state},
            )
        previous = alert.state
        now = timezone.now()
        alert.state = to
        alert.save(update_fields=["state"])
        AlertTransition.objects.create(
            alert=alert, from_state=previous, to_state=to, by=by.get_username(), reason=text, at=now
        )
        record(
            actor=operator_actor(by),
            action=f"audit.alert.{'acknowledge' if to == Alert.State.ACKNOWLEDGED else 'resolve'}",
            subject_type="audit.alert",
            subject=str(alert.pk),
            summary={"from": previous, "to": to},
        )
    return alert


def _state_word(state: str) -> str:
    words: dict[str, str] = {
        Alert.State.OPEN: _("open"),
        Alert.State.ACKNOWLEDGED: _("acknowledged"),
        Alert.State.RESOLVED: _("resolved"),
    }
    return str(words.get(state, state))


def alert_acknowledge(*, alert_id: UUID | str, by: Operator, reason: str) -> Alert:
    """Mark an open alert as being handled by ``by`` (needs ``audit.change_alert``)."""
    return _move(alert_id=alert_id, by=by, reason=reason, to=Alert.State.ACKNOWLEDGED)


def alert_assign(*, alert_id: UUID | str, by: Operator, assignee: str, reason: str = "") -> Alert:
    """Give an active alert to an operator (``assignee``, a login; empty: nobody). The
    assignee must be an active operator who may change alerts; needs ``audit.change_alert``."""
    require(by, CHANGE_ALERTS)
    login = (assignee or "").strip()
    if login:
        user = (
            get_user_model()
            ._default_manager.filter(**{get_user_model().USERNAME_FIELD: login})
            .first()
        )
        if user is None or not may(user, CHANGE_ALERTS):
            raise ValidationFailed(
                _("This alert can only be given to a security operator."),
                errors=[
                    FieldError(
                        "assignee",
                        _("Choose an operator who may handle alerts."),
                        "invalid_choice",
                    )
                ],
            )
    text = reason.strip()[:MAX_REASON_LENGTH]
    pk = _alert_pk(alert_id)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=pk).first()
        if alert is None:
            raise NotFound(_("There is no alert with this id."), code=ALERT_NOT_FOUND)
        if alert.state not in Alert.ACTIVE_STATES:
            raise Conflict(
                _("This alert is resolved: it cannot be assigned."),
                code=ALERT_TRANSITION_NOT_ALLOWED,
                extra={"state": alert.state},
            )
        if alert.assigned_to == login:
            return alert
        previous = alert.assigned_to
        alert.assigned_to = login
        alert.save(update_fields=["assigned_to"])
        AlertTransition.objects.create(
            alert=alert,
            from_state=alert.state,
            to_state=alert.state,
            assigned_to=login,
            by=by.get_username(),
            reason=text,
            at=timezone.now(),
        )
        record(
            actor=operator_actor(by),
            action="audit.alert.assign",
            subject_type="audit.alert",
            subject=str(alert.pk),
            summary={"from": previous, "to": login},
        )
    return alert


def _alert_pk(alert_id: UUID | str) -> UUID:
    try:
        return alert_id if isinstance(alert_id, UUID) else UUID(str(alert_id))
    except ValueError:
        raise NotFound(_("There is no alert with this id."), code=ALERT_NOT_FOUND) from None


def alert_resolve(*, alert_id: UUID | str, by: Operator, reason: str) -> Alert:
    """Close an open or acknowledged alert (needs ``audit.change_alert``)."""
    return _move(alert_id=alert_id, by=by, reason=reason, to=Alert.State.RESOLVED)
