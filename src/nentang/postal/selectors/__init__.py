"""Read operations of the postal context, with their permission checks: a merchant sees
only its own shipments (another's is a 404, never a 403), a postal worker sees what
scanning and delivery need, and the public sees status and cities only."""

from nentang.postal.selectors.province_statistics import shipments_by_province_month
from nentang.postal.selectors.shipments import (
    SHIPMENT_ORDER,
    PublicEvent,
    PublicTracking,
    cod_report,
    events_of,
    merchant_for_client,
    merchant_for_staff,
    merchant_parcels,
    shipment_for_merchant,
    shipment_for_worker,
    shipment_list,
    shipment_not_found,
    shipment_public,
    worker_for_account,
)
from nentang.postal.selectors.statistics import (
    cod_remittance_hours,
    ecommerce_parcels_per_month,
    first_attempt_success_rate,
    on_time_rate,
    statistics_summary,
)

__all__ = [
    "SHIPMENT_ORDER",
    "PublicEvent",
    "PublicTracking",
    "cod_remittance_hours",
    "cod_report",
    "ecommerce_parcels_per_month",
    "events_of",
    "first_attempt_success_rate",
    "merchant_for_client",
    "merchant_for_staff",
    "merchant_parcels",
    "on_time_rate",
    "shipment_for_merchant",
    "shipment_for_worker",
    "shipment_list",
    "shipment_not_found",
    "shipment_public",
    "shipments_by_province_month",
    "statistics_summary",
    "worker_for_account",
]
