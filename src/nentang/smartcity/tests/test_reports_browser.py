"""A citizen report in a real browser (Debian's chromium through Playwright): Nguyễn
Văn An, on a 390 px phone, reports a broken street light in Huế (a mistake first, then
the ward); Huế's city officer (password and authenticator code) accepts it, assigns it,
starts and resolves it with an answer at 1280 px; An sees it resolved with the answer;
the public list shows it without personal data. axe-core on every page, no horizontal
scroll, no request leaves the machine. Screenshots: test-artifacts/smartcity-report-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
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
from tests.support.staff import pass_second_factor, second_factor_of

from nentang.smartcity.tests import support_reports as support

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast(transactional_db: None) -> support.Cast:
    return support.cast()


@pytest.fixture
def secret(cast: support.Cast) -> str:
    """The authenticator secret of Huế's officer (the ORM is not usable once Playwright's
    loop runs in this thread)."""
    return second_factor_of(cast.hue)


@pytest.fixture
def chromium(live_server: Any, cast: support.Cast, secret: str) -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


def log_in(page: Page, base: str, login: str, password: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(login)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()


def check(page: Page, artifacts: Path, name: str) -> None:
    assert no_horizontal_scroll(page), name
    assert axe_violations(page) == [], name
    screenshot(page, artifacts / f"smartcity-report-{name}.png")


def test_a_citizen_reports_a_street_light_and_sees_it_resolved(
    chromium: Browser, live_server: Any, cast: support.Cast, secret: str, artifacts: Path
) -> None:
    base = live_server.url
    watch = Watch()
    page = open_page(chromium, PHONE, watch)
    log_in(page, base, "079090001234", support.PASSWORD, "/do-thi/phan-anh/")
    assert text(page, "h1") == "Phản ánh hiện trường"
    check(page, artifacts, "home-390")
    page.get_by_role("link", name="Gửi phản ánh — Thành phố Huế").click()
    page.wait_for_load_state()
    assert text(page, "h1") == "Gửi phản ánh"
    page.get_by_label("Đèn đường hỏng").check()
    page.get_by_label("Mô tả vấn đề").fill("Đèn tắt")  # too short, and no place
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_load_state()
    summary = text(page, ".error-summary")
    assert "ít nhất 10 ký tự" in summary
    assert "phường, xã hoặc nhập tọa độ" in summary
    check(page, artifacts, "form-errors-390")
    page.get_by_label("Mô tả vấn đề").fill("Hai cột đèn trước số 5 Lê Lợi tắt từ tối qua.")
    page.get_by_label("Phường, xã").select_option(cast.ward)
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_load_state()
    assert "Cảm ơn bạn" in text(page, "main")
    assert "Đã tiếp nhận" in text(page, "main")
    check(page, artifacts, "sent-390")

    # Huế's officer handles it on a desktop.
    staff = open_page(chromium, DESKTOP, watch)
    log_in(staff, base, "canbo.hue", support.OFFICER_PASSWORD, "/do-thi/can-bo/phan-anh/")
    staff.wait_for_url("**/login/second-factor**")
    pass_second_factor(staff, secret)
    staff.goto(base + "/do-thi/can-bo/phan-anh/")
    assert text(staff, "h1") == "Phản ánh của người dân"
    check(staff, artifacts, "queue-1280")
    staff.get_by_role("link", name="Đèn đường hỏng").click()
    staff.wait_for_load_state()
    assert "Nguyễn Văn An" not in text(staff, "main")  # staff never see who reported
    staff.get_by_role("button", name="Tiếp nhận xử lý").click()
    staff.wait_for_load_state()
    staff.get_by_label("Cán bộ phụ trách").select_option("kythuat.hue")
    staff.get_by_role("button", name="Giao việc").click()
    staff.wait_for_load_state()
    staff.get_by_role("button", name="Bắt đầu xử lý").click()
    staff.wait_for_load_state()
    staff.get_by_role("button", name="Đã xử lý xong: công bố câu trả lời").click()
    staff.wait_for_load_state()
    assert "Hãy viết câu trả lời" in text(staff, ".error-summary")
    check(staff, artifacts, "staff-error-1280")
    staff.get_by_label("Câu trả lời").fill("Đã thay bộ điều khiển, hai cột đèn sáng lại.")
    staff.get_by_role("button", name="Đã xử lý xong: công bố câu trả lời").click()
    staff.wait_for_load_state()
    assert "Đã xử lý" in text(staff, "main")
    check(staff, artifacts, "staff-resolved-1280")

    # An sees the answer; everyone sees the resolved report, without personal data.
    page.goto(f"{base}/do-thi/phan-anh/cua-toi/")
    assert "Đã xử lý" in text(page, "main")
    check(page, artifacts, "mine-390")
    page.get_by_role("link", name="Đèn đường hỏng").click()
    page.wait_for_load_state()
    assert "hai cột đèn sáng lại" in text(page, "main")
    check(page, artifacts, "resolved-390")
    # … and rates the answer.
    page.get_by_label("4 — tốt").check()
    page.get_by_label("Nhận xét của bạn").fill("Sửa nhanh, cảm ơn.")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_load_state()
    assert "Cảm ơn bạn đã đánh giá câu trả lời." in text(page, "main")
    assert "4/5" in text(page, "main")
    check(page, artifacts, "rated-390")
    public = open_page(chromium, PHONE, watch)
    public.goto(f"{base}/do-thi/hue/phan-anh/")
    main = text(public, "main")
    assert "hai cột đèn sáng lại" in main
    assert "Lê Lợi" not in main
    check(public, artifacts, "public-390")
    # Chromium notes each refused form (422 on purpose); nothing else may be logged.
    assert [m for m in watch.console_errors if "status of 422" not in m] == []
    assert watch.outside_requests == []
