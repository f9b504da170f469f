"""Open-data feeds of each city, published through the opendata context's services.

Per city (tenant) whose report desk's agency has an opendata organisation (the
publisher; ``feed_publisher_set`` registers one, the demo does it for the three
cities), three datasets:

* ``do-thi-<city>-quan-trac-theo-gio`` — hourly observations: per entity type,
  attribute and hour (UTC), the average, minimum, maximum and count of the numeric
  values (aggregated in the database). Its table is only ever appended to: each run adds
  the complete hours not published yet (an hour is complete ``SETTLE`` after its end;
  the first run publishes the last ``FEED_DAYS`` days) and, for an hour already
  published that received a late observation, a new row of that hour, type and
  attribute with ``lan_cong_bo`` one higher (the latest row of a key is the one in
  force). Late observations are found by id: the history's ids only grow, so the rows
  stored since the run before last (``history_id_before`` in the dataset's extras: one
  run of overlap, for a writer that took its ids before the last run and committed
  after it) that fall before ``published_until`` name the hours to aggregate again;
  a row is appended only where the aggregate differs from the latest published one. So
  a run repeated over the same hours appends nothing, and nothing published is ever
  rewritten or lost (the history's retention does not touch it). The dataset's version
  (``YYYY.MM.DD-N``) moves only when rows were appended;
* ``do-thi-<city>-canh-bao`` — the warnings and alarms in force when the run was made
  (the threshold rules of the operations centre);
* ``do-thi-<city>-thong-ke-theo-ngay`` — per day (Vietnam time) of the last
  ``STATS_DAYS`` days: observations per entity type (sensors: no personal data, nothing
  withheld) and citizen reports per category (about people: a count below
  ``SMALL_CELL`` is withheld and published empty, with ``<5`` in the note column).

The last two are rebuilt each run: a new version (``YYYY.MM.DD-N``, the run counted in
the dataset's extras) whose tables replace the previous run's.

The task ``tasks.publish_open_data_hourly`` runs ``feeds_publish`` and queues its next
run an hour later; registering a publisher queues the first run.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Max, Min, QuerySet
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone

from nentang.kernel.auditing import Actor
from nentang.kernel.errors import NotFound
from nentang.kernel.scheduling import task_enqueue_unless_waiting
from nentang.opendata import selectors as opendata_selectors
from nentang.opendata import services as opendata
from nentang.opendata.services.catalogue import (
    dataset_create_for_platform,
    dataset_update_for_platform,
)
from nentang.opendata.services.datastore import store_records
from nentang.opendata.services.resources import resource_create_in
from nentang.smartcity.models import CityDesk, Entity, Observation, Report, Tenant
from nentang.smartcity.ngsild.contexts import DEFAULT_VOCAB, core_terms

FEED_DAYS = 7
SETTLE = timedelta(minutes=5)  # an hour is published once this long after its end
HOURS_PER_READ = 200  # published hours read back per datastore search
READ_LIMIT = 32_000  # rows per datastore search (opendata's page limit)
STATS_DAYS = 30
SMALL_CELL = 5
PUBLISH_INTERVAL = timedelta(hours=1)
LICENCE = "cc-by-4.0"

HOURLY_FIELDS = [
    {"id": "gio", "type": "text"},
    {"id": "loai_thuc_the", "type": "text"},
    {"id": "thuoc_tinh", "type": "text"},
    {"id": "trung_binh", "type": "numeric"},
    {"id": "nho_nhat", "type": "numeric"},
    {"id": "lon_nhat", "type": "numeric"},
    {"id": "so_quan_trac", "type": "int"},
    {"id": "lan_cong_bo", "type": "int"},
]
HOURLY_KEY = ("gio", "loai_thuc_the", "thuoc_tinh")
WARNING_FIELDS = [
    {"id": "cong_bo_luc", "type": "text"},
    {"id": "muc", "type": "text"},
    {"id": "ma_thuc_the", "type": "text"},
    {"id": "loai_thuc_the", "type": "text"},
    {"id": "ten", "type": "text"},
    {"id": "thuoc_tinh", "type": "text"},
    {"id": "gia_tri", "type": "numeric"},
    {"id": "don_vi", "type": "text"},
    {"id": "nguong_canh_bao", "type": "numeric"},
    {"id": "nguong_bao_dong", "type": "numeric"},
    {"id": "mo_ta", "type": "text"},
    {"id": "quan_sat_luc", "type": "text"},
    {"id": "kinh_do", "type": "numeric"},
    {"id": "vi_do", "type": "numeric"},
]
OBSERVATIONS_PER_DAY_FIELDS = [
    {"id": "ngay", "type": "text"},
    {"id": "loai_thuc_the", "type": "text"},
    {"id": "so_quan_trac", "type": "int"},
    {"id": "so_thuc_the", "type": "int"},
]
REPORTS_PER_DAY_FIELDS = [
    {"id": "ngay", "type": "text"},
    {"id": "linh_vuc", "type": "text"},
    {"id": "ten_linh_vuc", "type": "text"},
    {"id": "so_phan_anh", "type": "int"},
    {"id": "ghi_chu", "type": "text"},
]
LEVELS = {"alarm": "báo động", "warning": "cảnh báo"}
# Citizen reports are entities too (IssueReporting): about people, they are counted
# from the reports themselves, with small cells withheld, never with the sensors.
PEOPLE_TYPES = (DEFAULT_VOCAB + "IssueReporting",)


@dataclass(frozen=True)
class Table:
    title: str
    fields: list[dict[str, str]]
    rows: Callable[[Tenant, datetime.datetime], list[dict[str, Any]]]


@dataclass(frozen=True)
class Feed:
    suffix: str
    title: str  # with {city}
    notes: str
    frequency: str
    tags: tuple[str, ...]
    tables: tuple[Table, ...]
    appended: bool = False  # the hourly table: new hours and revisions appended

    def name(self, tenant: Tenant) -> str:
        return f"do-thi-{tenant.name}-{self.suffix}"


def suppress(value: int) -> int | None:
    """A count of people's reports below the threshold is withheld (published empty)."""
    return value if value >= SMALL_CELL else None


def _hour_floor(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _type_name(iri: str) -> str:
    return iri.removeprefix(DEFAULT_VOCAB)


def _sensor_types(tenant: Tenant) -> list[str]:
    return list(
        Entity.objects.filter(tenant=tenant)
        .exclude(type__in=PEOPLE_TYPES)
        .order_by("type")
        .values_list("type", flat=True)
        .distinct()
    )


def _observations_of_type(
    tenant: Tenant, iri: str, since: datetime.datetime, until: datetime.datetime
) -> QuerySet[Observation]:
    """The history of one entity type's entities in [since, until) (the history has no
    type column, the entity has)."""
    return Observation.objects.filter(
        tenant=tenant,
        entity_id__in=Entity.objects.filter(tenant=tenant, type=iri).values("entity_id"),
        observed_at__gte=since,
        observed_at__lt=until,
    )


def hourly_observations(
    tenant: Tenant, since: datetime.datetime, until: datetime.datetime
) -> list[dict[str, Any]]:
    """Per entity type, attribute and hour from ``since`` to ``until`` (whole hours): the
    average, minimum, maximum and count of the numeric values (one grouped query per
    entity type: the history has no type column, the entity has)."""
    terms = core_terms()
    types = _sensor_types(tenant)
    rows = []
    for iri in types:
        grouped = (
            _observations_of_type(tenant, iri, since, until)
            .filter(number__isnull=False)
            .annotate(hour=TruncHour("observed_at", tzinfo=UTC))
            .values("hour", "attr")
            .annotate(avg=Avg("number"), low=Min("number"), high=Max("number"), n=Count("id"))
            .order_by("hour", "attr")
        )
        for row in grouped:
            rows.append({
                "gio": _hour_text(row["hour"]),
                "loai_thuc_the": _type_name(iri), "thuoc_tinh": terms.compact(row["attr"]),
                "trung_binh": round(row["avg"], 4), "nho_nhat": row["low"],
                "lon_nhat": row["high"], "so_quan_trac": row["n"],
            })  # fmt: skip
    rows.sort(key=lambda r: (r["gio"], r["loai_thuc_the"], r["thuoc_tinh"]))
    return rows


def _hour_text(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:00:00Z")


def _hour_ranges(
    hours: set[datetime.datetime],
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Hours (first instants) as the fewest ranges ``[start, end)`` of whole hours."""
    ranges: list[tuple[datetime.datetime, datetime.datetime]] = []
    for hour in sorted(hours):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + timedelta(hours=1))
        else:
            ranges.append((hour, hour + timedelta(hours=1)))
    return ranges


def _late_hours(tenant: Tenant, after_id: int, before: datetime.datetime) -> set[datetime.datetime]:
    """The hours before ``before`` that numeric observations stored with an id above
    ``after_id`` fall in (an index range on the history's ids)."""
    return {
        hour.astimezone(UTC)
        for hour in Observation.objects.filter(
            tenant=tenant, id__gt=after_id, observed_at__lt=before, number__isnull=False
        )
        .annotate(hour=TruncHour("observed_at", tzinfo=UTC))
        .order_by()
        .values_list("hour", flat=True)
        .distinct()
    }


def _published(resource: Any, hours: list[str]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The row in force (the latest ``lan_cong_bo``) of each key of ``hours``, read back
    through opendata's datastore search."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for start in range(0, len(hours), HOURS_PER_READ):
        page = opendata_selectors.datastore_search(
            account=None, resource_id=str(resource.public_id),
            filters={"gio": hours[start : start + HOURS_PER_READ]},
            limit=READ_LIMIT, include_total=False,
        )  # fmt: skip
        for record in page.records:
            key = (record["gio"], record["loai_thuc_the"], record["thuoc_tinh"])
            if key not in latest or (record["lan_cong_bo"] or 1) > (
                latest[key]["lan_cong_bo"] or 1
            ):
                latest[key] = record
    return latest


def _same(row: dict[str, Any], published: dict[str, Any]) -> bool:
    def close(a: Any, b: Any) -> bool:
        return a is not None and b is not None and abs(float(a) - float(b)) <= 1e-3

    return (
        int(published["so_quan_trac"] or 0) == row["so_quan_trac"]
        and close(published["nho_nhat"], row["nho_nhat"])
        and close(published["lon_nhat"], row["lon_nhat"])
        and close(published["trung_binh"], row["trung_binh"])
    )


def hourly_additions(
    tenant: Tenant, resource: Any, hours: set[datetime.datetime]
) -> list[dict[str, Any]]:
    """The rows to append for ``hours``: a key never published gets ``lan_cong_bo`` 1,
    a published key whose aggregate changed (a late observation) the next number, an
    unchanged key nothing."""
    computed = []
    for since, until in _hour_ranges(hours):
        computed += hourly_observations(tenant, since, until)
    published = _published(resource, sorted({row["gio"] for row in computed}))
    additions = []
    for row in computed:
        before = published.get((row["gio"], row["loai_thuc_the"], row["thuoc_tinh"]))
        if before is None:
            additions.append({**row, "lan_cong_bo": 1})
        elif not _same(row, before):
            additions.append({**row, "lan_cong_bo": (before["lan_cong_bo"] or 1) + 1})
    return additions


def warnings_in_force(tenant: Tenant, now: datetime.datetime) -> list[dict[str, Any]]:
    """The warnings and alarms of the city's threshold rules when the run is made."""
    from nentang.smartcity.selectors.dashboard import city_dashboard

    board = city_dashboard(tenant=tenant.name)
    if board is None:
        return []
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = []
    for sensor in board.alerts:
        for alert in sensor.alerts:
            rule = alert.rule
            value = alert.value if isinstance(alert.value, (int, float)) else None
            rows.append({
                "cong_bo_luc": stamp, "muc": LEVELS.get(alert.level, alert.level),
                "ma_thuc_the": sensor.entity_id, "loai_thuc_the": sensor.entity_type,
                "ten": sensor.name, "thuoc_tinh": rule.attribute, "gia_tri": value,
                "don_vi": rule.unit_code, "nguong_canh_bao": rule.warning,
                "nguong_bao_dong": rule.alarm, "mo_ta": rule.label,
                "quan_sat_luc": (
                    sensor.observed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if sensor.observed_at else ""
                ),
                "kinh_do": sensor.longitude, "vi_do": sensor.latitude,
            })  # fmt: skip
    return rows


def _days(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The last ``STATS_DAYS`` whole days (local time) before today."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=STATS_DAYS), today


def observations_per_day(tenant: Tenant, now: datetime.datetime) -> list[dict[str, Any]]:
    since, until = _days(now)
    zone = timezone.get_current_timezone()
    rows = []
    types = _sensor_types(tenant)
    for iri in types:
        grouped = (
            _observations_of_type(tenant, iri, since, until)
            .annotate(day=TruncDate("observed_at", tzinfo=zone))
            .values("day")
            .annotate(n=Count("id"), entities=Count("entity_id", distinct=True))
            .order_by("day")
        )
        for row in grouped:
            rows.append({
                "ngay": row["day"].isoformat(), "loai_thuc_the": _type_name(iri),
                "so_quan_trac": row["n"], "so_thuc_the": row["entities"],
            })  # fmt: skip
    rows.sort(key=lambda r: (r["ngay"], r["loai_thuc_the"]))
    return rows


def reports_per_day(tenant: Tenant, now: datetime.datetime) -> list[dict[str, Any]]:
    """Citizen reports made per category and day: counts below ``SMALL_CELL`` withheld."""
    since, until = _days(now)
    zone = timezone.get_current_timezone()
    grouped = (
        Report.objects.filter(tenant=tenant, created_at__gte=since, created_at__lt=until)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "category_id", "category__title")
        .annotate(n=Count("id"))
        .order_by("day", "category_id")
    )
    rows = []
    for row in grouped:
        count = suppress(row["n"])
        rows.append({
            "ngay": row["day"].isoformat(), "linh_vuc": row["category_id"],
            "ten_linh_vuc": row["category__title"], "so_phan_anh": count,
            "ghi_chu": "" if count is not None else f"<{SMALL_CELL}",
        })  # fmt: skip
    return rows


FEEDS = (
    Feed(
        suffix="quan-trac-theo-gio",
        title="Dữ liệu quan trắc theo giờ – {city}",
        notes=(
            "Giá trị trung bình, nhỏ nhất, lớn nhất và số lần quan trắc theo loại cảm biến "
            "(Smart Data Models), thuộc tính và giờ (UTC), tổng hợp tự động từ nền tảng đô "
            "thị thông minh (NGSI-LD), cập nhật mỗi giờ: mỗi giờ đã trọn được thêm vào cuối "
            "bảng (lần công bố đầu tiên có {days} ngày gần nhất), không dòng nào bị sửa hay "
            "xóa. Khi quan trắc đến muộn cho một giờ đã công bố, một dòng mới của giờ, loại "
            "và thuộc tính đó được thêm với lan_cong_bo tăng thêm 1: dòng có lan_cong_bo lớn "
            "nhất là số liệu có hiệu lực. Dữ liệu cảm biến, không có dữ liệu cá nhân."
        ),
        frequency="hourly",
        tags=("đô thị thông minh", "quan trắc", "cảm biến"),
        # Its rows are made by _publish_hourly (new hours, revisions), not by a Table.
        tables=(Table("Quan trắc theo giờ", HOURLY_FIELDS, lambda tenant, now: []),),
        appended=True,
    ),
    Feed(
        suffix="canh-bao",
        title="Cảnh báo đô thị đang có hiệu lực – {city}",
        notes=(
            "Các cảnh báo và báo động (ngập lụt, chất lượng không khí, giao thông …) theo "
            "ngưỡng của trung tâm điều hành đô thị tại thời điểm công bố, cập nhật mỗi giờ."
        ),
        frequency="hourly",
        tags=("đô thị thông minh", "cảnh báo"),
        tables=(Table("Cảnh báo đang có hiệu lực", WARNING_FIELDS, warnings_in_force),),
    ),
    Feed(
        suffix="thong-ke-theo-ngay",
        title="Thống kê quan trắc và phản ánh hiện trường theo ngày – {city}",
        notes=(
            "Số lần quan trắc theo loại cảm biến và ngày; số phản ánh hiện trường của người "
            "dân theo lĩnh vực và ngày ({stats_days} ngày gần nhất). Ô có ít hơn "
            f"{SMALL_CELL} phản ánh không được công bố để không thể nhận ra cá nhân."
        ),
        frequency="daily",
        tags=("đô thị thông minh", "thống kê", "phản ánh hiện trường"),
        tables=(
            Table("Quan trắc theo ngày", OBSERVATIONS_PER_DAY_FIELDS, observations_per_day),
            Table("Phản ánh hiện trường theo ngày", REPORTS_PER_DAY_FIELDS, reports_per_day),
        ),
    ),
)


def publisher_of(tenant: Tenant) -> Any:
    """The opendata organisation of the city's report desk agency, or None."""
    desk = CityDesk.objects.filter(tenant=tenant).first()
    if desk is None:
        return None
    return opendata_selectors.organisation_list().filter(agency_code=desk.agency_id).first()


def feed_publisher_set(*, actor: Actor, tenant: str) -> Any:
    """Register the city's report desk agency as an opendata publishing organisation
    (once; an agency that already publishes keeps its organisation) and queue the first
    publishing run. Returns the organisation. A city without a report desk: NotFound."""
    from nentang.smartcity.selectors.reports import desk_get

    desk = desk_get(tenant=tenant)  # NotFound (city_report_city_not_found) without a desk
    row = desk.tenant
    organisation = publisher_of(row)
    if organisation is None:
        organisation = opendata.organisation_create(
            actor=actor, name=desk.agency_id[:100], title=desk.agency.name,
            agency_code=desk.agency_id, province_code=desk.province_code,
            description=f"Dữ liệu mở của đô thị thông minh {row.title}.",
        )  # fmt: skip
    feeds_schedule(run_after=timezone.now())
    return organisation


def _definition(
    feed: Feed, tenant: Tenant, organisation: Any, run: int, now: Any
) -> dict[str, Any]:
    desk = CityDesk.objects.get(tenant=tenant)
    return {
        "name": feed.name(tenant),
        "title": feed.title.format(city=tenant.title),
        "notes": feed.notes.format(days=FEED_DAYS, stats_days=STATS_DAYS),
        "owner_org": organisation.name,
        "license_id": LICENCE,
        "tags": list(feed.tags),
        "frequency": feed.frequency,
        "spatial": [desk.province_code],
        "version": f"{now:%Y.%m.%d}-{run}",
        "extras": {"generated_by": "nentang.smartcity", "city": tenant.name, "run": str(run)},
    }


def _publish_feed(
    actor: Actor, feed: Feed, tenant: Tenant, organisation: Any, now: Any, mark: int
) -> Any:
    if feed.appended:
        return _publish_hourly(actor, feed, tenant, organisation, now, mark)
    tables = [(table, table.rows(tenant, now)) for table in feed.tables]
    with transaction.atomic():
        dataset = opendata_selectors.visible_datasets(None).filter(name=feed.name(tenant)).first()
        if dataset is None:
            data = _definition(feed, tenant, organisation, 1, now)
            data["resources"] = [{"name": t.title, "format": "CSV"} for t in feed.tables]
            dataset = dataset_create_for_platform(actor=actor, data=data)
        else:
            run = int(dataset.extras.get("run", "0")) + 1
            data = _definition(feed, tenant, organisation, run, now)
            dataset = dataset_update_for_platform(actor=actor, dataset=dataset, data=data)
        resources = list(dataset.resources.all())
        for position, (table, records) in enumerate(tables):
            if position < len(resources):
                resource = resources[position]
            else:
                resource = resource_create_in(
                    actor, dataset, {"name": table.title, "format": "CSV"}, position
                )
            store_records(actor=actor, resource=resource, fields=table.fields, records=records)
        opendata.dataset_data_updated(actor=actor, dataset=dataset)
    return dataset


def _columns(resource: Any) -> list[str] | None:
    """The columns of the resource's datastore table, or None without one."""
    try:
        page = opendata_selectors.datastore_search(
            account=None, resource_id=str(resource.public_id), limit=0, include_total=False
        )
    except NotFound:
        return None
    return [str(field["id"]) for field in page.fields if field["id"] != "_id"]


def _publish_hourly(
    actor: Actor, feed: Feed, tenant: Tenant, organisation: Any, now: Any, mark: int
) -> Any:
    """Append the hours completed since the last run and the revisions of hours that got
    late observations (module docstring). ``mark``: the history's highest id when the
    run began. A table without the current columns (a first run, or one published by an
    older version) is rebuilt from the last ``FEED_DAYS`` days."""
    table = feed.tables[0]
    until = _hour_floor(now - SETTLE)
    with transaction.atomic():
        dataset = opendata_selectors.visible_datasets(None).filter(name=feed.name(tenant)).first()
        resource = dataset.resources.order_by("position").first() if dataset else None
        extras = dict(dataset.extras) if dataset is not None else {}
        rebuild = (
            resource is None
            or "published_until" not in extras
            or _columns(resource) != [f["id"] for f in table.fields]
        )
        if rebuild:
            published_until = until
            records = [
                {**row, "lan_cong_bo": 1}
                for row in hourly_observations(tenant, until - timedelta(days=FEED_DAYS), until)
            ]
            mark_before = mark
        else:
            assert resource is not None
            published_until = max(datetime.datetime.fromisoformat(extras["published_until"]), until)
            previous = datetime.datetime.fromisoformat(extras["published_until"])
            mark_before = int(extras.get("history_id", mark))
            hours = _late_hours(tenant, int(extras.get("history_id_before", 0)), previous)
            hour = previous
            while hour < until:
                hours.add(hour)
                hour += timedelta(hours=1)
            records = hourly_additions(tenant, resource, hours)
        changed = rebuild or bool(records)
        run = int(extras.get("run", "0")) + (1 if changed else 0)
        data = _definition(feed, tenant, organisation, max(run, 1), now)
        if not changed and dataset is not None:
            data["version"] = dataset.version
        data["extras"].update({
            "published_until": published_until.isoformat(),
            "history_id": str(mark), "history_id_before": str(mark_before),
        })  # fmt: skip
        if dataset is None:
            data["resources"] = [{"name": table.title, "format": "CSV"}]
            dataset = dataset_create_for_platform(actor=actor, data=data)
            resource = dataset.resources.order_by("position").first()
        else:
            dataset = dataset_update_for_platform(actor=actor, dataset=dataset, data=data)
            if resource is None:
                resource = resource_create_in(
                    actor, dataset, {"name": table.title, "format": "CSV"}, 0
                )
        assert resource is not None
        if rebuild:  # new columns: the table is made (again)
            store_records(actor=actor, resource=resource, fields=table.fields, records=records)
        elif records:  # no columns: appended
            store_records(actor=actor, resource=resource, fields=None, records=records)
        if changed:
            opendata.dataset_data_updated(actor=actor, dataset=dataset)
    return dataset


def feeds_publish(
    *, actor: Actor | None = None, now: datetime.datetime | None = None
) -> dict[str, list[Any]]:
    """Publish every city's feeds (cities without a publisher are skipped); the
    datasets published per city."""
    actor = actor or Actor.system("smartcity.open-data")
    moment = now or timezone.now()
    # Before any aggregation: rows stored from here on are checked again next run.
    mark = Observation.objects.aggregate(top=Max("id"))["top"] or 0
    done: dict[str, list[Any]] = {}
    for tenant in Tenant.objects.exclude(name="").order_by("name"):
        organisation = publisher_of(tenant)
        if organisation is None:
            continue
        done[tenant.name] = [
            _publish_feed(actor, feed, tenant, organisation, moment, mark) for feed in FEEDS
        ]
    return done


def feeds_schedule(*, run_after: datetime.datetime | None = None) -> bool:
    """Queue the hourly publishing run unless one is waiting already; True when queued."""
    from nentang.smartcity.tasks import publish_open_data_hourly

    return task_enqueue_unless_waiting(publish_open_data_hourly, run_after=run_after)
