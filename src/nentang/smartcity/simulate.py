"""Realistic sensor streams for the demo and the benchmark (``nentang smartcity
simulate``): PM2.5 with a diurnal curve (rush-hour peaks, a night low), traffic counts
with morning and evening rush hours, a river rising through a flood, weather, street
lights by sunset and sunrise, parking occupancy. Seeded: the same arguments publish the
same readings."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from nentang.smartcity.services.devices import signature

# City centres and the spread of their sensors (degrees).
CITIES: dict[str, tuple[str, float, float, float]] = {
    "hue": ("Thành phố Huế", 107.5905, 16.4637, 0.04),
    "danang": ("Thành phố Đà Nẵng", 108.2208, 16.0544, 0.05),
    "hcm": ("Thành phố Hồ Chí Minh", 106.7009, 10.7769, 0.08),
}
KIND_SHARE = (
    ("air", 0.25),
    ("traffic", 0.2),
    ("weather", 0.1),
    ("flood", 0.1),
    ("streetlight", 0.25),
    ("parking", 0.1),
)


@dataclass(frozen=True)
class SimDevice:
    tenant: str
    device_id: str
    kind: str
    longitude: float
    latitude: float
    key: str


def fleet(city: str, count: int, seed: int = 7) -> list[SimDevice]:
    """``count`` devices spread over ``city``, each with a deterministic key."""
    _, lon, lat, spread = CITIES[city]
    rng = random.Random(f"{city}-{seed}")  # noqa: S311 - simulated data, not secrets
    devices = []
    for index in range(count):
        roll = (index + 0.5) / count
        share = 0.0
        kind = KIND_SHARE[-1][0]
        for name, part in KIND_SHARE:
            share += part
            if roll < share:
                kind = name
                break
        devices.append(
            SimDevice(
                tenant=city,
                device_id=f"{city}-{kind}-{index:04d}",
                kind=kind,
                longitude=round(lon + rng.uniform(-spread, spread), 6),
                latitude=round(lat + rng.uniform(-spread, spread), 6),
                key=f"sim-{city}-{seed}-{index:04d}-key",
            )
        )
    return devices


def _rush(hour: float) -> float:
    """0..1: the two rush hours of a Vietnamese city (7–8 h and 17–18 h)."""
    return max(math.exp(-((hour - 7.5) ** 2) / 1.5), math.exp(-((hour - 17.5) ** 2) / 1.5))


def measures(device: SimDevice, moment: datetime, rng: random.Random) -> dict[str, object]:
    hour = (moment.hour + 7) % 24 + moment.minute / 60  # local time (UTC+7)
    if device.kind == "air":
        base = 22 + 38 * _rush(hour) + 10 * math.cos((hour - 3) / 24 * 2 * math.pi)
        pm25 = max(3.0, rng.gauss(base, 4))
        return {
            "pm25": round(pm25, 1),
            "pm10": round(pm25 * 1.6, 1),
            "no2": round(15 + 25 * _rush(hour), 1),
        }
    if device.kind == "traffic":
        flow = 120 + 900 * _rush(hour) + (60 if 9 <= hour <= 16 else 0)
        count = max(0, int(rng.gauss(flow, flow * 0.1)))
        return {"n": count, "v": round(max(5.0, 45 - 30 * _rush(hour) + rng.gauss(0, 3)), 1)}
    if device.kind == "weather":
        return {
            "t": round(24 + 6 * math.sin((hour - 9) / 24 * 2 * math.pi) + rng.gauss(0, 0.3), 1),
            "rh": round(min(1.0, 0.75 + rng.gauss(0, 0.05)), 2),
            "rain": round(max(0.0, rng.gauss(2, 3)), 1),
        }
    if device.kind == "flood":
        # A flood crest over 48 h from the start of the day, peaking at 4.2 m.
        day_hours = moment.timestamp() / 3600 % 48
        return {
            "h": round(1.2 + 3.0 * math.exp(-((day_hours - 24) ** 2) / 120) + rng.gauss(0, 0.02), 2)
        }
    if device.kind == "streetlight":
        night = hour >= 18 or hour < 6
        return {"on": night, "lux": round(0.9 if night else 0.0, 2)}
    return {"occupied": rng.random() < 0.3 + 0.5 * _rush(hour)}


def random_for(city: str, step: int) -> random.Random:
    """A seeded generator for one city and round (the demo's readings repeat exactly)."""
    return random.Random(f"{city}-{step}")  # noqa: S311 - simulated data, not secrets


def messages(
    devices: Sequence[SimDevice], start: datetime, steps: int, every: timedelta, seed: int = 11
) -> Iterator[tuple[str, bytes]]:
    """(topic, payload) for ``steps`` rounds of every device from ``start``."""
    rng = random.Random(seed)  # noqa: S311 - simulated data, not secrets
    for step in range(steps):
        moment = start + step * every
        ts = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        for device in devices:
            values = measures(device, moment, rng)
            body = {
                "ts": ts,
                "m": values,
                "sig": signature(device.key, device.device_id, ts, values),
            }
            topic = f"nentang/{device.tenant}/{device.device_id}/attrs"
            yield topic, json.dumps(body, separators=(",", ":")).encode()
