"""Creating shipments: normalised addresses, price, S10, COD, and bad input refused."""

from __future__ import annotations

import datetime

import pytest

from nentang.kernel.errors import Conflict, ValidationFailed
from nentang.postal import services
from nentang.postal.models import S10Counter, Shipment
from nentang.postal.services.s10 import SERIALS_PER_CYCLE, s10_format, s10_is_valid
from nentang.postal.tests import support
from nentang.postal.tests.support import OPERATOR, Cast, parcel

pytestmark = pytest.mark.django_db


def test_a_pre_reform_address_is_converted_and_priced(cast: Cast) -> None:
    shipment = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())

    assert s10_is_valid(shipment.s10)
    assert shipment.s10.startswith("CE")
    assert (shipment.recipient_ward_code, shipment.recipient_ward_name) == (
        "00229",
        "Phường Kim Liên",
    )
    assert (shipment.recipient_province_code, shipment.recipient_postal_code) == ("01", "10000")
    assert shipment.recipient_line == "Số 5 ngõ 10 Tôn Thất Tùng"
    assert shipment.recipient_phone == "+84912345678"
    assert shipment.sender_ward_code == "26740"
    assert shipment.sender_province_code == "79"
    # 1.2 kg, 30×20×10 cm (volumetric 1 kg): band ≤ 2 kg, north ↔ south is "far".
    assert (shipment.zone, shipment.fee_shipping) == ("far", 52_000)
    # COD fee: 0.8 % of 150.000 ₫ = 1.200 ₫, at least 10.000 ₫.
    assert (shipment.fee_cod, shipment.fee_total) == (10_000, 62_000)
    assert (shipment.cod_amount, shipment.cod_status, shipment.status) == (
        150_000,
        "pending",
        "pre_transit",
    )


def test_a_split_ward_is_refused_with_every_candidate_and_accepted_once_chosen(cast: Cast) -> None:
    recipient = services.Party(
        name="Lê Văn Hùng",
        phone="0987654321",
        address="12 Lê Lợi, Phường Vạn Đẩu, Quận Kiến An, Hải Phòng",
    )
    with pytest.raises(ValidationFailed) as refused:
        services.shipment_create(
            actor=OPERATOR, merchant=cast.merchant, data=parcel(recipient=recipient)
        )

    assert refused.value.code == "address_unresolved"
    candidates = refused.value.extra["candidates"]["recipient"]
    assert sorted(c["ward_name"] for c in candidates) == ["Phường Kiến An", "Phường Phù Liễn"]
    assert Shipment.objects.count() == 0

    chosen = next(c for c in candidates if c["ward_name"] == "Phường Phù Liễn")
    shipment = services.shipment_create(
        actor=OPERATOR,
        merchant=cast.merchant,
        data=parcel(
            recipient=services.Party(
                recipient.name, recipient.phone, recipient.address, chosen["ward_code"]
            )
        ),
    )
    assert shipment.recipient_ward_name == "Phường Phù Liễn"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"weight_g": 0}, "weight_g", "too_small"),
        ({"weight_g": -5}, "weight_g", "too_small"),
        ({"weight_g": 30_001}, "weight_g", "too_heavy"),
        ({"length_cm": 151}, "length_cm", "oversize"),
        ({"length_cm": 120, "width_cm": 60, "height_cm": 60}, "length_cm", "oversize"),
        ({"cod_amount": 20_000_001}, "cod_amount", "cod_too_high"),
        ({"cod_amount": -1}, "cod_amount", "too_small"),
        ({"service": "teleport"}, "service", "invalid_choice"),
        ({"insured": True}, "declared_value", "required"),
        (
            {"recipient": services.Party("Bình", "12345", "5 Tôn Thất Tùng, Kim Liên, Hà Nội")},
            "recipient.phone",
            "invalid_phone",
        ),
        (
            {"recipient": services.Party("Bình", "0912345678", "Số 5, phường Không Có, Hà Nội")},
            "recipient.address",
            "unresolved_address",
        ),
        (
            {
                "recipient": services.Party(
                    "Bình\x00", "0912345678", "5 Tôn Thất Tùng, Kim Liên, Hà Nội"
                )
            },
            "recipient.name",
            "invalid_characters",
        ),
    ],
)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(
    cast: Cast, changes: dict[str, object], field: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel(**changes))

    assert (field, code) in [(e.field, e.code) for e in refused.value.errors]
    assert Shipment.objects.count() == 0


def test_a_client_order_code_is_used_once_per_merchant(cast: Cast) -> None:
    first = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    with pytest.raises(Conflict) as taken:
        services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())

    assert taken.value.code == "client_order_code_taken"
    assert taken.value.extra["s10"] == first.s10
    other = support.merchant(client_id="other-shop-api", code="cua-hang-khac")
    services.shipment_create(actor=OPERATOR, merchant=other, data=parcel())
    assert Shipment.objects.count() == 2


def test_cancel_before_pickup_voids_cod_and_after_pickup_is_refused(cast: Cast) -> None:
    kept = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    dropped = services.shipment_create(
        actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code="BMSG-0002")
    )
    cancelled = services.shipment_cancel(
        actor=OPERATOR, merchant=cast.merchant, shipment_id=dropped.id
    )
    assert (cancelled.status, cancelled.cod_status) == ("cancelled", "voided")

    assert support.scan(kept, "EMA", minutes=30, facility="bc-sai-gon").result == "recorded"
    with pytest.raises(Conflict) as refused:
        services.shipment_cancel(actor=OPERATOR, merchant=cast.merchant, shipment_id=kept.id)
    assert refused.value.code == "shipment_not_cancellable"
    kept.refresh_from_db()
    assert kept.status == "in_transit"


def test_a_recipient_may_carry_a_digital_address_code(cast: Cast) -> None:
    recipient = services.Party(
        "Trần Thị Bình", "0912345678", "5 Tôn Thất Tùng, Phường Kim Liên, Hà Nội",
        digital_code="10000-7PH72R4P+FMP",
    )  # fmt: skip
    shipment = services.shipment_create(
        actor=OPERATOR, merchant=cast.merchant, data=parcel(recipient=recipient)
    )
    assert shipment.recipient_digital_code == "10000-7PH72R4P+FMP"
    bad = services.Party(
        "Bình", "0912345678", "5 Tôn Thất Tùng, Kim Liên, Hà Nội", digital_code="x"
    )
    with pytest.raises(ValidationFailed) as refused:
        services.shipment_create(
            actor=OPERATOR,
            merchant=cast.merchant,
            data=parcel(recipient=bad, client_order_code="BMSG-0009"),
        )
    assert [e.field for e in refused.value.errors] == ["recipient.digital_code"]


def test_a_serial_comes_round_only_after_12_months(cast: Cast) -> None:
    """UPU S10: a serial of a spent cycle is not issued again while its item is young."""
    last = SERIALS_PER_CYCLE - 1
    S10Counter.objects.create(indicator="CE", next_serial=last)
    first = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    assert (first.s10, first.s10_cycle) == (s10_format("CE", last), 0)

    # A whole cycle later the counter reaches the same serial again.
    S10Counter.objects.filter(indicator="CE").update(next_serial=last, cycle=1)
    again = parcel(client_order_code="BMSG-0002")
    with pytest.raises(Conflict) as refused:
        services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=again)
    assert refused.value.code == "s10_exhausted"
    assert Shipment.objects.count() == 1
    assert S10Counter.objects.get(indicator="CE").next_serial == last

    thirteen_months_ago = first.created_at - datetime.timedelta(days=396)
    Shipment.objects.filter(id=first.id).update(created_at=thirteen_months_ago)
    second = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=again)
    assert (second.s10, second.s10_cycle) == (first.s10, 1)
    # The counter is spent again: the next item opens cycle 2 at serial 0.
    third = services.shipment_create(
        actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code="BMSG-0003")
    )
    assert (third.s10, third.s10_cycle) == (s10_format("CE", 0), 2)
