"""A bridge process for ``smartcity-mqtt``: ``python -m bench._mqtt_bridge PORT BATCH
CLIENT_ID``, with the bench's database in the environment (NENTANG_DATABASE_URL …).

Runs ``ingest.Bridge`` — the code of ``nentang smartcity ingest`` — in the shared group,
as each of a deployment's ``NENTANG_SMARTCITY_MQTT_WORKERS`` processes does. It prints
``ready`` once subscribed, then one line per committed batch with the messages received
so far, until it reads a line on stdin; then ``done <received> <rejected>``. With
``BENCH_MQTT_PROFILE`` set to a directory it writes a cProfile of its run there.
"""

from __future__ import annotations

import os
import sys
import threading


def main(port: int, batch: int, client_id: str) -> int:
    import django

    django.setup()
    from nentang.smartcity.ingest import Bridge

    # A clean session: when this measurement's bridge leaves, its place in the shared
    # group goes too (a persistent one would keep taking a share of the messages the
    # baseline and the next measurement publish, offline, and hand them to the next
    # bridge of its id). What is measured per message is the same.
    bridge = Bridge(port=port, client_id=client_id, batch_size=batch, clean_session=True)
    stop = threading.Event()
    out = sys.stdout

    def on_batch(stats: object) -> None:
        out.write(f"{bridge.stats.received}\n")
        out.flush()

    profile_dir = os.environ.get("BENCH_MQTT_PROFILE")
    profiler = None
    if profile_dir:
        import cProfile

        profiler = cProfile.Profile()
    thread = threading.Thread(target=_run, args=(bridge, stop, on_batch, profiler), daemon=True)
    thread.start()
    if not bridge.subscribed.wait(30):
        return 1
    print("ready", flush=True)
    sys.stdin.readline()
    stop.set()
    thread.join(60)
    if profiler is not None and profile_dir:
        profiler.dump_stats(os.path.join(profile_dir, f"{client_id}.prof"))
    print(f"done {bridge.stats.received} {sum(bridge.stats.rejected.values())}", flush=True)
    return 0


def _run(bridge: object, stop: threading.Event, on_batch: object, profiler: object) -> None:
    if profiler is None:
        bridge.run(stop, on_batch)  # type: ignore[attr-defined]
        return
    profiler.runcall(bridge.run, stop, on_batch)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
