"""System checks run by ``nentang check`` and by every Django management command."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from nentang.kernel.health import database_reachable, unapplied_migrations


@register("nentang")
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    key = getattr(settings, "SECRET_KEY", "")
    if not key or len(key) < 32:
        return [
            Error(
                "The secret key is missing or shorter than 32 characters.",
                hint="Set NENTANG_SECRET_KEY or let nentang generate one in NENTANG_HOME.",
                id="nentang.E003",
            )
        ]
    return []


def readiness_problems(alias: str = "default") -> list[str]:
    """Why this installation cannot serve yet, as sentences (empty when ready).

    Not a Django system check: Django runs database checks before ``migrate`` itself,
    which would then refuse to apply the very migrations this reports.
    """
    reachable, detail = database_reachable(alias)
    if not reachable:
        return [
            f"nentang.E001 database {alias!r} is not reachable: {detail} "
            "(check NENTANG_DATABASE_URL and that the server is running)"
        ]
    pending = unapplied_migrations(alias)
    if pending:
        return [
            f"nentang.E002 database {alias!r} has {len(pending)} unapplied migrations "
            f"(first: {pending[0]}); run `nentang migrate`"
        ]
    return []
