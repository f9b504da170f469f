"""The authentication backend of every login of the platform, Django's admin included.

It hands the login to ``services.login_authenticate`` (throttling, lockout, security
events) and keeps ``ModelBackend``'s permissions. A wrong login or password returns
None, so Django shows its usual message; a refusal that the person must understand
— too many attempts, an e-ID lock, a disabled account — is raised as
:class:`LoginRefused`, a ``ValidationError`` that login forms show as they are, and
that carries the problem (status, code, ``Retry-After``) for JSON endpoints.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from nentang.identity.models import Account
from nentang.identity.problems import INVALID_CREDENTIALS
from nentang.identity.services.login import login_authenticate
from nentang.kernel.errors import ProblemError
from nentang.kernel.security import client_address


class LoginRefused(ValidationError):
    """A login refused for a reason the person must be told (see the module docstring)."""

    def __init__(self, problem: ProblemError) -> None:
        super().__init__(str(problem.detail or problem.code), code=problem.code)
        self.problem = problem


def request_source_ip(request: HttpRequest | None) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind one of ``NENTANG_TRUSTED_PROXIES``
    the address their X-Forwarded-For names (``kernel.security.client_address``)."""
    return client_address(request)


def request_channel(request: HttpRequest | None) -> str:
    if request is None:
        return "programmatic"
    path = getattr(request, "path", "") or ""
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    return "web"


class AccountBackend(ModelBackend):
    """Login by username: personal ID number, tax code or staff login."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Account | None:
        if username is None:
            username = kwargs.get(Account.USERNAME_FIELD)
        if not username or password is None:
            return None
        try:
            return login_authenticate(
                login=username,
                password=password,
                source_ip=request_source_ip(request),
                channel=request_channel(request),
            )
        except ProblemError as problem:
            if problem.code == INVALID_CREDENTIALS:
                return None
            raise LoginRefused(problem) from None

    def user_can_authenticate(self, user: Any) -> bool:
        """Sessions of a disabled or e-ID-locked account stop working at once."""
        return super().user_can_authenticate(user) and not getattr(user, "is_locked", False)
