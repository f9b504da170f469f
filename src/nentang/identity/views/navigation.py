"""identity's entries in the primary navigation (registered when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nentang.identity.selectors import officer_for_account
from nentang.web.navigation import NavEntry, register, signed_in, visitors


def _is_officer(user: Any) -> bool:
    # Only staff accounts can be officers: citizens' pages cost no query.
    if not signed_in(user):
        return False
    if not getattr(user, "is_staff", False) and getattr(user, "kind", "") != "staff":
        return False
    officer = officer_for_account(account=user)
    return officer is not None and officer.is_active


def install() -> None:
    register(
        NavEntry(_("Log in"), "identity_web:login", section="/login", order=10, audience=visitors),
        NavEntry(
            _("Account"), "identity_web:account", section="/account/", order=10, audience=signed_in
        ),
        NavEntry(
            _("Officer"),
            "identity_web:officer_find",
            section="/officer/",
            order=20,
            audience=_is_officer,
        ),
    )
