"""Passkeys through the pages' JSON endpoints, with a software authenticator that answers
as a browser would (the browser test uses Chromium's virtual authenticator)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from tests.support.html import read
from webauthn.helpers import bytes_to_base64url

from nentang.identity import services
from nentang.identity.models import AccountSession, Passkey, Person
from nentang.identity.services.passkeys import relying_party
from nentang.identity.tests import support
from nentang.identity.tests.web_support import SoftAuthenticator

AuditEntry = apps.get_model("audit", "AuditEntry")
SecurityEvent = apps.get_model("audit", "SecurityEvent")


def post_json(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def device() -> SoftAuthenticator:
    rp_id, origin = relying_party()
    return SoftAuthenticator(origin=origin, rp_id=rp_id)


def add_passkey(client: Client, authenticator: SoftAuthenticator, name: str = "Điện thoại") -> Any:
    options = post_json(client, "/account/passkeys/options").json()
    return post_json(
        client,
        "/account/passkeys/add",
        {"credential": authenticator.create(options), "name": name},
    )


def passkey_login(client: Client, authenticator: SoftAuthenticator, **kwargs: Any) -> Any:
    options = post_json(client, "/login/passkey/options").json()
    return post_json(
        client,
        "/login/passkey",
        {"credential": authenticator.get(options, **kwargs), "next": "/account/data-usage"},
    )


@pytest.fixture
def binh_client(client: Client, binh: Person) -> Client:
    assert binh.account is not None
    client.force_login(binh.account)
    return client


class TestAdding:
    def test_a_passkey_is_added_with_user_verification(
        self, binh_client: Client, binh: Person
    ) -> None:
        options = post_json(binh_client, "/account/passkeys/options").json()
        rp_id, _origin = relying_party()
        assert options["rp"]["id"] == rp_id
        assert options["authenticatorSelection"]["userVerification"] == "required"
        assert options["authenticatorSelection"]["residentKey"] == "required"
        authenticator = device()

        response = post_json(
            binh_client,
            "/account/passkeys/add",
            {"credential": authenticator.create(options), "name": "Điện thoại của Bình"},
        )

        assert response.status_code == 200
        assert response.json() == {"redirect": "/account/passkeys"}
        passkey = Passkey.objects.get(account=binh.account)
        assert bytes(passkey.credential_id) == authenticator.credential_id
        assert passkey.name == "Điện thoại của Bình"
        assert passkey.transports == ["internal"]
        assert AuditEntry.objects.filter(action="identity.passkey.register").count() == 1
        page = read(binh_client.get("/account/passkeys").content)
        assert "Điện thoại của Bình" in page.texts("h3")

    def test_a_replayed_answer_is_refused(self, binh_client: Client) -> None:
        authenticator = device()
        options = post_json(binh_client, "/account/passkeys/options").json()
        credential = authenticator.create(options)
        post_json(binh_client, "/account/passkeys/add", {"credential": credential})

        response = post_json(binh_client, "/account/passkeys/add", {"credential": credential})

        assert response.status_code == 422
        assert "hết hạn" in response.json()["error"]
        assert Passkey.objects.count() == 1

    @pytest.mark.parametrize(
        "tamper",
        [
            {"origin": "https://nentang.example.phish"},  # a look-alike site
            {"user_verified": False},  # no PIN, fingerprint or face
        ],
    )
    def test_a_wrong_origin_or_no_user_verification_adds_nothing(
        self, binh_client: Client, tamper: dict[str, Any]
    ) -> None:
        authenticator = device()
        origin = tamper.get("origin")
        authenticator.user_verified = tamper.get("user_verified", True)
        options = post_json(binh_client, "/account/passkeys/options").json()
        before = AuditEntry.objects.count()

        response = post_json(
            binh_client,
            "/account/passkeys/add",
            {"credential": authenticator.create(options, origin=origin)},
        )

        assert response.status_code == 422
        assert response.json()["code"] == "validation_failed"
        assert Passkey.objects.count() == 0
        assert AuditEntry.objects.count() == before

    def test_adding_needs_a_login_and_the_csrf_token(self, binh: Person) -> None:
        anonymous = Client()
        assert post_json(anonymous, "/account/passkeys/options").status_code == 302
        csrf_client = Client(enforce_csrf_checks=True)
        assert binh.account is not None
        csrf_client.force_login(binh.account)

        assert post_json(csrf_client, "/account/passkeys/options").status_code == 403


class TestLoggingIn:
    def test_a_passkey_logs_in_without_a_password(self, binh_client: Client, binh: Person) -> None:
        authenticator = device()
        add_passkey(binh_client, authenticator)
        client = Client()

        response = passkey_login(client, authenticator)

        assert response.status_code == 200
        assert response.json() == {"redirect": "/account/data-usage"}
        session = AccountSession.objects.get(
            account=binh.account, ended_at__isnull=True, session_key=client.session.session_key
        )
        assert session.second_factor == "passkey"
        passkey = Passkey.objects.get()
        assert passkey.sign_count == 1
        assert passkey.last_used_at is not None
        assert client.get("/account/").status_code == 200

    def test_a_counter_that_goes_back_is_a_cloned_passkey(
        self, binh_client: Client, binh: Person
    ) -> None:
        authenticator = device()
        add_passkey(binh_client, authenticator)
        passkey_login(Client(), authenticator)
        authenticator.counter = 0  # a copy of the key, with its own counter
        client = Client()

        response = passkey_login(client, authenticator)

        assert response.status_code == 422
        assert "sao chép" in response.json()["error"]
        assert "_auth_user_id" not in client.session
        event = SecurityEvent.objects.filter(kind="auth.failure", severity="high").get()
        assert event.detail["reason"] == "passkey_sign_count"

    def test_an_unknown_passkey_is_refused(self, client: Client, binh: Person) -> None:
        response = passkey_login(client, device())

        assert response.status_code == 422
        assert "_auth_user_id" not in client.session

    def test_an_answer_for_another_site_is_refused(self, binh_client: Client) -> None:
        authenticator = device()
        add_passkey(binh_client, authenticator)
        client = Client()

        response = passkey_login(client, authenticator, origin="https://phish.example")

        assert response.status_code == 422
        assert "_auth_user_id" not in client.session

    def test_a_locked_e_id_cannot_use_its_passkey(self, binh_client: Client, binh: Person) -> None:
        authenticator = device()
        add_passkey(binh_client, authenticator)
        assert binh.account is not None
        services.account_lock(
            actor=binh.account, account_id=binh.account.pk, reason="holder_request"
        )
        client = Client()

        response = passkey_login(client, authenticator)

        assert response.status_code == 403
        assert response.json()["code"] == "account_locked"
        assert "_auth_user_id" not in client.session

    def test_a_passkey_is_the_second_step_after_a_password(
        self, binh_client: Client, binh: Person, an: Person
    ) -> None:
        """Bình's passkey finishes Bình's password login; An's passkey cannot."""
        mine = device()
        add_passkey(binh_client, mine)
        assert an.account is not None
        other_client = Client()
        other_client.force_login(an.account)
        theirs = device()
        add_passkey(other_client, theirs)

        client = Client()
        client.post("/login", {"login": support.BINH_ID, "password": support.PASSWORD})
        options = post_json(client, "/login/passkey/options").json()
        assert [c["id"] for c in options["allowCredentials"]] == [
            bytes_to_base64url(mine.credential_id)
        ]
        refused = post_json(client, "/login/passkey", {"credential": theirs.get(options)})
        assert refused.status_code == 422
        assert "_auth_user_id" not in client.session

        options = post_json(client, "/login/passkey/options").json()
        response = post_json(client, "/login/passkey", {"credential": mine.get(options)})

        assert response.status_code == 200
        assert client.session["_auth_user_id"] == str(binh.account.pk)  # type: ignore[union-attr]


class TestManaging:
    def test_rename_and_remove(self, binh_client: Client, binh: Person) -> None:
        add_passkey(binh_client, device())
        passkey = Passkey.objects.get()
        prefix = f"p{passkey.pk.hex[:8]}"

        response = binh_client.post(
            f"/account/passkeys/{passkey.pk}/rename", {f"{prefix}-name": "Máy tính bảng"}
        )
        assert response.status_code == 302
        passkey.refresh_from_db()
        assert passkey.name == "Máy tính bảng"

        response = binh_client.post(
            f"/account/passkeys/{passkey.pk}/rename", {f"{prefix}-name": ""}
        )
        assert response.status_code == 400
        assert f"#id_{prefix}-name" in read(response.content).hrefs()

        response = binh_client.post(f"/account/passkeys/{passkey.pk}/remove")
        assert response.status_code == 302
        assert Passkey.objects.count() == 0
        assert AuditEntry.objects.filter(action="identity.passkey.remove").count() == 1

    def test_nobody_touches_another_persons_passkey(self, binh_client: Client, an: Person) -> None:
        assert an.account is not None
        other = Client()
        other.force_login(an.account)
        add_passkey(other, device())
        theirs = Passkey.objects.get()

        response = binh_client.post(f"/account/passkeys/{theirs.pk}/remove")

        assert response.status_code == 404
        assert Passkey.objects.filter(pk=theirs.pk).exists()


def test_a_passkey_steps_a_session_up(binh_client: Client, binh: Person) -> None:
    """A session opened without the second factor presents the passkey, then goes on
    to the page it asked for."""
    authenticator = device()
    add_passkey(binh_client, authenticator)
    assert binh.account is not None
    client = Client()
    client.force_login(binh.account)
    assert client.get("/account/passkeys")["Location"] == (
        "/login/second-factor?next=%2Faccount%2Fpasskeys"
    )

    options = post_json(client, "/login/passkey/options").json()
    response = post_json(
        client,
        "/login/passkey",
        {"credential": authenticator.get(options), "next": "/account/passkeys"},
    )

    assert response.json() == {"redirect": "/account/passkeys"}
    assert client.get("/account/passkeys").status_code == 200


def test_an_ip_address_base_url_offers_no_passkey_and_says_where_to_go(
    an: Any, settings: Any
) -> None:
    """Browsers refuse an IP address as a passkey's relying party: no failing button,
    a sentence instead (issue 9)."""
    settings.BASE_URL = "http://127.0.0.1:8000"
    client = Client(REMOTE_ADDR="127.0.0.1")

    login = client.get("/login").content.decode()
    assert 'data-passkey="login"' not in login
    assert "passkey-title" not in login

    client.force_login(an.account)
    page = client.get("/account/passkeys").content.decode()
    assert 'data-passkey="register"' not in page
    assert "bằng địa chỉ số như 127.0.0.1" in page
    assert 'href="http://localhost:8000/"' in page
