"""Officers' pages: a logged look-up, the card, verify to level 2, lock and unlock.
Refusals are the 403 page, never data."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.apps import apps
from django.test import Client
from tests.support.html import assert_well_formed, read
from tests.support.staff import log_in_as, second_factor_of, staff_login, totp_code

from nentang.identity import services
from nentang.identity.models import Account, DataUsage, LevelVerification, Person
from nentang.identity.tests import support
from nentang.kernel.errors import Forbidden

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


def find(client: Client, id_number: str, purpose: str = PURPOSE) -> Any:
    """A look-up by ID number; once found, the card it leads to (303, then GET)."""
    return client.post("/officer/people", {"id_number": id_number, "purpose": purpose}, follow=True)


def find_by_name(client: Client, name: str, born: str, province: str = "", **more: str) -> Any:
    data = {
        "byname-full_name": name,
        "byname-date_of_birth": born,
        "byname-province_code": province,
        "byname-purpose": PURPOSE,
    }
    data.update({f"byname-{key}": value for key, value in more.items()})
    return client.post("/officer/people", data, follow=True)


def reads(person: Person) -> int:
    return DataUsage.objects.filter(person=person, kind=DataUsage.Kind.OFFICER_READ).count()


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
            assert response.status_code == 403
            html = response.content.decode()
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

        assert response.status_code == 403
        assert "Nguyễn Văn An" not in response.content.decode()

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
            assert page.texts("h1") == ["Tra cứu công dân"]
            assert page.texts("h2") == ["Theo số định danh cá nhân", "Theo họ tên và ngày sinh"]
            assert "Cảnh báo: Mỗi lần tra cứu đều được ghi nhật ký" in page.texts("p")

    def test_the_card_and_the_read_logged_for_the_person(self, desk: Client, an: Person) -> None:
        response = find(desk, support.AN_ID)

        assert response.redirect_chain == [(f"/officer/people/{an.pk}", 303)]
        page = read(response.content)
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

        assert response.status_code == 400
        assert "#id_purpose" in read(response.content).hrefs()
        assert DataUsage.objects.count() == 0

    def test_a_too_short_purpose_is_the_services_field_error(
        self, desk: Client, an: Person
    ) -> None:
        response = find(desk, support.AN_ID, purpose="ab")

        assert response.status_code == 422
        assert "#id_purpose" in read(response.content).hrefs()
        assert DataUsage.objects.count() == 0

    def test_an_unknown_number_is_said_at_the_field(self, desk: Client) -> None:
        response = find(desk, "079090009999")

        assert response.status_code == 404
        assert "#id_id_number" in read(response.content).hrefs()


class TestVerifying:
    def test_verify_a_level_1_person_to_level_2(self, hanoi_desk: Client, binh: Person) -> None:
        page = read(find(hanoi_desk, support.BINH_ID).content)
        assert "Xác thực lên mức độ 2" in page.texts("h2")

        response = hanoi_desk.post(f"/officer/people/{binh.pk}/verify", verify_data(binh))

        assert response.status_code == 303  # back on the person's card, not an empty search
        assert response["Location"] == f"/officer/people/{binh.pk}"
        binh.refresh_from_db()
        assert binh.level == 2
        assert LevelVerification.objects.get(person=binh).fingerprint_attested is True
        card = read(hanoi_desk.get(response["Location"]).content)
        assert card.texts("h1") == ["Trần Thị Bình"]
        assert any("đã ở mức độ 2" in text for text in card.texts("p"))
        assert reads(binh) == 1  # one look-up, one data-usage entry

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
            {"reason": "id_revoked", "note": "Thẻ CCCD bị thu hồi", "confirm": "on"},
        )

        assert response.status_code == 303
        assert an.account is not None
        an.account.refresh_from_db()
        assert an.account.lock_reason == "id_revoked"
        page = read(desk.get(response["Location"]).content)
        facts = dict(zip(page.texts("dt"), page.texts("dd"), strict=True))
        assert facts["Tài khoản định danh"].startswith("Bị khóa do giấy tờ tùy thân bị thu hồi")
        assert "Mở khóa định danh điện tử" in page.texts("h2")

        response = desk.post(f"/officer/people/{an.pk}/unlock", {"note": ""})
        assert response.status_code == 400
        response = desk.post(
            f"/officer/people/{an.pk}/unlock", {"note": "Công dân đến trực tiếp với thẻ mới"}
        )
        assert response.status_code == 303
        an.account.refresh_from_db()
        assert an.account.is_locked is False
        assert reads(an) == 1

    def test_outside_the_agency_area_no_lock_form_and_a_forced_post_is_403(
        self, desk: Client, binh: Person
    ) -> None:
        page = read(find(desk, support.BINH_ID).content)
        assert "Khóa định danh điện tử" not in page.texts("h2")

        response = desk.post(
            f"/officer/people/{binh.pk}/lock",
            {"reason": "suspected_misuse", "note": "", "confirm": "on"},
        )

        assert response.status_code == 403
        assert binh.account is not None
        binh.account.refresh_from_db()
        assert binh.account.is_locked is False

    def test_the_reasons_say_why_and_officer_action_is_not_one(
        self, desk: Client, an: Person
    ) -> None:
        """ "Do cán bộ thực hiện" told the holder nothing: the officer picks a reason that
        does (earlier locks keep theirs)."""
        labels = read(find(desk, support.AN_ID).content).texts("label")
        assert "Có thể người khác đang dùng định danh điện tử (mất điện thoại, lừa đảo)" in labels
        assert "Do cán bộ thực hiện" not in labels

        response = desk.post(
            f"/officer/people/{an.pk}/lock",
            {"reason": "officer_action", "note": "", "confirm": "on"},
        )

        assert response.status_code == 400
        assert an.account is not None
        an.account.refresh_from_db()
        assert an.account.is_locked is False

    def test_a_reason_is_required(self, desk: Client, an: Person) -> None:
        find(desk, support.AN_ID)

        response = desk.post(f"/officer/people/{an.pk}/lock", {"reason": ""})

        assert response.status_code == 400
        assert "#id_reason_0" in read(response.content).hrefs()
        assert "#id_confirm" in read(response.content).hrefs()
        assert an.account is not None
        an.account.refresh_from_db()
        assert an.account.is_locked is False


class TestTheCard:
    def test_the_portrait_is_shown_to_the_officer_who_looked_the_person_up(
        self, desk: Client, an: Person
    ) -> None:
        page = read(find(desk, support.AN_ID).content)
        source = f"/officer/people/{an.pk}/portrait"

        assert "Ảnh chân dung của Nguyễn Văn An khi đăng ký" in [
            img.attrs.get("alt") for img in page.all("img")
        ]
        answer = desk.get(source)
        assert answer.status_code == 200
        assert answer["Content-Type"] == "image/jpeg"
        assert "no-store" in answer["Cache-Control"]
        assert b"".join(answer.streaming_content) == support.JPEG  # type: ignore[attr-defined]
        assert DataUsage.objects.get(person=an).fields[-2:] == ["portrait", "level"]

    def test_no_portrait_nor_card_without_a_look_up_in_this_session(
        self, desk: Client, officer: Account, an: Person
    ) -> None:
        other = Client()  # the same officer, another browser: no look-up there
        staff_login(other, officer)
        find(desk, support.AN_ID)

        assert other.get(f"/officer/people/{an.pk}/portrait").status_code == 404
        card = other.get(f"/officer/people/{an.pk}")
        assert (card.status_code, card["Location"]) == (302, "/officer/people")
        assert reads(an) == 1

    def test_coming_back_to_the_card_logs_nothing_new(self, desk: Client, an: Person) -> None:
        find(desk, support.AN_ID)

        for _ in range(3):
            assert desk.get(f"/officer/people/{an.pk}").status_code == 200
        assert reads(an) == 1


class TestFindingByName:
    def test_one_match_opens_the_card_and_logs_the_read(self, desk: Client, an: Person) -> None:
        response = find_by_name(desk, "nguyen van an", "15/05/1990")

        assert response.redirect_chain == [(f"/officer/people/{an.pk}", 303)]
        assert read(response.content).texts("h1") == ["Nguyễn Văn An"]
        usage = DataUsage.objects.get(person=an)
        assert usage.purpose == PURPOSE
        assert SecurityEvent.objects.filter(kind="authz.denied").count() == 0

    def test_tone_marks_typed_must_match(self, desk: Client, an: Person) -> None:
        assert find_by_name(desk, "Nguyễn Văn Ân", "15/05/1990").status_code == 404
        assert find_by_name(desk, "NGUYỄN  VĂN AN", "1990-05-15").status_code == 200
        assert reads(an) == 1

    def test_the_date_of_birth_and_the_province_narrow_it(self, desk: Client, an: Person) -> None:
        assert find_by_name(desk, "Nguyễn Văn An", "16/05/1990").status_code == 404
        assert find_by_name(desk, "Nguyễn Văn An", "15/05/1990", province="01").status_code == 404
        assert reads(an) == 0
        assert find_by_name(desk, "Nguyễn Văn An", "15/05/1990", province="79").status_code == 200

    def test_namesakes_are_listed_and_each_is_logged(
        self, desk: Client, an: Person, binh: Person
    ) -> None:
        namesake = services.person_register(
            **support.binh_form(
                id_number=support.id_number_for(an.date_of_birth, sex="male", place="001"),
                full_name="Nguyễn Văn An",
                date_of_birth=an.date_of_birth,
                sex="male",
                phone="0912000111",
            )
        )

        response = find_by_name(desk, "Nguyễn Văn An", "15/05/1990")

        assert response.status_code == 200
        page = read(response.content)
        assert page.texts("h2")[0] == "2 người có họ tên và ngày sinh này"
        assert {f"/officer/people/{an.pk}", f"/officer/people/{namesake.pk}"} <= set(page.hrefs())
        assert (reads(an), reads(namesake), reads(binh)) == (1, 1, 0)
        assert desk.get(f"/officer/people/{namesake.pk}").status_code == 200
        assert reads(namesake) == 1

    @pytest.mark.parametrize(
        ("name", "born", "field"),
        [
            ("", "15/05/1990", "#id_byname-full_name"),
            ("Nguyễn Văn An", "", "#id_byname-date_of_birth"),
            ("Nguyễn Văn An", "31/02/1990", "#id_byname-date_of_birth"),
            ("Nguyễn\x00 An", "15/05/1990", "#id_byname-full_name"),
        ],
    )
    def test_bad_input_is_said_at_its_field_and_reads_nothing(
        self, desk: Client, an: Person, name: str, born: str, field: str
    ) -> None:
        response = find_by_name(desk, name, born)

        assert response.status_code in (400, 422)
        assert field in read(response.content).hrefs()
        assert reads(an) == 0

    def test_a_purpose_is_required(self, desk: Client, an: Person) -> None:
        response = find_by_name(desk, "Nguyễn Văn An", "15/05/1990", purpose="")

        assert response.status_code == 400
        assert "#id_byname-purpose" in read(response.content).hrefs()
        assert reads(an) == 0

    def test_a_citizen_cannot_search_by_name(self, an: Person, binh: Person) -> None:
        client = Client()
        assert binh.account is not None
        client.force_login(binh.account)

        response = find_by_name(client, "Nguyễn Văn An", "15/05/1990")

        assert response.status_code == 403
        assert "Nguyễn Văn An" not in response.content.decode()
        assert reads(an) == 0


class TestTheLockedCitizen:
    def test_is_told_the_agency_that_locked_and_its_address(self, desk: Client, an: Person) -> None:
        find(desk, support.AN_ID)
        desk.post(
            f"/officer/people/{an.pk}/lock",
            {"reason": "terms_breach", "note": "", "confirm": "on"},
        )

        page = Client().post("/login", {"login": support.AN_ID, "password": support.PASSWORD})

        text = page.content.decode()
        assert page.status_code == 403
        assert "UBND phường Sài Gòn" in text
        assert support.SAI_GON_DESK in text
        assert "đã bị UBND phường Sài Gòn khóa" in text
        assert "hãy đến công an xã, phường." not in text  # the sentence for any other lock

    def test_the_api_names_the_agency_too(self, desk: Client, an: Person) -> None:
        assert an.account is not None
        services.account_lock(
            actor=Account.objects.get(username="canbo.saigon"),
            account_id=an.account.pk,
            reason="officer_action",
        )

        with pytest.raises(Forbidden) as refused:
            services.login_authenticate(
                login=support.AN_ID, password=support.PASSWORD, source_ip=None
            )

        assert refused.value.code == "account_locked"
        assert refused.value.extra["agency"] == "UBND phường Sài Gòn"
        assert refused.value.extra["agency_address"] == support.SAI_GON_DESK
