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
