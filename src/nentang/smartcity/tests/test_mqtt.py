"""MQTT device ingestion through a real Mosquitto broker (started here on a free
loopback port): signed readings are stored and visible over NGSI-LD, unknown devices
and bad signatures are dropped and recorded, duplicates and late readings change
nothing they should not, a subscription is notified; and on PostgreSQL the bridge
process is killed (-9) mid-stream and restarted without losing an acknowledged reading."""

from __future__ import annotations

import ipaddress
import json
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import connection
from paho.mqtt.enums import CallbackAPIVersion
from tests.support.processes import free_port, nentang_env

from nentang.kernel.models.outbox import OutboxEvent
from nentang.smartcity import services, simulate
from nentang.smartcity.ingest import Bridge
from nentang.smartcity.models import Entity, Observation
from nentang.smartcity.ngsild import contexts
from nentang.smartcity.services import Caller
from nentang.smartcity.tests.conftest import OPERATOR

pytestmark = pytest.mark.django_db(transaction=True)

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[int]:
    if not Path(MOSQUITTO).exists():
        pytest.skip("Mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 100000\n"
    )
    process = subprocess.Popen(
        [MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    for _ in range(100):
        probe = mqtt.Client(CallbackAPIVersion.VERSION2)
        try:
            probe.connect("127.0.0.1", port)
            probe.disconnect()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(10)


def publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{time.monotonic_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish_all(client: mqtt.Client, items: list[tuple[str, bytes]]) -> None:
    infos = [client.publish(topic, payload, qos=1) for topic, payload in items]
    for info in infos:
        info.wait_for_publish(30)  # PUBACK from the broker: the broker holds it now


def signed(device: simulate.SimDevice, ts: str, values: dict[str, Any]) -> tuple[str, bytes]:
    body = {
        "ts": ts,
        "m": values,
        "sig": services.signature(device.key, device.device_id, ts, values),
    }
    return f"nentang/{device.tenant}/{device.device_id}/attrs", json.dumps(body).encode()


def register(devices: list[simulate.SimDevice]) -> None:
    services.tenant_create(actor=OPERATOR, name=devices[0].tenant, title="Thành phố Huế")
    for device in devices:
        services.device_register(
            caller=Caller.system("tests"),
            tenant=device.tenant,
            device_id=device.device_id,
            kind=device.kind,
            longitude=device.longitude,
            latitude=device.latitude,
            key=device.key,
        )


def run_until(bridge: Bridge, received: int, timeout: float = 60) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while bridge.stats.received < received and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(30)
    assert bridge.stats.received >= received, bridge.stats


def test_readings_travel_from_mqtt_to_the_ngsi_ld_store(
    broker: int, db: None, settings: Any
) -> None:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    fleet = simulate.fleet("hue", 12)
    register(fleet)
    # A dashboard watching PM2.5 above 50: notified of the newest value only.
    services.subscription_create(
        caller=Caller.system("tests"),
        tenant="hue",
        payload={
            "type": "Subscription",
            "entities": [{"type": "AirQualityObserved"}],
            "watchedAttributes": ["pm25"],
            "q": "pm25>50",
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/ngsi-ld"}},
        },
        terms=contexts.core_terms(),
        context=None,
    )
    air = next(d for d in fleet if d.kind == "air")
    flood = next(d for d in fleet if d.kind == "flood")
    light = next(d for d in fleet if d.kind == "streetlight")

    bridge = Bridge(port=broker, client_id="test-bridge", batch_size=50, flush_seconds=0.1)
    # Subscribe first (persistent session), so nothing published below is missed.
    stop = threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
    thread.start()
    assert bridge.subscribed.wait(10)

    client = publisher(broker)
    now = datetime.now(UTC).replace(microsecond=0)
    t = [(now - timedelta(minutes=10 - i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(10)]
    good = [
        signed(air, t[1], {"pm25": 35.5, "pm10": 60.0}),
        signed(air, t[3], {"pm25": 58.0, "pm10": 90.0}),
        signed(air, t[2], {"pm25": 41.0, "pm10": 70.0}),  # late: history only
        signed(air, t[3], {"pm25": 58.0, "pm10": 90.0}),  # duplicate: kept once
        signed(flood, t[4], {"h": 3.7}),
        signed(light, t[5], {"on": True, "lux": 0.9}),
    ]
    stranger = simulate.SimDevice("hue", "hue-air-9999", "air", 107.6, 16.46, "guess")
    forged = json.loads(signed(air, t[6], {"pm25": 999.0})[1])
    forged["m"]["pm25"] = 1.0  # tampered after signing
    bad = [
        signed(stranger, t[6], {"pm25": 12.0}),
        (f"nentang/hue/{air.device_id}/attrs", json.dumps(forged).encode()),
        (f"nentang/hue/{air.device_id}/attrs", b"not json"),
        signed(air, t[7], {"radiation": 1.0}),  # not a measure of an air sensor
        signed(air, t[8], {"pm25": float("nan")}),  # NaN: Python writes it, JSON has none
    ]
    publish_all(client, good + bad)
    deadline = time.monotonic() + 30
    while bridge.stats.received < len(good) + len(bad) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(30)
    client.loop_stop()

    assert bridge.stats.received == len(good) + len(bad)
    assert dict(bridge.stats.rejected) == {
        "unknown_device": 1,
        "bad_signature": 1,
        "malformed": 2,
        "bad_reading": 1,
    }
    entity = Entity.objects.get(entity_id=f"urn:ngsi-ld:AirQualityObserved:{air.device_id}")
    pm25 = entity.data["attrs"]["https://uri.etsi.org/ngsi-ld/default-context/pm25"][0]
    assert pm25["value"] == 58.0  # the newest reading, not the late one
    assert pm25["unitCode"] == "GQ"
    history = Observation.objects.filter(
        entity_id=entity.entity_id, attr__endswith="/pm25"
    ).order_by("observed_at")
    assert [o.number for o in history] == [35.5, 41.0, 58.0]
    assert entity.min_lon == air.longitude
    level = Entity.objects.get(entity_id=f"urn:ngsi-ld:FloodMonitoring:{flood.device_id}")
    assert (
        level.data["attrs"]["https://uri.etsi.org/ngsi-ld/default-context/currentLevel"][0]["value"]
        == 3.7
    )
    lamp = Entity.objects.get(entity_id=f"urn:ngsi-ld:Streetlight:{light.device_id}")
    assert (
        lamp.data["attrs"]["https://uri.etsi.org/ngsi-ld/default-context/powerState"][0]["value"]
        == "on"
    )

    notified = [
        entity
        for event in OutboxEvent.objects.filter(topic="smartcity.notification.sent")
        for entity in event.payload["data"]
    ]
    assert notified
    assert {(e["id"], e["pm25"]["value"]) for e in notified} == {(entity.entity_id, 58.0)}

    from django.apps import apps

    SecurityEvent = apps.get_model("audit", "SecurityEvent")
    kinds = set(
        SecurityEvent.objects.filter(kind="smartcity.device.rejected").values_list(
            "detail__reason", flat=True
        )
    )
    assert kinds == {"unknown_device", "bad_signature", "malformed", "bad_reading"}


def _database_url() -> str:
    name = settings.DATABASES["default"]["NAME"]
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL: the kill -9 test runs the bridge in another process against it",
)
def test_a_killed_bridge_loses_no_acknowledged_reading(broker: int, tmp_path: Path) -> None:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    fleet = simulate.fleet("hue", 40)
    register(fleet)
    env = nentang_env(tmp_path / "home", _database_url())
    command = [
        str(Path(__import__("sys").executable).with_name("nentang")),
        "smartcity",
        "ingest",
        "--port",
        str(broker),
        "--batch",
        "200",
        "--workers",
        "1",  # this process is the bridge (no supervisor in between): kill -9 hits it
    ]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    bridge = start()
    assert bridge.stdout is not None
    bridge.stdout.readline()  # "ingesting …": connected and subscribing
    time.sleep(1.0)  # let the subscription land on the broker (persistent session)
    items = list(
        simulate.messages(fleet, datetime(2026, 12, 1, tzinfo=UTC), 50, timedelta(minutes=1))
    )
    client = publisher(broker)
    half = len(items) // 2
    publish_all(client, items[:half])
    time.sleep(0.5)
    bridge.send_signal(signal.SIGKILL)  # mid-stream, wherever it is
    bridge.wait(10)
    publish_all(client, items[half:])  # the broker queues them for the bridge's session
    client.loop_stop()

    bridge = start()
    expected = len(items)  # every reading is one observation per measure key
    measures = sum(len(json.loads(p)["m"]) for _, p in items)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline:
        connection.close()
        stored = Observation.objects.count()
        if stored >= measures:
            break
        time.sleep(0.5)
    bridge.send_signal(signal.SIGTERM)
    bridge.wait(30)
    assert expected == 2000
    assert stored == measures
    assert Entity.objects.count() == 40


# Several bridges: a shared subscription ------------------------------------------------


def test_two_bridges_share_the_messages_and_store_each_reading_once(broker: int) -> None:
    """Given two bridges in the shared group and devices never seen (their entities are
    created by whichever bridge gets a first reading — both at once, for some), when
    the devices publish, then the broker splits the messages between the bridges, every
    reading is stored once and each entity holds its device's newest reading, although
    a device's readings were folded by both bridges in any order."""
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    fleet = simulate.fleet("hue", 24)
    register(fleet)
    bridges = [
        Bridge(port=broker, client_id=f"test-shared-{n}", batch_size=20, flush_seconds=0.05)
        for n in (1, 2)
    ]
    assert {bridge.topic for bridge in bridges} == {"$share/nentang/nentang/+/+/attrs"}
    stop = threading.Event()
    threads = [threading.Thread(target=bridge.run, args=(stop,), daemon=True) for bridge in bridges]
    for thread in threads:
        thread.start()
    assert all(bridge.subscribed.wait(10) for bridge in bridges)
    steps = 8
    start = datetime(2026, 12, 1, tzinfo=UTC)
    items = list(simulate.messages(fleet, start, steps, timedelta(minutes=1)))
    client = publisher(broker)
    publish_all(client, items)
    client.loop_stop()
    deadline = time.monotonic() + 60
    while sum(b.stats.received for b in bridges) < len(items) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(30)

    assert [sum(b.stats.rejected.values()) for b in bridges] == [0, 0]
    assert sum(b.stats.received for b in bridges) == len(items) == 24 * steps
    # Every message was acknowledged (the batches' PUBACKs reached the broker): the
    # sessions, taken up again, have nothing to send again.
    again = [Bridge(port=broker, client_id=f"test-shared-{n}", flush_seconds=0.05) for n in (1, 2)]
    stop_again = threading.Event()
    rerun = [threading.Thread(target=b.run, args=(stop_again,), daemon=True) for b in again]
    for thread in rerun:
        thread.start()
    assert all(b.subscribed.wait(10) for b in again)
    time.sleep(1.0)
    stop_again.set()
    for thread in rerun:
        thread.join(30)
    assert [b.stats.received for b in again] == [0, 0]
    assert all(b.stats.received > 0 for b in bridges)  # both took a share
    measures = sum(len(json.loads(payload)["m"]) for _, payload in items)
    assert Observation.objects.count() == measures
    assert Entity.objects.filter(tenant__name="hue").count() == 24
    newest: dict[str, dict[str, Any]] = {}
    for topic, payload in items:
        body = json.loads(payload)
        device_id = topic.split("/")[2]
        if body["ts"] >= newest.get(device_id, {"ts": ""})["ts"]:
            newest[device_id] = body
    air = next(d for d in fleet if d.kind == "air")
    entity = Entity.objects.get(entity_id=f"urn:ngsi-ld:AirQualityObserved:{air.device_id}")
    pm25 = entity.data["attrs"]["https://uri.etsi.org/ngsi-ld/default-context/pm25"][0]
    assert pm25["value"] == newest[air.device_id]["m"]["pm25"]
    observed = datetime.fromisoformat(pm25["observedAt"])
    assert observed == datetime.fromisoformat(newest[air.device_id]["ts"])
    assert (
        len(entity.data["attrs"]["https://uri.etsi.org/ngsi-ld/location"]) == 1
    )  # created once, with its position


@pytest.mark.postgres_only  # concurrent transactions (SQLite's writers take turns)
def test_a_bridge_creating_an_entity_another_is_creating_waits_and_merges() -> None:
    """Given bridge A has created a device's entity in a transaction not yet committed,
    when bridge B stores readings of the same device, then B waits for A's commit
    instead of failing on the entity's unique key, and merges its readings: the
    newest one wins the current state, all of them are in the history."""
    from nentang.audit.services import security_defaults_install
    from nentang.smartcity.services.devices import Reading, readings_ingest

    security_defaults_install()
    fleet = simulate.fleet("hue", 6)
    register(fleet)
    air = next(d for d in fleet if d.kind == "air")
    device = services.device_register(
        caller=Caller.system("tests"),
        tenant="hue",
        device_id=air.device_id,
        kind=air.kind,
        longitude=air.longitude,
        latitude=air.latitude,
    )[0]
    caller = Caller.system("smartcity-mqtt")

    def reading(minute: int, pm25: float) -> Reading:
        return Reading(device, f"2026-12-01T08:{minute:02d}:00Z", {"pm25": pm25})

    errors: list[BaseException] = []
    backend: list[int] = []

    def bridge_b() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend.append(cursor.fetchone()[0])
            readings_ingest(
                caller=caller, tenant="hue", readings=[reading(1, 11.0), reading(3, 33.0)]
            )
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=bridge_b)
    from django.db import transaction

    with transaction.atomic():  # bridge A's batch, not committed yet
        readings_ingest(caller=caller, tenant="hue", readings=[reading(2, 22.0)])
        thread.start()
        deadline = time.monotonic() + 30
        waiting = False
        while not waiting and time.monotonic() < deadline:
            time.sleep(0.05)
            if backend:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                        [backend[0]],
                    )
                    row = cursor.fetchone()
                    waiting = bool(row and row[0])
        assert waiting, "bridge B should wait for bridge A's uncommitted entity"
    thread.join(30)

    assert errors == []
    entity = Entity.objects.get(entity_id=device.entity_id)
    pm25 = entity.data["attrs"]["https://uri.etsi.org/ngsi-ld/default-context/pm25"][0]
    assert (pm25["value"], pm25["observedAt"]) == (33.0, "2026-12-01T08:03:00.000000Z")
    history = Observation.objects.filter(entity_id=device.entity_id).order_by("observed_at")
    assert [o.number for o in history] == [11.0, 22.0, 33.0]
