"""Demo data of the smartcity context for ``nentang demo``: three city tenants (Huế,
Đà Nẵng, TP Hồ Chí Minh), a simulated fleet of sensors in each, two hours of readings
(the Hương river above its alarm level in Huế, PM2.5 peaks in TP HCM), and the demo
machine client ``demo-city-sensors`` allowed to read and write the three tenants.

Idempotent: devices are registered by id and readings are keyed by (entity, attribute,
observation time), so running the demo twice changes nothing. Everything goes through
the services (``readings_ingest``), in one batch per city: seconds, not minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nentang.identity import selectors as identity_selectors
from nentang.identity import services as identity
from nentang.kernel import demodata
from nentang.kernel.auditing import Actor
from nentang.smartcity import services, simulate
from nentang.smartcity.models import Device, Observation
from nentang.smartcity.services.reports import ACTIONS

DEMO = Actor.system("demo")
CALLER = services.Caller.system("demo")
DEVICES_PER_CITY = 24
STEPS = 12  # every 10 minutes over two hours
CLIENT_ID = "demo-city-sensors"
CLIENT_SECRET = "demo-city-secret-2026"  # noqa: S105 - a published demo credential


@demodata.loader("smartcity")
def load(progress: demodata.Progress) -> None:
    progress.start("Smart city", len(simulate.CITIES))
    # A fixed hour, so readings (and the demo) are the same on every run of a day.
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(minutes=10 * (STEPS - 1))
    for city, (title, *_rest) in simulate.CITIES.items():
        tenant = services.tenant_create(actor=DEMO, name=city, title=title)
        # Once per city: a second run changes nothing (not even an audit entry).
        seeded = Observation.objects.filter(tenant=tenant).exists()
        fleet = simulate.fleet(city, DEVICES_PER_CITY)
        registered = {}
        for device in fleet:
            row, _key = services.device_register(
                caller=CALLER,
                tenant=city,
                device_id=device.device_id,
                kind=device.kind,
                longitude=device.longitude,
                latitude=device.latitude,
                key=device.key,
                name=_name(title, device),
            )
            registered[device.device_id] = row
        readings = []
        for step in range(STEPS):
            moment = start + step * timedelta(minutes=10)
            ts = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            rng_seed = simulate.random_for(city, step)
            for device in fleet:
                values = simulate.measures(device, moment, rng_seed)
                values = _storyline(city, device, step, values)
                readings.append(services.Reading(registered[device.device_id], ts, values))
        if not seeded:
            services.readings_ingest(caller=CALLER, tenant=city, readings=readings)
        progress.advance()
    if not identity_selectors.client_exists(client_id=CLIENT_ID):
        identity.client_register(
            actor=DEMO,
            name="Trung tâm điều hành đô thị (demo)",
            grant="client_credentials",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=["smartcity"],
            purpose="Đọc và gửi dữ liệu cảm biến đô thị qua NGSI-LD",
        )
    for city in simulate.CITIES:
        services.tenant_grant(actor=DEMO, tenant=city, client_id=CLIENT_ID, can_write=True)
    _citizen_reports()


# Citizen reports: the agency answering each city's reports (HCM: the identity demo's
# UBND phường Sài Gòn, so its officer canbo.saigon handles them), and a few reports of
# the demo citizen Nguyễn Văn An in every state.
DESKS = {
    "hue": (
        "46",
        "ttgs-dieu-hanh-do-thi-hue",
        "Trung tâm Giám sát, điều hành đô thị thông minh Huế",
    ),
    "danang": (
        "48",
        "ttgs-dieu-hanh-do-thi-da-nang",
        "Trung tâm Giám sát, điều hành đô thị thông minh Đà Nẵng",
    ),
    "hcm": ("79", "ubnd-phuong-sai-gon", "UBND phường Sài Gòn"),
}
CITIZEN_ID = "079090001234"  # Nguyễn Văn An (identity demo)
OFFICER_LOGIN = "canbo.saigon"  # identity demo
# (key, city, category, description, ward name part or coordinates, actions, answer)
REPORTS: tuple[tuple[str, str, str, str, str | tuple[float, float], tuple[str, ...], str], ...] = (
    (
        "demo-report-1",
        "hcm",
        "streetlight",
        "Ba cột đèn đường trước số 12 Lê Lợi tắt từ tối hôm qua, đoạn đường rất tối.",
        "Sài Gòn",
        ("triage", "assign", "start", "resolve"),
        "Đội chiếu sáng đã thay bộ điều khiển, ba cột đèn sáng lại từ 19 giờ hôm nay.",
    ),
    (
        "demo-report-2",
        "hcm",
        "pothole",
        "Ổ gà lớn giữa làn xe máy gần ngã tư, xe đi qua dễ té ngã.",
        (10.7765, 106.7012),
        ("triage", "assign", "start"),
        "",
    ),
    (
        "demo-report-3",
        "hcm",
        "rubbish",
        "Rác thải sinh hoạt để trên vỉa hè hai ngày chưa được thu gom.",
        "Sài Gòn",
        (),
        "",
    ),
    (
        "demo-report-4",
        "hue",
        "flooding",
        "Nước ngập sâu khoảng 40 cm trên đường Lê Lợi đoạn gần cầu Trường Tiền.",
        (16.4675, 107.5880),
        (),
        "",
    ),
)


def _citizen_reports() -> None:
    from django.contrib.auth import get_user_model

    Account = get_user_model()  # noqa: N806
    admin = Account.objects.filter(is_superuser=True).order_by("pk").first()
    for city, (province, code, name) in DESKS.items():
        if not identity_selectors.agency_list().filter(code=code).exists():
            if admin is None:
                continue
            identity.agency_create(
                actor=admin, code=code, name=name, kind="other", province_code=province
            )
        services.desk_set(actor=DEMO, tenant=city, agency_code=code, province_code=province)
    _open_data_publishers()
    citizen = Account.objects.filter(username=CITIZEN_ID).first()
    officer = Account.objects.filter(username=OFFICER_LOGIN).first()
    if citizen is None:
        return
    from nentang.smartcity.selectors import reports as report_selectors

    for key, city, category, text, place, actions, answer in REPORTS:
        if not report_selectors.desks().filter(tenant__name=city).exists():
            continue
        where: dict[str, object] = {}
        if isinstance(place, tuple):
            where = {"latitude": place[0], "longitude": place[1]}
        else:
            ward = report_selectors.city_wards(tenant=city).filter(name__icontains=place).first()
            where = {"ward_code": ward.code if ward else ""}
        report = services.report_create(
            actor=citizen,
            tenant=city,
            category=category,
            description=text,
            idempotency_key=key,
            **where,  # type: ignore[arg-type]
        )
        if officer is None:
            continue
        for action in actions:
            if report.state != "received" and action == "triage":
                continue
            starts = ACTIONS[action][0]
            if report.state not in starts:
                continue
            report = services.report_act(
                actor=officer,
                report_id=str(report.public_id),
                action=action,
                answer=answer,
                assignee_username=OFFICER_LOGIN,
            )


def _open_data_publishers() -> None:
    """Each city's report desk agency publishes the city's open-data feeds: registered
    once, which queues the first publishing run (the task worker of ``nentang demo``
    makes it within seconds, then every hour)."""
    from nentang.smartcity.selectors import reports as report_selectors
    from nentang.smartcity.services.open_data import publisher_of

    for desk in report_selectors.desks():
        if publisher_of(desk.tenant) is None:
            services.feed_publisher_set(actor=DEMO, tenant=desk.tenant.name)


KIND_NAMES = {
    "air": "Trạm quan trắc không khí",
    "traffic": "Camera đếm xe",
    "weather": "Trạm khí tượng",
    "flood": "Trạm đo mực nước",
    "streetlight": "Đèn đường",
    "parking": "Chỗ đỗ xe",
}


def _name(title: str, device: simulate.SimDevice) -> str:
    number = int(device.device_id.rsplit("-", 1)[-1])
    return f"{KIND_NAMES[device.kind]} số {number + 1}"


def _storyline(
    city: str, device: simulate.SimDevice, step: int, values: dict[str, object]
) -> dict[str, object]:
    """The demo's story: Huế's river above alarm level 3, smog in TP HCM's centre."""
    if city == "hue" and device.kind == "flood":
        return {"h": round(3.2 + 0.05 * step, 2)}
    if city == "hcm" and device.kind == "air" and device.device_id.endswith(("0", "2")):
        return {**values, "pm25": round(120.0 + 3 * step, 1)}
    return values


def demo_devices() -> int:
    return Device.objects.count()
