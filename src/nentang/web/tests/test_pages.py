"""The web shell's pages, read through Django's test client (no browser)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve

from nentang.kernel.errors import STATUS_CODES, problem_type
from nentang.web.problems import problem_types
from nentang.web.tests.htmlcheck import Page, read

H1_VI = "Nền tảng số dùng chung cho chính quyền và người dân"
H1_EN = "A shared digital platform for government and citizens"

# Every page of the shell, and the language each is read in.
PAGES = ["/", "/problems/", "/problems/not_found", "/problems/validation_failed", "/design-system/"]


def get(client: Client, path: str, *, language: str | None = None) -> Page:
    if language:
        client.cookies["nentang_language"] = language
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    # NFC everywhere: decomposed marks render worse and never match a search.
    assert unicodedata.is_normalized("NFC", response.content.decode()), path
    return read(response.content)


def html_lang(page: Page) -> str:
    return page.all("html")[0].attrs["lang"]


def assert_well_formed(page: Page) -> None:
    """What every page of the design system promises, whatever its content."""
    assert len(page.all("h1")) == 1
    assert len(page.all("main")) == 1
    assert len(page.all("header")) == 1
    assert len(page.all("footer")) == 1
    scripts_without_src = [s for s in page.all("script") if "src" not in s.attrs]
    assert scripts_without_src == []
    handlers = [
        (element.tag, name)
        for element in page.elements
        for name in element.attrs
        if name.startswith("on")
    ]
    assert handlers == []
    assert page.unlabelled_controls() == []
    stylesheets = [
        link.attrs["href"] for link in page.all("link") if link.attrs["rel"] == "stylesheet"
    ]
    assert stylesheets == ["/static/web/css/nentang.css"]
    skip = page.all("a")[0]
    assert skip.attrs["href"] == "#main"
    assert "main" in page.ids()
    # aria-describedby only points at ids that exist on the page
    ids = page.ids()
    for element in page.elements:
        for target in element.attrs.get("aria-describedby", "").split():
            assert target in ids, (element.tag, target)


class TestHome:
    def test_vietnamese_by_default(self, client: Client) -> None:
        page = get(client, "/")

        assert html_lang(page) == "vi"
        assert page.texts("h1") == [H1_VI]
        assert_well_formed(page)

    def test_vietnamese_even_when_the_browser_prefers_english(self, client: Client) -> None:
        response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
        page = read(response.content)

        assert html_lang(page) == "vi"
        assert page.texts("h1") == [H1_VI]

    def test_english_when_chosen(self, client: Client) -> None:
        page = get(client, "/", language="en")

        assert html_lang(page) == "en"
        assert page.texts("h1") == [H1_EN]
        assert "Available today" in page.texts("h2")

    def test_links_only_areas_that_exist(self, client: Client) -> None:
        page = get(client, "/")
        internal = {href for href in page.hrefs() if href.startswith("/")}

        assert internal == {
            "/",
            "/login",
            "/register",
            "/api/v1/docs",
            "/api/v1/openapi.json",
            "/api/v1/addresses/provinces",
            "/healthz",
            "/readyz",
            "/admin/",
            "/problems/",
            "/design-system/",
            "/audit/checkpoint",
            "/api/v1/audit/tree",
            "/soc/",
            "/tracking",  # postal: public parcel tracking (a navigation entry)
        }
        # The e-ID is linked (register, log in); public services, payments and post are
        # announced, not linked.
        assert "Định danh điện tử (e-ID)" in page.texts("h3")
        assert "Dịch vụ công trực tuyến" in page.texts("h3")

    def test_every_internal_link_resolves(self, client: Client) -> None:
        # The provinces endpoint belongs to the addresses context; it may be mounted later.
        for href in {h for h in get(client, "/").hrefs() if h.startswith("/")}:
            if href.startswith("/api/v1/addresses/"):
                continue
            try:
                resolve(urlsplit(href).path)
            except Resolver404:
                pytest.fail(f"home page links to {href}, which does not exist")

    def test_language_switch_is_a_csrf_protected_form(self) -> None:
        client = Client(enforce_csrf_checks=True)
        page = get(client, "/problems/")
        form = next(f for f in page.all("form") if f.attrs["action"] == "/i18n/setlang/")
        assert form.attrs["method"] == "post"
        token = next(
            i.attrs["value"] for i in page.all("input") if i.attrs["name"] == "csrfmiddlewaretoken"
        )
        english = next(b for b in page.all("button") if b.attrs.get("value") == "en")
        assert english.attrs["lang"] == "en"
        assert english.text == "English"  # named in its own language, not "Tiếng Anh"

        response = client.post(
            "/i18n/setlang/",
            {"language": "en", "next": "/problems/", "csrfmiddlewaretoken": token},
        )

        assert response.status_code == 302
        assert response["Location"] == "/problems/"
        page = read(client.get("/problems/").content)
        assert html_lang(page) == "en"
        vietnamese = next(b for b in page.all("button") if b.attrs.get("value") == "vi")
        assert vietnamese.text == "Tiếng Việt"

    def test_language_switch_without_token_is_refused(self) -> None:
        client = Client(enforce_csrf_checks=True)

        response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

        assert response.status_code == 403
        assert html_lang(read(client.get("/").content)) == "vi"


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_page_keeps_the_promises(client: Client, path: str, language: str) -> None:
    page = get(client, path, language=language)

    assert html_lang(page) == language
    assert_well_formed(page)


class TestProblemPages:
    def test_list_shows_every_generic_code(self, client: Client) -> None:
        page = get(client, "/problems/")
        linked = {href.rsplit("/", 1)[1] for href in page.hrefs() if href.startswith("/problems/")}

        assert {code for code, _title in STATUS_CODES.values()} <= linked

    def test_detail_in_vietnamese(self, client: Client) -> None:
        page = get(client, "/problems/not_found")

        assert page.texts("h1") == ["Không tìm thấy"]
        codes = [" ".join(c.text.split()) for c in page.all("code")]
        assert "not_found" in codes
        assert problem_type("not_found") in codes

    def test_detail_in_english(self, client: Client) -> None:
        page = get(client, "/problems/payload_too_large", language="en")

        assert page.texts("h1") == ["Request body too large"]
        assert "What you can do" in page.texts("h2")

    def test_type_uri_of_every_problem_leads_to_its_page(self, client: Client) -> None:
        codes = [problem.code for problem in problem_types()]
        assert "province_not_found" in codes  # contexts' codes too, not only generic ones
        for code in codes:
            path = urlsplit(problem_type(code)).path

            assert client.get(path).status_code == 200, code

    def test_unknown_code_is_a_404_page(self, client: Client) -> None:
        response = client.get("/problems/no_such_code")

        assert response.status_code == 404
        page = read(response.content)
        assert page.texts("h1") == ["Không tìm thấy"]
        assert "Không có loại lỗi nào có mã này." in response.content.decode()


class TestErrorPages:
    def test_html_404_uses_the_design_system(self, client: Client) -> None:
        response = client.get("/khong-co-trang-nay")

        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
        page = read(response.content)
        assert html_lang(page) == "vi"
        assert page.texts("h1") == ["Không tìm thấy"]
        assert "Về trang chủ" in page.texts("a")
        assert "/problems/not_found" in page.hrefs()
        assert_well_formed(page)

    def test_html_404_in_english(self, client: Client) -> None:
        client.cookies["nentang_language"] = "en"

        page = read(client.get("/no-such-page").content)

        assert page.texts("h1") == ["Not found"]

    def test_api_404_stays_problem_json(self, client: Client) -> None:
        response = client.get("/api/v1/no-such-endpoint")

        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")

    def test_500_page_shows_the_request_id(self, rf: RequestFactory) -> None:
        from nentang.kernel.errors.pages import handler500
        from nentang.kernel.observability.context import bind_request_id, reset_request_id

        token = bind_request_id("req-0123456789abcdef")
        try:
            response = handler500(rf.get("/somewhere"))
        finally:
            reset_request_id(token)

        assert response.status_code == 500
        html = response.content.decode()
        assert "<code>req-0123456789abcdef</code>" in html
        assert read(html).texts("h1") == ["Lỗi hệ thống"]


class TestDesignSystemForm:
    def test_empty_submit_lists_each_error_and_links_it(self, client: Client) -> None:
        response = client.post("/design-system/", {})

        assert response.status_code == 200
        page = read(response.content)
        summary = next(d for d in page.all("div") if "error-summary" in d.attrs.get("class", ""))
        assert "autofocus" in summary.attrs
        links = [a for a in page.all("a") if a.attrs.get("href", "").startswith("#id_")]
        assert [a.attrs["href"] for a in links] == [
            "#id_receipt_code",
            "#id_phone",
            "#id_delivery_0",
            "#id_confirm",
        ]
        assert page.ids() >= {a.attrs["href"][1:] for a in links}
        receipt = next(i for i in page.all("input") if i.attrs.get("name") == "receipt_code")
        assert receipt.attrs["aria-invalid"] == "true"
        assert receipt.attrs["aria-describedby"] == "id_receipt_code_helptext id_receipt_code_error"
        assert "Hãy nhập mã hồ sơ của bạn." in [" ".join(a.text.split()) for a in links]
        assert_well_formed(page)

    def test_htmx_submit_gets_only_the_form(self, client: Client) -> None:
        response = client.post("/design-system/", {"phone": "123"}, headers={"HX-Request": "true"})

        html = response.content.decode()
        assert html.lstrip().startswith('<div id="example-form">')
        assert "<html" not in html
        assert "Nhập số điện thoại di động gồm 10 chữ số, bắt đầu bằng số 0." in html

    def test_valid_submit_is_accepted_and_forgotten(self, client: Client) -> None:
        data = {
            "receipt_code": "H29.48-250701-0001",
            "phone": "0912345678",
            "delivery": "post",
            "confirm": "on",
        }

        response = client.post("/design-system/", data)

        html = response.content.decode()
        assert "Biểu mẫu hợp lệ" in html
        assert "H29.48-250701-0001" not in re.findall(r'value="([^"]*)"', html)


class TestAssets:
    def test_stylesheet_and_its_fonts_are_served_locally(self, client: Client) -> None:
        response = client.get("/static/web/css/nentang.css")

        assert response.status_code == 200
        css = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        fonts = re.findall(r'url\("\.\./fonts/([^"]+)"\)', css)
        assert len(fonts) == 9
        for font in fonts:
            assert finders.find(f"web/fonts/{font}"), font
        urls = re.findall(r"url\(([^)]*)\)", css)
        assert urls
        assert all(url.startswith('"../fonts/') for url in urls), urls
        assert "@import" not in css
        assert finders.find("web/fonts/OFL.txt")

    def test_htmx_comes_from_our_own_static_files(self, client: Client) -> None:
        page = get(client, "/")
        sources = [script.attrs["src"] for script in page.all("script")]

        assert sources == ["/static/django_htmx/htmx-2.min.js"]
        assert finders.find("django_htmx/htmx-2.min.js")
