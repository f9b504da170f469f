"""The cast of the postal tests, built through the services: the demo bánh mì company
shipping from Phường Sài Gòn, the post office and sorting centre that handle its parcels,
and Phạm Văn Tâm, the postman of Bưu cục Sài Gòn."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from nentang.identity import services as identity
from nentang.kernel.auditing import Actor
from nentang.postal import services
from nentang.postal.models import Facility, Merchant, PostalWorker, Shipment

OPERATOR = Actor.system("postal-tests")
CLIENT_ID = "banh-mi-sai-gon-api"
CLIENT_SECRET = "banh-mi-secret-for-tests-2026"
PASSWORD = "Mat-khau-buu-ta-2026!"


@dataclass
class Cast:
    merchant: Merchant
    post_office: Facility
    sorting_centre: Facility
    hanoi_office: Facility
    worker: PostalWorker


def network() -> tuple[Facility, Facility, Facility]:
    saigon = services.facility_create(
        actor=OPERATOR,
        code="bc-sai-gon",
        name="Bưu cục Sài Gòn",
        kind="post_office",
        ward_code="26740",
    )
    centre = services.facility_create(
        actor=OPERATOR,
        code="ktc-tan-son-nhat",
        name="Trung tâm khai thác Tân Sơn Nhất",
        kind="sorting_centre",
        ward_code="26968",
    )
    hanoi = services.facility_create(
        actor=OPERATOR,
        code="bc-kim-lien",
        name="Bưu cục Kim Liên",
        kind="delivery_office",
        ward_code="00229",
    )
    return saigon, centre, hanoi


def merchant(
    *,
    client_id: str = CLIENT_ID,
    code: str = "banh-mi-sai-gon",
    scopes: tuple[str, ...] = ("postal",),
) -> Merchant:
    identity.client_register(
        actor=OPERATOR,
        name=f"API {code}",
        grant="client_credentials",
        client_id=client_id,
        client_secret=CLIENT_SECRET,
        scopes=list(scopes),
        purpose="Gửi bưu gửi qua API",
    )
    return services.merchant_create(
        actor=OPERATOR,
        code=code,
        name="Công ty TNHH Bánh mì Sài Gòn",
        tax_code="0300588569",
        phone="028 3822 1234",
        pickup_address="26 Lê Thánh Tôn, Phường Sài Gòn, TP Hồ Chí Minh",
        client_id=client_id,
    )


def worker(facility: Facility, *, username: str = "buuta.tam") -> PostalWorker:
    admin = identity.administrator_create(
        created_by=OPERATOR, username=f"admin-{username.replace('.', '-')}", password=PASSWORD
    )
    identity.agency_create(
        actor=admin,
        code=f"buu-dien-{facility.code}",
        name=f"Bưu điện {facility.name}",
        kind="other",
        province_code=facility.province_code,
        commune_code=facility.ward_code,
    )
    officer = identity.officer_create(
        actor=admin,
        agency_code=f"buu-dien-{facility.code}",
        username=username,
        password=PASSWORD,
        full_name="Phạm Văn Tâm",
        roles=["reception"],
    )
    return services.postal_worker_create(
        actor=OPERATOR,
        account=officer.account,
        facility_code=facility.code,
        full_name="Phạm Văn Tâm",
    )


def administrative_units() -> None:
    """The units, loaded as their migration loads them, when a flush by an earlier
    transactional test emptied them (live-server tests are transactional)."""
    import importlib

    from django.apps import apps

    if apps.get_model("addresses", "Province").objects.exists():
        return
    migration = importlib.import_module("nentang.addresses.migrations.0002_load_units_2025_07_01")
    migration.load(apps, None)


def cast() -> Cast:
    administrative_units()
    saigon, centre, hanoi = network()
    return Cast(merchant(), saigon, centre, hanoi, worker(saigon))


def parcel(**changes: Any) -> services.ShipmentInput:
    """A 1.2 kg box of bánh mì for Trần Thị Bình in Hà Nội, 150.000 ₫ to collect."""
    values: dict[str, Any] = {
        "recipient": services.Party(
            name="Trần Thị Bình",
            phone="0912 345 678",
            address="Số 5 ngõ 10 Tôn Thất Tùng, P. Khương Thượng, Q. Đống Đa, Hà Nội",
        ),
        "service": "ecommerce",
        "weight_g": 1200,
        "length_cm": 30,
        "width_cm": 20,
        "height_cm": 10,
        "cod_amount": 150_000,
        "client_order_code": "BMSG-0001",
    }
    values.update(changes)
    return services.ShipmentInput(**values)


def scan(
    shipment: Shipment, code: str, *, minutes: int = 0, facility: str = "", reason: str = ""
) -> services.ScanOutcome:
    # Scans of "yesterday", so that any minute offset stays in the past.
    at = shipment.created_at - datetime.timedelta(days=1) + datetime.timedelta(minutes=minutes)
    [outcome] = services.scans_record(
        actor=OPERATOR,
        items=[services.ScanInput(shipment.s10, code, at, facility, reason)],
    )
    return outcome


def now() -> datetime.datetime:
    return timezone.now()
