"""Security events from Django's own authentication and admin.

This is an integration with Django's auth, not domain flow: until the identity context
lands, Django's admin login is the only login of the platform, and Django reports it
only through its signals (``user_login_failed``, ``user_logged_in``). Admin changes are
seen as the ``LogEntry`` rows the admin writes for each addition, change and deletion.
Each becomes a security event (``auth.failure``, ``auth.success``, ``admin.action``)
that the detection rules then see, like any other.

Accounts are never stored by name: the login tried and the account that logged in are
both reduced to the same keyed pseudonym, so failures and a later success on one account
can be correlated without keeping the login. The source address is ``REMOTE_ADDR``:
behind a reverse proxy, configure it to set that address (we do not trust
``X-Forwarded-For`` from clients).

A failure to record is logged and never blocks a login or an admin change: monitoring
must not become a way to lock everybody out.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save
from django.http import HttpRequest

from nentang.audit.services.entries import pseudonym, record
from nentang.audit.services.security import security_event_record
from nentang.kernel.auditing import Actor

logger = logging.getLogger("nentang.audit")

_ADMIN_ACTIONS = {ADDITION: "addition", CHANGE: "change", DELETION: "deletion"}


def _source_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def _channel(request: HttpRequest | None) -> str:
    if request is None:
        return "programmatic"
    return "admin" if request.path.startswith("/admin/") else "web"


def _record(**kwargs: Any) -> None:
    try:
        security_event_record(**kwargs)
    except Exception:
        logger.exception("could not record security event %s", kwargs.get("kind"))


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    login = str(credentials.get("username") or "")
    _record(
        kind="auth.failure",
        outcome="failure",
        severity="low",
        source_ip=_source_ip(request),
        actor=Actor.anonymous(),
        subject=pseudonym(login) if login else "",
        detail={"channel": _channel(request)},
    )


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    login = user.get_username()
    actor = Actor.officer(login) if getattr(user, "is_staff", False) else Actor.person(login)
    _record(
        kind="auth.success",
        outcome="success",
        source_ip=_source_ip(request),
        actor=actor,
        subject=pseudonym(login),
        detail={"channel": _channel(request)},
    )


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
    user_login_failed.connect(on_login_failed, dispatch_uid="nentang.audit.login_failed")
    user_logged_in.connect(on_logged_in, dispatch_uid="nentang.audit.logged_in")
    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="nentang.audit.admin")
