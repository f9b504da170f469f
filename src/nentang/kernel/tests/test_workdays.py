from datetime import date

import pytest

from nentang.kernel.models import CalendarDay
from nentang.kernel.workdays import WorkingCalendar, build, current_calendar, forget_cached_calendar


def test_plain_week_skips_the_weekend() -> None:
    calendar = WorkingCalendar()
    friday = date(2026, 11, 27)
    assert calendar.add_working_days(friday, 1) == date(2026, 11, 30)  # Monday
    assert calendar.add_working_days(friday, 3) == date(2026, 12, 2)  # Wednesday
    assert calendar.working_days_between(friday, date(2026, 12, 4)) == 5
    assert calendar.working_days_between(date(2026, 12, 4), friday) == -5
    assert calendar.add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)


def test_holidays_and_make_up_days_are_data() -> None:
    calendar = build([(date(2026, 4, 30), "holiday"), (date(2026, 5, 1), "holiday")])
    # Wednesday 29/4 + 1 working day skips Thu 30/4, Fri 1/5 and the weekend.
    assert calendar.add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)
    swapped = build([(date(2025, 5, 2), "holiday"), (date(2025, 4, 26), "working")])
    assert swapped.is_working_day(date(2025, 4, 26))  # a Saturday worked
    assert not swapped.is_working_day(date(2025, 5, 2))


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        WorkingCalendar().add_working_days(date(2026, 1, 5), -1)
    with pytest.raises(ValueError, match="unknown"):
        build([(date(2026, 1, 5), "party")])


@pytest.mark.django_db
def test_the_shipped_calendar_knows_tet_2026() -> None:
    forget_cached_calendar()
    calendar = current_calendar()
    # Friday 13/2/2026 + 1 working day: Tết runs Mon 16/2 – Fri 20/2 → Monday 23/2.
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert not calendar.is_working_day(date(2026, 9, 2))


@pytest.mark.django_db
def test_operators_can_add_a_day_off() -> None:
    CalendarDay.objects.create(date=date(2026, 11, 24), kind="holiday", name="Ngày Văn hóa")
    forget_cached_calendar()
    assert not current_calendar().is_working_day(date(2026, 11, 24))
    forget_cached_calendar()
