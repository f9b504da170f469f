from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from nentang.kernel.models import CalendarDay
from nentang.kernel.pagination import encode_cursor, paginate

pytestmark = pytest.mark.urls("nentang.kernel.tests.api_fixture")


def make_days(count: int) -> None:
    start = datetime.date(2040, 1, 1)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=start + datetime.timedelta(days=i), kind="holiday", name=f"d{i}")
        for i in range(count)
    )


@pytest.mark.django_db
def test_walking_every_page_yields_each_row_once(client: Client) -> None:
    make_days(23)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/v1/test/days?limit=5" + (f"&cursor={cursor}" if cursor else "")
        body = json.loads(client.get(url).content)
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    expected = list(CalendarDay.objects.order_by("-date", "id").values_list("id", flat=True))
    assert seen == expected
    assert pages == -(-len(expected) // 5)


@pytest.mark.django_db
def test_rows_inserted_before_the_cursor_do_not_shift_pages() -> None:
    make_days(10)
    first = paginate(CalendarDay.objects.all(), order=("date", "id"), limit=4)
    CalendarDay.objects.create(date=datetime.date(2039, 1, 1), kind="holiday", name="early")
    second = paginate(
        CalendarDay.objects.all(), order=("date", "id"), cursor=first.next_cursor, limit=4
    )
    assert second.items[0].date > first.items[-1].date


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "e30",
        encode_cursor(["x"], ("other",)),
        encode_cursor(["not-a-date", 1], ("-date", "id")),
        encode_cursor([None, None], ("-date", "id")),
        encode_cursor(["2030-01-01", "1\x00"], ("-date", "id")),
    ],
)
def test_bad_cursors_are_400_invalid_cursor(client: Client, cursor: str) -> None:
    response = client.get(f"/api/v1/test/days?cursor={cursor}")
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "invalid_cursor"


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "501", "-1"])
def test_limits_out_of_range_are_refused(client: Client, limit: str) -> None:
    response = client.get(f"/api/v1/test/days?limit={limit}")
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "invalid_limit"


@pytest.mark.django_db
def test_non_integer_limit_is_a_field_error(client: Client) -> None:
    response = client.get("/api/v1/test/days?limit=ten")
    body = json.loads(response.content)
    assert response.status_code == 422
    assert body["errors"][0]["field"] == "limit"


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(total=st.integers(min_value=0, max_value=30), limit=st.integers(min_value=1, max_value=12))
def test_any_page_size_covers_the_set(total: int, limit: int) -> None:
    CalendarDay.objects.all().delete()
    make_days(total)
    seen: list[int] = []
    cursor = None
    while True:
        page = paginate(
            CalendarDay.objects.all(), order=("-date", "id"), cursor=cursor, limit=limit
        )
        seen.extend(day.pk for day in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == total
