"""`nentang smartcity`: the MQTT ingestion bridge, the sensor simulator and the sweeper of
orphan report photos."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import click

from nentang.config import cli as base


@click.group()
def smartcity() -> None:
    """Smart city: MQTT device ingestion (NGSI-LD) and simulated sensors."""


CLIENT_ID = "nentang-smartcity-ingest"


def bridge_command(host: str, port: int, batch: int, number: int) -> list[str]:
    """``python -m nentang`` arguments of bridge ``number`` (1, 2, …) of a deployment:
    its MQTT client id stays the same across restarts, so the broker keeps its
    persistent session (the messages it has not acknowledged) for it."""
    return [
        "smartcity",
        "ingest",
        "--host",
        host,
        "--port",
        str(port),
        "--batch",
        str(batch),
        "--workers",
        "1",
        "--worker-number",
        str(number),
    ]


def bridge_supervisors(host: str, port: int, batch: int, workers: int) -> list[Any]:
    """Start ``workers`` bridge processes, each supervised (restarted after a crash)."""
    from nentang.config.supervisor import WorkerSupervisor

    supervisors = []
    for number in range(1, workers + 1):
        supervisor = WorkerSupervisor(
            command=bridge_command(host, port, batch, number),
            label=f"MQTT ingestion bridge {number}",
        )
        supervisor.start()
        supervisors.append(supervisor)
    return supervisors


def _watch_parent(stop: threading.Event) -> None:
    """A bridge started by a supervisor stops when the supervisor is gone (killed), so
    that a new supervisor's bridge with the same client id never fights an orphan."""
    parent = os.getppid()

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _ingest(
    host: str | None, port: int | None, batch: int, workers: int | None, number: int
) -> None:
    base._setup()
    from django.conf import settings

    configured = settings.NENTANG_SMARTCITY_MQTT_BROKER or ("127.0.0.1", 1883)
    host = host or configured[0]
    port = port or configured[1]
    workers = workers or settings.NENTANG_SMARTCITY_MQTT_WORKERS
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if workers > 1:
        base.console.print(
            f"nentang: {workers} bridges ingesting nentang/+/+/attrs from mqtt://{host}:{port}"
        )
        supervisors = bridge_supervisors(host, port, batch, workers)
        try:
            stop.wait()
        finally:
            for supervisor in supervisors:
                supervisor.stop()
        return
    from nentang.smartcity.ingest import Bridge

    if number:
        _watch_parent(stop)
    client_id = CLIENT_ID if number <= 1 else f"{CLIENT_ID}-{number}"
    bridge = Bridge(host=host, port=port, batch_size=batch, client_id=client_id)
    base.console.print(f"nentang: ingesting nentang/+/+/attrs from mqtt://{host}:{port}")
    last = [time.monotonic()]

    def report(stats: Any) -> None:
        if time.monotonic() - last[0] >= 5:
            last[0] = time.monotonic()
            rejected = sum(stats.rejected.values())
            base.console.print(
                f"nentang: {stats.received} messages, {stats.stored} observations stored, "
                f"{rejected} rejected",
                highlight=False,
            )

    stats = bridge.run(stop, on_batch=report)
    base.console.print(
        f"nentang: stopped after {stats.received} messages ({stats.stored} observations stored, "
        f"rejected: {dict(stats.rejected)})"
    )


_host = click.option(
    "--host",
    default=None,
    help="MQTT broker host [default: NENTANG_SMARTCITY_MQTT_BROKER, else 127.0.0.1].",
)
_port = click.option(
    "--port",
    default=None,
    type=int,
    help="MQTT broker port [default: NENTANG_SMARTCITY_MQTT_BROKER, else 1883].",
)
_workers = click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Bridge processes sharing the messages [default: NENTANG_SMARTCITY_MQTT_WORKERS].",
)
_number = click.option("--worker-number", default=0, hidden=True, type=click.IntRange(0, 64))


@smartcity.command("ingest")
@_host
@_port
@click.option("--batch", default=1000, show_default=True, help="Messages per transaction.")
@_workers
@_number
def smartcity_ingest(
    host: str | None, port: int | None, batch: int, workers: int | None, worker_number: int
) -> None:
    """Run the MQTT → NGSI-LD ingestion bridges until interrupted."""
    _ingest(host, port, batch, workers, worker_number)


@smartcity.command("mqtt")
@_host
@_port
@click.option("--batch", default=1000, show_default=True, help="Messages per transaction.")
@_workers
@_number
def smartcity_mqtt(
    host: str | None, port: int | None, batch: int, workers: int | None, worker_number: int
) -> None:
    """The same as `nentang smartcity ingest`."""
    _ingest(host, port, batch, workers, worker_number)


@smartcity.command("simulate")
@click.option(
    "--city", type=click.Choice(["hue", "danang", "hcm"]), default="hue", show_default=True
)
@click.option("--devices", default=100, show_default=True, help="Simulated devices.")
@click.option("--rate", default=200.0, show_default=True, help="Messages per second (0: flat out).")
@click.option("--steps", default=10, show_default=True, help="Readings per device.")
@_host
@_port
def smartcity_simulate(
    city: str, devices: int, rate: float, steps: int, host: str | None, port: int | None
) -> None:
    """Register a simulated fleet of a city's sensors and publish their readings."""
    base._setup()
    from django.conf import settings

    configured = settings.NENTANG_SMARTCITY_MQTT_BROKER or ("127.0.0.1", 1883)
    host = host or configured[0]
    port = port or configured[1]
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from nentang.smartcity import services, simulate

    name = simulate.CITIES[city][0]
    services.tenant_create(actor=base._cli_actor(), name=city, title=name)
    fleet = simulate.fleet(city, devices)
    caller = services.Caller.system("smartcity-simulator")
    for device in fleet:
        services.device_register(
            caller=caller,
            tenant=city,
            device_id=device.device_id,
            kind=device.kind,
            longitude=device.longitude,
            latitude=device.latitude,
            key=device.key,
        )
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"nentang-sim-{city}")
    client.connect(host, port)
    client.loop_start()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=steps)
    sent = 0
    began = time.monotonic()
    for topic, payload in simulate.messages(fleet, start, steps, timedelta(minutes=1)):
        info = client.publish(topic, payload, qos=1)
        sent += 1
        if rate > 0:
            pause = began + sent / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        if sent % 1000 == 0:
            info.wait_for_publish(10)
    info.wait_for_publish(30)
    client.loop_stop()
    client.disconnect()
    elapsed = time.monotonic() - began
    base.console.print(
        f"nentang: published {sent} readings of {devices} devices in {elapsed:.1f} s"
    )


@smartcity.command("sweep-photos")
@click.option(
    "--grace-minutes",
    default=60,
    show_default=True,
    type=click.IntRange(min=1),
    help="Keep files younger than this (a report may still be committing).",
)
def smartcity_sweep_photos(grace_minutes: int) -> None:
    """Delete citizen-report photos that no report holds (after a crash)."""
    base._setup()
    from nentang.smartcity.services.photos import photos_sweep

    done = photos_sweep(actor=base._cli_actor(), grace=timedelta(minutes=grace_minutes))
    base.console.print(
        f"nentang: {len(done.deleted)} orphan photos deleted of {done.examined} files",
        highlight=False,
    )


# Through the module's namespace, as cli_addresses does (imported at the end of cli.py).
cast(click.Group, vars(base)["cli"]).add_command(smartcity)
