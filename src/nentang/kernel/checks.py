"""System checks run by ``nentang check`` (and Django's ``check --database default``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

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


@register(Tags.database)
def check_database(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if not databases:
        return []
    errors: list[CheckMessage] = []
    for alias in databases:
        reachable, detail = database_reachable(alias)
        if not reachable:
            errors.append(
                Error(
                    f"Database {alias!r} is not reachable: {detail}",
                    hint="Check NENTANG_DATABASE_URL and that the server is running.",
                    id="nentang.E001",
                )
            )
            continue
        pending = unapplied_migrations(alias)
        if pending:
            errors.append(
                Error(
                    f"Database {alias!r} has {len(pending)} unapplied migrations "
                    f"(first: {pending[0]}).",
                    hint="Run `nentang migrate`.",
                    id="nentang.E002",
                )
            )
    return errors
