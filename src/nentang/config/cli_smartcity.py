"""`nentang smartcity`: the MQTT ingestion bridge, the sensor simulator and the sweeper of
orphan report photos."""

from __future__ import annotations

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


def _ingest(host: str, port: int, batch: int) -> None:
    base._setup()
    from nentang.smartcity.ingest import Bridge

    bridge = Bridge(host=host, port=port, batch_size=batch)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
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


_host = click.option("--host", default="127.0.0.1", show_default=True, help="MQTT broker host.")
_port = click.option("--port", default=1883, show_default=True, help="MQTT broker port.")


@smartcity.command("ingest")
@_host
@_port
@click.option("--batch", default=1000, show_default=True, help="Messages per transaction.")
def smartcity_ingest(host: str, port: int, batch: int) -> None:
    """Run the MQTT → NGSI-LD ingestion bridge until interrupted."""
    _ingest(host, port, batch)


@smartcity.command("mqtt")
@_host
@_port
@click.option("--batch", default=1000, show_default=True, help="Messages per transaction.")
def smartcity_mqtt(host: str, port: int, batch: int) -> None:
    """The same as `nentang smartcity ingest`."""
    _ingest(host, port, batch)


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
    city: str, devices: int, rate: float, steps: int, host: str, port: int
) -> None:
    """Register a simulated fleet of a city's sensors and publish their readings."""
    base._setup()
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
