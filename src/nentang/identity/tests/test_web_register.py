"""Registering an e-ID online (level 1) through the page, read with the test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.support.html import Page, assert_well_formed, read

from nentang.identity.models import Account, Person
from nentang.identity.services.sms import FileSmsSender
from nentang.identity.tests import support

URL = "/register"
CONFIRM = "/register/confirm"
PHONE = "+84987654321"
NO_MARKS_BOX = "Thẻ căn cước của tôi ghi họ tên không dấu"


def sms_code(outbox: FileSmsSender, phone: str = PHONE) -> str:
    found = re.search(r"\b(\d{6})\b", outbox.messages(phone)[-1])
    assert found, outbox.messages(phone)
    return found.group(1)


def visible(response: Any) -> str:
    """What a person reads on the page (no tokens), to compare two answers."""
    page = read(response.content)
    return " | ".join(
        " ".join(e.text.split()) for tag in ("h1", "p", "label", "a") for e in page.all(tag)
    )


def form_data(**changes: Any) -> dict[str, Any]:
    """Trần Thị Bình's registration as she types it."""
    data: dict[str, Any] = {
        "id_number": support.BINH_ID,
        "full_name": "Trần Thị Bình",
        "date_of_birth": "1995-08-20",
        "sex": "female",
        "phone": "0987 654 321",
        "email": "",
        "province_code": "01",
        "commune_code": "00070",
        "street": "25 Hàng Bài",
        "nationality": "VN",
        "residence_card_number": "",
        "password": support.PASSWORD,
        "password_again": support.PASSWORD,
        "portrait": SimpleUploadedFile("binh.png", support.PNG, content_type="image/png"),
    }
    data.update(changes)
    return data


def summary_links(page: Page) -> dict[str, str]:
    """Error-summary links: target field id → message."""
    return {
        a.attrs["href"][1:]: " ".join(a.text.split())
        for a in page.all("a")
        if a.attrs.get("href", "").startswith("#id_")
    }


def field_error(page: Page, field: str) -> str:
    return next(
        " ".join(d.text.split())
        for d in page.all("div")
        if d.attrs.get("id") == f"id_{field}_error"
    )


class TestRegisterPage:
    def test_the_form_shows_every_field_and_the_password_rules(self, client: Client) -> None:
        response = client.get(URL)

        assert response.status_code == 200
        page = read(response.content)
        assert page.texts("h1") == ["Đăng ký định danh điện tử trực tuyến"]
        names = {c.attrs.get("name") for c in page.controls()}
        assert names >= {
            "id_number",
            "full_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "province_code",
            "commune_code",
            "street",
            "nationality",
            "residence_card_number",
            "portrait",
            "password",
            "password_again",
        }
        assert "Ít nhất 12 ký tự" in response.content.decode()
        province = next(s for s in page.all("select") if s.attrs["name"] == "province_code")
        assert province.attrs["hx-get"] == "/register/communes"
        assert province.attrs["hx-target"] == "#commune-field"
        form = next(f for f in page.all("form") if f.attrs.get("action") == URL)
        assert form.attrs["enctype"] == "multipart/form-data"
        assert_well_formed(page)

    def test_english_when_chosen(self, client: Client) -> None:
        client.cookies["nentang_language"] = "en"

        page = read(client.get(URL).content)

        assert page.texts("h1") == ["Register an e-ID online"]

    def test_communes_of_the_chosen_province_come_as_a_fragment(self, client: Client) -> None:
        response = client.get(
            "/register/communes", {"province_code": "79"}, headers={"HX-Request": "true"}
        )

        html = response.content.decode()
        assert html.startswith('<div id="commune-field"')
        assert "<html" not in html
        assert '<option value="26740">Phường Sài Gòn</option>' in html
        assert "Phường Hoàn Kiếm" not in html

    def test_without_javascript_a_button_lists_the_communes(self, client: Client) -> None:
        response = client.post(URL, {"province_code": "01", "action": "communes"})

        assert response.status_code == 200
        html = response.content.decode()
        assert '<option value="00070">Phường Hoàn Kiếm</option>' in html
        assert 'class="error-summary"' not in html
        assert Person.objects.count() == 0


class TestRegistering:
    def test_a_valid_form_registers_level_1_and_explains_level_2(
        self, client: Client, outbox: FileSmsSender
    ) -> None:
        response = client.post(URL, form_data())

        assert response.status_code == 302
        assert response["Location"] == CONFIRM
        assert not Person.objects.filter(id_number=support.BINH_ID).exists()
        page = read(client.get(CONFIRM).content)
        assert page.texts("h1") == ["Xác nhận số điện thoại"]
        assert "+849******21" in " ".join(page.texts("p"))
        assert_well_formed(page)

        response = client.post(CONFIRM, {"code": sms_code(outbox)})

        assert response.status_code == 302
        assert response["Location"] == "/register/done"
        person = Person.objects.get(id_number=support.BINH_ID)
        assert person.level == 1
        assert person.phone == PHONE
        assert person.account is not None
        assert person.account.check_password(support.PASSWORD)
        page = read(client.get("/register/done").content)
        assert page.texts("h1") == ["Định danh điện tử của bạn đã được đăng ký"]
        text = " ".join(" ".join(e.text.split()) for e in page.all("p"))
        assert "Ủy ban nhân dân phường, xã" in text
        assert "căn cước công dân" in text
        assert "/login" in page.hrefs()

    def test_a_wrong_code_is_a_field_error_and_five_lock(
        self, client: Client, outbox: FileSmsSender
    ) -> None:
        client.post(URL, form_data())
        right = sms_code(outbox)
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        for _ in range(5):
            response = client.post(CONFIRM, {"code": wrong})
            assert response.status_code == 422
            assert "id_code" in summary_links(read(response.content))

        response = client.post(CONFIRM, {"code": right})

        assert response.status_code == 422
        assert "Nhập sai mã quá nhiều lần" in summary_links(read(response.content))["id_code"]
        assert not Person.objects.filter(id_number=support.BINH_ID).exists()

    def test_a_new_code_waits_a_minute(self, client: Client, outbox: FileSmsSender) -> None:
        client.post(URL, form_data())

        response = client.post(CONFIRM, {"action": "resend"})

        assert response.status_code == 429
        assert "sau một phút" in response.content.decode()
        assert len(outbox.messages(PHONE)) == 1

    def test_the_confirm_page_needs_a_registration(self, client: Client) -> None:
        response = client.get(CONFIRM)

        assert response.status_code == 302
        assert response["Location"] == URL

    def test_done_page_needs_a_registration(self, client: Client) -> None:
        response = client.get("/register/done")

        assert response.status_code == 302
        assert response["Location"] == "/register"

    def test_empty_form_names_every_field_and_writes_nothing(self, client: Client) -> None:
        before = support.snapshot()

        response = client.post(URL, {})

        assert response.status_code == 400
        page = read(response.content)
        links = summary_links(page)
        assert set(links) >= {
            "id_id_number",
            "id_full_name",
            "id_date_of_birth",
            "id_sex_0",
            "id_phone",
            "id_province_code",
            "id_commune_code",
            "id_street",
            "id_portrait",
            "id_password",
        }
        assert links["id_id_number"] == "Hãy nhập số định danh cá nhân gồm 12 chữ số của bạn."
        assert page.ids() >= set(links)
        assert support.snapshot() == before
        assert_well_formed(page)

    def test_service_errors_show_at_their_fields(self, client: Client) -> None:
        """The ID number says born 1995 and female; the form says 1990 and male: the
        service's field errors land on those fields, and nothing is written."""
        before = support.snapshot()

        response = client.post(
            URL,
            form_data(
                date_of_birth="15/05/1990",
                sex="male",
                phone="12345",
                password="password1234",
                password_again="password1234",
            ),
        )

        assert response.status_code == 422
        page = read(response.content)
        links = summary_links(page)
        assert links["id_date_of_birth"] == (
            "Số định danh cho biết năm sinh 1995, nhưng ngày sinh lại thuộc năm 1990."
        )
        assert links["id_sex_0"] == "Số định danh này là của người giới tính nữ."
        assert "id_phone" in links
        assert "id_password" in links
        assert field_error(page, "phone").startswith("Lỗi:")
        date_input = next(i for i in page.all("input") if i.attrs.get("name") == "date_of_birth")
        assert date_input.attrs["aria-invalid"] == "true"
        assert support.snapshot() == before

    def test_a_name_without_tone_marks_asks_for_them_or_a_confirmation(
        self, client: Client, outbox: FileSmsSender
    ) -> None:
        before = support.snapshot()

        asked = client.post(URL, form_data(full_name="tran thi binh", phone="12345"))

        assert asked.status_code == 422
        page = read(asked.content)
        links = summary_links(page)
        assert links["id_full_name"].startswith("Hãy nhập họ tên có dấu, như trên thẻ căn cước")
        assert "id_phone" in links  # in the same pass as every other mistake
        assert any(t.startswith(NO_MARKS_BOX) for t in page.texts("label"))
        assert support.snapshot() == before

        confirmed = client.post(URL, form_data(full_name="tran thi binh", name_without_marks="on"))

        assert confirmed.status_code == 302
        assert confirmed["Location"] == CONFIRM
        assert client.post(CONFIRM, {"code": sms_code(outbox)}).status_code == 302
        assert Person.objects.get(id_number=support.BINH_ID).full_name == "tran thi binh"

    def test_a_name_with_its_marks_asks_nothing(self, client: Client) -> None:
        page = read(client.get(URL).content)

        assert not any(t.startswith(NO_MARKS_BOX) for t in page.texts("label"))
        assert client.post(URL, form_data()).status_code == 302

    def test_nationality_is_picked_by_its_vietnamese_name(
        self, client: Client, outbox: FileSmsSender
    ) -> None:
        page = read(client.get(URL).content)
        field = next(i for i in page.all("input") if i.attrs.get("name") == "nationality")
        assert field.attrs["value"] == "Việt Nam (VN)"
        assert field.attrs["list"] == "countries"
        values = [o.attrs.get("value", "") for o in page.all("option")]
        listed = [v for v in values if re.fullmatch(r".+ \([A-Z]{2}\)", v)]  # the datalist
        assert len(listed) == 249
        assert listed[0] == "Việt Nam (VN)"
        assert {"Hàn Quốc (KR)", "Nhật Bản (JP)", "Trung Quốc (CN)"} <= set(listed)

        kim = form_data(
            id_number="123456789012",
            full_name="Kim Min-jun",
            date_of_birth="1990-01-01",
            sex="male",
            nationality="han quoc",  # typed, no marks: still Hàn Quốc
            residence_card_number="TT0123456",
        )
        assert client.post(URL, kim).status_code == 302
        assert client.post(CONFIRM, {"code": sms_code(outbox)}).status_code == 302
        assert Person.objects.get(id_number="123456789012").nationality == "KR"

    @pytest.mark.parametrize("typed", ["Narnia", "XX", "Hàn"])
    def test_an_unknown_country_is_a_field_error(self, client: Client, typed: str) -> None:
        before = support.snapshot()

        response = client.post(URL, form_data(nationality=typed))

        assert response.status_code == 400
        assert summary_links(read(response.content))["id_nationality"].startswith(
            "Hãy chọn một quốc gia trong danh sách"
        )
        assert support.snapshot() == before

    def test_a_commune_of_another_province_is_refused(self, client: Client) -> None:
        response = client.post(URL, form_data(province_code="79", commune_code="00070"))

        # 00070 is not a ward of province 79: the picker has no such choice.
        assert response.status_code == 400
        assert "id_commune_code" in summary_links(read(response.content))
        assert Person.objects.count() == 0

    def test_a_portrait_that_is_not_an_image_is_refused(self, client: Client) -> None:
        fake = SimpleUploadedFile("a.png", b"GIF89a not a png", content_type="image/png")

        response = client.post(URL, form_data(portrait=fake))

        assert response.status_code == 422
        assert summary_links(read(response.content))["id_portrait"] == (
            "Ảnh chân dung phải là ảnh JPEG hoặc PNG."
        )
        assert Person.objects.count() == 0

    def test_passwords_that_differ_are_refused(self, client: Client) -> None:
        response = client.post(URL, form_data(password_again="another-password-2026"))

        assert response.status_code == 400
        assert "id_password_again" in summary_links(read(response.content))
        assert Account.objects.count() == 0

    def test_a_taken_id_number_answers_as_a_fresh_one(self, outbox: FileSmsSender) -> None:
        """Issue 8 item 6: the page must not tell whether a number has an e-ID. A fresh
        and a taken registration get the same statuses and the same text; only the SMS
        differs (a code, or how to recover the account in person)."""
        from nentang.identity import services

        services.person_register(**support.an_form())
        answers = []
        for number, phone in ((support.BINH_ID, "0987 654 321"), (support.AN_ID, "0987 654 321")):
            client = Client()
            data = form_data(
                id_number=number,
                phone=phone,
                full_name="Nguyễn Văn An" if number == support.AN_ID else "Trần Thị Bình",
                date_of_birth="1990-05-15" if number == support.AN_ID else "1995-08-20",
                sex="male" if number == support.AN_ID else "female",
            )
            posted = client.post(URL, data)
            page = client.get(CONFIRM)
            wrong = client.post(CONFIRM, {"code": "000000"})
            answers.append(
                (
                    posted.status_code,
                    posted["Location"],
                    page.status_code,
                    visible(page),
                    wrong.status_code,
                    visible(wrong),
                )
            )
        assert answers[0] == answers[1]
        fresh, taken = outbox.messages(PHONE)
        assert re.search(r"\b\d{6}\b", fresh)
        assert not re.search(r"\b\d{6}\b", taken)
        assert "đã có tài khoản" in taken
        assert "công an" in taken
        assert Person.objects.filter(id_number=support.AN_ID).count() == 1
        assert not Person.objects.filter(id_number=support.BINH_ID).exists()

    def test_probing_one_id_number_is_throttled(
        self, client: Client, outbox: FileSmsSender
    ) -> None:
        """Each number gets 3 registrations a day, each address 10 an hour, before the
        number is looked up; then 429 with Retry-After."""
        for _ in range(3):
            assert client.post(URL, form_data()).status_code == 302
        before = support.snapshot()

        refused = Client(REMOTE_ADDR="198.51.100.77").post(URL, form_data())

        assert refused.status_code == 429
        assert "thử lại sau" in refused.content.decode()
        assert support.snapshot() == before

    def test_one_address_registers_ten_an_hour(self, client: Client, outbox: FileSmsSender) -> None:
        for serial in range(10):
            number = f"0011950005{serial:02d}"  # women of Hà Nội born in 1995, as Bình
            assert client.post(URL, form_data(id_number=number)).status_code == 302, serial
        last = "001195000599"

        refused = client.post(URL, form_data(id_number=last))

        assert refused.status_code == 429
        assert not Person.objects.filter(id_number=last).exists()
        assert support.SecurityEvent.objects.filter(
            kind="ratelimit.hit", detail__scope="identity.register.address"
        ).exists()

    def test_the_form_needs_its_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)

        response = client.post(URL, form_data())

        assert response.status_code == 403
        assert Person.objects.count() == 0


@pytest.mark.parametrize("language", ["vi", "en"])
def test_register_pages_keep_the_promises(client: Client, language: str) -> None:
    client.cookies["nentang_language"] = language
    page = read(client.get(URL).content)

    assert page.all("html")[0].attrs["lang"] == language
    assert_well_formed(page)
