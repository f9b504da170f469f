"""The header's entries of the public-service pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nentang.web.navigation import NavEntry, register, signed_in


def _is_officer(user: Any) -> bool:
    if not signed_in(user) or getattr(user, "kind", "") != "staff":
        return False
    from nentang.publicservices.services.common import officer_of

    return officer_of(user) is not None


def _is_citizen(user: Any) -> bool:
    return signed_in(user) and getattr(user, "kind", "") != "staff"


def install() -> None:
    register(
        NavEntry(_("Public services"), "publicservices:catalogue", section="/services", order=20),
        NavEntry(
            _("My dossiers"),
            "publicservices:my_dossiers",
            section="/dossiers",
            order=21,
            audience=_is_citizen,
        ),
        NavEntry(
            _("Dossier queue"),
            "publicservices:queue",
            section="/officer/dossiers",
            order=22,
            audience=_is_officer,
        ),
        NavEntry(
            _("My agency's statistics"),
            "publicservices:officer_statistics",
            section="/officer/statistics",
            order=23,
            audience=_is_officer,
        ),
    )
