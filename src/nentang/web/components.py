"""Typed values that views hand to the design-system partials.

A view builds these, the partial under ``templates/web/components/`` renders them::

    rows = [[Cell(dossier.code, url=...), Cell(badge=Badge(_("Approved"), "success"))]]

    {% include "web/components/table.html" with caption=caption columns=columns
       rows=rows only %}

(a Django tag must stay on one line; it is wrapped here only to fit.)

Keeping the shape in Python lets mypy check what the templates receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.utils.functional import Promise

Text = str | Promise
Tone = Literal["neutral", "info", "success", "warning", "error"]
StepState = Literal["done", "current", "upcoming", "failed"]


@dataclass(frozen=True)
class Link:
    label: Text
    url: str


@dataclass(frozen=True)
class Badge:
    """A short status word. The word carries the meaning; the tone only supports it."""

    label: Text
    tone: Tone = "neutral"


@dataclass(frozen=True)
class Column:
    label: Text
    numeric: bool = False  # right-aligned, tabular digits (amounts, counts)
    row_header: bool = False  # this column names the row (<th scope="row">)


@dataclass(frozen=True)
class Cell:
    text: Text = ""
    url: str | None = None
    badge: Badge | None = None
    mono: bool = False  # codes and identifiers


@dataclass(frozen=True)
class SummaryRow:
    key: Text
    value: Text
    url: str | None = None
    mono: bool = False
    action: Link | None = None  # "Change" at the end of the row (the key is read after it)


@dataclass(frozen=True)
class TimelineEvent:
    """One step of a dossier or a parcel. ``time`` is aware; it is shown in local time."""

    title: Text
    state: StepState
    time: datetime | None = None
    text: Text = ""
