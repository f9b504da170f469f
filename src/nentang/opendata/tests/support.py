"""The cast of the open-data tests, built through the services: the Department of
Natural Resources and Environment of Hồ Chí Minh City (Sở TN&MT) publishing air-quality
data, its publisher dulieu.tnmt, and the Department of Education as another agency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nentang.identity import services as identity
from nentang.kernel.auditing import Actor
from nentang.opendata import services
from nentang.opendata.models import Dataset, Group, Organisation

OPERATOR = Actor.system("opendata-tests")
PASSWORD = "Mat-khau-du-lieu-2026!"


@dataclass
class Cast:
    tnmt: Organisation
    education: Organisation
    publisher: Any
    other_publisher: Any
    environment: Group
    token: str
    other_token: str


def administrative_units() -> None:
    """The units, as their migration loads them, when a flush emptied them."""
    import importlib

    from django.apps import apps

    if apps.get_model("addresses", "Province").objects.exists():
        return
    migration = importlib.import_module("nentang.addresses.migrations.0002_load_units_2025_07_01")
    migration.load(apps, None)


def licences() -> None:
    """The licences, as their migration installs them, after a flush."""
    import importlib

    from django.apps import apps

    if apps.get_model("opendata", "Licence").objects.exists():
        return
    migration = importlib.import_module("nentang.opendata.migrations.0002_licences_as_data")
    migration.install(apps, None)


def publisher(
    admin: Any, *, agency: str, agency_name: str, org: str, org_title: str, login: str
) -> tuple[Organisation, Any]:
    identity.agency_create(
        actor=admin, code=agency, name=agency_name, kind="department", province_code="79"
    )
    officer = identity.officer_create(
        actor=admin, agency_code=agency, username=login, password=PASSWORD,
        full_name="Lê Thị Hồng", roles=["processing"], title="Chuyên viên dữ liệu",
    )  # fmt: skip
    organisation = services.organisation_create(
        actor=OPERATOR, name=org, title=org_title, agency_code=agency, province_code="79"
    )
    services.publisher_grant(actor=OPERATOR, account=officer.account, organisation_name=org)
    return organisation, officer.account


def cast() -> Cast:
    administrative_units()
    licences()
    admin = identity.administrator_create(
        created_by=OPERATOR, username="admin-dulieu", password=PASSWORD
    )
    tnmt, account = publisher(
        admin, agency="so-tnmt-hcm", agency_name="Sở Tài nguyên và Môi trường TP.HCM",
        org="so-tnmt-hcm", org_title="Sở Tài nguyên và Môi trường TP. Hồ Chí Minh",
        login="dulieu.tnmt",
    )  # fmt: skip
    education, other = publisher(
        admin, agency="so-gddt-hcm", agency_name="Sở Giáo dục và Đào tạo TP.HCM",
        org="so-gddt-hcm", org_title="Sở Giáo dục và Đào tạo TP. Hồ Chí Minh",
        login="dulieu.gddt",
    )  # fmt: skip
    environment = services.group_create(actor=OPERATOR, name="moi-truong", title="Môi trường")
    services.group_create(actor=OPERATOR, name="giao-duc", title="Giáo dục")
    _token, plain = services.api_token_create(account=account, name="ckanapi")
    _other, other_plain = services.api_token_create(account=other, name="ckanapi")
    return Cast(tnmt, education, account, other, environment, plain, other_plain)


AIR = {
    "name": "chat-luong-khong-khi-hcm-2025",
    "title": "Chất lượng không khí TP. Hồ Chí Minh năm 2025",
    "notes": "Chỉ số AQI theo giờ tại các trạm quan trắc tự động.",
    "owner_org": "so-tnmt-hcm",
    "license_id": "cc-by-4.0",
    "tags": [{"name": "không khí"}, {"name": "AQI"}],
    "groups": [{"name": "moi-truong"}],
    "frequency": "monthly",
    "spatial": ["79"],
    "temporal_start": "2025-01-01",
    "temporal_end": "2025-12-31",
    "version": "2025.1",
    "resources": [
        {"name": "AQI theo giờ", "url": "https://example.gov.vn/aqi.csv", "format": "CSV"}
    ],
}


def air_quality(cast: Cast, **changes: Any) -> Dataset:
    return services.dataset_create(account=cast.publisher, data={**AIR, **changes})
