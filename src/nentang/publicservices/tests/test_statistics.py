"""The public statistics page (Decision 766/QĐ-TTg measures): the numbers agree with the
dossiers, the page is in Vietnamese (English on request), shows nothing personal, and in
a real browser it is axe-clean at 390 and 1280 px (screenshots in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from tests.support.axe import axe_violations
from tests.support.browser import (
    DESKTOP,
    NEEDS_CHROMIUM,
    PHONE,
    Watch,
    launch_chromium,
    no_horizontal_scroll,
    open_page,
    screenshot,
    text,
)

from nentang.publicservices import selectors, services
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def dossiers(cast: Cast) -> None:
    """Three birth registrations at UBND phường Sài Gòn: one completed online, one
    refused, one waiting for reception (not received: not counted)."""
    for outcome in ("completed", "rejected", "waiting"):
        dossier = services.dossier_submit(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=support.birth(child_full_name=f"Nguyễn Minh {outcome.title()}"),
            documents=support.papers("dang-ky-khai-sinh"),
        )
        if outcome == "waiting":
            continue
        services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
        if outcome == "rejected":
            services.dossier_reject(
                actor=cast.processing, dossier_id=dossier.pk, reason="Thiếu giấy chứng sinh"
            )
            continue
        services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
        services.dossier_approve(actor=cast.approval, dossier_id=dossier.pk)
        services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)


def test_the_measures_add_up(cast: Cast) -> None:
    dossiers(cast)
    rows = selectors.service_statistics()
    (total,) = selectors.statistics_measures(rows, by="all")
    assert (total.received, total.finished) == (2, 1)
    assert (total.on_time_percent, total.online_percent, total.electronic_percent) == (
        100,
        100,
        100,
    )
    assert total.paid_online_percent == 0
    (by_agency,) = selectors.statistics_measures(rows, by="agency")
    assert by_agency.key == "ubnd-phuong-sai-gon"


def test_the_page_in_vietnamese_and_english_shows_nothing_personal(cast: Cast) -> None:
    dossiers(cast)
    page = Client(HTTP_ACCEPT_LANGUAGE="vi").get(reverse("publicservices:statistics"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Thống kê chất lượng giải quyết thủ tục" in body
    assert "Đăng ký khai sinh" in body
    assert "UBND phường Sài Gòn" in body
    assert "Nguyễn" not in body
    assert support.AN_ID not in body
    # Two dossiers received: their number is public, their shares would say how An applied.
    assert '<span class="chart__value">100%</span>' not in body
    assert '<span class="chart__value">2</span>' in body
    assert "Nơi tiếp nhận dưới 5 hồ sơ" in body
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("publicservices:statistics"), {"period": "365"})
    assert "Birth registration" in english.content.decode()
    odd = Client().get(reverse("publicservices:statistics"), {"period": "\x00' or 1=1"})
    assert odd.status_code == 200  # an unknown period falls back to the default


def test_an_empty_period_says_so(db: None) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="vi").get(reverse("publicservices:statistics"))
    assert "Không có hồ sơ nào được tiếp nhận trong khoảng thời gian này." in page.content.decode()


@pytest.fixture
def chromium_after_data(live_server: Any, transactional_db: None) -> Iterator[Browser]:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    dossiers(support.cast())
    with launch_chromium() as browser:
        yield browser


@pytest.mark.django_db(transaction=True)
@NEEDS_CHROMIUM[0]
@NEEDS_CHROMIUM[1]
def test_the_statistics_page_in_the_browser(
    chromium_after_data: Browser, live_server: Any, artifacts: Path
) -> None:
    watch = Watch()
    for name, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page = open_page(chromium_after_data, viewport, watch)
        page.goto(f"{live_server.url}/services/statistics")
        assert text(page, "h1") == "Thống kê chất lượng giải quyết thủ tục"
        assert "Đăng ký khai sinh" in text(page, "main")
        assert axe_violations(page) == []
        assert no_horizontal_scroll(page)
        screenshot(page, artifacts / f"publicservices-statistics-{name}.png")
        page.context.close()
    assert watch.console_errors == []
    assert watch.outside_requests == []
