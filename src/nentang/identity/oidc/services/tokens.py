"""Revoking a person's tokens (consent withdrawn, sessions ended, logout)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from nentang.identity.models import Account


def tokens_revoke(*, account: Account, application: Application | None = None) -> int:
    """Revoke the account's refresh tokens and delete its access tokens, ID tokens and
    unused authorization codes (of one client, or of all). Returns how many access and
    refresh tokens were live. Runs inside the caller's transaction when there is one."""
    now = timezone.now()
    scope: dict[str, Any] = {"user": account}
    if application is not None:
        scope["application"] = application
    with transaction.atomic():
        refreshed = RefreshToken.objects.filter(revoked__isnull=True, **scope).update(
            revoked=now, updated=now
        )
        accessed, _detail = AccessToken.objects.filter(**scope).delete()
        IDToken.objects.filter(**scope).delete()
        Grant.objects.filter(**scope).delete()
    return int(refreshed) + int(accessed)
