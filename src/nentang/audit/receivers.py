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

import json
import logging
from typing import Any, cast

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import post_save
from django.utils import translation

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


def _changed_labels(change_message: str) -> tuple[list[str], list[str]]:
    """(field labels changed on the object, names of inline objects added, changed or
    deleted) from the admin's JSON change message; never the objects' texts, which may
    name a person."""
    try:
        items = json.loads(change_message or "[]")
    except ValueError:
        return [], []
    fields: list[str] = []
    related: list[str] = []
    for item in items if isinstance(items, list) else []:
        for verb, data in item.items() if isinstance(item, dict) else []:
            if not isinstance(data, dict):
                continue
            if "name" in data:  # an inline object: its model, not its text
                related.append(f"{verb}:{data['name']}")
            elif verb == "changed":
                fields.extend(str(label) for label in data.get("fields", []))
    return fields, related


def _field_changes(instance: LogEntry, model: type[models.Model] | None) -> dict[str, Any]:
    """What an admin change touched: the field names (the admin logs their labels,
    untranslated, which the model's fields translate back), and the new value of
    each yes/no field among them — so granting superuser or staff status reads as such.
    Never a value of any other kind: text may be personal data, and a secret is never
    logged."""
    labels, related = _changed_labels(instance.change_message)
    by_label: dict[str, models.Field[Any, Any]] = {}
    if model is not None:
        with translation.override(None):  # the admin logs labels untranslated
            for field in model._meta.get_fields():
                if isinstance(field, models.Field):
                    by_label[str(field.verbose_name).casefold()] = field
                    by_label[field.name.casefold()] = field
    names = [by_label[label.casefold()].name if label.casefold() in by_label else label
             for label in labels]  # fmt: skip
    facts: dict[str, Any] = {}
    if names:
        facts["fields"] = names
    if related:
        facts["related"] = related
    flags = [n for n in names if isinstance(by_label.get(n.casefold()), models.BooleanField)]
    if flags and model is not None and instance.object_id:
        current = model._default_manager.filter(pk=instance.object_id).values(*flags).first()
        if current:
            facts["set"] = {name: bool(current[name]) for name in flags}
    return facts


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
        changes = {}
        if instance.action_flag == CHANGE:
            changes = _field_changes(instance, content_type.model_class())
        record(
            actor=Actor.officer(user.get_username()),
            action=f"admin.{model}.{_ADMIN_ACTIONS.get(instance.action_flag, 'other')}",
            subject_type=model,
            subject=str(instance.object_id or "-")[:128],
            summary={"via": "django-admin", **changes},
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
