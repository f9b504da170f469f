"""A publisher process for ``smartcity-mqtt``: ``python -m bench._mqtt_publish PORT FILE``.

Reads its share of the messages (one ``<topic>\\t<payload>`` a line, prepared before the
clock starts), connects to the broker on loopback, prints ``ready`` and waits for a line
on stdin; then publishes them all at QoS 1 (what the devices use) as fast as the broker
takes them, waits for every PUBACK and prints how many. Its own process, so it does not
share a GIL (or a core's time slice) with the consumer being measured.
"""

from __future__ import annotations

import sys
import time


def main(port: int, path: str) -> int:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    items = []
    with open(path, "rb") as handle:
        for line in handle:
            topic, _, payload = line.rstrip(b"\n").partition(b"\t")
            items.append((topic.decode(), payload))
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{time.monotonic_ns()}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    print("ready", flush=True)
    sys.stdin.readline()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in items]
    for info in infos:
        info.wait_for_publish(600)
    client.loop_stop()
    client.disconnect()
    print(len(infos), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]), sys.argv[2]))
