"""An admin change's audit entry says what changed: the fields, and the new value of a
yes/no field — so granting superuser status is visible as such. Never another value.

The change message is built exactly as Django's admin builds it (``construct_change_
message`` over a real model form, in the operator's language) and logged through
``LogEntry.objects.log_actions``, the admin's own call; the receiver turns it into the
entry in the same transaction.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import construct_change_message
from django.contrib.auth import get_user_model
from django.db import transaction
from django.forms import modelform_factory
from django.utils import translation

from nentang.audit.models import AuditEntry
from nentang.audit.tests.security_support import make_user, seed

pytestmark = pytest.mark.django_db

User = get_user_model()


def admin_changes(admin: Any, target: Any, fields: list[str], data: dict[str, Any]) -> None:
    form = modelform_factory(User, fields=fields)(instance=target, data=data)
    assert form.is_valid(), form.errors
    form.save()
    message = construct_change_message(form, [], add=False)  # type: ignore[arg-type]
    with transaction.atomic():
        LogEntry.objects.log_actions(
            user_id=admin.pk,
            queryset=[target],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_granting_superuser_status_is_recorded_as_such(language: str) -> None:
    seed()
    cuong = make_user("quantri.cuong", superuser=True)
    duc = make_user("duc.pham")
    with translation.override(language):
        admin_changes(
            cuong,
            duc,
            ["username", "is_superuser", "is_staff"],
            {"username": "duc.pham", "is_superuser": "on", "is_staff": "on"},
        )
    entry = AuditEntry.objects.get(action=f"admin.{User._meta.label_lower}.change")
    assert entry.subject == str(duc.pk)
    assert entry.summary == {
        "via": "django-admin",
        "fields": ["is_superuser"],
        "set": {"is_superuser": True},
    }


def test_text_fields_are_named_but_their_values_never_logged() -> None:
    seed()
    cuong = make_user("quantri.cuong", superuser=True)
    duc = make_user("duc.pham")
    admin_changes(
        cuong,
        duc,
        ["username", "is_active"],
        {"username": "duc.pham.2026"},  # a new name, and the account switched off
    )
    entry = AuditEntry.objects.get(action=f"admin.{User._meta.label_lower}.change")
    assert entry.summary == {
        "via": "django-admin",
        "fields": ["username", "is_active"],
        "set": {"is_active": False},
    }
    assert "duc.pham.2026" not in str(entry.summary)
