"""Who runs the installation: set once in the admin, shown on every page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.support.html import read

from nentang.web.models import Installation
from nentang.web.selectors import installation, installation_forget

pytestmark = pytest.mark.django_db

HUE = {
    "name": "Cổng dịch vụ công Huế",
    "agency": "Sở Khoa học và Công nghệ thành phố Huế",
    "address": "06 Trần Hưng Đạo, phường Phú Xuân, thành phố Huế",
    "hotline": "0234 3822 111",
    "email": "hotro@hue.example",
    "privacy_email": "dulieu@hue.example",
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    installation_forget()
    yield
    installation_forget()


def test_until_set_neutral_defaults_apply_and_operators_are_told_where_to_set_it(
    client: Client,
) -> None:
    page = read(client.get("/").content)

    assert installation().pk is not None  # the unsaved default row
    assert not Installation.objects.exists()
    footer = " ".join(page.texts("footer"))
    assert "Quản trị → Thông tin hệ thống" in footer


def test_the_agency_and_its_contacts_show_in_the_header_footer_and_legal_pages(
    client: Client,
) -> None:
    Installation.objects.create(**HUE)

    home = read(client.get("/").content)
    privacy = client.get("/privacy").content.decode()

    assert "Cổng dịch vụ công Huế" in " ".join(home.texts("header"))
    footer = " ".join(home.texts("footer"))
    assert "Sở Khoa học và Công nghệ thành phố Huế" in footer
    assert "tel:02343822111" in home.hrefs()
    assert "mailto:hotro@hue.example" in home.hrefs()
    assert "dulieu@hue.example" in privacy
    assert "Luật 91/2025/QH15" in privacy
    # The font credit moved from every footer to the about page.
    assert "Be Vietnam Pro" not in footer
    assert "Be Vietnam Pro" in client.get("/about").content.decode()


def test_the_admin_edits_the_one_row_and_the_header_follows(
    admin_client: Client,
) -> None:
    Installation.objects.create(**HUE)
    installation()  # cached

    response = admin_client.post(
        "/admin/web/installation/1/change/",
        {**HUE, "name": "Cổng dịch vụ số Huế"},
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Installation.objects.get().name == "Cổng dịch vụ số Huế"
    assert "Cổng dịch vụ số Huế" in admin_client.get("/").content.decode()
    # One row only: no "add", no "delete".
    assert admin_client.get("/admin/web/installation/add/").status_code == 403
    assert admin_client.post("/admin/web/installation/1/delete/").status_code == 403


def test_a_bad_hotline_is_a_field_error_and_changes_nothing(admin_client: Client) -> None:
    Installation.objects.create(**HUE)

    response = admin_client.post(
        "/admin/web/installation/1/change/", {**HUE, "hotline": "call <script>"}
    )

    assert response.status_code == 200
    assert Installation.objects.get().hotline == HUE["hotline"]


def test_the_emblem_is_served_as_an_image_that_cannot_run_script(client: Client) -> None:
    assert client.get("/installation/emblem").status_code == 404

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4"/></svg>'
    row = Installation(**HUE)
    row.emblem.save("hue.svg", SimpleUploadedFile("hue.svg", svg), save=True)
    installation_forget()  # as the admin does after a save

    response = client.get("/installation/emblem")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response.content == svg
    header = read(client.get("/").content).all("img")
    assert [img.attrs["src"] for img in header] == ["/installation/emblem"]
