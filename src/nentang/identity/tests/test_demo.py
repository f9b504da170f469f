"""The demo data of electronic identity: loaded twice, nothing changes; the documented
accounts log in."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.test import Client

from nentang.identity import demo, selectors, services
from nentang.identity.models import (
    Account,
    AccountLockEvent,
    Agency,
    LevelVerification,
    Officer,
    Organisation,
    Person,
    TotpDevice,
)
from nentang.identity.tests import support
from nentang.kernel import demodata
from nentang.kernel.text import nfc

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    tables = (
        Person,
        Account,
        Agency,
        Officer,
        LevelVerification,
        AccountLockEvent,
        Organisation,
    )
    return {
        **{model.__name__: model.objects.count() for model in tables},
        "AuditEntry": support.AuditEntry.objects.count(),
    }


def test_loading_twice_changes_nothing() -> None:
    demo.load(demodata.SilentProgress())
    first = counts()

    demo.load(demodata.SilentProgress())

    assert counts() == first
    assert first["Person"] == 3 + demo.GENERATED  # An, Bình, An's daughter, generated
    assert first["Organisation"] == 1
    assert first["LevelVerification"] == 1


def test_the_documented_accounts_log_in() -> None:
    demo.load(demodata.SilentProgress())

    for account in demo.ACCOUNTS:
        logged_in = services.login_authenticate(
            login=account.login, password=account.password, source_ip=support.HOME
        )
        assert logged_in.username == account.login
    an = Person.objects.get(id_number=demo.AN_ID)
    assert (an.full_name, an.level) == ("Nguyễn Văn An", 2)
    child = Person.objects.get(id_number=demo.CHILD_ID)
    assert (child.guardian, child.account) == (an, None)
    company = Organisation.objects.get(tax_code=demo.ORGANISATION_TAX_CODE)
    assert company.legal_representative == an
    binh = Person.objects.get(id_number=demo.BINH_ID)
    assert (binh.full_name, binh.level) == ("Trần Thị Bình", 1)
    officer = Account.objects.get(username=demo.OFFICER_LOGIN)
    found = selectors.officer_for_account(account=officer)
    assert found is not None
    assert found.agency.name == "UBND phường Sài Gòn"
    assert (found.agency.province_code, found.agency.commune_code) == ("79", "26740")
    assert set(found.roles) == {
        "enrolment",
        "identity_admin",
        "reception",
        "processing",
        "approval",
    }
    assert Account.objects.get(username=demo.ADMIN_LOGIN).is_superuser


def test_generated_citizens_are_realistic_and_stable() -> None:
    communes = [("79", "26740"), ("01", "00070")]
    first = demo.generated_citizens(communes)

    assert first == demo.generated_citizens(communes)
    assert len({record.id_number for record in first}) == demo.GENERATED
    family = [record.full_name.split()[0] for record in first]
    assert family.count("Nguyễn") > family.count("Trần") > 0
    assert all(record.full_name == nfc(record.full_name) for record in first)
    women = [record for record in first if record.sex == "female"]
    assert women
    assert all(int(record.id_number[3]) % 2 == 1 for record in women)


def test_the_demo_staff_log_in_with_the_printed_authenticator_secret() -> None:
    """Staff always present a second factor, in the demo too: ``nentang demo`` prints
    the secret of their authenticator app and how to compute a code; loading twice
    changes nothing; citizens get no second factor from the demo."""
    demo.load(demodata.SilentProgress())
    demo.load_second_factors(demodata.SilentProgress())
    entries = support.AuditEntry.objects.count()
    demo.load_second_factors(demodata.SilentProgress())
    assert support.AuditEntry.objects.count() == entries

    printed = " ".join(demo._second_factor_summary())
    assert f"oathtool --totp -b {demo.DEMO_STAFF_TOTP_SECRET}" in printed
    assert "admin, canbo.saigon" in printed
    assert not TotpDevice.objects.filter(account__username=demo.AN_ID).exists()
    client = Client()
    first = client.post("/login", {"login": demo.OFFICER_LOGIN, "password": demo.OFFICER_PASSWORD})
    assert first["Location"] == "/login/second-factor"
    code = pyotp.TOTP(demo.DEMO_STAFF_TOTP_SECRET).now()
    assert client.post("/login/second-factor", {"code": code})["Location"] == "/account/"
    assert client.get("/officer/people").status_code == 200


def test_the_demo_portal_follows_the_address_the_demo_is_served_at(settings: Any) -> None:
    from oauth2_provider.models import Application

    from nentang.identity.oidc import demo as oidc_demo

    settings.BASE_URL = "http://localhost:8000"
    oidc_demo.load(demodata.SilentProgress())
    settings.BASE_URL = "http://localhost:8080"  # nentang demo --port 8080, later
    oidc_demo.load(demodata.SilentProgress())
    oidc_demo.load(demodata.SilentProgress())

    portal = Application.objects.get(client_id=oidc_demo.PORTAL_ID)
    assert portal.redirect_uris == "http://localhost:8080/demo/callback"
    assert portal.post_logout_redirect_uris == "http://localhost:8080/demo/"
    changes = support.AuditEntry.objects.filter(action="identity.oidc.client.redirect_uris")
    assert changes.count() == 1  # the third load found nothing to change
