"""Demo data of the open-data context for ``nentang demo``.

* three publishing departments of Hồ Chí Minh City (environment, education, finance),
  each an agency of the identity context, and the publisher ``dulieu.tnmt`` of the
  Department of Natural Resources and Environment;
* 240 datasets with real-looking Vietnamese content (air quality by district and month,
  district budgets, school lists, public-service figures) from a seeded generator, some
  drafts, a few deprecated, some with a missed update (the freshness flag);
* two tables in the datastore loaded from legacy files: air-quality readings written in
  **TCVN3** and a school list in **Windows-1258** — their previews show Unicode;
* the platform's own statistics (e-ID registrations, public-service dossiers,
  shipments and transfers by month);
* with ``nentang demo --large`` (``NENTANG_DEMO_LARGE=true``) only: a table of
  1,000,000 air-quality readings, built by the datastore's bulk path (one to two
  minutes; the default demo must take seconds).

Idempotent: everything is looked up first.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from nentang.addresses import selectors as addresses
from nentang.identity import selectors as identity_selectors
from nentang.identity import services as identity
from nentang.kernel import demodata
from nentang.kernel.auditing import Actor
from nentang.opendata import encodings, selectors, services
from nentang.opendata.models import Dataset, Group, Organisation

SEED = 20260301
PASSWORD = "demo-publisher-2026"  # noqa: S105 - documented demo credential
PUBLISHER = "dulieu.tnmt"
ACTOR = Actor.system("demo")
AGENCIES = (
    ("so-tnmt-hcm", "Sở Tài nguyên và Môi trường TP. Hồ Chí Minh"),
    ("so-gddt-hcm", "Sở Giáo dục và Đào tạo TP. Hồ Chí Minh"),
    ("so-tc-hcm", "Sở Tài chính TP. Hồ Chí Minh"),
)
GROUPS = (
    ("moi-truong", "Môi trường"), ("giao-duc", "Giáo dục"), ("tai-chinh", "Tài chính"),
    ("dich-vu-cong", "Dịch vụ công"), ("thong-ke", "Thống kê"),
)  # fmt: skip
WARDS = ("Sài Gòn", "Bến Thành", "Tân Định", "Thủ Đức", "Linh Trung", "Bình Chánh",
         "Củ Chi", "Hóc Môn", "Gò Vấp", "Phú Nhuận", "Tân Bình", "Bình Thạnh")  # fmt: skip
DATASETS = 240
ACCOUNTS = (
    demodata.DemoAccount(
        role="open-data publisher of Sở TN&MT TP.HCM: create datasets, upload files, API tokens",
        login=PUBLISHER,
        password=PASSWORD,
        note="/dataset/new",
    ),
)


def _summary() -> list[str]:
    base = settings.BASE_URL
    return [
        "",
        f"[bold]Open data[/]: search {base}/dataset · CKAN API {base}/api/3/action/package_search",
        f"  DCAT-AP {base}/catalog.ttl · publisher [bold]{PUBLISHER}[/] / {PASSWORD}",
    ]


def _publisher() -> None:
    admin = get_user_model().objects.filter(is_superuser=True).order_by("date_joined").first()
    if admin is None:
        admin = identity.administrator_create(
            created_by=ACTOR, username="admin-dulieu", password=PASSWORD
        )
    for code, name in AGENCIES:
        if not identity_selectors.agency_list().filter(code=code).exists():
            identity.agency_create(
                actor=admin, code=code, name=name, kind="department", province_code="79"
            )
        if not Organisation.objects.filter(name=code).exists():
            services.organisation_create(
                actor=ACTOR, name=code, title=name, agency_code=code, province_code="79"
            )
    if not get_user_model().objects.filter(username=PUBLISHER).exists():
        officer = identity.officer_create(
            actor=admin, agency_code="so-tnmt-hcm", username=PUBLISHER, password=PASSWORD,
            full_name="Lê Thị Hồng", roles=["processing"], title="Chuyên viên dữ liệu mở",
        )  # fmt: skip
        services.publisher_grant(
            actor=ACTOR, account=officer.account, organisation_name="so-tnmt-hcm"
        )
    for name, title in GROUPS:
        if not Group.objects.filter(name=name).exists():
            services.group_create(actor=ACTOR, name=name, title=title)


# (name prefix, title, description, organisation, group, tags, frequency, licence)
TEMPLATES = (
    ("chat-luong-khong-khi", "Chất lượng không khí phường {ward} năm {year}",
     "Chỉ số AQI, PM2,5 và PM10 theo giờ tại trạm quan trắc phường {ward}.",
     "so-tnmt-hcm", "moi-truong", ["không khí", "AQI", "quan trắc"], "monthly", "cc-by-4.0"),
    ("du-toan-ngan-sach", "Dự toán ngân sách phường {ward} năm {year}",
     "Dự toán thu, chi ngân sách nhà nước được giao, đơn vị đồng.",
     "so-tc-hcm", "tai-chinh", ["ngân sách", "dự toán"], "annual", "cc-zero"),
    ("danh-sach-truong-hoc", "Danh sách trường học phường {ward} năm học {year}-{next}",
     "Tên trường, cấp học, địa chỉ, số lớp và số học sinh.",
     "so-gddt-hcm", "giao-duc", ["trường học", "giáo dục"], "annual", "odc-by"),
    ("ho-so-dich-vu-cong", "Hồ sơ dịch vụ công trực tuyến phường {ward} năm {year}",
     "Số hồ sơ tiếp nhận, giải quyết đúng hạn và quá hạn theo lĩnh vực.",
     "so-tc-hcm", "dich-vu-cong", ["dịch vụ công", "hồ sơ"], "quarterly", "vn-odl"),
)  # fmt: skip


def _payloads(rng: random.Random) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for n in range(demodata.scaled(DATASETS)):
        prefix, title, notes, org, group, tags, frequency, licence = TEMPLATES[n % 4]
        ward, year = WARDS[n % len(WARDS)], 2022 + n % 4
        words = {"ward": ward, "year": year, "next": year + 1}
        name = f"{prefix}-{n}"
        payload: dict[str, object] = {
            "name": name, "title": title.format(**words), "notes": notes.format(**words),
            "owner_org": org, "groups": [group], "tags": tags, "frequency": frequency,
            "license_id": licence, "spatial": ["79"],
            "resources": [{"name": "Dữ liệu (CSV)", "format": "CSV",
                           "url": f"https://dulieu.hochiminhcity.gov.vn/{name}.csv"}],
        }  # fmt: skip
        if rng.random() < 0.05:
            payload["state"] = "draft"
        out.append(payload)
    return out


def _aqi_row(n: int) -> str:
    aqi = 40 + (n * 37) % 130
    pm25 = f"{10 + (n * 13) % 60},{n % 10}"
    over = "có" if aqi > 100 else "không"
    return f"Trạm {WARDS[n % 12]};{n % 28 + 1:02d}/03/2026;{aqi};{pm25};{over}"


AQI_ROWS = [
    "Trạm quan trắc;Ngày đo;Chỉ số AQI;PM2,5 (microgam/m3);Vượt ngưỡng",
    *[_aqi_row(n) for n in range(120)],
]
SCHOOLS = [
    "Tên trường,Cấp học,Phường,Số lớp,Số học sinh,Ngày thành lập",
    "THCS Lê Quý Đôn,THCS,Xuân Hòa,32,1250,05/09/1990",
    "THPT Nguyễn Thị Minh Khai,THPT,Xuân Hòa,45,2100,15/08/1975",
    "Tiểu học Trần Hưng Đạo,Tiểu học,Bến Thành,28,980,01/09/1985",
    "THPT Bùi Thị Xuân,THPT,Bến Thành,40,1875,10/09/1982",
    "Mầm non Hoa Hồng,Mầm non,Thủ Đức,12,310,20/11/2001",
]


def _aqi_tcvn3() -> bytes:
    return encodings.encode_tcvn3("\n".join(AQI_ROWS) + "\n")


def _schools_cp1258() -> bytes:
    return encodings.encode_cp1258("\n".join(SCHOOLS) + "\n")


COLUMN_NOTES = {
    "chi-so-aqi-thang-3-2026": (
        "Trạm quan trắc tự động của Sở Tài nguyên và Môi trường.",
        "Ngày đo, giờ Việt Nam.",
        "Chỉ số chất lượng không khí (VN_AQI) theo Quyết định 1459/QĐ-TCMT.",
        "Nồng độ bụi PM2,5 trung bình 24 giờ, microgam trên mét khối.",
        "Có khi AQI vượt 100 (mức kém trở lên).",
    ),
}
LEGACY = (
    ("chi-so-aqi-thang-3-2026", "Chỉ số AQI các trạm tháng 3/2026 (tệp gốc mã TCVN3)",
     "aqi-tcvn3.csv", _aqi_tcvn3),
    ("truong-hoc-tieu-bieu", "Trường học tiêu biểu (tệp gốc mã Windows-1258)",
     "truong-1258.csv", _schools_cp1258),
)  # fmt: skip


def _legacy_files() -> None:
    account = get_user_model().objects.get(username=PUBLISHER)
    for name, title, filename, content in LEGACY:
        if Dataset.objects.filter(name=name).exists():
            continue
        data = {
            "name": name, "title": title, "owner_org": "so-tnmt-hcm", "frequency": "monthly",
            "notes": "Tệp gửi theo bảng mã cũ; nền tảng nhận dạng và chuyển sang Unicode.",
            "groups": ["moi-truong"], "tags": ["TCVN3", "bảng mã"], "spatial": ["79"],
        }  # fmt: skip
        dataset = services.dataset_create(account=account, data=data)
        resource = services.resource_create(
            account=account, dataset=dataset, data={"name": title, "format": "CSV"}
        )
        upload = SimpleUploadedFile(filename, content())
        services.resource_upload(account=account, resource=resource, upload=upload)
        services.datastore_upload(account=account, resource=resource, background=False)
        notes = COLUMN_NOTES.get(name)
        if notes:  # the data dictionary, as a publisher writes it on the page
            _resource, store = selectors.datastore_get(
                account=account, resource_id=str(resource.public_id)
            )
            pairs = zip(store.fields, notes, strict=False)
            services.datastore_fields_describe(
                account=account, resource=resource,
                descriptions={field["id"]: ("", note) for field, note in pairs},
            )  # fmt: skip


LARGE = "quan-trac-khong-khi-mot-trieu-dong"
LARGE_ROWS = 1_000_000
LARGE_FIELDS = [
    {"id": "tinh", "type": "text", "info": {"label": "Tỉnh, thành phố"}},
    {"id": "tram", "type": "text", "info": {"label": "Trạm quan trắc"}},
    {"id": "ngay", "type": "date", "info": {"label": "Ngày"}},
    {"id": "aqi", "type": "int", "info": {"label": "Chỉ số AQI"}},
    {"id": "pm25", "type": "numeric", "info": {"label": "PM2,5 (µg/m³)"}},
]


def _readings(count: int) -> Iterator[list[object]]:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    provinces = [p.name for p in addresses.province_list()]
    first = datetime.date(2025, 1, 1)
    for _n in range(count):
        province = provinces[rng.randrange(len(provinces))]
        yield [
            province, f"Trạm {rng.randrange(1, 40)} {province}",
            first + datetime.timedelta(days=rng.randrange(365)), rng.randrange(10, 300),
            round(rng.uniform(3, 150), 1),
        ]  # fmt: skip


def _large_table(progress: demodata.Progress) -> None:
    """The issue's table of a million rows, through the bulk path (opt-in)."""
    account = get_user_model().objects.get(username=PUBLISHER)
    dataset = Dataset.objects.filter(name=LARGE).first()
    if dataset is None:
        dataset = services.dataset_create(account=account, data={
            "name": LARGE, "title": "Quan trắc không khí: một triệu lượt đo năm 2025",
            "notes": "Chỉ số AQI và bụi mịn PM2,5 theo ngày tại các trạm quan trắc của 34 "
                     "tỉnh, thành phố (dữ liệu mô phỏng cho bản trình diễn, 1.000.000 dòng).",
            "owner_org": "so-tnmt-hcm", "groups": ["moi-truong"], "frequency": "daily",
            "tags": ["không khí", "AQI", "quan trắc"], "license_id": "cc-by-4.0",
        })  # fmt: skip
    resource = dataset.resources.first()
    if resource is None:
        resource = services.resource_create(
            account=account, dataset=dataset, data={"name": "Lượt đo (CSV)", "format": "CSV"}
        )
    store = getattr(resource, "datastore", None)
    if store is not None and store.row_count >= LARGE_ROWS:
        return
    steps = 20
    progress.start("Open data: 1,000,000 air-quality readings (bulk load)", steps)

    def batch_done(count: int) -> None:
        if count % (LARGE_ROWS // steps) == 0:
            progress.advance()

    services.datastore_load_rows(
        actor=ACTOR, resource=resource, fields=LARGE_FIELDS, rows=_readings(LARGE_ROWS),
        indexed=["tinh"], on_batch=batch_done,
    )  # fmt: skip


@demodata.loader("opendata", accounts=ACCOUNTS, summary=_summary)
def load(progress: demodata.Progress) -> None:
    progress.start("Open data: agencies, datasets, legacy files, statistics", 4)
    _publisher()
    progress.advance()
    account = get_user_model().objects.get(username=PUBLISHER)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("date_joined").first()
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    existing = set(Dataset.objects.values_list("name", flat=True))
    for index, payload in enumerate(_payloads(rng)):
        if payload["name"] in existing:
            continue
        actor = account if payload["owner_org"] == "so-tnmt-hcm" else admin
        dataset = services.dataset_create(account=actor, data=payload)
        if index % 37 == 5 and dataset.state == "published":
            services.dataset_transition(account=actor, dataset=dataset, to="deprecated")
    progress.advance()
    _legacy_files()
    progress.advance()
    if not Dataset.objects.filter(extras__generated_by="nentang").exists():
        services.statistics_publish(actor=ACTOR)  # once: a later run changes nothing
    progress.advance()
    if settings.NENTANG_DEMO_LARGE:
        _large_table(progress)
