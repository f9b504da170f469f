"""addresses has no pages of its own: its data is served by the API. This registers it
on the developers' page (when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nentang.web import home


def install() -> None:
    home.register(
        home.HomeEntry(
            "addresses",
            _("Administrative units"),
            _(
                "The provinces, cities, communes and wards in force since 1 July 2025, as "
                "open JSON data."
            ),
            "/api/v1/addresses/provinces",
            audience="developer",
            order=50,
        )
    )
