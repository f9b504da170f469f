"""Rotating the provider's ID-token signing keys."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from nentang.identity.oidc import keys
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor


def signing_keys_rotate(*, actor: Actor, algorithms: Sequence[str] = keys.ALGORITHMS) -> list[str]:
    """Add a new signing key per algorithm; the old ones stay published until the tokens
    they signed expire (see keys.py). Returns the new key ids."""
    created = keys.rotate(tuple(algorithms))
    with transaction.atomic():
        auditing.record(
            actor=actor,
            action="identity.oidc.key.rotate",
            subject_type="identity.oidc.signing_key",
            subject=",".join(key.kid for key in created),
            summary={"algorithms": [key.alg for key in created]},
        )
    return [key.kid for key in created]
