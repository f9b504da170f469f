"""What the open-data services share: who acts, who may publish, field errors."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, Forbidden, ValidationFailed
from nentang.opendata.models import Organisation, Publisher
from nentang.opendata.problems import PUBLISHER_REQUIRED

SLUG = re.compile(r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$")


def actor_of(account: Any) -> Actor:
    """Publishers are staff accounts: the audit log keys them by login."""
    if account is None:
        return Actor.anonymous()
    return Actor.officer(account.get_username())


class Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.items.append(FieldError(field, message, code))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(_("Some fields are invalid."), errors=self.items)


def has_nul(value: Any, depth: int = 0) -> bool:
    """A NUL character anywhere in a string, a key or a nested value. PostgreSQL cannot
    store one in text, and no legitimate field holds one."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 50:
        return False
    if isinstance(value, dict):
        return any(has_nul(k, depth + 1) or has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v, depth + 1) for v in value)
    return False


def refuse_nul(data: Any) -> None:
    """Refuse input holding a NUL character, naming the fields that do."""
    if not has_nul(data):
        return
    items = data.items() if isinstance(data, dict) else [("data", data)]
    errors = Errors()
    for key, value in items:
        if has_nul(key) or has_nul(value):
            errors.add(str(key).replace("\x00", ""), _("Must not contain a NUL character."), "nul")
    errors.raise_if_any()


def is_publisher(account: Any, organisation: Organisation, *, admin: bool = False) -> bool:
    """An active publisher (an admin when ``admin``) of ``organisation``, or a superuser."""
    if account is None or not getattr(account, "is_authenticated", False):
        return False
    if not account.is_active:
        return False
    if account.is_superuser:
        return True
    roles = [Publisher.Role.ADMIN] if admin else [Publisher.Role.ADMIN, Publisher.Role.EDITOR]
    return Publisher.objects.filter(
        account=account, organisation=organisation, is_active=True, role__in=roles
    ).exists()


def require_publisher(
    account: Any, organisation: Organisation, *, what: str, admin: bool = False
) -> None:
    if is_publisher(account, organisation, admin=admin):
        return
    auditing.security_event(
        kind="authz.denied",
        outcome="denied",
        severity="low",
        actor=actor_of(account) if account is not None and account.is_authenticated else None,
        subject=what[:128],
        detail={"organisation": organisation.name},
    )
    raise Forbidden(
        _("Only the publishers of %(org)s may do this.") % {"org": organisation.title},
        code=PUBLISHER_REQUIRED,
    )


def can_publish(*, account: Any, organisation: Organisation) -> bool:
    """May ``account`` edit the datasets of ``organisation`` (pages show the buttons)."""
    return is_publisher(account, organisation)
