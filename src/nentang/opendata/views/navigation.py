"""opendata's entries in the primary navigation (registered when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nentang.opendata.selectors import publisher_organisations
from nentang.web.navigation import NavEntry, register, signed_in


def _is_publisher(user: Any) -> bool:
    if not signed_in(user) or getattr(user, "kind", "") != "staff":
        return False
    return publisher_organisations(account=user).exists()


def install() -> None:
    register(
        NavEntry(_("Open data"), "opendata:search", section="/dataset", order=70),
        NavEntry(
            _("Publish data"),
            "opendata:dataset_new",
            section="/dataset/new",
            order=26,
            audience=_is_publisher,
        ),
    )
