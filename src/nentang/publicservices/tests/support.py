"""The cast of the public-service tests, built through the services.

UBND phường Sài Gòn (ward 26740, unit 000.31.29.H29) receives commune procedures; its
one-stop shop is Lê Thị Hoa ("motcua.saigon", reception), the file is processed by
Phạm Minh Tuấn ("chuyenvien.saigon", processing) and approved by Võ Thanh Sơn
("lanhdao.saigon", approval). Sở Tư pháp TP Hồ Chí Minh (province, 000.00.31.H29)
receives judicial-record requests, with "motcua.sotuphap" doing every role. UBND phường
Tân Sơn Nhất (26968) is another agency whose officer "canbo.tansonnhat" must see nothing
of Sài Gòn's dossiers. Nguyễn Văn An (079090001234) is a level-2 citizen; Trần Thị Bình
(001195004321) stays at level 1.
"""

from __future__ import annotations

import datetime
import importlib
from base64 import b64encode
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from nentang.identity import services as identity
from nentang.identity.services import Residence
from nentang.kernel.auditing import Actor
from nentang.publicservices import services
from nentang.publicservices.catalogue import catalogue

PASSWORD = "mật-khẩu-an-toàn-2026"
OFFICER_PASSWORD = "mật-khẩu-cán-bộ-2026"
AN_ID = "079090001234"
BINH_ID = "001195004321"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
SCAN = b"%PDF-1.7\n% a scanned paper\n%%EOF\n"
SAI_GON = Residence("79", "26740", "12 Lê Lợi")


@dataclass
class Cast:
    admin: Any
    an: Any  # account, level 2
    binh: Any  # account, level 1
    reception: Any
    processing: Any
    approval: Any
    justice: Any  # every role at the provincial Department of Justice
    stranger: Any  # every role at another ward


def administrative_units() -> None:
    if apps.get_model("addresses", "Province").objects.exists():
        return
    migration = importlib.import_module("nentang.addresses.migrations.0002_load_units_2025_07_01")
    migration.load(apps, None)


def _officer(admin: Any, agency: str, username: str, name: str, roles: list[str]) -> Any:
    return identity.officer_create(
        actor=admin,
        agency_code=agency,
        username=username,
        password=OFFICER_PASSWORD,
        full_name=name,
        roles=roles,
    ).account


def _person(id_number: str, name: str, born: datetime.date, sex: str, email: str) -> Any:
    return identity.person_register(
        id_number=id_number,
        full_name=name,
        date_of_birth=born,
        sex=sex,
        phone="0903 123 456",
        email=email,
        password=PASSWORD,
        residence=SAI_GON,
        portrait=JPEG,
    )


def cast() -> Cast:
    administrative_units()
    system = Actor.system("publicservices-tests")
    admin = identity.administrator_create(
        created_by=system, username="quantri.dvc", password=OFFICER_PASSWORD
    )
    for code, name, commune, unit in (
        ("ubnd-phuong-sai-gon", "UBND phường Sài Gòn", "26740", "000.31.29.H29"),
        ("ubnd-phuong-tan-son-nhat", "UBND phường Tân Sơn Nhất", "26968", "000.32.29.H29"),
        ("so-tu-phap-tp-hcm", "Sở Tư pháp TP Hồ Chí Minh", "", "000.00.31.H29"),
    ):
        identity.agency_create(
            actor=admin,
            code=code,
            name=name,
            kind="department" if not commune else "peoples_committee",
            province_code="79",
            commune_code=commune,
        )
        services.receiving_unit_configure(actor=admin, agency_code=code, unit_code=unit)
    sai_gon = "ubnd-phuong-sai-gon"
    reception = _officer(admin, sai_gon, "motcua.saigon", "Lê Thị Hoa", ["reception", "enrolment"])
    processing = _officer(admin, sai_gon, "chuyenvien.saigon", "Phạm Minh Tuấn", ["processing"])
    approval = _officer(admin, sai_gon, "lanhdao.saigon", "Võ Thanh Sơn", ["approval"])
    everything = ["reception", "processing", "approval"]
    justice = _officer(admin, "so-tu-phap-tp-hcm", "motcua.sotuphap", "Đỗ Thu Hà", everything)
    stranger = _officer(
        admin, "ubnd-phuong-tan-son-nhat", "canbo.tansonnhat", "Huỳnh Văn Lộc", everything
    )
    an = _person(AN_ID, "Nguyễn Văn An", datetime.date(1990, 5, 15), "male", "an@example.vn")
    identity.person_verify_level2(
        actor=reception,
        person_id=an.id,
        place="Bộ phận một cửa, UBND phường Sài Gòn",
        document_type="citizen_id_card",
        document_number=AN_ID,
        fingerprint_attested=True,
    )
    binh = _person(BINH_ID, "Trần Thị Bình", datetime.date(1995, 8, 20), "female", "")
    return Cast(
        admin=admin,
        an=an.account,
        binh=binh.account,
        reception=reception,
        processing=processing,
        approval=approval,
        justice=justice,
        stranger=stranger,
    )


def papers(slug: str) -> list[services.DocumentUpload]:
    """A scan for each document the procedure requires (what a submission must carry)."""
    procedure = catalogue().require(slug)
    return [
        services.DocumentUpload(document=index, name=f"giay-to-{index}.pdf", content=SCAN)
        for index, document in enumerate(procedure.documents)
        if document.required
    ]


def papers_json(slug: str) -> list[dict[str, Any]]:
    """``papers`` as the API takes them (base64 in the JSON body)."""
    return [
        {"document": paper.document, "name": paper.name, "content": b64encode(SCAN).decode()}
        for paper in papers(slug)
    ]


def birth(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_id_number": AN_ID,
        "child_full_name": "Nguyễn Minh Khôi",
        "child_sex": "male",
        "child_date_of_birth": "2026-11-30",
        "place_of_birth": "Bệnh viện Từ Dũ, TP Hồ Chí Minh",
        "mother_full_name": "Trần Thị Mai",
        "relationship": "father",
        "result_delivery": "online",
    }
    answers.update(changes)
    return answers


def judicial_record(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_id_number": AN_ID,
        "form_type": "1",
        "purpose": "Bổ sung hồ sơ xin việc",
        "applicant_group": "general",
        "copies": 3,
        "result_delivery": "post",
    }
    answers.update(changes)
    return answers


def temporary_residence(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "applicant_full_name": "Trần Thị Bình",
        "applicant_id_number": BINH_ID,
        "address": "45 Nguyễn Huệ, Phường Sài Gòn, TP Hồ Chí Minh",
        "from_date": "2026-12-01",
        "months": 12,
        "basis": "rented",
    }
    answers.update(changes)
    return answers
