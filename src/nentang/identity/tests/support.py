"""The cast of the identity tests, built through the services, and shortcuts.

Nguyễn Văn An (079090001234, male, born 1990, TP Hồ Chí Minh) registers online and is
verified to level 2 by Lê Thị Hoa ("canbo.saigon"), officer of UBND phường Sài Gòn
(province 79, ward 26740); Trần Thị Bình (001195004321, female, born 1995, Hà Nội)
stays at level 1; "quantri" is the installation's administrator. Addresses are
documentation ranges (RFC 5737).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.apps import apps
from django.utils import timezone

from nentang.identity import services
from nentang.identity.models import (
    Account,
    AccountLockEvent,
    Agency,
    DataUsage,
    LevelVerification,
    LoginThrottle,
    Officer,
    Organisation,
    PendingRegistration,
    Person,
)
from nentang.identity.services import Residence
from nentang.kernel.auditing import Actor

PASSWORD = "mật-khẩu-an-toàn-2026"
OFFICER_PASSWORD = "mật-khẩu-cán-bộ-2026"
AN_ID = "079090001234"
BINH_ID = "001195004321"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SAI_GON = Residence("79", "26740", "12 Lê Lợi")
HOAN_KIEM = Residence("01", "00070", "25 Hàng Bài")
SAI_GON_DESK = "86 Lê Thánh Tôn, phường Sài Gòn, TP Hồ Chí Minh"
ATTACKER = "203.0.113.9"
HOME = "198.51.100.7"

# Tables whose row counts must not move when a service refuses its input.
AuditEntry = apps.get_model("audit", "AuditEntry")
SecurityEvent = apps.get_model("audit", "SecurityEvent")


def an_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "id_number": AN_ID,
        "full_name": "Nguyễn Văn An",
        "date_of_birth": datetime.date(1990, 5, 15),
        "sex": "male",
        "phone": "0903 123 456",
        "email": "an.nguyen@example.vn",
        "password": PASSWORD,
        "residence": SAI_GON,
        "portrait": JPEG,
    }
    form.update(changes)
    return form


def binh_form(**changes: Any) -> dict[str, Any]:
    form = an_form(
        id_number=BINH_ID,
        full_name="Trần Thị Bình",
        date_of_birth=datetime.date(1995, 8, 20),
        sex="female",
        phone="0987654321",
        email="",
        residence=HOAN_KIEM,
        portrait=PNG,
    )
    form.update(changes)
    return form


def snapshot() -> dict[str, int]:
    """Row counts of every table a refused service could have written."""
    models = (
        Person,
        Account,
        LevelVerification,
        DataUsage,
        AccountLockEvent,
        Organisation,
        Agency,
        Officer,
        AuditEntry,
        PendingRegistration,
    )
    return {model.__name__: model.objects.count() for model in models}


def administrator() -> Account:
    return services.administrator_create(
        created_by=Actor.system("tests"), username="quantri", password=OFFICER_PASSWORD
    )


def agency(admin: Account, *, code: str = "ubnd-phuong-sai-gon", commune: str = "26740") -> Agency:
    return services.agency_create(
        actor=admin,
        code=code,
        name="UBND phường Sài Gòn" if commune == "26740" else f"UBND {code}",
        kind="peoples_committee",
        province_code="79",
        commune_code=commune,
        address=SAI_GON_DESK if commune == "26740" else "",
    )


def officer(
    admin: Account,
    *,
    username: str = "canbo.saigon",
    roles: tuple[str, ...] = ("enrolment", "identity_admin", "reception"),
    agency_code: str = "ubnd-phuong-sai-gon",
) -> Account:
    created = services.officer_create(
        actor=admin,
        agency_code=agency_code,
        username=username,
        password=OFFICER_PASSWORD,
        full_name="Lê Thị Hoa",
        roles=list(roles),
    )
    return created.account


def hanoi_officer(admin: Account) -> Account:
    """ "canbo.hoankiem", enrolment officer of UBND phường Hoàn Kiếm (Hà Nội, province 01),
    who may raise Hà Nội residents such as Trần Thị Bình to level 2."""
    services.agency_create(
        actor=admin,
        code="ubnd-phuong-hoan-kiem",
        name="UBND phường Hoàn Kiếm",
        kind="peoples_committee",
        province_code="01",
        commune_code="00070",
    )
    return officer(admin, username="canbo.hoankiem", agency_code="ubnd-phuong-hoan-kiem")


def verify(person: Person, by: Account) -> LevelVerification:
    return services.person_verify_level2(
        actor=by,
        person_id=person.id,
        place="Bộ phận một cửa, UBND phường Sài Gòn",
        document_type="citizen_id_card",
        document_number=person.id_number,
        fingerprint_attested=True,
    )


def years_ago(years: int, *, days: int = 0) -> datetime.date:
    """The date ``years`` years before today (28 Feb for 29 Feb), minus ``days`` days."""
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return day - datetime.timedelta(days=days)


def id_number_for(born: datetime.date, *, sex: str, place: str = "079", serial: int = 1) -> str:
    century = (born.year - 1900) // 100 * 2 + (1 if sex == "female" else 0)
    return f"{place}{century}{born.year % 100:02d}{serial:06d}"


def administrative_units() -> None:
    """The administrative units, loaded as their migration loads them, when a flush by
    an earlier transactional test emptied them (live-server tests are transactional)."""
    import importlib

    from django.apps import apps

    if apps.get_model("addresses", "Province").objects.exists():
        return
    migration = importlib.import_module("nentang.addresses.migrations.0002_load_units_2025_07_01")
    migration.load(apps, None)


def throttle(login: str) -> LoginThrottle:
    """The failure counts and lockout kept for ``login`` (as typed)."""
    from nentang.identity.services.throttling import login_key

    return LoginThrottle.objects.get(login_key=login_key(login))


def child_evidence(born: datetime.date, relationship: str = "father") -> dict[str, Any]:
    """What An gives to register his child: the birth certificate that names him."""
    return {
        "relationship": relationship,
        "evidence_number": "123/2021",
        "evidence_date": born + datetime.timedelta(days=7),
    }
