"""Staff present a second factor on every way in (issue 8, item 1).

Before: ``/admin/login/`` opened a session with the password alone and ``/admin/``,
``/soc/`` and the officer pages never asked for the second factor; a staff account
could have none at all. Now every login is the e-ID login, staff sessions reach
nothing before their second factor, and a staff account without one must set one up.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from django.test import Client
from tests.support.staff import second_factor_of, staff_login

from nentang.identity import services
from nentang.identity.models import Account, Person, TotpDevice
from nentang.identity.tests import support

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/admin/", "/soc/", "/officer/people", "/post/scan"]


def password_login(client: Client, login: str, next_url: str = "") -> Any:
    data = {"login": login, "password": support.OFFICER_PASSWORD, "next": next_url}
    return client.post("/login", data, REMOTE_ADDR=support.HOME)


def test_the_admin_login_is_the_e_id_login() -> None:
    client = Client()

    page = client.get("/admin/login/?next=/soc/")
    assert (page.status_code, page["Location"]) == (302, "/login?next=%2Fsoc%2F")
    assert client.get("/admin/login/")["Location"] == "/login?next=%2Fadmin%2F"
    # An open redirect through it is not possible either.
    assert client.get("/admin/login/?next=https://evil.example/")["Location"] == (
        "/login?next=%2Fadmin%2F"
    )


def test_a_password_alone_opens_no_staff_session_at_the_admin_login(admin: Account) -> None:
    second_factor_of(admin)
    client = Client(REMOTE_ADDR=support.HOME)

    client.post(
        "/admin/login/?next=/soc/",
        {"username": "quantri", "password": support.OFFICER_PASSWORD},
    )

    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_password_then_the_code_opens_the_admin(admin: Account) -> None:
    secret = second_factor_of(admin)
    client = Client()

    first = password_login(client, "quantri", "/admin/")
    assert first["Location"] == "/login/second-factor"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # no session yet

    done = client.post(
        "/login/second-factor", {"code": pyotp.TOTP(secret).now()}, REMOTE_ADDR=support.HOME
    )
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_staff_session_without_its_second_factor_is_sent_to_present_it(
    admin: Account, officer: Account, path: str
) -> None:
    """However a staff session was opened (here: without the login page at all), the
    staff pages ask for the second factor first."""
    for account in (admin, officer):
        second_factor_of(account)
        client = Client()
        client.force_login(account)

        page = client.get(path)

        assert page.status_code == 302, (account, path)
        assert page["Location"].startswith("/login/second-factor?next=")


def test_the_api_refuses_a_staff_session_without_its_second_factor(officer: Account) -> None:
    second_factor_of(officer)
    client = Client()
    client.force_login(officer)

    response = client.get("/api/v1/identity/me")

    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    staff_login(client, officer)
    assert client.get("/api/v1/identity/me").status_code == 200


def test_the_first_staff_login_sets_up_a_second_factor_before_anything_else(
    officer: Account,
) -> None:
    assert not TotpDevice.objects.filter(account=officer).exists()
    client = Client()

    first = password_login(client, "canbo.saigon", "/officer/people")
    assert first["Location"] == "/officer/people"
    assert client.get("/soc/")["Location"] == "/account/totp"  # nothing else either
    assert client.get("/account/").status_code == 302
    page = client.get("/officer/people")
    assert page["Location"] == "/account/totp"

    assert client.post("/account/totp", {"action": "enrol"}).status_code == 302
    secret = TotpDevice.objects.get(account=officer).secret
    done = client.post("/account/totp", {"action": "confirm", "code": pyotp.TOTP(secret).now()})

    assert done["Location"] == "/officer/people"  # back where the officer was going
    assert client.get("/officer/people").status_code == 200
    # The next login asks for the code.
    other = Client()
    assert password_login(other, "canbo.saigon")["Location"] == "/login/second-factor"


def test_a_staff_account_cannot_remove_its_last_second_factor(officer: Account) -> None:
    secret = second_factor_of(officer)
    client = Client()
    staff_login(client, officer)

    page = client.post(
        "/account/totp", {"action": "disable", "code": pyotp.TOTP(secret).at(time.time() + 30)}
    )

    assert page.status_code == 409
    assert TotpDevice.objects.filter(account=officer, confirmed_at__isnull=False).exists()


def test_citizens_are_not_concerned(binh: Person) -> None:
    assert binh.account is not None
    client = Client()
    client.force_login(binh.account)

    assert client.get("/account/").status_code == 200
    assert services.second_factor_mandatory(binh.account) is False
