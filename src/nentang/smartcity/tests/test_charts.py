"""IOC charts: the SVG geometry (no library, nothing fetched) and the sensor page, whose
readings come from the temporal store and are also given as a table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nentang.smartcity import charts
from nentang.smartcity.tests.conftest import Ngsi

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_line_chart_geometry() -> None:
    series = [(T0 + timedelta(minutes=10 * i), v) for i, v in enumerate([40.0, 60.0, 80.0, 70.0])]
    chart = charts.line_chart(series, limits=[(55.5, "warning"), (150.5, "alarm")])
    assert chart.path.startswith("M")
    assert chart.path.count("L") == 3
    xs = [x for x, _y in chart.points]
    ys = [y for _x, y in chart.points]
    assert xs == sorted(xs)
    assert xs[0] == charts.LEFT
    assert xs[-1] == chart.width - charts.RIGHT
    assert ys[2] == min(ys)  # 80 is highest on the page (smallest y)
    assert chart.low <= 40
    assert chart.high >= 80
    # 55.5 is within the data's reach and drawn; 150.5 is far above and left out.
    assert [(limit.level, limit.value) for limit in chart.limits] == [("warning", 55.5)]
    assert [t.label for t in chart.x_ticks] == ["08:00", "08:07", "08:15", "08:22", "08:30"]
    assert all("," in t.label or t.label.isdigit() for t in chart.y_ticks)


def test_line_chart_edges() -> None:
    empty = charts.line_chart([])
    assert (empty.path, empty.points, empty.first) == ("", (), None)
    flat = charts.line_chart([(T0, 3.0), (T0 + timedelta(hours=1), 3.0)])
    assert flat.low < 3.0 < flat.high  # a flat line sits inside the frame
    single = charts.line_chart([(T0, float("nan")), (T0, 5.0)])
    assert len(single.points) == 1


def _reading(value: float, minutes: int) -> dict[str, Any]:
    return {
        "id": "urn:ngsi-ld:FloodMonitoring:hue-kimlong",
        "type": "FloodMonitoring",
        "currentLevel": {
            "type": "Property",
            "value": value,
            "unitCode": "MTR",
            "observedAt": (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        },
        "name": {"type": "Property", "value": "Trạm Kim Long"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [107.55, 16.46]},
        },
    }


@pytest.mark.django_db
def test_the_sensor_page_charts_the_history_with_a_table(ngsi: Ngsi, client: Any) -> None:
    levels = [1.2, 1.8, 2.4, 3.1, 3.7, 3.4]
    for minutes, value in enumerate(levels):
        answer = ngsi.call(
            "POST", "/entityOperations/upsert?options=update", [_reading(value, 30 * minutes)]
        )
        assert answer.status_code in (201, 204)
    url = "/do-thi/hue/cam-bien/urn:ngsi-ld:FloodMonitoring:hue-kimlong/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Trạm Kim Long" in html
    assert html.count('class="sc-chart__dot"') == len(levels)
    assert 'role="img"' in html
    assert "sc-chart-desc" in html
    cells = re.findall(r"<tr><td>[0-9:/ ]+</td><td>([^<]+)</td></tr>", html)
    assert cells == ["3,4 m", "3,7 m", "3,1 m", "2,4 m", "1,8 m", "1,2 m"]  # newest first
    assert "sc-chart__limit--warning" in html
    assert "sc-chart__limit--alarm" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )
    # The city page links each sensor to its chart.
    assert url in client.get("/do-thi/hue/").content.decode()
    # Unknown sensors, other tenants' ids and junk ids are 404s, never 500s.
    for wrong in (
        "/do-thi/danang/cam-bien/urn:ngsi-ld:FloodMonitoring:hue-kimlong/",
        "/do-thi/hue/cam-bien/urn:ngsi-ld:FloodMonitoring:none/",
        "/do-thi/atlantis/cam-bien/x/",
        "/do-thi/hue/cam-bien/" + "x" * 5000 + "/",
        "/do-thi/hue/cam-bien/%00/",
    ):
        assert client.get(wrong).status_code == 404, wrong
