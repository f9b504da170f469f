"""Security events and audit entries from Django's admin.

This is an integration with Django's admin, not domain flow: admin changes are seen as
the ``LogEntry`` rows the admin writes for each addition, change and deletion. Each
becomes an audit entry (in the admin's transaction) and a security event
(``admin.action``) that the detection rules then see, like any other.

Logins are reported by the identity context itself (``identity.services.login``:
``auth.failure``, ``auth.lockout``, ``auth.success``), for every login page including
the admin's, so Django's login signals are not listened to here: the events would be
doubled.

A failure to record the security event is logged and never blocks an admin change:
monitoring must not become a way to lock everybody out.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save

from nentang.audit.services.entries import record
from nentang.audit.services.security import security_event_record
from nentang.kernel.auditing import Actor

logger = logging.getLogger("nentang.audit")

_ADMIN_ACTIONS = {ADDITION: "addition", CHANGE: "change", DELETION: "deletion"}


def _record(**kwargs: Any) -> None:
    try:
        security_event_record(**kwargs)
    except Exception:
        logger.exception("could not record security event %s", kwargs.get("kind"))


def on_admin_log_entry(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """An admin change is a state change like any other: it gets its audit entry in the
    admin's own transaction (so a failure to record fails the change), and a security
    event for the detections."""
    if not created:
        return
    content_type = cast(ContentType | None, instance.content_type)
    model = f"{content_type.app_label}.{content_type.model}" if content_type else "-"
    user = cast(AbstractBaseUser, instance.user)
    if content_type is not None:
        record(
            actor=Actor.officer(user.get_username()),
            action=f"admin.{model}.{_ADMIN_ACTIONS.get(instance.action_flag, 'other')}",
            subject_type=model,
            subject=str(instance.object_id or "-")[:128],
            summary={"via": "django-admin"},
        )
    _record(
        kind="admin.action",
        outcome="success",
        actor=Actor.officer(user.get_username()),
        subject=f"{model}:{instance.object_id or '-'}"[:128],
        # The object's name (object_repr) may be a person's: it stays in the admin log.
        detail={"action": _ADMIN_ACTIONS.get(instance.action_flag, "other"), "model": model},
    )


def connect() -> None:
    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="nentang.audit.admin")
