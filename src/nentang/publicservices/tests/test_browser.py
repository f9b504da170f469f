"""Birth registration in a real browser (Debian's chromium through Playwright): Nguyễn
Văn An finds the procedure without typing marks, answers one question per page on a
phone, submits; the one-stop shop receives it, the officer processes it, the head
approves, the result is issued; An sees it completed, downloads the signed result and
checks it on the public verification page (and pyHanko's validator agrees). axe-core
on each page; screenshots in test-artifacts/ (publicservices-*.png)."""

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

from nentang.publicservices.tests import support

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast(transactional_db: None) -> support.Cast:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    cast = support.cast()
    # Staff present a second factor at every login (issue 8): their authenticator apps,
    # new with each test's accounts (the codes used so far start again from none).
    LOGINS.clear()
    for account in (cast.reception, cast.processing, cast.approval, cast.justice):
        SECRETS[account.username] = second_factor_of(account)
    return cast


SECRETS: dict[str, str] = {}
LOGINS: dict[str, int] = {}


@pytest.fixture
def chromium(live_server: Any, cast: support.Cast) -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def verify_signature(content: bytes) -> bool:
    """pyHanko's validator, with the installation's certificate as the trust root."""
    from nentang.publicservices.signing import pdf_verify

    return pdf_verify(content).valid


def accessible(page: Page) -> None:
    assert axe_violations(page) == []


def continue_(page: Page) -> None:
    """Submit the question and wait for the next page: a second click sent before the
    first answer arrives would submit the same question twice and skip one."""
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục").click()


def log_in(page: Page, base: str, login: str, password: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(login)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()
    if login in SECRETS:  # each code is accepted once per account: later steps' codes
        pass_second_factor(page, SECRETS[login], ahead=LOGINS.get(login, 0))
        LOGINS[login] = LOGINS.get(login, 0) + 1


def officer_acts(browser: Browser, base: str, login: str, button: str, watch: Watch) -> str:
    page = open_page(browser, DESKTOP, watch)
    log_in(page, base, login, support.OFFICER_PASSWORD, "/officer/dossiers/")
    assert text(page, "h1") == "Hồ sơ đang chờ bạn"
    page.locator("table a").first.click()
    page.wait_for_load_state()
    accessible(page)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    heading = text(page, "h1")
    page.context.close()
    return heading


@pytest.mark.flagship
def test_birth_registration_in_the_browser(
    chromium: Browser, live_server: Any, artifacts: Path
) -> None:
    base = live_server.url
    watch = Watch()
    page = open_page(chromium, PHONE, watch)
    log_in(page, base, support.AN_ID, support.PASSWORD, "/services/")
    page.get_by_label("Tên hoặc mã thủ tục").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.wait_for_load_state()
    accessible(page)
    page.get_by_role("link", name="Đăng ký khai sinh", exact=True).click()
    page.wait_for_load_state()
    assert "Miễn phí" in text(page, "main")
    accessible(page)
    screenshot(page, artifacts / "publicservices-procedure-390.png")
    page.get_by_role("button", name="Bắt đầu").click()
    page.wait_for_load_state()

    # The platform knows the applicant: pre-filled answers, confirmed page by page.
    assert page.get_by_label("Họ, chữ đệm và tên của người nộp").input_value() == "Nguyễn Văn An"
    accessible(page)
    screenshot(page, artifacts / "publicservices-question-390.png")
    continue_(page)
    continue_(page)
    page.get_by_label("Họ, chữ đệm và tên của trẻ").fill("Nguyễn Minh Khôi")
    continue_(page)
    continue_(page)  # no sex chosen: an error
    page.wait_for_load_state()
    assert "Giới tính của trẻ" in text(page, ".error-summary")
    accessible(page)
    screenshot(page, artifacts / "publicservices-question-error-390.png")
    page.get_by_label("Nam", exact=True).check()
    continue_(page)
    page.get_by_label("Ngày sinh của trẻ").fill("2026-11-30")
    continue_(page)
    page.get_by_label("Nơi sinh").fill("Bệnh viện Từ Dũ, TP Hồ Chí Minh")
    continue_(page)
    page.get_by_label("Họ, chữ đệm và tên của mẹ").fill("Trần Thị Mai")
    continue_(page)
    continue_(page)  # the father: optional
    page.get_by_label("Cha", exact=True).check()
    continue_(page)
    page.get_by_label("Nhận bản điện tử trên Cổng dịch vụ công").check()
    continue_(page)
    page.wait_for_load_state()
    assert text(page, "h1") == "Đính kèm giấy tờ"
    scan: FilePayload = {
        "name": "giay-chung-sinh.pdf",
        "mimeType": "application/pdf",
        "buffer": PDF,
    }
    page.locator("#doc0_file").set_input_files(files=[scan])
    page.get_by_role("button", name="Đính kèm").first.click()
    page.wait_for_load_state()
    assert "giay-chung-sinh.pdf" in text(page, "main")
    accessible(page)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "publicservices-documents-390.png")
    page.get_by_role("link", name="Tiếp tục để kiểm tra lại").click()
    page.wait_for_load_state()
    assert text(page, "h1") == "Kiểm tra câu trả lời trước khi nộp"
    assert "30/11/2026" in text(page, "main")
    accessible(page)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "publicservices-review-390.png")
    page.get_by_label("UBND phường Sài Gòn").check()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    assert "Chờ tiếp nhận" in text(page, "main")
    accessible(page)
    screenshot(page, artifacts / "publicservices-submitted-390.png")

    for login, button in (
        ("motcua.saigon", "Tiếp nhận hồ sơ"),
        ("chuyenvien.saigon", "Xong: chuyển bước tiếp"),
        ("lanhdao.saigon", "Phê duyệt"),
        ("chuyenvien.saigon", "Ban hành kết quả"),
    ):
        officer_acts(chromium, base, login, button, watch)

    page.goto(f"{base}/dossiers/")
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    page.wait_for_load_state()
    assert "Đã hoàn thành" in text(page, "main")
    code = text(page, ".caption code")
    accessible(page)
    screenshot(page, artifacts / "publicservices-completed-390.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="Kết quả đã ký số (PDF)").click()
    signed = Path(download.value.path()).read_bytes()
    assert verify_signature(signed)
    page.goto(f"{base}/results/verify")
    result: FilePayload = {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": signed}
    page.get_by_label("Tệp PDF kết quả").set_input_files(files=[result])
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    page.wait_for_load_state()
    assert "Kết quả này đã được cấp và còn hợp lệ." in text(page, "main")
    assert code in text(page, "main")
    accessible(page)
    screenshot(page, artifacts / "publicservices-verified-390.png")

    for name, viewport in (("390", PHONE), ("1280", DESKTOP)):
        public = open_page(chromium, viewport, watch)
        public.goto(f"{base}/dossiers/status?code={code}")
        assert "Đã hoàn thành" in text(public, "main")
        assert "Nguyễn" not in text(public, "main")
        assert no_horizontal_scroll(public)
        accessible(public)
        screenshot(public, artifacts / f"publicservices-status-{name}.png")
    # The one question answered wrong on purpose is a 400, which chromium reports.
    assert watch.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    assert watch.outside_requests == []


def test_documents_deadlines_and_the_apology_in_the_browser(
    live_server: Any, cast: support.Cast, artifacts: Path
) -> None:
    """The new pages at phone and desktop widths, axe-clean: the documents page offering
    an earlier paper for reuse, the review refusing a dossier without its required
    document, deadlines on the citizen's and the officer's pages, the apology form and
    the applicant's dossier after the apology."""
    from django.contrib.auth import get_user_model

    from nentang.kernel.workdays import current_calendar
    from nentang.publicservices import services

    accounts = get_user_model().objects
    an = accounts.get(username=support.AN_ID)
    processing = accounts.get(username="chuyenvien.saigon")
    marriage = services.DocumentUpload(document=1, name="giay-chung-nhan-ket-hon.pdf", content=PDF)
    earlier = services.dossier_submit(
        actor=an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(child_full_name="Nguyễn Minh Anh"),
        documents=[*support.papers("dang-ky-khai-sinh"), marriage],
    )
    services.dossier_receive(actor=accounts.get(username="motcua.saigon"), dossier_id=earlier.pk)
    earlier.refresh_from_db()
    assert earlier.due_date is not None
    services.dossier_apologise(
        actor=processing,
        dossier_id=earlier.pk,
        new_due_date=current_calendar().add_working_days(earlier.due_date, 2),
        reason="Cần xác minh thêm với cơ sở y tế nơi sinh",
    )
    draft = services.dossier_draft_save(
        actor=an, procedure_slug="dang-ky-khai-sinh", data=support.birth()
    )

    # The data first: Playwright's loop would make Django refuse the ORM afterwards.
    with launch_chromium() as chromium:
        base = live_server.url
        watch = Watch()
        for width, viewport in (("390", PHONE), ("1280", DESKTOP)):
            page = open_page(chromium, viewport, watch)
            log_in(page, base, support.AN_ID, support.PASSWORD, f"/dossiers/{draft.pk}/review")
            page.get_by_label("UBND phường Sài Gòn").check()
            page.get_by_role("button", name="Nộp hồ sơ").click()
            page.wait_for_load_state()
            assert "Hãy đính kèm “Giấy chứng sinh" in text(page, ".error-summary")
            accessible(page)
            assert no_horizontal_scroll(page)
            screenshot(page, artifacts / f"publicservices-review-missing-{width}.png")
            page.goto(f"{base}/dossiers/{draft.pk}/documents")
            assert "Dùng lại tệp bạn đã nộp" in text(page, "main")
            accessible(page)
            assert no_horizontal_scroll(page)
            screenshot(page, artifacts / f"publicservices-documents-reuse-{width}.png")
            page.goto(f"{base}/dossiers/{earlier.pk}")
            assert "Hồ sơ của bạn bị chậm" in text(page, "main")
            accessible(page)
            assert no_horizontal_scroll(page)
            screenshot(page, artifacts / f"publicservices-apologised-{width}.png")
            page.goto(f"{base}/dossiers/")
            assert "Quá hạn" in text(page, "main")  # the apologised dossier: late
            accessible(page)
            assert no_horizontal_scroll(page)
            screenshot(page, artifacts / f"publicservices-mine-{width}.png")
            page.context.close()

        page = open_page(chromium, PHONE, watch)
        log_in(page, base, support.AN_ID, support.PASSWORD, f"/dossiers/{draft.pk}/documents")
        page.get_by_role("button", name="Dùng lại tệp này").click()
        page.wait_for_load_state()
        assert "dùng lại từ hồ sơ trước" in text(page, "main")
        page.context.close()

        for width, viewport in (("390", PHONE), ("1280", DESKTOP)):
            page = open_page(chromium, viewport, watch)
            log_in(page, base, "chuyenvien.saigon", support.OFFICER_PASSWORD, "/officer/dossiers/")
            page.get_by_label("Sắp xếp").select_option("-due")
            page.get_by_role("button", name="Lọc").click()
            page.wait_for_load_state()
            accessible(page)
            assert no_horizontal_scroll(page)
            screenshot(page, artifacts / f"publicservices-queue-{width}.png")
            page.goto(f"{base}/officer/dossiers/{earlier.pk}")
            assert "Gửi thư xin lỗi" in text(page, "main")
            accessible(page)
            assert no_horizontal_scroll(page)
            screenshot(page, artifacts / f"publicservices-officer-apology-{width}.png")
            page.goto(f"{base}/officer/statistics")
            assert text(page, "h1") == "Thống kê của cơ quan tôi"
            accessible(page)
            assert no_horizontal_scroll(page)
            screenshot(page, artifacts / f"publicservices-officer-statistics-{width}.png")
            page.context.close()
        # The review refused on purpose (twice) is a 400, which chromium reports.
        assert (
            watch.console_errors
            == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
            * 2
        )
        assert watch.outside_requests == []
