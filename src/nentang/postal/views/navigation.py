"""postal's entries in the primary navigation (registered when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nentang.postal.selectors import merchant_for_staff, worker_for_account
from nentang.web.navigation import NavEntry, register, signed_in


def _is_postal_worker(user: Any) -> bool:
    # Only staff accounts can be postal workers: citizens' pages cost no query.
    if not signed_in(user) or getattr(user, "kind", "") != "staff":
        return False
    return worker_for_account(account=user) is not None


def _is_merchant_staff(user: Any) -> bool:
    return signed_in(user) and merchant_for_staff(account=user) is not None


def install() -> None:
    register(
        NavEntry(_("Track a parcel"), "postal:track_form", section="/tracking", order=60),
        NavEntry(_("Scan"), "postal:scan", section="/post/", order=25, audience=_is_postal_worker),
        NavEntry(
            _("My shop's parcels"),
            "postal:merchant",
            section="/post/merchant",
            order=26,
            audience=_is_merchant_staff,
        ),
    )
