"""identity's entries in the primary navigation and on the home page (registered when
the app is ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nentang.identity.selectors import officer_for_account
from nentang.web import home
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
    home.register(
        home.HomeEntry(
            "identity",
            _("Electronic identity (e-ID)"),
            _(
                "One account for every public service: register online, raise it to level 2 "
                "in person, and see who used your personal data."
            ),
            "identity_web:account",
            order=10,
            links=(
                home.HomeLink(_("Create an e-ID account"), "identity_web:register"),
                home.HomeLink(_("Who used my data"), "identity_web:data_usage"),
            ),
        ),
        home.HomeEntry(
            "organisation",
            _("Organisation e-ID"),
            _(
                "A company's legal representative registers it with its tax code; the "
                "company then logs in to public services with its own account."
            ),
            "identity_web:organisations",
            audience="business",
            order=10,
        ),
        home.HomeEntry(
            "oidc",
            _("Log in with e-ID (OpenID Connect)"),
            _(
                "Let people log in to your service with their e-ID: discovery document, "
                "code flow with PKCE, signed ID tokens and the data they agree to share."
            ),
            "identity_oidc:developers",
            audience="developer",
            order=30,
        ),
    )
