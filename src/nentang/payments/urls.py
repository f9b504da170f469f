"""HTML pages of the payments context, with full paths (included at the root by
config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from nentang.payments.views import business, pages

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("wallet/", pages.wallet, name="wallet"),
    path("wallet/send", pages.send, name="send"),
    path("wallet/pay-qr", pages.pay_qr, name="pay_qr"),
    path("merchant/", business.merchant, name="merchant"),
    path("agent/", business.agent, name="agent"),
    path("operator/payments/", business.operator, name="operator"),
]
