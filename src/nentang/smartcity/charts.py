"""Server-rendered SVG line charts for the city operations centre: no JavaScript, no
library, nothing fetched. :func:`line_chart` turns a series of (time, number) into the
geometry a template draws (the path, the axes' ticks, the threshold lines); the page
also shows the same points as a table, the chart's text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 24, 12, 28


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Limit:
    y: float
    level: str  # warning or alarm
    value: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    path: str  # SVG path data ("" when there is nothing to draw)
    points: tuple[tuple[float, float], ...]  # the dots (x, y)
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    limits: tuple[Limit, ...]
    low: float
    high: float
    first: datetime | None
    last: datetime | None

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")  # Vietnamese decimal comma


def line_chart(
    series: Sequence[tuple[datetime, float]],
    *,
    limits: Sequence[tuple[float, str]] = (),
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """The geometry of a line chart of ``series`` (time order) with horizontal
    ``limits`` (value, level) drawn when they fall near the data."""
    finite = [(t, v) for t, v in series if math.isfinite(v)]
    if not finite:
        return Chart(width, height, "", (), (), (), (), 0.0, 0.0, None, None)
    values = [v for _t, v in finite]
    low, high = min(values), max(values)
    for value, _level in limits:  # keep limits within reach in view
        if low - (high - low) <= value <= high + (high - low) + 1:
            low, high = min(low, value), max(high, value)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    step = _nice_step(high - low, 4)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    start, end = finite[0][0], finite[-1][0]
    seconds = max((end - start).total_seconds(), 1.0)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def x_of(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() / seconds * plot_w, 1)

    def y_of(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_h, 1)

    points = tuple((x_of(t), y_of(v)) for t, v in finite)
    path = "M" + " L".join(f"{x},{y}" for x, y in points)
    y_ticks = []
    value = low
    while value <= high + step / 2:
        y_ticks.append(Tick(y_of(value), _number(value)))
        value += step
    x_ticks = tuple(
        Tick(x_of(moment), moment.strftime("%H:%M"))
        for moment in (start + (end - start) * i / 4 for i in range(5))
    )
    drawn = tuple(Limit(y_of(v), level, v) for v, level in limits if low <= v <= high)
    return Chart(width, height, path, points, x_ticks, tuple(y_ticks), drawn, low, high, start, end)
