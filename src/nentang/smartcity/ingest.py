"""The MQTT ingestion bridge (an IoT Agent for nentang): devices publish signed JSON
readings to ``nentang/<tenant>/<device id>/attrs``; the bridge subscribes with QoS 1 on
a persistent session, batches messages, verifies each device and signature, folds the
batch into the NGSI-LD store in one transaction (``services.readings_ingest``) and only
then acknowledges the messages to the broker (paho's manual acks). A bridge killed
before its commit leaves the messages unacknowledged, so the broker sends them again
on reconnect; the store is idempotent on (entity, attribute, observation time), so
nothing acknowledged is lost and nothing is counted twice.

Message::

    {"ts": "2026-12-07T08:00:00Z", "m": {"pm25": 35.2, "pm10": 51}, "sig": "<hex>"}

``sig`` is HMAC-SHA256 with the device's key over ``<device id>.<ts>.<m as sorted
compact JSON>`` (``services.devices.signature``). Unknown devices, bad signatures and
malformed payloads are dropped, counted and recorded as security events (at most one
per device and reason a minute).

Back-pressure: the network thread hands messages over in a bounded inbox and blocks when
it is full; unacknowledged QoS 1 messages then wait in the broker (its
``max_inflight_messages`` and queue limits), not in our memory. The broker's
``max_inflight_messages`` (20 by default in Mosquitto) bounds a batch: set it to two
batches (``2 × --batch``) so the next batch arrives while one commits.
"""

from __future__ import annotations

import hmac
import logging
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from django.db import close_old_connections
from paho.mqtt.enums import CallbackAPIVersion

from nentang.kernel import auditing
from nentang.smartcity import selectors
from nentang.smartcity.ngsild.entities import json_loads
from nentang.smartcity.ngsild.errors import NgsiError
from nentang.smartcity.services import Caller
from nentang.smartcity.services.devices import Reading, readings_ingest, signature

logger = logging.getLogger("nentang.smartcity.ingest")

TOPIC = "nentang/+/+/attrs"
SHARE_GROUP = "nentang"  # bridges of one installation share ``$share/nentang/<TOPIC>``
CALLER = Caller.system("smartcity-mqtt")
MAX_PAYLOAD = 8192
LINGER = 0.02  # seconds without a message that close a batch early
_PUBACK = struct.Struct("!BBH")


@dataclass
class Stats:
    received: int = 0
    stored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    batches: int = 0


class Bridge:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        client_id: str = "nentang-smartcity-ingest",
        batch_size: int = 1000,
        flush_seconds: float = 0.2,
        queue_size: int = 5000,
        share: str | None = SHARE_GROUP,
        clean_session: bool = False,
    ) -> None:
        self.host = host
        # A shared subscription (MQTT 5, also open to 3.1.1 clients in Mosquitto 2):
        # the broker hands each message to one bridge of the group, so several bridge
        # processes share the load; ``None`` takes every message (a lone bridge).
        self.topic = f"$share/{share}/{TOPIC}" if share else TOPIC
        self.port = port
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.queue_size = queue_size
        # The inbox: a deque (append and popleft need no lock of ours) and two events,
        # cheaper per message than queue.Queue's condition variables.
        self._inbox: deque[mqtt.MQTTMessage] = deque()
        self._arrived = threading.Event()
        self._room = threading.Event()
        self._room.set()
        self.stats = Stats()
        self.subscribed = threading.Event()
        self._devices: dict[tuple[str, str], tuple[Any, float]] = {}
        self._batch: list[mqtt.MQTTMessage] = []
        self._reported: dict[tuple[str, str], float] = {}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,  # False: the broker keeps what we did not ack
            manual_ack=True,
        )
        self.client.max_inflight_messages_set(max(batch_size, 20))
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        client.subscribe(self.topic, qos=1)
        if self.topic != TOPIC:
            # A session of the same client id from before shared subscriptions would
            # still receive every message besides its share.
            client.unsubscribe(TOPIC)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.append(message)
        if not self._arrived.is_set():
            self._arrived.set()
        if len(self._inbox) >= self.queue_size:
            self._room.clear()
            # Checked again after clearing: the worker may have made room in between.
            while len(self._inbox) >= self.queue_size and not self._room.wait(1.0):
                pass  # back-pressure: the broker keeps what we have not acknowledged

    # Verification ---------------------------------------------------------------------

    def _device(self, tenant: str, device_id: str) -> Any:
        key = (tenant, device_id)
        cached = self._devices.get(key)
        if cached is not None and (cached[0] is not None or time.monotonic() - cached[1] < 30):
            return cached[0]
        self._load_devices(tenant, device_id)
        return self._devices[key][0]

    def _load_devices(self, tenant: str, device_id: str) -> None:
        """Every device of the batch in ``tenant`` not known yet, in one query: a bridge
        that starts (or restarts) with thousands of devices to learn does not pay one
        round trip per device."""
        now = time.monotonic()
        wanted = {device_id}
        for message in self._batch:
            parts = message.topic.split("/")
            if len(parts) == 4 and parts[1] == tenant:
                cached = self._devices.get((tenant, parts[2][:100]))
                if cached is None or (cached[0] is None and now - cached[1] >= 30):
                    wanted.add(parts[2][:100])
        found = selectors.devices_for(tenant=tenant, device_ids=sorted(wanted))
        for each in wanted:
            self._devices[(tenant, each)] = (found.get(each), now)

    def _reject(self, tenant: str, device_id: str, reason: str) -> None:
        self.stats.rejected[reason] += 1
        key = (f"{tenant}/{device_id}", reason)
        now = time.monotonic()
        if now - self._reported.get(key, -1e9) < 60:
            return
        self._reported[key] = now
        auditing.security_event(
            kind="smartcity.device.rejected",
            outcome="failure",
            severity="medium",
            actor=CALLER.actor,
            subject=f"{tenant}/{device_id}"[:200],
            detail={"reason": reason},
        )

    def verify(self, message: mqtt.MQTTMessage) -> tuple[str, Reading] | None:
        parts = message.topic.split("/")
        if len(parts) != 4 or parts[0] != "nentang" or parts[3] != "attrs":
            self._reject("?", "?", "bad_topic")
            return None
        tenant, device_id = parts[1], parts[2][:100]
        if len(message.payload) > MAX_PAYLOAD:
            self._reject(tenant, device_id, "too_large")
            return None
        try:
            body = json_loads(message.payload)
        except (ValueError, UnicodeDecodeError):
            self._reject(tenant, device_id, "malformed")
            return None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("ts"), str)
            or not isinstance(body.get("m"), dict)
            or not isinstance(body.get("sig"), str)
        ):
            self._reject(tenant, device_id, "malformed")
            return None
        device = self._device(tenant, device_id)
        if device is None or not device.is_active:
            self._reject(tenant, device_id, "unknown_device")
            return None
        expected = signature(device.key, device_id, body["ts"], body["m"])
        if not hmac.compare_digest(expected, body["sig"]):
            self._reject(tenant, device_id, "bad_signature")
            return None
        return tenant, Reading(device, body["ts"], body["m"])

    # Batches --------------------------------------------------------------------------

    def process(self, messages: list[mqtt.MQTTMessage]) -> None:
        """Verify, store and only then acknowledge one batch."""
        by_tenant: dict[str, list[Reading]] = {}
        self._batch = messages
        for message in messages:
            verified = self.verify(message)
            if verified is not None:
                by_tenant.setdefault(verified[0], []).append(verified[1])
        for tenant, readings in by_tenant.items():
            self._store(tenant, readings)
        self.stats.received += len(messages)
        self.stats.batches += 1
        self._acknowledge(messages)

    def _acknowledge(self, messages: list[mqtt.MQTTMessage]) -> None:
        """The batch's PUBACKs (MQTT 3.1.1: 0x40, length 2, the message id) handed to
        paho's network thread as one write, where ``client.ack`` queues, logs and wakes
        the thread once per message. Through paho's packet queue, so they leave in order
        with whatever paho sends; ``client.ack`` one by one if that queue is not there."""
        queue = getattr(self.client, "_packet_queue", None)
        if queue is None:
            for message in messages:
                self.client.ack(message.mid, message.qos)
            return
        pack = _PUBACK.pack
        packet = b"".join([pack(mqtt.PUBACK, 2, m.mid) for m in messages if m.qos == 1])
        if packet:
            queue(mqtt.PUBACK, packet, 0, 0)

    def _store(self, tenant: str, readings: list[Reading]) -> None:
        try:
            self.stats.stored += readings_ingest(caller=CALLER, tenant=tenant, readings=readings)
            return
        except NgsiError:
            if len(readings) == 1:
                self._reject(tenant, readings[0].device.device_id, "bad_reading")
                return
        # One bad reading spoils its batch: store the others one by one.
        for reading in readings:
            self._store(tenant, [reading])

    def _wait(self, timeout: float) -> bool:
        """Whether a message is waiting, after at most ``timeout`` seconds."""
        self._arrived.clear()
        if self._inbox:
            return True
        return self._arrived.wait(timeout)

    def _take(self, batch: list[mqtt.MQTTMessage]) -> None:
        pop = self._inbox.popleft
        while len(batch) < self.batch_size:
            try:
                batch.append(pop())
            except IndexError:
                break
        if not self._room.is_set() and len(self._inbox) < self.queue_size:
            self._room.set()

    def _drain(self) -> list[mqtt.MQTTMessage]:
        """The next batch: what is waiting, up to ``batch_size``; it closes when full,
        after ``flush_seconds``, or when no message came for ``LINGER`` seconds (the
        broker has nothing more for now, or waits for our acknowledgements)."""
        batch: list[mqtt.MQTTMessage] = []
        if not self._wait(self.flush_seconds):
            return batch
        deadline = time.monotonic() + self.flush_seconds
        while True:
            self._take(batch)
            if len(batch) >= self.batch_size:
                break
            left = min(LINGER, deadline - time.monotonic())
            if left <= 0 or not self._wait(left):
                break
        return batch

    def run(
        self,
        stop: threading.Event | None = None,
        on_batch: Callable[[Stats], None] | None = None,
    ) -> Stats:
        """Connect and ingest until ``stop`` is set."""
        stop = stop or threading.Event()
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            while not stop.is_set():
                batch = self._drain()
                if not batch:
                    continue
                close_old_connections()
                self.process(batch)
                if on_batch is not None:
                    on_batch(self.stats)
        finally:
            # Disconnect first: the network thread still writes what is queued (the
            # last batch's PUBACKs) before the DISCONNECT, so that batch is not sent
            # again to the next bridge of this client id.
            self.client.disconnect()
            self.client.loop_stop()
        return self.stats
