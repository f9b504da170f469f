"""Input and output schemas of the postal API: one per operation, in the shape shops
know from GHN, GHTK and EasyPost (weights in grams, sizes in cm, money in đồng)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel

from nentang.postal.models import Shipment

ServiceName = Literal["express", "standard", "ecommerce"]


class PartyIn(Schema):
    name: str = Field(max_length=150, description="Full name.")
    phone: str = Field(max_length=20, description="Vietnamese phone number, any usual form.")
    address: str = Field(
        "",
        max_length=500,
        description="The address as written (any form, before or after the 2025 reform).",
    )
    digital_code: str = Field(
        "", max_length=24, description="Digital address code, e.g. 70000-7P28QPG2+Q96."
    )
    ward_code: str = Field(
        "",
        max_length=5,
        description="Ward code chosen among the candidates of an ambiguous address.",
    )


class ParcelIn(Schema):
    service: ServiceName
    weight_g: int = Field(description="Actual weight in grams (> 0).")
    length_cm: int
    width_cm: int
    height_cm: int
    declared_value: int = Field(0, description="Declared value in đồng.")
    insured: bool = False
    cod_amount: int = Field(0, description="Cash to collect from the recipient, in đồng.")


class QuoteIn(ParcelIn):
    recipient: PartyIn
    sender: PartyIn | None = None


class QuoteOut(Schema):
    service: str
    zone: str
    charged_weight_g: int
    fee_shipping: int
    fee_insurance: int
    fee_cod: int
    fee_total: int
    transit_days: int


class ShipmentIn(ParcelIn):
    recipient: PartyIn
    sender: PartyIn | None = Field(None, description="Default: the merchant's pickup address.")
    client_order_code: str = Field("", max_length=50, description="Your order number (unique).")
    note: str = Field("", max_length=300)


class AddressOut(Schema):
    name: str
    phone: str
    line: str
    ward_code: str
    province_code: str


class RecipientOut(AddressOut):
    ward_name: str
    province_name: str
    postal_code: str
    digital_code: str | None


class ShipmentOut(Schema):
    id: uuid.UUID
    s10: str
    client_order_code: str | None
    service: str
    status: str
    recipient: RecipientOut
    sender: AddressOut
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    declared_value: int
    insured: bool
    cod_amount: int
    cod_status: str
    fee_total: int
    fee_shipping: int
    fee_insurance: int
    fee_cod: int
    zone: str
    promised_by: datetime.date
    created_at: datetime.datetime
    picked_up_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    attempts: int
    label_url: str
    tracking_url: str

    @classmethod
    def build(cls, shipment: Shipment, *, base: str) -> ShipmentOut:
        return cls(
            id=shipment.id,
            s10=shipment.s10,
            client_order_code=shipment.client_order_code or None,
            service=shipment.service,
            status=shipment.status,
            recipient=RecipientOut(
                name=shipment.recipient_name,
                phone=shipment.recipient_phone,
                line=shipment.recipient_line,
                ward_code=shipment.recipient_ward_code,
                ward_name=shipment.recipient_ward_name,
                province_code=shipment.recipient_province_code,
                province_name=shipment.recipient_province_name,
                postal_code=shipment.recipient_postal_code,
                digital_code=shipment.recipient_digital_code or None,
            ),
            sender=AddressOut(
                name=shipment.sender_name,
                phone=shipment.sender_phone,
                line=shipment.sender_line,
                ward_code=shipment.sender_ward_code,
                province_code=shipment.sender_province_code,
            ),
            weight_g=shipment.weight_g,
            length_cm=shipment.length_cm,
            width_cm=shipment.width_cm,
            height_cm=shipment.height_cm,
            declared_value=shipment.declared_value,
            insured=shipment.insured,
            cod_amount=shipment.cod_amount,
            cod_status=shipment.cod_status,
            fee_total=shipment.fee_total,
            fee_shipping=shipment.fee_shipping,
            fee_insurance=shipment.fee_insurance,
            fee_cod=shipment.fee_cod,
            zone=shipment.zone,
            promised_by=shipment.promised_by,
            created_at=shipment.created_at,
            picked_up_at=shipment.picked_up_at,
            delivered_at=shipment.delivered_at,
            attempts=shipment.attempts,
            label_url=f"{base}/api/v1/postal/shipments/{shipment.id}/label",
            tracking_url=f"{base}/tracking/{shipment.s10}",
        )


class ShipmentListOut(Schema):
    items: list[ShipmentOut]
    next_cursor: str | None = None


class EventOut(Schema):
    code: str
    label: str
    occurred_at: datetime.datetime
    facility_code: str | None
    reason: str | None
    flag: str | None


class TrackingOut(Schema):
    id: uuid.UUID
    s10: str
    status: str
    events: list[EventOut]


class BulkRowOut(Schema):
    row: int
    ok: bool
    shipment: ShipmentOut | None = None
    errors: list[dict[str, str]] = []
    candidates: dict[str, list[dict[str, str]]] = {}


class BulkOut(Schema):
    created: int
    failed: int
    rows: list[BulkRowOut]


class WebhookIn(Schema):
    url: str = Field(max_length=2000)


class WebhookOut(Schema):
    id: uuid.UUID
    url: str
    topics: list[str]
    secret: str = Field(description="Signing secret (Standard Webhooks); shown only now.")


# The batch scan schemas are plain pydantic models: validating a sorting centre's 1,000
# items (and its 1,000 results) through ninja's Schema, which wraps every item for
# attribute access to Django objects, took ten times as long as pydantic alone.


class ScanIn(BaseModel):
    s10: str = Field(max_length=20)
    code: str = Field(max_length=3, description="EMSEVT-style event code, e.g. EMA, EDD, EMG.")
    occurred_at: datetime.datetime | None = Field(None, description="Default: now.")
    facility_code: str = Field("", max_length=40)
    reason: str = Field("", max_length=40, description="Needed by EMH and RTS.")
    next_attempt_on: datetime.date | None = None


class ScanBatchIn(BaseModel):
    scans: list[ScanIn] = Field(max_length=1000)


class ScanResultOut(BaseModel):
    index: int
    s10: str
    result: Literal["recorded", "duplicate", "flagged", "rejected"]
    status: str | None
    flag: str | None
    error_code: str | None
    error: str | None


class ScanBatchOut(BaseModel):
    recorded: int
    duplicates: int
    flagged: int
    rejected: int
    results: list[ScanResultOut]


class PublicEventOut(Schema):
    code: str
    label: str
    occurred_at: datetime.datetime
    city: str | None
    reason: str | None


class PublicTrackingOut(Schema):
    s10: str
    status: str
    status_label: str
    service: str
    destination_city: str
    promised_by: datetime.date
    delivered_at: datetime.datetime | None
    events: list[PublicEventOut]


class CodTotalsOut(Schema):
    amount: int
    count: int


class RemittanceOut(Schema):
    id: uuid.UUID
    amount: int
    shipment_count: int
    status: str
    created_at: datetime.datetime
    paid_at: datetime.datetime | None


class CodReportOut(Schema):
    totals: dict[str, CodTotalsOut]
    remittances: list[RemittanceOut]


class StatisticsOut(Schema):
    ecommerce_parcels_per_month: list[dict[str, Any]]
    on_time_rate: float | None
    first_attempt_success_rate: float | None
    cod_remittance_hours: float | None
    remittances: int
