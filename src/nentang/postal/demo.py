"""Demo data of the postal context for ``nentang demo``.

* post offices and sorting centres in six provinces, and two postmen who log in and scan
  (``buuta.tam`` at Bưu cục Sài Gòn, ``buuta.lan`` at Bưu cục Kim Liên, Hà Nội);
* the merchant "Công ty TNHH Bánh mì Sài Gòn" with its API client (``client_credentials``,
  scope ``postal``) and 2,400 parcels (scaled by ``NENTANG_DEMO_PERCENT``) over the last
  thirteen months, growing month by month, in every status, with COD collected and
  remitted weekly;
* a sorting centre's machine client for the batch scan API (scope ``postal.scan``);
* Nguyễn Văn An's result parcel (a birth-registration result sent by post), out for
  delivery at Bưu cục Sài Gòn: deliver it on the scanning page.

Idempotent: each part is looked up first and created through the services only when
missing; the parcels come from a seeded generator.
"""

from __future__ import annotations

import datetime
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from nentang.addresses import selectors as addresses
from nentang.identity import selectors as identity_selectors
from nentang.identity import services as identity
from nentang.kernel import demodata
from nentang.kernel.auditing import Actor
from nentang.postal import services
from nentang.postal.models import Facility, Merchant, PostalWorker, Shipment
from nentang.postal.services.shipments import ImportRecord, shipments_import

SEED = 20250701
PARCELS = 2_400
MONTHS = 13
POSTMAN_PASSWORD = "demo-postman-2026"  # noqa: S105 - documented demo credential
MERCHANT_CLIENT = "banh-mi-sai-gon"
MERCHANT_STAFF_LOGIN = "0300588569"  # the organisation account of identity's demo
MERCHANT_SECRET = "demo-banhmi-secret-2026"  # noqa: S105 - documented demo credential
SORTING_CLIENT = "ktc-tan-son-nhat"
SORTING_SECRET = "demo-sorting-secret-2026"  # noqa: S105 - documented demo credential
RESULT_DOSSIER = "000.00.26.H29-261201-0001"

FACILITIES = (
    ("bc-sai-gon", "Bưu cục Sài Gòn", "post_office", "26740"),
    ("ktc-tan-son-nhat", "Trung tâm khai thác Tân Sơn Nhất", "sorting_centre", "26968"),
    ("ktc-ha-noi", "Trung tâm khai thác Hà Nội", "sorting_centre", "00004"),
    ("bc-kim-lien", "Bưu cục Kim Liên", "delivery_office", "00229"),
    ("bc-hai-chau", "Bưu cục Hải Châu", "delivery_office", "20242"),
    ("bc-ninh-kieu", "Bưu cục Ninh Kiều", "delivery_office", "31135"),
    ("bc-hong-bang", "Bưu cục Hồng Bàng", "delivery_office", "11311"),
    ("bc-thuan-hoa", "Bưu cục Thuận Hóa", "delivery_office", "19789"),
)
POSTMEN = (("buuta.tam", "Phạm Văn Tâm", "bc-sai-gon"), ("buuta.lan", "Đỗ Thị Lan", "bc-kim-lien"))
ACCOUNTS = tuple(
    demodata.DemoAccount(
        role=f"postman of {facility} ({name}): scan and deliver",
        login=login,
        password=POSTMAN_PASSWORD,
        note="/post/scan",
    )
    for login, name, facility in POSTMEN
)
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Quốc", "Thanh", "Hữu", "Thu", "Đức", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Hà", "Hải", "Hương", "Khoa", "Lan", "Linh", "Mai",
         "Nam", "Phúc", "Quân", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]  # fmt: skip
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung",
           "Lý Thường Kiệt", "Hùng Vương", "Trường Chinh", "Phan Chu Trinh",
           "Bạch Đằng"]  # fmt: skip
# Where the parcels go: today's wards of the cities with a delivery office.
DESTINATIONS = ("26740", "26743", "00229", "00004", "20242", "31135", "11311", "19789")
# Final status of a parcel older than a week (weights): most are delivered.
OUTCOMES = (("delivered", 82), ("returned", 6), ("cancelled", 3), ("failed_then_delivered", 9))


def _summary() -> list[str]:
    base = settings.BASE_URL
    lines = [
        "",
        "[bold]Digital post[/]: scan and deliver at "
        + f"{base}/post/scan; track at {base}/tracking",
        f"  merchant API client [bold]{MERCHANT_CLIENT}[/] / secret {MERCHANT_SECRET} "
        "(client_credentials, scope postal) → /api/v1/postal/shipments",
        f"  sorting-centre client [bold]{SORTING_CLIENT}[/] / secret {SORTING_SECRET} "
        "(scope postal.scan) → /api/v1/postal/scans",
    ]
    result = Shipment.objects.filter(dossier_reference=RESULT_DOSSIER).first()
    if result is not None:
        lines.append(f"  Nguyễn Văn An's result parcel: {base}/tracking/{result.s10}")
    return lines


def _facilities(actor: Actor) -> None:
    for code, name, kind, ward in FACILITIES:
        if not Facility.objects.filter(code=code).exists():
            services.facility_create(actor=actor, code=code, name=name, kind=kind, ward_code=ward)


def _postmen(actor: Actor) -> None:
    admin = get_user_model().objects.filter(is_superuser=True).order_by("date_joined").first()
    if admin is None:
        return
    for login, name, facility_code in POSTMEN:
        if PostalWorker.objects.filter(account__username=login).exists():
            continue
        facility = Facility.objects.get(code=facility_code)
        agency = f"buu-dien-{facility_code}"
        if not identity_selectors.agency_list().filter(code=agency).exists():
            identity.agency_create(
                actor=admin, code=agency, name=facility.name, kind="other",
                province_code=facility.province_code, commune_code=facility.ward_code,
            )  # fmt: skip
        officer = identity.officer_create(
            actor=admin, agency_code=agency, username=login, password=POSTMAN_PASSWORD,
            full_name=name, roles=["reception"], title="Bưu tá",
        )  # fmt: skip
        services.postal_worker_create(
            actor=actor, account=officer.account, facility_code=facility_code, full_name=name
        )


def _merchant_staff(actor: Actor, merchant: Merchant) -> None:
    """The company's own e-ID account (tax code login) sees its parcels and COD at
    /post/merchant."""
    account = get_user_model().objects.filter(username=MERCHANT_STAFF_LOGIN).first()
    if account is not None:
        services.merchant_staff_add(actor=actor, merchant=merchant, account=account)


def _merchant(actor: Actor) -> Merchant:
    merchant = Merchant.objects.filter(client_id=MERCHANT_CLIENT).first()
    if merchant is not None:
        return merchant
    if not identity_selectors.client_exists(client_id=MERCHANT_CLIENT):
        identity.client_register(
            actor=actor, name="Bánh mì Sài Gòn — API bưu gửi", grant="client_credentials",
            client_id=MERCHANT_CLIENT, client_secret=MERCHANT_SECRET, scopes=["postal"],
            purpose="Tạo và theo dõi bưu gửi thu hộ của cửa hàng",
        )  # fmt: skip
    if not identity_selectors.client_exists(client_id=SORTING_CLIENT):
        identity.client_register(
            actor=actor, name="Trung tâm khai thác Tân Sơn Nhất", grant="client_credentials",
            client_id=SORTING_CLIENT, client_secret=SORTING_SECRET, scopes=["postal.scan"],
            purpose="Ghi nhận sự kiện khai thác bưu gửi",
        )  # fmt: skip
    return services.merchant_create(
        actor=actor, code="banh-mi-sai-gon", name="Công ty TNHH Bánh mì Sài Gòn",
        tax_code="0300588569", phone="028 3822 1234",
        pickup_address="26 Lê Thánh Tôn, Phường Sài Gòn, TP Hồ Chí Minh",
        client_id=MERCHANT_CLIENT, remittance_days=2,
    )  # fmt: skip


def _recipient(rng: random.Random) -> services.Party:
    ward = addresses.commune_get(code=rng.choice(DESTINATIONS))
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    line = f"{rng.randint(1, 300)} {rng.choice(STREETS)}"
    prefix = rng.choice(["090", "091", "093", "094", "096", "097", "098", "086", "088"])
    phone = f"{prefix}{rng.randint(1_000_000, 9_999_999)}"
    return services.Party(name=name, phone=phone, address=line, ward_code=ward.code)


def _created_times(rng: random.Random, now: datetime.datetime) -> list[datetime.datetime]:
    """Parcels per month growing ~3 % a month (≈ 40 %/year), the newest month fullest."""
    weights = [1.03**month for month in range(MONTHS)]
    total = sum(weights)
    parcels = demodata.scaled(PARCELS)  # a tenth in the tests that run `nentang demo`
    times = []
    for month, weight in enumerate(weights):
        count = round(parcels * weight / total)
        start = now - datetime.timedelta(days=30 * (MONTHS - month))
        for _ in range(count):
            times.append(start + datetime.timedelta(seconds=rng.randint(0, 30 * 86_400)))
    return sorted(t for t in times if t < now - datetime.timedelta(hours=2))


def _journey(
    rng: random.Random, shipment: Shipment, now: datetime.datetime
) -> list[services.ScanInput]:
    """The scans of one parcel, by its age: recent ones are still on their way."""
    destination = {
        "79": "bc-sai-gon", "01": "bc-kim-lien", "48": "bc-hai-chau", "92": "bc-ninh-kieu",
        "31": "bc-hong-bang", "46": "bc-thuan-hoa",
    }.get(shipment.recipient_province_code, "bc-kim-lien")  # fmt: skip
    centre = "ktc-tan-son-nhat" if shipment.recipient_province_code == "79" else "ktc-ha-noi"
    age = (now - shipment.created_at).total_seconds() / 3600
    at = shipment.created_at
    steps: list[tuple[str, str, str]] = [
        ("EMA", "bc-sai-gon", ""), ("EDD", "ktc-tan-son-nhat", ""), ("EDE", "ktc-tan-son-nhat", ""),
        ("EDD", centre, ""), ("EMG", destination, ""), ("EDG", destination, ""),
    ]  # fmt: skip
    roll = rng.random() * 100
    outcome = "delivered"
    for name, weight in OUTCOMES:
        if roll < weight:
            outcome = name
            break
        roll -= weight
    if outcome == "cancelled":
        return []
    if age < 240 and rng.random() < 0.25:
        # Some recent parcels wait at the office, or the first attempt just failed.
        held = rng.random() < 0.5
        steps[-1] = ("EDF", destination, "") if held else steps[-1]
        if not held:
            steps.append(("EMH", destination, "phone_unreachable"))
        outcome = "open"
    if outcome == "open":
        pass
    elif outcome == "failed_then_delivered":
        steps += [("EMH", destination, "recipient_absent"), ("EDG", destination, "")]
    if outcome == "returned":
        steps += [("EMH", destination, "refused"), ("RTS", destination, "refused"),
                  ("EDD", centre, ""), ("RTD", "bc-sai-gon", "")]  # fmt: skip
    elif outcome != "open":
        steps.append(("EMI", destination, ""))
    scans = []
    for code, facility, reason in steps:
        at += datetime.timedelta(hours=rng.randint(3, 14))
        if (at - shipment.created_at).total_seconds() / 3600 > age - 1:
            break
        scans.append(services.ScanInput(shipment.s10, code, at, facility, reason))
    return scans


def _parcels(actor: Actor, merchant: Merchant, progress: demodata.Progress) -> None:
    if Shipment.objects.filter(merchant=merchant).exists():
        progress.advance(3)
        return
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data
    now = timezone.now()
    records = []
    for number, created_at in enumerate(_created_times(rng, now), start=1):
        service = rng.choice(["ecommerce", "ecommerce", "ecommerce", "standard", "express"])
        cod_amount = (
            rng.choice([0, 45_000, 90_000, 150_000, 235_000]) if service == "ecommerce" else 0
        )
        data = services.ShipmentInput(
            recipient=_recipient(rng), service=service, weight_g=rng.randint(200, 3_000),
            length_cm=rng.randint(15, 40), width_cm=rng.randint(10, 30),
            height_cm=rng.randint(5, 20),
            cod_amount=cod_amount, client_order_code=f"BMSG-{number:05d}",
        )  # fmt: skip
        records.append(ImportRecord(data=data, created_at=created_at))
    shipments: list[Shipment] = []
    for start in range(0, len(records), 500):
        shipments += shipments_import(
            actor=actor, merchant=merchant, records=records[start : start + 500]
        )
    progress.advance()
    scans = [scan for shipment in shipments for scan in _journey(rng, shipment, now)]
    scans.sort(key=lambda scan: scan.occurred_at or now)
    for start in range(0, len(scans), 1_000):
        services.scans_record(actor=actor, items=scans[start : start + 1_000])
    progress.advance()
    scanned = set(
        Shipment.objects.filter(merchant=merchant, events__isnull=False).values_list(
            "id", flat=True
        )
    )
    for shipment in shipments:
        if shipment.id not in scanned and shipment.created_at < now - datetime.timedelta(days=2):
            services.shipment_cancel(actor=actor, merchant=merchant, shipment_id=shipment.id)
    # COD paid out weekly, oldest week first.
    week = now - datetime.timedelta(days=7 * 56)
    while week < now:
        services.cod_remittance_run(actor=actor, merchant=merchant, now=week)
        week += datetime.timedelta(days=7)
    progress.advance()


def _result_parcel(actor: Actor) -> None:
    if Shipment.objects.filter(dossier_reference=RESULT_DOSSIER).exists():
        return
    shipment = services.shipment_create_for_result(
        actor=actor,
        dossier_reference=RESULT_DOSSIER,
        recipient=services.Party(
            name="Nguyễn Văn An",
            phone="0903 123 456",
            address="12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh",
        ),
        sender=services.Party(
            name="UBND phường Sài Gòn",
            phone="028 3829 1234",
            address="45 Lê Duẩn, Phường Sài Gòn, TP Hồ Chí Minh",
        ),
    )
    now = timezone.now()
    services.scans_record(
        actor=actor,
        items=[
            services.ScanInput(
                shipment.s10, "EMA", now - datetime.timedelta(hours=5), "bc-sai-gon"
            ),
            services.ScanInput(
                shipment.s10, "EDG", now - datetime.timedelta(hours=1), "bc-sai-gon"
            ),
        ],
    )


@demodata.loader("postal", accounts=ACCOUNTS, summary=_summary)
def load(progress: demodata.Progress) -> None:
    progress.start("Digital post: network, merchant, parcels", 6)
    actor = Actor.system("demo")
    _facilities(actor)
    progress.advance()
    _postmen(actor)
    merchant = _merchant(actor)
    _merchant_staff(actor, merchant)
    progress.advance()
    _parcels(actor, merchant, progress)
    _result_parcel(actor)
    progress.advance()
