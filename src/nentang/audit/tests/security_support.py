"""Test support for security monitoring: the cast, a clock, and shortcuts.

The cast: Trần Thị Bình, security operator ("soc.binh"); Lê Văn Cường, an administrator
of the platform ("quantri.cuong"); Nguyễn Văn An, a citizen ("an.nguyen", no staff
rights); Phạm Minh Đức, staff without the audit permissions ("duc.pham"). The attacker
uses 203.0.113.7 and a colleague 198.51.100.20 (documentation ranges, RFC 5737).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from nentang.audit.services.security import SOC_PERMISSIONS, security_defaults_install
from nentang.kernel import workdays

User = get_user_model()

ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"
OPERATOR_PASSWORD = "mật-khẩu-soc-2026"
ADMIN_PASSWORD = "quản-trị-đúng-2026"


class Clock:
    """Stands in for ``django.utils.timezone.now`` so windows can be walked through."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def freeze(monkeypatch: pytest.MonkeyPatch, start: datetime) -> Clock:
    clock = Clock(start.astimezone(UTC))
    monkeypatch.setattr("django.utils.timezone.now", clock)
    return clock


def vn(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Vietnam time (UTC+7, no daylight saving)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def seed() -> None:
    """The system, retention policies and rules of migration 0004 (a flush by an earlier
    transactional test empties them)."""
    security_defaults_install()
    workdays.forget_cached_calendar()


def make_user(
    username: str,
    *,
    staff: bool = True,
    permissions: Iterable[str] = (),
    password: str = OPERATOR_PASSWORD,
    superuser: bool = False,
) -> Any:
    user = User.objects.create_user(
        username=username, password=password, is_staff=staff, is_superuser=superuser
    )
    wanted = [permission.split(".", 1) for permission in permissions]
    if wanted:
        user.user_permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in wanted
            ]
        )
    # Permissions are cached on the instance: read them again, as a new request would.
    return User.objects.get(pk=user.pk)


def soc_operator(**kwargs: Any) -> Any:
    return make_user("soc.binh", permissions=SOC_PERMISSIONS, **kwargs)
