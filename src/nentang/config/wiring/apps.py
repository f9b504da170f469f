"""Wiring between contexts that may not import each other's insides: the configuration
may import anything, so it installs the adapters when Django starts.

* postal's cash-on-delivery port (``postal.services.cod_ledger_install``) gets the
  payments adapter (``payments.services.PaymentsCodLedger``): COD money moves in the
  ledger.
"""

from __future__ import annotations

from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "nentang.config.wiring"
    label = "wiring"
    verbose_name = "Wiring between contexts"

    def ready(self) -> None:
        from nentang.payments.services import PaymentsCodLedger
        from nentang.postal.services import cod_ledger_install

        cod_ledger_install(PaymentsCodLedger())
