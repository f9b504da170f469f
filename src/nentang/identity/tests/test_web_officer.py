"""Officers' pages: a logged look-up, the card, verify to level 2, lock and unlock.
Refusals are the 403 page, never data."""

from __future__ import annotations

import pyotp
import pytest
from django.apps import apps
from django.test import Client
from tests.support.html import assert_well_formed, read
from tests.support.staff import log_in_as, second_factor_of, totp_code

from nentang.identity import services
from nentang.identity.models import Account, DataUsage, LevelVerification, Person
from nentang.identity.tests import support

SecurityEvent = apps.get_model("audit", "SecurityEvent")
PURPOSE = "Xác thực mức độ 2 tại bộ phận một cửa"


def counter(officer: Account) -> Client:
    """The officer's browser, logged in with password and authenticator code."""
    secret = second_factor_of(officer)
    client = Client()
    client.post("/login", {"login": officer.username, "password": support.OFFICER_PASSWORD})
    client.post("/login/second-factor", {"code": totp_code(secret)})
    assert "_auth_user_id" in client.session
    return client


@pytest.fixture
def desk(officer: Account) -> Client:
    """Lê Thị Hoa's browser at the counter of UBND phường Sài Gòn."""
    return counter(officer)


@pytest.fixture
def hanoi_desk(hanoi_officer: Account) -> Client:
    """The counter of UBND phường Hoàn Kiếm, where Trần Thị Bình (Hà Nội) goes."""
    return counter(hanoi_officer)


def find(client: Client, id_number: str, purpose: str = PURPOSE) -> object:
    return client.post("/officer/people", {"id_number": id_number, "purpose": purpose})


def verify_data(person: Person, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "place": "Bộ phận một cửa, UBND phường Sài Gòn",
        "document_type": "citizen_id_card",
        "document_number": person.id_number,
        "fingerprint_attested": "on",
    }
    data.update(changes)
    return data


class TestWhoMayOpen:
    def test_anonymous_visitors_log_in_first(self, client: Client) -> None:
        response = client.get("/officer/people")

        assert response.status_code == 302
        assert response["Location"] == "/login?next=%2Fofficer%2Fpeople"

    def test_a_citizen_gets_the_403_page_and_no_data(self, an: Person, binh: Person) -> None:
        client = Client()
        assert binh.account is not None
        client.force_login(binh.account)
        before = DataUsage.objects.count()

        for response in (client.get("/officer/people"), find(client, support.AN_ID)):
            assert response.status_code == 403  # type: ignore[attr-defined]
            html = response.content.decode()  # type: ignore[attr-defined]
            assert "Nguyễn Văn An" not in html
            assert read(html).texts("h1") == ["Không có quyền truy cập"]
        assert DataUsage.objects.count() == before
        assert SecurityEvent.objects.filter(kind="authz.denied").count() >= 2

    def test_an_officer_without_a_front_office_role_is_refused(
        self, admin: Account, officer: Account, an: Person
    ) -> None:
        clerk = support.officer(admin, username="xuly.saigon", roles=("processing",))
        client = Client()
        log_in_as(client, clerk)

        response = find(client, support.AN_ID)

        assert response.status_code == 403  # type: ignore[attr-defined]
        assert "Nguyễn Văn An" not in response.content.decode()  # type: ignore[attr-defined]

    def test_an_officer_with_a_second_factor_presents_it(self, officer: Account) -> None:
        enrolment = services.totp_enrol(actor=officer)
        services.totp_confirm(actor=officer, code=pyotp.TOTP(enrolment.secret).now())
        client = Client()
        client.force_login(officer)  # a session that has not presented it

        response = client.get("/officer/people")

        assert response.status_code == 302
        assert response["Location"] == "/login/second-factor?next=%2Fofficer%2Fpeople"


class TestFinding:
    @pytest.mark.parametrize("language", ["vi", "en"])
    def test_the_page_says_every_look_up_is_logged(self, desk: Client, language: str) -> None:
        desk.cookies["nentang_language"] = language

        page = read(desk.get("/officer/people").content)

        assert_well_formed(page)
        if language == "vi":
            assert page.texts("h1") == ["Tra cứu công dân theo số định danh"]
            assert "Cảnh báo: Mỗi lần tra cứu đều được ghi nhật ký" in page.texts("p")

    def test_the_card_and_the_read_logged_for_the_person(self, desk: Client, an: Person) -> None:
        response = find(desk, support.AN_ID)

        assert response.status_code == 200  # type: ignore[attr-defined]
        page = read(response.content)  # type: ignore[attr-defined]
        assert page.texts("h1") == ["Nguyễn Văn An"]
        facts = dict(zip(page.texts("dt"), page.texts("dd"), strict=True))
        assert facts["Số định danh cá nhân"] == support.AN_ID
        assert facts["Tài khoản định danh"] == "Đang hoạt động"
        assert any(PURPOSE in text for text in page.texts("p"))
        usage = DataUsage.objects.get(person=an)
        assert usage.purpose == PURPOSE
        assert usage.agency_id == "ubnd-phuong-sai-gon"
        assert_well_formed(page)

    def test_a_missing_purpose_reads_nothing(self, desk: Client, an: Person) -> None:
        response = find(desk, support.AN_ID, purpose="")

        assert response.status_code == 400  # type: ignore[attr-defined]
        assert "#id_purpose" in read(response.content).hrefs()  # type: ignore[attr-defined]
        assert DataUsage.objects.count() == 0

    def test_a_too_short_purpose_is_the_services_field_error(
        self, desk: Client, an: Person
    ) -> None:
        response = find(desk, support.AN_ID, purpose="ab")

        assert response.status_code == 422  # type: ignore[attr-defined]
        assert "#id_purpose" in read(response.content).hrefs()  # type: ignore[attr-defined]
        assert DataUsage.objects.count() == 0

    def test_an_unknown_number_is_said_at_the_field(self, desk: Client) -> None:
        response = find(desk, "079090009999")

        assert response.status_code == 404  # type: ignore[attr-defined]
        assert "#id_id_number" in read(response.content).hrefs()  # type: ignore[attr-defined]


class TestVerifying:
    def test_verify_a_level_1_person_to_level_2(self, hanoi_desk: Client, binh: Person) -> None:
        page = read(find(hanoi_desk, support.BINH_ID).content)  # type: ignore[attr-defined]
        assert "Xác thực lên mức độ 2" in page.texts("h2")

        response = hanoi_desk.post(f"/officer/people/{binh.pk}/verify", verify_data(binh))

        assert response.status_code == 302
        assert response["Location"] == "/officer/people"
        binh.refresh_from_db()
        assert binh.level == 2
        assert LevelVerification.objects.get(person=binh).fingerprint_attested is True
        assert "đã ở mức độ 2" in hanoi_desk.get("/officer/people").content.decode()

    def test_without_the_fingerprint_check_nothing_changes(
        self, hanoi_desk: Client, binh: Person
    ) -> None:
        find(hanoi_desk, support.BINH_ID)

        response = hanoi_desk.post(
            f"/officer/people/{binh.pk}/verify", verify_data(binh, fingerprint_attested="")
        )

        assert response.status_code == 400
        page = read(response.content)
        assert "#id_fingerprint_attested" in page.hrefs()
        assert page.texts("h1") == [f"Số định danh cá nhân {support.BINH_ID}"]
        assert "Trần Thị Bình" not in response.content.decode()
        binh.refresh_from_db()
        assert binh.level == 1
        assert_well_formed(page)

    def test_with_htmx_only_the_form_comes_back(self, hanoi_desk: Client, binh: Person) -> None:
        find(hanoi_desk, support.BINH_ID)

        response = hanoi_desk.post(
            f"/officer/people/{binh.pk}/verify",
            verify_data(binh, document_number="001195009999"),
            headers={"HX-Request": "true"},
        )

        assert response.status_code == 200  # htmx swaps only 2xx answers
        html = response.content.decode()
        assert html.startswith('<div id="verify-form">')
        assert "Số thẻ căn cước công dân chính là số định danh cá nhân của người đó." in html
        assert 'href="#id_document_number"' in html

    def test_acting_without_a_logged_look_up_is_refused(
        self, hanoi_desk: Client, binh: Person
    ) -> None:
        response = hanoi_desk.post(f"/officer/people/{binh.pk}/verify", verify_data(binh))

        assert response.status_code == 302
        assert response["Location"] == "/officer/people"
        binh.refresh_from_db()
        assert binh.level == 1


class TestLocking:
    def test_lock_then_unlock_with_a_reason(self, desk: Client, an: Person) -> None:
        find(desk, support.AN_ID)

        response = desk.post(
            f"/officer/people/{an.pk}/lock",
            {"reason": "id_revoked", "note": "Thẻ CCCD bị thu hồi"},
        )

        assert response.status_code == 302
        assert an.account is not None
        an.account.refresh_from_db()
        assert an.account.lock_reason == "id_revoked"
        page = read(find(desk, support.AN_ID).content)  # type: ignore[attr-defined]
        facts = dict(zip(page.texts("dt"), page.texts("dd"), strict=True))
        assert facts["Tài khoản định danh"].startswith("Bị khóa do giấy tờ tùy thân bị thu hồi")
        assert "Mở khóa định danh điện tử" in page.texts("h2")

        response = desk.post(f"/officer/people/{an.pk}/unlock", {"note": ""})
        assert response.status_code == 400
        response = desk.post(
            f"/officer/people/{an.pk}/unlock", {"note": "Công dân đến trực tiếp với thẻ mới"}
        )
        assert response.status_code == 302
        an.account.refresh_from_db()
        assert an.account.is_locked is False

    def test_outside_the_agency_area_no_lock_form_and_a_forced_post_is_403(
        self, desk: Client, binh: Person
    ) -> None:
        page = read(find(desk, support.BINH_ID).content)  # type: ignore[attr-defined]
        assert "Khóa định danh điện tử" not in page.texts("h2")

        response = desk.post(
            f"/officer/people/{binh.pk}/lock", {"reason": "officer_action", "note": ""}
        )

        assert response.status_code == 403
        assert binh.account is not None
        binh.account.refresh_from_db()
        assert binh.account.is_locked is False

    def test_a_reason_is_required(self, desk: Client, an: Person) -> None:
        find(desk, support.AN_ID)

        response = desk.post(f"/officer/people/{an.pk}/lock", {"reason": ""})

        assert response.status_code == 400
        assert "#id_reason_0" in read(response.content).hrefs()
        assert an.account is not None
        an.account.refresh_from_db()
        assert an.account.is_locked is False
