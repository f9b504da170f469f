"""The design-system partials and helpers, rendered on their own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation
from tests.support.html import read

from nentang.kernel.errors import STATUS_CODES
from nentang.web.components import Badge, Cell, Column, TimelineEvent
from nentang.web.problems import problem_type_for_status, problem_types


def render(source: str, **context: object) -> str:
    return Template("{% load i18n nentang_web %}" + source).render(Context(context))


def test_every_generic_problem_code_is_explained() -> None:
    generic = [p for p in problem_types() if p.generic]

    assert {p.code for p in generic} == {code for code, _title in STATUS_CODES.values()}
    assert [p.status for p in generic] == sorted(STATUS_CODES)
    assert all(str(p.meaning) and str(p.advice) for p in problem_types())


def test_problem_example_is_the_documented_shape() -> None:
    problem = problem_type_for_status(422)
    assert problem is not None

    example = problem.example()

    assert '"code": "validation_failed"' in example
    assert '"status": 422' in example
    assert problem_type_for_status(418) is None


def test_component_tag_wraps_a_body_and_hides_page_variables() -> None:
    html = render(
        '{% component "alert" tone="warning" %}<p>Giấy tờ <strong>thiếu</strong></p>'
        "{% endcomponent %}",
        title="Page title that must not leak",
    )

    assert 'class="alert alert--warning"' in html
    assert "<p>Giấy tờ <strong>thiếu</strong></p>" in html
    assert "must not leak" not in html


def test_component_tag_escapes_its_arguments() -> None:
    html = render('{% component "alert" title=name %}{% endcomponent %}', name="<b>x</b>")

    assert "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "{% component alert %}{% endcomponent %}",
        '{% component "../x" %}{% endcomponent %}',
        '{% component "alert" loose %}{% endcomponent %}',
    ],
)
def test_component_tag_rejects_bad_usage(source: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        render(source)


def test_error_alert_is_announced_and_says_its_tone_in_words() -> None:
    with translation.override("vi"):
        html = render(
            '{% include "web/components/alert.html" with tone="error" text="Hết hạn" only %}'
        )

    assert 'role="alert"' in html
    assert '<span class="visually-hidden">Lỗi: </span>Hết hạn' in html


def test_table_pairs_cells_with_their_columns() -> None:
    columns = [Column("Mã", row_header=True), Column("Phí", numeric=True), Column("Trạng thái")]
    rows = [[Cell("H29", mono=True), "8.000 ₫", Cell(badge=Badge("Đã duyệt", "success"))]]

    page = read(
        render(
            '{% include "web/components/table.html" with caption="Hồ sơ" columns=columns '
            "rows=rows stack=True only %}",
            columns=columns,
            rows=rows,
        )
    )

    header = page.all("th")[3]
    assert header.attrs == {"scope": "row", "data-label": "Mã"}
    cells = page.all("td")
    assert [c.attrs["data-label"] for c in cells] == ["Phí", "Trạng thái"]
    assert cells[0].attrs["class"] == "num"
    assert "Đã duyệt" in cells[1].text


def test_table_refuses_a_row_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="zip"):
        render(
            '{% include "web/components/table.html" with columns=columns rows=rows only %}',
            columns=[Column("A"), Column("B")],
            rows=[["only one"]],
        )


def test_timeline_marks_the_current_step_in_words() -> None:
    events = [
        TimelineEvent("Đã nộp", "done", time=datetime(2025, 7, 1, 1, 12, tzinfo=UTC)),
        TimelineEvent("Đang xử lý", "current"),
        TimelineEvent("Trả kết quả", "upcoming"),
    ]

    with translation.override("vi"):
        page = read(
            render(
                '{% include "web/components/timeline.html" with events=events only %}',
                events=events,
            )
        )

    items = page.all("li")
    assert [i.attrs.get("aria-current") for i in items] == [None, "step", None]
    assert "(bước hiện tại)" in " ".join(items[1].text.split())
    # stored in UTC, shown in Asia/Ho_Chi_Minh
    assert page.all("time")[0].attrs["datetime"] == "2025-07-01T08:12:00+07:00"
    assert " ".join(page.all("time")[0].text.split()) == "08:12, 01/07/2025"
