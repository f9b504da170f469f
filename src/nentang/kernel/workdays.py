"""Working-day arithmetic for SLAs, over a holiday calendar kept as data.

The civil service works Monday to Friday. Public holidays (Labour Code 2019, Art. 112:
Tết Dương lịch, Tết Nguyên đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh 2/9 and the
day next to it) and the yearly bridging decisions are rows of ``CalendarDay``:
``holiday`` takes a weekday off, ``working`` turns a weekend day into a working day.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

_WEEKEND = frozenset({5, 6})  # Saturday, Sunday


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = _WEEKEND

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted).

        A dossier received on Friday with a 3-working-day SLA is due on Wednesday.
        ``days == 0`` returns ``start`` when it is a working day, else the next one.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        if days == 0:
            while not self.is_working_day(current):
                current += timedelta(days=1)
            return current
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]; negative when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def next_working_day(self, day: date) -> date:
        return self.add_working_days(day, 1)


def build(rows: Iterable[tuple[date, str]]) -> WorkingCalendar:
    """Build a calendar from (date, kind) pairs, kind being ``holiday`` or ``working``."""
    holidays = set()
    working = set()
    for day, kind in rows:
        if kind == "holiday":
            holidays.add(day)
        elif kind == "working":
            working.add(day)
        else:
            raise ValueError(f"unknown calendar day kind {kind!r}")
    return WorkingCalendar(holidays=frozenset(holidays), extra_working_days=frozenset(working))


_cache_lock = threading.Lock()
_cache: tuple[float, WorkingCalendar] | None = None
_CACHE_SECONDS = 60.0


def current_calendar() -> WorkingCalendar:
    """The calendar from the database, cached for a minute per process."""
    global _cache
    now = time.monotonic()
    with _cache_lock:
        if _cache is not None and now - _cache[0] < _CACHE_SECONDS:
            return _cache[1]
    from nentang.kernel.models import CalendarDay

    calendar = build(CalendarDay.objects.values_list("date", "kind"))
    with _cache_lock:
        _cache = (now, calendar)
    return calendar


def forget_cached_calendar() -> None:
    global _cache
    with _cache_lock:
        _cache = None
