"""The integrators' portal: an organisation registers and manages its own clients, the
secret shown once and rotated; nobody else sees or changes them; the public page teaches
the code + PKCE flow."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from tests.support.html import assert_well_formed, read

from nentang.identity import services
from nentang.identity.models import ClientPolicy, Organisation, Person
from nentang.identity.tests import support
from nentang.identity.tests.test_accounts_and_organisations import organisation_form
from nentang.identity.tests.test_web_account import logged_in

AuditEntry = apps.get_model("audit", "AuditEntry")


def account_of(person: Person) -> Any:
    assert person.account is not None
    return person.account


@pytest.fixture
def company(an: Person) -> Organisation:
    return services.organisation_register(actor=account_of(an), **organisation_form())


def company_browser(organisation: Organisation) -> Client:
    client = Client(REMOTE_ADDR=support.HOME)
    response = client.post("/login", {"login": organisation.tax_code, "password": support.PASSWORD})
    assert response.status_code == 302, response.content
    return client


def register(client: Client, **changes: Any) -> Any:
    form: dict[str, Any] = {
        "kind": "web",
        "name": "Cổng thanh toán Bánh mì",
        "purpose": "Giao hàng đến đúng người nhận",
        "redirect_uris": "https://banhmi.example.vn/callback",
        "scopes": ["profile", "phone"],
        "require_level": "1",
        "jwks_uri": "",
    }
    form.update(changes)
    return client.post("/developers/clients/new", form)


def test_the_public_page_teaches_the_flow(client: Client) -> None:
    response = client.get("/developers/")

    assert response.status_code == 200
    page = read(response.content)
    assert_well_formed(page)
    html = response.content.decode()
    assert page.texts("h1") == ["Dành cho đơn vị tích hợp"]
    assert "/.well-known/openid-configuration" in html
    assert "code_challenge_method" in html  # the examples use PKCE
    assert "Authlib" in html


def test_an_organisation_registers_a_website_and_sees_its_secret_once(
    company: Organisation,
) -> None:
    browser = company_browser(company)

    response = register(browser)

    assert response.status_code == 201
    html = response.content.decode()
    secret = re.search(r'<code class="secret">([^<]+)</code>', html)
    assert secret is not None
    policy = ClientPolicy.objects.select_related("application").get(owner=company)
    assert policy.application.client_id in html
    assert policy.auth_method == "client_secret_basic"
    assert policy.scopes == ["openid", "profile", "phone"]
    assert not policy.internal
    assert secret.group(1) not in policy.application.client_secret  # a digest only
    detail = browser.get(f"/developers/clients/{policy.application.client_id}/")
    assert detail.status_code == 200
    assert secret.group(1) not in detail.content.decode()
    assert_well_formed(read(detail.content))
    listing = browser.get("/developers/").content.decode()
    assert "Cổng thanh toán Bánh mì" in listing
    assert AuditEntry.objects.filter(action="identity.oidc.client.own").count() == 1


def test_mistakes_are_shown_at_their_fields_and_nothing_is_registered(
    company: Organisation,
) -> None:
    browser = company_browser(company)

    response = register(browser, name="", redirect_uris="http://banhmi.example.vn/cb")

    assert response.status_code in (400, 422)
    page = read(response.content)
    assert_well_formed(page)
    assert not ClientPolicy.objects.filter(owner=company).exists()
    bad_uri = register(browser, redirect_uris="http://banhmi.example.vn/cb")
    assert bad_uri.status_code == 422
    assert "redirect" in bad_uri.content.decode().lower()
    assert not ClientPolicy.objects.filter(owner=company).exists()


def test_a_rotated_secret_replaces_the_old_one_at_the_token_endpoint(
    company: Organisation,
) -> None:
    browser = company_browser(company)
    created = register(browser, kind="machine", redirect_uris="", scopes=[])
    assert created.status_code == 201
    policy = ClientPolicy.objects.select_related("application").get(owner=company)
    client_id = policy.application.client_id
    old = re.search(r'<code class="secret">([^<]+)</code>', created.content.decode())
    assert old is not None

    def token(secret: str) -> int:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return (
            Client()
            .post(
                "/oidc/token",
                {"grant_type": "client_credentials"},
                HTTP_AUTHORIZATION=f"Basic {basic}",
            )
            .status_code
        )

    assert token(old.group(1)) == 200
    rotated = browser.post(f"/developers/clients/{client_id}/rotate-secret")
    assert rotated.status_code == 200
    new = re.search(r'<code class="secret">([^<]+)</code>', rotated.content.decode())
    assert new is not None
    assert new.group(1) != old.group(1)
    assert token(old.group(1)) == 401
    assert token(new.group(1)) == 200


def test_another_organisation_and_a_person_cannot_touch_the_client(
    company: Organisation, an: Person, binh: Person
) -> None:
    browser = company_browser(company)
    register(browser)
    client_id = ClientPolicy.objects.get(owner=company).application.client_id
    before = ClientPolicy.objects.get(owner=company).application.client_secret

    person = logged_in(an)
    assert person.get(f"/developers/clients/{client_id}/").status_code in (403, 404)
    assert person.post(f"/developers/clients/{client_id}/rotate-secret").status_code in (
        403,
        404,
    )
    assert person.get("/developers/clients/new").status_code == 403
    anonymous = Client()
    assert anonymous.get(f"/developers/clients/{client_id}/").status_code == 302
    assert ClientPolicy.objects.get(owner=company).application.client_secret == before
