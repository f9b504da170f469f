"""``smartcity-mqtt``: MQTT readings ingested per second end to end, broker → stored
(issue 14's benchmark 3, target ≥ 5,000/s), on PostgreSQL.

A real Mosquitto on loopback (started here, ``--port``), a fleet of simulated Huế devices
registered in a fresh database. Each measurement publishes ``--messages`` signed
readings (QoS 1) while ``nentang smartcity ingest``'s bridge (``ingest.Bridge``: verify
the signature, map to Smart Data Models, store entity + history + audit entry in one
transaction per batch, then acknowledge) drains them; the rate is messages over the time
from the first publish to the last one stored. Baseline, same run: the same messages
drained by a bare paho subscriber that only counts them (QoS 1, acknowledged by paho) —
the broker and client library's own floor.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import DEFAULT_SERVER, django_on_new_database

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _broker(context: Context) -> subprocess.Popen[bytes]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    if not Path(MOSQUITTO).exists():
        raise BenchmarkError("Mosquitto is not installed (apt-get install mosquitto)")
    port = int(context.params["port"])
    config = context.workdir / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 1000000\nmax_inflight_messages 1000\n"
    )
    process = subprocess.Popen(
        [MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        probe = mqtt.Client(CallbackAPIVersion.VERSION2)
        try:
            probe.connect("127.0.0.1", port)
            probe.disconnect()
            return process
        except OSError:
            time.sleep(0.05)
    process.terminate()
    raise BenchmarkError(f"Mosquitto did not start on port {port}")


@contextmanager
def _setup(context: Context) -> Iterator[None]:
    with django_on_new_database(context, prefix="nt_sc_bench_mqtt"):
        from nentang.audit.services import security_defaults_install
        from nentang.kernel.auditing import Actor
        from nentang.smartcity import services, simulate
        from nentang.smartcity.services import Caller

        security_defaults_install()
        services.tenant_create(actor=Actor.system("bench"), name="hue", title="Thành phố Huế")
        devices = simulate.fleet("hue", int(context.params["devices"]))
        for device in devices:
            services.device_register(
                caller=Caller.system("bench"),
                tenant="hue",
                device_id=device.device_id,
                kind=device.kind,
                longitude=device.longitude,
                latitude=device.latitude,
                key=device.key,
            )
        broker = _broker(context)
        context.state.update({"devices": devices, "round": 0})
        try:
            yield
        finally:
            broker.terminate()
            broker.wait(10)


def _messages(context: Context) -> list[tuple[str, bytes]]:
    from nentang.smartcity import simulate

    devices = context.state["devices"]
    number = context.state["round"]
    context.state["round"] = number + 1
    steps = max(1, int(context.params["messages"]) // len(devices))
    every = timedelta(minutes=1)
    # Each measurement its own readings (later times): nothing is a duplicate.
    start = datetime(2026, 12, 1, tzinfo=UTC) + number * steps * every
    return list(simulate.messages(devices, start, steps, every))


def _publish(port: int, items: list[tuple[str, bytes]]) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{time.monotonic_ns()}")
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in items]
    for info in infos:
        info.wait_for_publish(120)
    client.loop_stop()
    client.disconnect()


def _drain(context: Context, consumer: Any, received: Any) -> Sample:
    """Publish one measurement's messages while ``consumer`` runs; the rate to the last."""
    items = _messages(context)
    port = int(context.params["port"])
    clock = time.perf_counter()
    publisher = threading.Thread(target=_publish, args=(port, items))
    publisher.start()
    deadline = clock + 600
    while received() < len(items) and time.perf_counter() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - clock
    publisher.join(120)
    consumer()
    if received() < len(items):
        raise BenchmarkError(f"only {received()} of {len(items)} messages arrived")
    return Sample(len(items) / elapsed, {"messages": len(items), "seconds": round(elapsed, 3)})


def _ingest(context: Context) -> Sample:
    from nentang.smartcity.ingest import Bridge

    number = context.state["round"]
    bridge = Bridge(
        port=int(context.params["port"]),
        client_id=f"bench-bridge-{number}",
        batch_size=int(context.params["batch"]),
        flush_seconds=0.2,
    )
    stop = threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
    thread.start()
    if not bridge.subscribed.wait(30):
        raise BenchmarkError("the bridge did not subscribe")

    def finish() -> None:
        stop.set()
        thread.join(60)

    sample = _drain(context, finish, lambda: bridge.stats.received)
    if sum(bridge.stats.rejected.values()):
        raise BenchmarkError(f"the bridge refused readings: {dict(bridge.stats.rejected)}")
    return sample


def _bare(context: Context) -> Sample:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    counted = [0]
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-bare-{time.monotonic_ns()}")
    client.on_connect = lambda c, *_: c.subscribe("nentang/+/+/attrs", qos=1)
    client.on_subscribe = lambda *_: subscribed.set()

    def on_message(*_: Any) -> None:
        counted[0] += 1

    client.on_message = on_message
    client.max_inflight_messages_set(int(context.params["batch"]))
    client.connect("127.0.0.1", int(context.params["port"]))
    client.loop_start()
    if not subscribed.wait(30):
        raise BenchmarkError("the bare subscriber did not subscribe")

    def finish() -> None:
        client.loop_stop()
        client.disconnect()

    return _drain(context, finish, lambda: counted[0])


def _summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return f"target ≥ 5,000 messages/s end to end; {scenario['messages']:,.0f} messages a run"


register(
    Benchmark(
        name="smartcity-mqtt",
        description="MQTT readings ingested per second, broker → stored (verify, map, entity "
        "+ history + audit, then ack) vs a bare paho subscriber counting the same messages "
        "(Mosquitto on loopback, PostgreSQL)",
        unit="messages/s",
        target=0.1,
        higher_is_better=True,
        scenario=_ingest,
        baseline=_bare,
        scenario_label="bridge to PostgreSQL",
        baseline_label="bare subscriber",
        setup=_setup,
        params={
            "server": Param(DEFAULT_SERVER, "PostgreSQL server (loopback only)"),
            "port": Param(8151, "loopback port for the Mosquitto started here"),
            "devices": Param(500, "simulated devices registered"),
            "messages": Param(20_000, "messages published per measurement"),
            "batch": Param(1000, "messages per stored batch"),
        },
        packages=("psycopg", "paho-mqtt"),
        summary_details=_summary,
    )
)
