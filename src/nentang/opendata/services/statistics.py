"""Statistics published from the platform: datasets generated from the other
contexts' selectors, aggregated, with small cells withheld (counts below 5 are not
published, so no person can be singled out), each run a new version.

Today: e-ID registrations and the level-2 share by province and month (identity),
public-service dossiers per agency, procedure and month (publicservices' daily roll-up,
Decision 766/QĐ-TTg measures), shipments per province of destination and month with
their outcomes (postal), and transfers per purpose and month (payments). Each reads only
its context's selectors; later contexts add their own generators to :data:`GENERATORS`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from nentang.addresses import selectors as addresses
from nentang.identity import selectors as identity
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.opendata.models import Dataset, Group, Licence, Organisation, Resource
from nentang.opendata.services.datastore import store_records
from nentang.opendata.services.search_index import dataset_reindex
from nentang.payments import selectors as payments
from nentang.postal import selectors as postal
from nentang.publicservices import selectors as publicservices

SMALL_CELL = 5
ORGANISATION = "thong-ke-nen-tang"
ORGANISATION_TITLE = "Thống kê từ nền tảng số (nentang)"
# Not an agency of the identity context: the platform itself publishes these.
PLATFORM_AGENCY = "nentang-platform"


@dataclass(frozen=True)
class Generator:
    name: str
    title: str
    notes: str
    fields: list[dict[str, Any]]
    rows: Callable[[], list[dict[str, Any]]]


def suppress(value: int) -> int | None:
    """A count below the threshold is withheld (published as empty)."""
    return value if value >= SMALL_CELL else None


def _registrations() -> list[dict[str, Any]]:
    names = {p.code: p.name for p in addresses.province_list()}
    rows = []
    for row in identity.registration_statistics():
        total = suppress(row["registrations"])
        level_2 = suppress(row["level_2"]) if total is not None else None
        share = (
            round(100 * row["level_2"] / row["registrations"], 1) if level_2 is not None else None
        )
        rows.append({
            "thang": row["month"], "ma_tinh": row["province_code"],
            "tinh": names.get(row["province_code"], row["province_code"]),
            "so_dang_ky": total, "so_muc_2": level_2, "ty_le_muc_2": share,
            "ghi_chu": "" if total is not None else f"<{SMALL_CELL}",
        })  # fmt: skip
    return rows


MONTHS = 12


def _months(today: datetime.date, count: int) -> list[tuple[datetime.date, datetime.date]]:
    """The ``count`` calendar months up to and including ``today``'s, oldest first, as
    ``[first day, first day of the next month)``."""
    spans = []
    first = today.replace(day=1)
    for _ in range(count):
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        spans.append((first, following))
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return spans[::-1]


def _dossiers() -> list[dict[str, Any]]:
    agencies = {a.code: a.name for a in identity.agency_list()}
    procedures = {p.slug: p.name.vi for p in publicservices.procedure_list()}
    rows = []
    for since, until in _months(timezone.localdate(), MONTHS):
        for row in publicservices.service_statistics(since=since, until=until):
            rows.append({
                "thang": since.isoformat()[:7], "ma_co_quan": row.agency,
                "co_quan": agencies.get(row.agency, row.agency), "thu_tuc": row.procedure,
                "ten_thu_tuc": procedures.get(row.procedure, row.procedure),
                **dossier_cells(row),
            })  # fmt: skip
    return rows


def _shipments() -> list[dict[str, Any]]:
    names = {p.code: p.name for p in addresses.province_list()}
    since = _months(timezone.localdate(), MONTHS)[0][0]
    rows = []
    for row in postal.shipments_by_province_month(since=since):
        total = suppress(row["shipments"])
        shown = total is not None
        collected = suppress(row["cod_collected"]) if shown else None
        rows.append({
            "thang": row["month"], "ma_tinh": row["province_code"],
            "tinh": names.get(row["province_code"], row["province_code"]),
            "so_buu_gui": total,
            "so_da_phat": suppress(row["delivered"]) if shown else None,
            "so_chuyen_hoan": suppress(row["returned"]) if shown else None,
            "so_thu_ho": collected,
            "tien_thu_ho": row["cod_amount"] if collected is not None else None,
            "ghi_chu": "" if shown else f"<{SMALL_CELL}",
        })  # fmt: skip
    return rows


def _transfers() -> list[dict[str, Any]]:
    since = _months(timezone.localdate(), MONTHS)[0][0]
    rows = []
    for row in payments.transfer_statistics(since=since):
        count = suppress(row["transfers"])
        rows.append({
            "thang": row["month"], "muc_dich": row["purpose"], "so_giao_dich": count,
            "tong_tien": row["amount"] if count is not None else None,
            "ghi_chu": "" if count is not None else f"<{SMALL_CELL}",
        })  # fmt: skip
    return rows


def dossier_cells(row: Any) -> dict[str, Any]:
    """The published counts of one agency, procedure and month. The finished dossiers
    are the on-time ones plus the late ones: when either part is withheld the other is
    too, or the withheld one is the finished count minus the one shown."""
    received = suppress(row.received)
    shown = received is not None
    on_time = suppress(row.early + row.on_time) if shown else None
    late = suppress(row.late) if shown else None
    if on_time is None or late is None:
        on_time = late = None
    return {
        "so_tiep_nhan": received,
        "so_da_giai_quyet": suppress(row.finished) if shown else None,
        "so_dung_han": on_time,
        "so_tre_han": late,
        "so_nop_truc_tuyen": suppress(row.online) if shown else None,
        "ghi_chu": "" if shown else f"<{SMALL_CELL}",
    }


GENERATORS = [
    Generator(
        name="thong-ke-dinh-danh-dien-tu-theo-tinh-thang",
        title="Đăng ký định danh điện tử theo tỉnh và tháng",
        notes=(
            "Số tài khoản định danh điện tử đăng ký mới và số đạt mức 2 theo tỉnh, thành "
            f"phố và tháng, tổng hợp tự động từ nền tảng. Ô có ít hơn {SMALL_CELL} người "
            "không được công bố để không thể nhận ra cá nhân."
        ),
        fields=[
            {"id": "thang", "type": "text"},
            {"id": "ma_tinh", "type": "text"},
            {"id": "tinh", "type": "text"},
            {"id": "so_dang_ky", "type": "int"},
            {"id": "so_muc_2", "type": "int"},
            {"id": "ty_le_muc_2", "type": "numeric"},
            {"id": "ghi_chu", "type": "text"},
        ],
        rows=_registrations,
    ),
    Generator(
        name="thong-ke-ho-so-dich-vu-cong-theo-thu-tuc-thang",
        title="Hồ sơ dịch vụ công theo cơ quan, thủ tục và tháng",
        notes=(
            "Số hồ sơ tiếp nhận, đã giải quyết, đúng hạn, trễ hạn và nộp trực tuyến theo cơ "
            f"quan, thủ tục hành chính và tháng ({MONTHS} tháng gần nhất), tổng hợp tự động "
            "từ nền tảng theo các chỉ số của Quyết định 766/QĐ-TTg. Ô có ít hơn "
            f"{SMALL_CELL} hồ sơ không được công bố để không thể nhận ra cá nhân."
        ),
        fields=[
            {"id": "thang", "type": "text"},
            {"id": "ma_co_quan", "type": "text"},
            {"id": "co_quan", "type": "text"},
            {"id": "thu_tuc", "type": "text"},
            {"id": "ten_thu_tuc", "type": "text"},
            {"id": "so_tiep_nhan", "type": "int"},
            {"id": "so_da_giai_quyet", "type": "int"},
            {"id": "so_dung_han", "type": "int"},
            {"id": "so_tre_han", "type": "int"},
            {"id": "so_nop_truc_tuyen", "type": "int"},
            {"id": "ghi_chu", "type": "text"},
        ],
        rows=_dossiers,
    ),
    Generator(
        name="thong-ke-buu-gui-theo-tinh-thang",
        title="Bưu gửi theo tỉnh nhận và tháng",
        notes=(
            "Số bưu gửi theo tỉnh, thành phố nhận và tháng gửi "
            f"({MONTHS} tháng gần nhất; không tính bưu gửi đã hủy): số đã phát, số chuyển "
            "hoàn về người gửi, số bưu gửi đã thu hộ (COD) và tổng tiền thu hộ (đồng), "
            f"tổng hợp tự động từ nền tảng. Ô có ít hơn {SMALL_CELL} bưu gửi không được "
            "công bố để không thể nhận ra cá nhân."
        ),
        fields=[
            {"id": "thang", "type": "text"},
            {"id": "ma_tinh", "type": "text"},
            {"id": "tinh", "type": "text"},
            {"id": "so_buu_gui", "type": "int"},
            {"id": "so_da_phat", "type": "int"},
            {"id": "so_chuyen_hoan", "type": "int"},
            {"id": "so_thu_ho", "type": "int"},
            {"id": "tien_thu_ho", "type": "int"},
            {"id": "ghi_chu", "type": "text"},
        ],
        rows=_shipments,
    ),
    Generator(
        name="thong-ke-giao-dich-thanh-toan-theo-thang",
        title="Giao dịch thanh toán theo mục đích và tháng",
        notes=(
            "Số giao dịch chuyển tiền đã hạch toán và tổng số tiền (đồng) theo mục đích "
            f"(chuyển khoản cá nhân, thanh toán, thu hộ COD…) và tháng ({MONTHS} tháng gần "
            "nhất), tổng hợp tự động từ sổ cái của nền tảng; không tính khoản tạm giữ chưa "
            f"hạch toán. Ô có ít hơn {SMALL_CELL} giao dịch không được công bố để không "
            "thể nhận ra cá nhân."
        ),
        fields=[
            {"id": "thang", "type": "text"},
            {"id": "muc_dich", "type": "text"},
            {"id": "so_giao_dich", "type": "int"},
            {"id": "tong_tien", "type": "int"},
            {"id": "ghi_chu", "type": "text"},
        ],
        rows=_transfers,
    ),
]


def _organisation(actor: Actor) -> Organisation:
    organisation = Organisation.objects.filter(name=ORGANISATION).first()
    if organisation is None:
        organisation = Organisation.objects.create(
            name=ORGANISATION, title=ORGANISATION_TITLE, agency_code=PLATFORM_AGENCY,
            description="Số liệu thống kê do nền tảng tự tổng hợp và công bố.",
            created_at=timezone.now(),
        )  # fmt: skip
        auditing.record(
            actor=actor, action="opendata.organisation.create",
            subject_type="opendata.organisation", subject=str(organisation.public_id),
            summary={"name": ORGANISATION},
        )  # fmt: skip
    return organisation


def statistics_publish(*, actor: Actor | None = None) -> list[Dataset]:
    """Run every generator: create its dataset the first time, replace its table and
    bump its version (``YYYY.MM.DD-N``) every time."""
    actor = actor or Actor.system("opendata-statistics")
    published = []
    for generator in GENERATORS:
        records = generator.rows()
        with transaction.atomic():
            organisation = _organisation(actor)
            now = timezone.now()
            dataset = Dataset.objects.select_for_update().filter(name=generator.name).first()
            if dataset is None:
                dataset = Dataset.objects.create(
                    name=generator.name, title=generator.title, notes=generator.notes,
                    organisation=organisation, licence=Licence.objects.get(id="cc-by-4.0"),
                    frequency=Dataset.Frequency.MONTHLY, state=Dataset.State.PUBLISHED,
                    created_at=now, modified_at=now, published_at=now,
                    spatial_codes=[], extras={"generated_by": "nentang"},
                )  # fmt: skip
                group = Group.objects.filter(name="thong-ke").first()
                if group is not None:
                    dataset.groups.add(group)
                auditing.record(
                    actor=actor, action="opendata.dataset.create",
                    subject_type="opendata.dataset", subject=str(dataset.public_id),
                    summary={"name": dataset.name, "generated": True},
                )  # fmt: skip
            run = int(dataset.extras.get("run", "0")) + 1
            dataset.extras = {**dataset.extras, "run": str(run)}
            dataset.version = f"{now:%Y.%m.%d}-{run}"
            dataset.modified_at = dataset.data_updated_at = now
            dataset.save()
            resource = dataset.resources.first()
            if resource is None:
                resource = Resource.objects.create(
                    dataset=dataset, name=generator.title, format="CSV",
                    created_at=now, modified_at=now,
                )  # fmt: skip
            store_records(actor=actor, resource=resource, fields=generator.fields, records=records)
            Dataset.objects.filter(pk=dataset.pk).update(formats="CSV")
            auditing.record(
                actor=actor, action="opendata.statistics.publish",
                subject_type="opendata.dataset", subject=str(dataset.public_id),
                summary={"version": dataset.version, "rows": len(records)},
            )  # fmt: skip
            dataset_reindex(dataset)
        published.append(dataset)
    return published
