"""When the identity core ends every session of an account (sign out everywhere, the
account locked), the tokens issued to services for that account are revoked too, in the
same transaction."""

from __future__ import annotations

from nentang.identity.models import Account


def _revoke_tokens(account: Account, reason: str) -> None:
    from nentang.identity.oidc.services import tokens_revoke

    tokens_revoke(account=account)


def install() -> None:
    from nentang.identity.services.sessions import revoker

    revoker(_revoke_tokens)
