"""Statistics published from the platform: e-ID registrations by province and month
from the identity context's selector, public-service dossiers per agency, procedure and
month from the publicservices context's selectors, shipments per province and month
from postal's; small cells withheld, a new version each run."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from nentang.identity import services as identity
from nentang.identity.services import Residence
from nentang.identity.services.bulk import PersonRecord
from nentang.kernel.auditing import Actor
from nentang.opendata import selectors, services
from nentang.opendata.tests.support import PASSWORD, Cast
from nentang.postal import services as postal
from nentang.publicservices import selectors as publicservices_selectors
from nentang.publicservices import services as publicservices

SCAN = b"%PDF-1.7\n% a scanned paper\n%%EOF\n"

pytestmark = pytest.mark.django_db
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Khoa", "Long", "Minh", "Nam", "Phúc"]


def _people(
    province: str, commune: str, birth_province: str, count: int, start: int
) -> list[PersonRecord]:
    return [
        PersonRecord(
            id_number=f"{birth_province}090{start + n:06d}",
            full_name=f"Nguyễn Văn {GIVEN[(start + n) % len(GIVEN)]}",
            date_of_birth=datetime.date(1990, 1, 1 + n),
            sex="male",
            phone=f"0912{start + n:06d}",
            province_code=province,
            commune_code=commune,
            street=f"{n + 1} Lê Lợi",
        )
        for n in range(count)
    ]


def test_registrations_by_province_are_published_with_small_cells_withheld(cast: Cast) -> None:
    records = _people("79", "26740", "079", 7, 1) + _people("01", "00004", "001", 2, 100)
    identity.persons_import(
        created_by=Actor.system("tests"), records=records, password_hash=make_password("x")
    )  # fmt: skip
    dataset, *_others = services.statistics_publish()
    assert dataset.version.endswith("-1")
    resource = dataset.resources.get()
    page = selectors.datastore_search(
        account=None, resource_id=str(resource.public_id), sort="ma_tinh asc"
    )
    by_province = {r["ma_tinh"]: r for r in page.records}
    assert by_province["79"]["so_dang_ky"] == 7
    assert by_province["79"]["so_muc_2"] is None  # 0 people at level 2: withheld, not "0"
    assert by_province["01"]["so_dang_ky"] is None
    assert by_province["01"]["ghi_chu"] == "<5"
    assert "Hà Nội" in by_province["01"]["tinh"]
    again, *_others = services.statistics_publish()
    assert again.pk == dataset.pk
    assert again.version.endswith("-2")
    found = selectors.dataset_search(account=None, q="dinh danh dien tu")
    assert [d.name for d in found.datasets] == [dataset.name]


AN_ID = "079090001234"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def _ward(admin: Any, code: str, name: str, commune: str, unit: str, clerk: str) -> Any:
    identity.agency_create(
        actor=admin, code=code, name=name, kind="peoples_committee", province_code="79",
        commune_code=commune,
    )  # fmt: skip
    publicservices.receiving_unit_configure(actor=admin, agency_code=code, unit_code=unit)
    return identity.officer_create(
        actor=admin, agency_code=code, username=clerk, password=PASSWORD,
        full_name="Lê Thị Hoa", roles=["reception", "enrolment"],
    ).account  # fmt: skip


def test_public_service_dossiers_per_procedure_and_month_are_published(cast: Cast) -> None:
    admin = identity.administrator_create(
        created_by=Actor.system("tests"), username="quantri.dvc", password=PASSWORD
    )
    sai_gon = _ward(admin, "ubnd-phuong-sai-gon", "UBND phường Sài Gòn", "26740",
                    "000.31.29.H29", "motcua.saigon")  # fmt: skip
    tan_son_nhat = _ward(admin, "ubnd-phuong-tan-son-nhat", "UBND phường Tân Sơn Nhất", "26968",
                         "000.32.29.H29", "motcua.tansonnhat")  # fmt: skip
    an = identity.person_register(
        id_number=AN_ID, full_name="Nguyễn Văn An", date_of_birth=datetime.date(1990, 5, 15),
        sex="male", phone="0903 123 456", email="an@example.vn", password=PASSWORD,
        residence=Residence("79", "26740", "12 Lê Lợi"), portrait=JPEG,
    )  # fmt: skip
    identity.person_verify_level2(
        actor=sai_gon, person_id=an.id, place="Bộ phận một cửa, UBND phường Sài Gòn",
        document_type="citizen_id_card", document_number=AN_ID, fingerprint_attested=True,
    )  # fmt: skip
    birth = publicservices_selectors.procedure_get(slug="dang-ky-khai-sinh")
    papers = [  # a scan of each paper the procedure requires (Decree 61/2018, Art. 15)
        publicservices.DocumentUpload(document=index, name=f"giay-to-{index}.pdf", content=SCAN)
        for index, document in enumerate(birth.documents)
        if document.required
    ]
    for agency, clerk, count in (("ubnd-phuong-sai-gon", sai_gon, 6),
                                 ("ubnd-phuong-tan-son-nhat", tan_son_nhat, 2)):  # fmt: skip
        for n in range(count):
            dossier = publicservices.dossier_submit(
                actor=an.account, procedure_slug="dang-ky-khai-sinh", agency_code=agency,
                data={"applicant_full_name": "Nguyễn Văn An", "applicant_id_number": AN_ID,
                      "child_full_name": f"Nguyễn Minh Khôi {n}", "child_sex": "male",
                      "child_date_of_birth": "2026-11-30", "relationship": "father",
                      "place_of_birth": "Bệnh viện Từ Dũ, TP Hồ Chí Minh",
                      "mother_full_name": "Trần Thị Mai", "result_delivery": "online"},
                documents=papers,
            )  # fmt: skip
            publicservices.dossier_receive(actor=clerk, dossier_id=dossier.pk)

    _registrations, dataset, *_others = services.statistics_publish()

    assert dataset.name == "thong-ke-ho-so-dich-vu-cong-theo-thu-tuc-thang"
    assert dataset.organisation.name == "thong-ke-nen-tang"
    page = selectors.datastore_search(
        account=None, resource_id=str(dataset.resources.get().public_id), sort="ma_co_quan asc"
    )
    month = timezone.localdate().isoformat()[:7]
    by_agency = {r["ma_co_quan"]: r for r in page.records}
    assert set(by_agency) == {"ubnd-phuong-sai-gon", "ubnd-phuong-tan-son-nhat"}
    sai_gon_row = by_agency["ubnd-phuong-sai-gon"]
    assert (sai_gon_row["thang"], sai_gon_row["thu_tuc"]) == (month, "dang-ky-khai-sinh")
    assert sai_gon_row["co_quan"] == "UBND phường Sài Gòn"
    assert sai_gon_row["ten_thu_tuc"] == "Đăng ký khai sinh"
    assert sai_gon_row["so_tiep_nhan"] == 6
    assert sai_gon_row["so_nop_truc_tuyen"] == 6
    assert sai_gon_row["so_da_giai_quyet"] is None  # none finished yet: withheld, not "0"
    small = by_agency["ubnd-phuong-tan-son-nhat"]
    assert small["so_tiep_nhan"] is None  # two dossiers: the cell is withheld
    assert small["so_nop_truc_tuyen"] is None
    assert small["ghi_chu"] == "<5"
    found = selectors.dataset_search(account=None, q="ho so dich vu cong thu tuc")
    assert [d.name for d in found.datasets] == [dataset.name]


def test_shipments_per_province_and_month_are_published(cast: Cast) -> None:
    operator = Actor.system("tests")
    identity.client_register(
        actor=operator, name="API bánh mì", grant="client_credentials",
        client_id="banh-mi-od", client_secret="banh-mi-secret-for-tests-2026",
        scopes=["postal"], purpose="Gửi bưu gửi qua API",
    )  # fmt: skip
    merchant = postal.merchant_create(
        actor=operator, code="banh-mi-od", name="Công ty TNHH Bánh mì Sài Gòn",
        tax_code="0300588569", phone="028 3822 1234", client_id="banh-mi-od",
        pickup_address="26 Lê Thánh Tôn, Phường Sài Gòn, TP Hồ Chí Minh",
    )  # fmt: skip
    addresses = (("Số 5 ngõ 10 Tôn Thất Tùng, P. Khương Thượng, Q. Đống Đa, Hà Nội", 6),
                 ("12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh", 2))  # fmt: skip
    shipments: list[Any] = []
    for address, count in addresses:
        for n in range(count):
            parcel = postal.ShipmentInput(
                recipient=postal.Party(name="Trần Thị Bình", phone="0912 345 678",
                                       address=address),
                service="ecommerce", weight_g=1200, length_cm=30, width_cm=20, height_cm=10,
                client_order_code=f"OD-{len(shipments)}-{n}",
            )  # fmt: skip
            shipments.append(postal.shipment_create(actor=operator, merchant=merchant, data=parcel))
    postal.shipment_cancel(actor=operator, merchant=merchant, shipment_id=shipments[-1].id)

    published = {d.name: d for d in services.statistics_publish()}

    dataset = published["thong-ke-buu-gui-theo-tinh-thang"]
    page = selectors.datastore_search(
        account=None, resource_id=str(dataset.resources.get().public_id), sort="ma_tinh asc"
    )
    by_province = {r["ma_tinh"]: r for r in page.records}
    hanoi, hcm = by_province["01"], by_province["79"]
    assert hanoi["thang"] == timezone.localdate().isoformat()[:7]
    assert "Hà Nội" in hanoi["tinh"]
    assert hanoi["so_buu_gui"] == 6
    assert hanoi["so_da_phat"] is None  # none delivered yet: withheld, not "0"
    assert hanoi["tien_thu_ho"] is None
    assert hcm["so_buu_gui"] is None  # one left after the cancelled one: withheld
    assert hcm["ghi_chu"] == "<5"
    assert "thong-ke-giao-dich-thanh-toan-theo-thang" in published


def test_transfers_per_purpose_and_month_are_published(cast: Cast) -> None:
    import uuid

    from nentang.payments import services as payments
    from nentang.payments.services import TransferInput

    operator = Actor.system("tests")
    alice = payments.account_open(actor=operator, code="wallet:od-alice", kind="wallet", name="A")
    bob = payments.account_open(actor=operator, code="wallet:od-bob", kind="wallet", name="B")
    bank = payments.system_account("system:bank-settlement")

    def move(debit: Any, credit: Any, amount: int, code: str) -> None:
        payments.transfer_create(
            actor=operator,
            transfer=TransferInput(
                id=uuid.uuid4(), debit_account_id=debit.id, credit_account_id=credit.id,
                amount=amount, code=code,
            ),
        )  # fmt: skip

    move(bank, alice, 1_000_000, "fund")
    for n in range(6):
        move(alice, bob, 10_000 * (n + 1), "p2p")
    for _n in range(2):
        move(alice, bob, 5_000, "cod")

    published = {d.name: d for d in services.statistics_publish()}

    dataset = published["thong-ke-giao-dich-thanh-toan-theo-thang"]
    assert dataset.version.endswith("-1")
    page = selectors.datastore_search(
        account=None, resource_id=str(dataset.resources.get().public_id), sort="muc_dich asc"
    )
    rows = {r["muc_dich"]: r for r in page.records}
    month = timezone.localdate().isoformat()[:7]
    assert {r["thang"] for r in rows.values()} == {month}
    assert rows["p2p"]["so_giao_dich"] == 6
    assert int(rows["p2p"]["tong_tien"]) == 210_000
    for small in ("fund", "cod"):  # 1 and 2 transfers: withheld, amount too
        assert rows[small]["so_giao_dich"] is None
        assert rows[small]["tong_tien"] is None
        assert rows[small]["ghi_chu"] == "<5"
    again = {d.name: d for d in services.statistics_publish()}
    assert again["thong-ke-giao-dich-thanh-toan-theo-thang"].version.endswith("-2")
