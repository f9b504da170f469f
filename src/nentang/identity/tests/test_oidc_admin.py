"""Clients in the Django admin obey the rules of `nentang clients create`: the admin's
own change form, posted as a browser posts it, is refused field by field and changes
nothing; a valid change goes through."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import Application
from tests.support.staff import log_in_as

from nentang.identity.models import Account, ClientPolicy
from nentang.identity.oidc.services import RegisteredClient, client_register
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db


class FormReader(HTMLParser):
    """The values a browser would submit from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "on"
            elif a.get("type") not in ("submit", "button", "file"):
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(html)
    reader.values.pop("csrfmiddlewaretoken", None)
    return reader.values


@pytest.fixture
def admin_browser() -> Client:
    account = Account.objects.create_superuser(
        username="quantri.oidc", password="a-long-admin-password-2026"
    )
    browser = Client()
    log_in_as(browser, account)
    return browser


@pytest.fixture
def portal() -> RegisteredClient:
    return client_register(
        actor=Actor.system("tests"),
        name="Cổng dịch vụ công tỉnh",
        redirect_uris=["https://dichvucong.example.vn/callback"],
        public=True,
        purpose="Nộp hồ sơ trực tuyến",
    )


def change_url(client: RegisteredClient) -> str:
    return f"/admin/oauth2_provider/application/{client.application.pk}/change/"


def policy_field(values: dict[str, str], field: str) -> str:
    return next(key for key in values if key.endswith(f"-0-{field}"))


def test_a_public_client_cannot_be_given_a_secret_method(
    admin_browser: Client, portal: RegisteredClient
) -> None:
    page = admin_browser.get(change_url(portal))
    assert page.status_code == 200
    values = form_values(page.content.decode())
    values[policy_field(values, "auth_method")] = "client_secret_basic"

    answer = admin_browser.post(change_url(portal), values)

    assert answer.status_code == 200  # the form again, with the reason
    assert "auth_method" in answer.content.decode()
    assert ClientPolicy.objects.get(application=portal.application).auth_method == "none"


def test_a_redirect_uri_with_a_fragment_is_refused(
    admin_browser: Client, portal: RegisteredClient
) -> None:
    values = form_values(admin_browser.get(change_url(portal)).content.decode())
    values["redirect_uris"] = "https://dichvucong.example.vn/callback#x"

    answer = admin_browser.post(change_url(portal), values)

    assert answer.status_code == 200
    assert "redirect_uri" in answer.content.decode()
    application = Application.objects.get(pk=portal.application.pk)
    assert application.redirect_uris == "https://dichvucong.example.vn/callback"


def test_a_valid_change_is_saved(admin_browser: Client, portal: RegisteredClient) -> None:
    values: dict[str, Any] = form_values(admin_browser.get(change_url(portal)).content.decode())
    values[policy_field(values, "require_level")] = "2"

    answer = admin_browser.post(change_url(portal), values)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert ClientPolicy.objects.get(application=portal.application).require_level == 2
