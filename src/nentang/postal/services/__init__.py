"""Write operations of the postal context, by topic:

* s10 — the UPU S10 identifier: check digit, parsing, allocation;
* tariff — quotes from the tariff table (data), limits;
* parties — the fields of a shipment checked, its addresses normalised;
* shipments — ``shipment_create``, ``shipments_create_many`` (bulk CSV),
  ``shipment_cancel``, ``shipment_quote``, ``shipment_create_for_result``;
* tracking — the event codes and ``events_apply`` (idempotent, order-tolerant, flags);
* scans — ``scans_record`` (batch), ``delivery_code_send``, ``shipment_deliver``,
  ``shipment_delivery_failed``;
* cod — the cash-on-delivery port to payments, ``cod_remittance_run`` and the daily
  ``cod_remittances_run_due`` (task ``remit_cod_daily``);
* network — facilities, postal workers, merchants and their webhooks;
* sms — the SMS adapter;
* public — the per-address throttle of the anonymous tracking look-up.

Each function is keyword-only, takes the actor explicitly, is its own transaction and
writes its audit entry inside it.
"""

from nentang.postal.services.cod import (
    CodLedger,
    LocalCodLedger,
    cod_ledger,
    cod_ledger_install,
    cod_remittance_due,
    cod_remittance_run,
    cod_remittance_schedule,
    cod_remittances_run_due,
)
from nentang.postal.services.network import (
    facility_create,
    merchant_create,
    merchant_staff_add,
    merchant_webhook_create,
    merchant_webhook_disable,
    postal_worker_create,
)
from nentang.postal.services.public import public_lookup_take
from nentang.postal.services.s10 import check_digit, s10_is_valid, s10_parse
from nentang.postal.services.scans import (
    ScanInput,
    ScanOutcome,
    delivery_code_send,
    scans_record,
    shipment_deliver,
    shipment_delivery_failed,
)
from nentang.postal.services.shipments import (
    Party,
    ShipmentInput,
    shipment_cancel,
    shipment_create,
    shipment_create_for_result,
    shipment_quote,
    shipments_create_many,
)

__all__ = [
    "CodLedger",
    "LocalCodLedger",
    "Party",
    "ScanInput",
    "ScanOutcome",
    "ShipmentInput",
    "check_digit",
    "cod_ledger",
    "cod_ledger_install",
    "cod_remittance_due",
    "cod_remittance_run",
    "cod_remittance_schedule",
    "cod_remittances_run_due",
    "delivery_code_send",
    "facility_create",
    "merchant_create",
    "merchant_staff_add",
    "merchant_webhook_create",
    "merchant_webhook_disable",
    "postal_worker_create",
    "public_lookup_take",
    "s10_is_valid",
    "s10_parse",
    "scans_record",
    "shipment_cancel",
    "shipment_create",
    "shipment_create_for_result",
    "shipment_deliver",
    "shipment_delivery_failed",
    "shipment_quote",
    "shipments_create_many",
]
