"""Tables of the postal context, by topic: facilities and staff, merchants, shipments
with their S10 identifiers, tracking events, proofs of delivery and COD remittances.

Ids: UUIDv7 (``kernel.ids.new_id``) for public ids, the S10 item identifier in its UPU
format; money in integer đồng; weights in grams, dimensions in centimetres; times UTC.
"""

from nentang.postal.models.merchants import CodRemittance, Merchant, MerchantStaff
from nentang.postal.models.network import Facility, PostalWorker
from nentang.postal.models.shipments import S10Counter, Shipment
from nentang.postal.models.tracking import DeliveryOtp, DeliveryProof, TrackingEvent

__all__ = [
    "CodRemittance",
    "DeliveryOtp",
    "DeliveryProof",
    "Facility",
    "Merchant",
    "MerchantStaff",
    "PostalWorker",
    "S10Counter",
    "Shipment",
    "TrackingEvent",
]
