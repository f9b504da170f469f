"""The cast of the citizen-report tests, built through the services: Huế's reports go
to its city centre ("canbo.hue", "kythuat.hue"), Đà Nẵng's to its own ("canbo.danang",
who must see nothing of Huế's); Nguyễn Văn An and Trần Thị Bình are citizens."""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from nentang.identity import services as identity
from nentang.identity.services import Residence
from nentang.kernel.auditing import Actor
from nentang.smartcity import services

PASSWORD = "mật-khẩu-an-toàn-2026"
OFFICER_PASSWORD = "mật-khẩu-cán-bộ-2026"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OPERATOR = Actor.system("smartcity-tests")


@dataclass
class Cast:
    an: Any
    binh: Any
    hue: Any  # officer of Huế's centre
    hue_tech: Any  # a colleague
    danang: Any  # officer of Đà Nẵng's centre
    ward: str  # a ward of Huế
    danang_ward: str


def administrative_units() -> None:
    if apps.get_model("addresses", "Province").objects.exists():
        return
    migration = importlib.import_module("nentang.addresses.migrations.0002_load_units_2025_07_01")
    migration.load(apps, None)


def report_categories() -> None:
    """The categories of migration 0003 (a transactional test before this one flushed
    the tables, data of migrations included)."""
    migration = importlib.import_module("nentang.smartcity.migrations.0003_citizen_reports")
    migration.seed_categories(apps, None)


def _person(id_number: str, name: str, sex: str, born: datetime.date) -> Any:
    return identity.person_register(
        id_number=id_number,
        full_name=name,
        date_of_birth=born,
        sex=sex,
        phone="0903 123 456",
        email="",
        password=PASSWORD,
        residence=Residence("46", _first_ward("46"), "1 Lê Lợi"),
        portrait=JPEG,
    ).account


def _first_ward(province: str) -> str:
    from nentang.addresses import selectors

    return str(selectors.commune_list(province_code=province).first().code)  # type: ignore[union-attr]


def cast() -> Cast:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    administrative_units()
    report_categories()
    admin = identity.administrator_create(
        created_by=OPERATOR, username="quantri.dothi", password=OFFICER_PASSWORD
    )
    officers = {}
    for city, province, title in (
        ("hue", "46", "Thành phố Huế"),
        ("danang", "48", "Thành phố Đà Nẵng"),
    ):
        services.tenant_create(actor=OPERATOR, name=city, title=title)
        code = f"ioc-{city}"
        identity.agency_create(
            actor=admin,
            code=code,
            name=f"Trung tâm điều hành {title}",
            kind="other",
            province_code=province,
        )
        services.desk_set(actor=OPERATOR, tenant=city, agency_code=code, province_code=province)
        officers[city] = identity.officer_create(
            actor=admin,
            agency_code=code,
            username=f"canbo.{city}",
            password=OFFICER_PASSWORD,
            full_name="Lê Văn Hải",
            roles=["processing"],
        ).account
    tech = identity.officer_create(
        actor=admin,
        agency_code="ioc-hue",
        username="kythuat.hue",
        password=OFFICER_PASSWORD,
        full_name="Trần Minh Đức",
        roles=["processing"],
    ).account
    return Cast(
        an=_person("079090001234", "Nguyễn Văn An", "male", datetime.date(1990, 5, 15)),
        binh=_person("001195004321", "Trần Thị Bình", "female", datetime.date(1995, 8, 20)),
        hue=officers["hue"],
        hue_tech=tech,
        danang=officers["danang"],
        ward=_first_ward("46"),
        danang_ward=_first_ward("48"),
    )
