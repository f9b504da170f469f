"""payments' entries in the primary navigation and on the home page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nentang.web import home
from nentang.web.navigation import NavEntry, register, signed_in


def _is_citizen(user: Any) -> bool:
    return signed_in(user) and getattr(user, "kind", "") == "person"


def install() -> None:
    register(
        NavEntry(_("My wallet"), "payments:wallet", section="/wallet", order=30,
                 audience=_is_citizen),
    )  # fmt: skip
    home.register(
        home.HomeEntry(
            key="payments.wallet",
            title=_("Mobile money wallet"),
            text=_("Your balance, this month's limits, sending money and paying by VietQR."),
            target="payments:wallet",
            order=40,
            links=(
                home.HomeLink(_("Send money"), "payments:send"),
                home.HomeLink(_("Pay by VietQR"), "payments:pay_qr"),
            ),
        )
    )
