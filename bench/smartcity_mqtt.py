"""``smartcity-mqtt``: MQTT readings ingested per second end to end, broker → stored
(issue 14's benchmark 3, target ≥ 5,000/s), on PostgreSQL.

A real Mosquitto on loopback (started here, ``--port``), a fleet of simulated Huế devices
registered in a fresh database. Each measurement publishes ``--messages`` signed
readings (QoS 1) while the bridges of ``nentang smartcity ingest`` (``ingest.Bridge``:
verify the signature, map to Smart Data Models, store entity + history + audit entry in
one transaction per batch, then acknowledge) drain them: as many bridge processes as
the installation is configured for (``NENTANG_SMARTCITY_MQTT_WORKERS``, or
``--workers``), sharing one MQTT shared subscription (``bench/_mqtt_bridge.py``). The
rate is messages over the time from the first publish to the last one stored.
Baseline, same run: the same messages drained by a bare paho subscriber that only counts
them (QoS 1, acknowledged by paho) — the broker and client library's own floor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
ROOT = Path(__file__).resolve().parent.parent


def _broker(context: Context) -> subprocess.Popen[bytes]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    if not Path(MOSQUITTO).exists():
        raise BenchmarkError("Mosquitto is not installed (apt-get install mosquitto)")
    port = int(context.params["port"])
    config = context.workdir / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 1000000\n"
        # Two batches unacknowledged: the next batch arrives while one commits
        # (docs/operations: the broker setting an installation needs).
        f"max_inflight_messages {2 * int(context.params['batch'])}\n"
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


def _publishers(context: Context, items: list[tuple[str, bytes]]) -> list[Any]:
    """Start ``--publishers`` processes, each with a share of ``items`` (a device's
    readings stay in one process, in order); return them once all are connected."""
    count = max(1, int(context.params["publishers"]))
    shares: list[list[bytes]] = [[] for _ in range(count)]
    devices: dict[str, int] = {}
    for topic, payload in items:
        share = devices.setdefault(topic, len(devices) % count)
        shares[share].append(topic.encode() + b"\t" + payload + b"\n")
    processes = []
    for number, lines in enumerate(shares):
        path = context.workdir / f"publish-{number}.txt"
        path.write_bytes(b"".join(lines))
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench._mqtt_publish",
                    str(context.params["port"]),
                    str(path),
                ],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for process in processes:
        if process.stdout is None or process.stdout.readline().strip() != "ready":
            raise BenchmarkError("a publisher process did not connect")
    return processes


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) of another local process so far; 0 if unreadable."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drain(
    context: Context,
    consumer: Any,
    received: Any,
    pids: Any = lambda: [],
    backends: Any = lambda: [],
    workers: int = 1,
) -> Sample:
    """Publish one measurement's messages from separate processes while ``consumer``
    runs; the rate is messages over the time from the go to the last one counted
    (stored, for the bridges). CPU per 10,000 messages: this process (a consumer in its
    threads) plus the consumer processes ``pids()`` plus their PostgreSQL backends
    ``backends()``, counted from the go to the last message."""
    items = _messages(context)
    processes = _publishers(context, items)
    load = os.getloadavg()[0]
    cpu = time.process_time()
    before = sum(_cpu_of(pid) for pid in pids())
    database_pids = backends()
    database_before = sum(_cpu_of(pid) for pid in database_pids)
    clock = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    deadline = clock + 600
    while received() < len(items) and time.perf_counter() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - clock
    # A bridge connects on its first batch: backends born after the go count whole.
    database = sum(_cpu_of(pid) for pid in {*database_pids, *backends()}) - database_before
    bridges = sum(_cpu_of(pid) for pid in pids()) - before
    cpu = time.process_time() - cpu + bridges + database
    for process in processes:
        process.communicate(timeout=120)
    consumer()
    if received() < len(items):
        raise BenchmarkError(f"only {received()} of {len(items)} messages arrived")
    return Sample(
        len(items) / elapsed,
        {
            "messages": len(items),
            "seconds": round(elapsed, 3),
            "processes": workers,
            "cpu_s_per_10k": round(cpu * 10_000 / len(items), 3),
            "postgres_cpu_s_per_10k": round(database * 10_000 / len(items), 3),
            "load_1min": round(load, 2),
        },
    )


def _workers(context: Context) -> int:
    from django.conf import settings

    configured = int(context.params["workers"])
    return configured or int(settings.NENTANG_SMARTCITY_MQTT_WORKERS)


def _database_backends() -> list[int]:
    """Every backend of the bench's database (the bridges' pooled connections, whichever
    a batch gets; this process's own are idle while it waits)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _ingest(context: Context) -> Sample:
    """The configured deployment: ``workers`` bridge processes in the shared group."""
    workers = _workers(context)
    bridges = []
    for worker in range(1, workers + 1):
        bridges.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench._mqtt_bridge",
                    str(context.params["port"]),
                    str(context.params["batch"]),
                    f"bench-bridge-{worker}",
                ],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    counts = [0] * workers
    for bridge in bridges:
        assert bridge.stdout is not None
        if bridge.stdout.readline().strip() != "ready":
            raise BenchmarkError("a bridge process did not subscribe")
    finals: list[list[str]] = []

    def follow(index: int, bridge: subprocess.Popen[str]) -> None:
        assert bridge.stdout is not None
        for line in bridge.stdout:
            if line.startswith("done"):
                finals.append(line.split())
                return
            counts[index] = int(line)

    readers = [
        threading.Thread(target=follow, args=(index, bridge), daemon=True)
        for index, bridge in enumerate(bridges)
    ]
    for reader in readers:
        reader.start()

    def finish() -> None:
        for bridge in bridges:
            assert bridge.stdin is not None
            bridge.stdin.write("stop\n")
            bridge.stdin.flush()
        for reader in readers:
            reader.join(60)
        for bridge in bridges:
            bridge.wait(60)

    sample = _drain(
        context,
        finish,
        lambda: sum(counts),
        lambda: [bridge.pid for bridge in bridges],
        _database_backends,
        workers,
    )
    rejected = sum(int(final[2]) for final in finals)
    if rejected:
        raise BenchmarkError(f"the bridges refused {rejected} readings")
    if sum(int(final[1]) for final in finals) != int(sample.details["messages"]):
        raise BenchmarkError(f"the bridges received {finals}, not each message once")
    shares = "/".join(str(int(final[1])) for final in finals)
    return Sample(sample.value, {**sample.details, "shares": shares})


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
    client.connect("127.0.0.1", int(context.params["port"]))
    client.loop_start()
    if not subscribed.wait(30):
        raise BenchmarkError("the bare subscriber did not subscribe")

    def finish() -> None:
        client.loop_stop()
        client.disconnect()

    return _drain(context, finish, lambda: counted[0])


def _summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return (
        f"target ≥ 5,000 messages/s end to end; {scenario['messages']:,.0f} messages a run, "
        f"{scenario['processes']:.0f} bridge process(es); CPU s per 10k messages: bridges "
        f"{scenario['cpu_s_per_10k']:.2f} (PostgreSQL {scenario['postgres_cpu_s_per_10k']:.2f}),"
        f" bare {baseline['cpu_s_per_10k']:.2f}"
    )


register(
    Benchmark(
        name="smartcity-mqtt",
        description="MQTT readings ingested per second, broker → stored (verify, map, entity "
        "+ history + audit, then ack; the configured number of bridge processes sharing one "
        "subscription) vs a bare paho subscriber counting the same messages (Mosquitto on "
        "loopback, PostgreSQL)",
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
            "publishers": Param(2, "publisher processes (QoS 1), separate from the consumer"),
            "workers": Param(
                0, "bridge processes in the shared group (0: NENTANG_SMARTCITY_MQTT_WORKERS)"
            ),
        },
        packages=("psycopg", "paho-mqtt"),
        summary_details=_summary,
    )
)
