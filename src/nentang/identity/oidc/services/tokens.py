"""Revoking a person's tokens (consent withdrawn, sessions ended, RP-initiated logout)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from nentang.identity.models import Account
from nentang.kernel import auditing


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


def logout_by_client(
    *, account: Account, application: Application | None, session_key: str | None
) -> int:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the person signed
    in on this browser leaves the provider at a client's request. Their session is
    marked ended and the tokens of that client (of every client when none is named) are
    revoked. Whose tokens is decided by the session, never by an ``id_token_hint``: a
    hint only names the client and tells whether to ask first. Returns how many live
    tokens were revoked."""
    from nentang.identity.services.common import actor_for
    from nentang.identity.services.sessions import session_mark_ended

    with transaction.atomic():
        revoked = tokens_revoke(account=account, application=application)
        if session_key:
            session_mark_ended(session_key=session_key)
        auditing.record(
            actor=actor_for(account),
            action="identity.oidc.logout",
            subject_type="identity.account",
            subject=str(account.pk),
            summary={
                "client_id": application.client_id if application is not None else None,
                "tokens_revoked": revoked,
            },
        )
    return revoked
