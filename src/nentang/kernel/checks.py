"""System checks run by ``nentang check`` and by every Django management command;
the deployment ones by ``nentang check --deploy``, which fails on any warning."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.test.utils import override_settings
from django.utils.module_loading import import_string

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


@register(Tags.security, deploy=True)
def check_https_base_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A deployment is reached over https: sessions, the OpenID issuer and HSTS need it."""
    if urlsplit(settings.BASE_URL).scheme == "https":
        return []
    return [
        Error(
            f"NENTANG_BASE_URL is {settings.BASE_URL}: a deployment must be served over "
            "https (session cookies, the OpenID Connect issuer, HSTS and the http→https "
            "redirect all follow from it).",
            hint="Set NENTANG_BASE_URL=https://<public host> and terminate TLS in front "
            "of nentang (the proxy sends X-Forwarded-Proto: https).",
            id="nentang.E010",
        )
    ]


# Django's security checks are silenced for W001–W003 in settings (SILENCED_SYSTEM_CHECKS):
# they look for Django's middleware by its dotted name, and ours are subclasses of it under
# other names (kernel.async_middleware: the same behaviour without thread hops). Worse,
# every check that depends on that middleware (HSTS, the https redirect, secure cookies)
# is skipped when the name is absent. This check runs Django's security checks with each
# of our middleware named as the Django class it extends, so they all apply; should one
# of ours stop extending Django's, its warning comes back as nentang.W00x.
_RENAMED = {"security.W001": "nentang.W001", "security.W002": "nentang.W002",
            "security.W003": "nentang.W003"}  # fmt: skip


def django_names(middleware: list[str]) -> list[str]:
    """``middleware`` with each class that extends one of Django's named as Django's."""
    named = []
    for path in middleware:
        try:
            cls = import_string(path)
        except ImportError:
            named.append(path)
            continue
        base = next(
            (
                klass
                for klass in cls.__mro__
                if klass.__module__.startswith("django.")
                and klass.__name__.endswith("Middleware")
                and klass.__name__ != "MiddlewareMixin"
            ),
            None,
        )
        named.append(f"{base.__module__}.{base.__qualname__}" if base else path)
    return named


@register(Tags.security, deploy=True)
def check_security_of_wrapped_middleware(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    from django.core.checks.registry import registry

    django_checks = [
        check
        for check in registry.get_checks(include_deployment_checks=True)
        if getattr(check, "__module__", "").startswith("django.core.checks.security")
    ]
    messages: list[CheckMessage] = []
    with override_settings(MIDDLEWARE=django_names(list(settings.MIDDLEWARE))):
        for check in django_checks:
            for message in check(app_configs=app_configs):
                if message.id in _RENAMED:
                    message = Warning(message.msg, hint=message.hint, id=_RENAMED[message.id])
                messages.append(message)
    return messages
