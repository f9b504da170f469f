"""A bar chart of one numeric column of the preview page, drawn on the server as SVG
(no script, no CDN): one horizontal bar per row of the page, its label (the first text
column) above it and its value beside it — a narrow drawing, so that the text keeps a
readable size on a phone. The numbers are also in the table, so the chart is a picture
of them (``role="img"`` with a title and a description), not their only form."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format

WIDTH = 360
VALUE_WIDTH = 84
LABEL_HEIGHT = 16
BAR_HEIGHT = 16
ROW = LABEL_HEIGHT + BAR_HEIGHT + 12
MAX_LABEL = 44


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    x: float
    y: float
    width: float
    height: int
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    column: str
    bars: list[Bar]
    height: int
    width: int
    zero_x: float
    plot_left: int
    plot_right: int
    smallest: str
    largest: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def bar_chart(*, column: str, labels: list[str], values: list[Any]) -> Chart | None:
    """The chart of ``values`` (None and non-numbers are left out), or None when no
    value is a number. Negative values go left of the zero line."""
    pairs = [(label, number, raw) for label, raw in zip(labels, values, strict=True)
             if (number := _number(raw)) is not None]  # fmt: skip
    if not pairs:
        return None
    low = min(0.0, *(n for _, n, _ in pairs))
    high = max(0.0, *(n for _, n, _ in pairs))
    span = (high - low) or 1.0
    left, right = 1, WIDTH - VALUE_WIDTH

    def x_of(number: float) -> float:
        return left + (number - low) / span * (right - left)

    zero = x_of(0.0)
    bars = []
    for index, (label, number, raw) in enumerate(pairs):
        top = index * ROW
        end = x_of(number)
        bars.append(
            Bar(
                label=_short(label), value=number_format(raw, force_grouping=True),
                x=round(min(zero, end), 1), y=top + LABEL_HEIGHT + 2, height=BAR_HEIGHT,
                width=round(max(abs(end - zero), 1.0), 1), label_y=top + LABEL_HEIGHT - 3,
                value_x=round(max(zero, end) + 6, 1), value_y=top + LABEL_HEIGHT + BAR_HEIGHT - 2,
            )
        )  # fmt: skip
    smallest = min(pairs, key=lambda p: p[1])[2]
    largest = max(pairs, key=lambda p: p[1])[2]
    return Chart(
        column=column, bars=bars, height=len(bars) * ROW, width=WIDTH,
        zero_x=round(zero, 1), plot_left=left, plot_right=right,
        smallest=number_format(smallest, force_grouping=True),
        largest=number_format(largest, force_grouping=True),
    )  # fmt: skip
