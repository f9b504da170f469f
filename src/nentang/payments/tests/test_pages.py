"""The citizen's wallet pages through Django's test client: the wallet (balance, limit
bars, history with cursor pagination, the "no wallet yet" state), sending money to a
phone number (review with the masked name, confirm, field errors, a double submit pays
once) and paying a merchant by VietQR."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from nentang.payments import selectors, services
from nentang.payments.models import Account, Transfer, Wallet
from nentang.payments.services import VietQR
from nentang.payments.tests.support import OPERATOR, as_person, person
from nentang.payments.views import pages

pytestmark = pytest.mark.django_db


def login(client: Client, who: Any) -> None:
    model = apps.get_model("identity", "Account")
    account = model.objects.create_user(who.id_number, "x-unused-password-x")
    who.account = account
    who.save(update_fields=["account"])
    client.force_login(account)


@pytest.fixture
def an(client: Client) -> Any:
    who = person("Nguyễn Văn An", phone="+84903123456")
    login(client, who)
    return who


@pytest.fixture
def funded(an: Any) -> Wallet:
    wallet = services.wallet_open(actor=as_person(an), person_id=an.id)
    agent = services.agent_open(actor=OPERATOR, code="co-ba", name="Cô Ba", float_amount=10**9)
    services.cash_in(actor=OPERATOR, agent=agent, wallet=wallet, amount=500_000,
                     idempotency_key="top-up")  # fmt: skip
    return wallet


@pytest.fixture
def binh() -> Wallet:
    other = person("Trần Thị Bình", phone="+84912000111")
    return services.wallet_open(actor=as_person(other), person_id=other.id)


@pytest.fixture
def shop() -> Account:
    return services.merchant_account_open(actor=OPERATOR, code="banh-mi-co", name="Bánh mì Cô")


def balance(wallet: Wallet) -> int:
    return Account.objects.get(pk=wallet.account_id).balance


def key(response: Any) -> str:
    return str(response.context["form"]["key"].value())


# ----------------------------------------------------------------------------- wallet


def test_wallet_needs_login(client: Client) -> None:
    response = client.get(reverse("payments:wallet"))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_no_wallet_explains_level_two_and_opens_one(client: Client, an: Any) -> None:
    page = client.get(reverse("payments:wallet"))
    assert page.status_code == 200
    assert "payments/no_wallet.html" in [t.name for t in page.templates]
    assert "level-2" in page.content.decode() or "mức độ 2" in page.content.decode()
    opened = client.post(reverse("payments:wallet"))
    assert opened.status_code == 302
    assert Wallet.objects.filter(person_id=an.id).count() == 1
    page = client.get(reverse("payments:wallet"))
    assert "payments/wallet.html" in [t.name for t in page.templates]


def test_level_one_person_is_told_why_and_nothing_is_opened(client: Client) -> None:
    who = person("Lê Văn Cường", level=1, phone="+84913000222")
    login(client, who)
    page = client.get(reverse("payments:wallet"))
    assert page.context["can_open"] is False
    refused = client.post(reverse("payments:wallet"))
    assert refused.status_code == 403
    assert refused.context["refusal"]
    assert not Wallet.objects.filter(person_id=who.id).exists()


def test_wallet_shows_balance_limits_and_history(client: Client, funded: Wallet,
                                                  shop: Account) -> None:  # fmt: skip
    services.merchant_pay(actor=OPERATOR, payer=funded, merchant=shop, amount=35_000,
                          idempotency_key="bm-1", reference="BM-1")  # fmt: skip
    page = client.get(reverse("payments:wallet"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "465.000 ₫" in html
    assert "Bánh mì Cô" in html
    assert "BM-1" in html
    bars = page.context["bars"]
    assert [bar["max"] for bar in bars] == [u.monthly for u in services.wallet_usage(wallet=funded)]
    assert sum(bar["value"] for bar in bars) >= 35_000
    assert html.count("<progress") == len(bars)


def test_history_is_paginated_by_cursor(client: Client, funded: Wallet, shop: Account) -> None:
    for number in range(25):
        services.merchant_pay(actor=OPERATOR, payer=funded, merchant=shop, amount=1_000,
                              idempotency_key=f"p{number}", reference=f"R{number:02d}")  # fmt: skip
    first = client.get(reverse("payments:wallet"))
    assert len(first.context["rows"]) == 20
    assert first.context["next_url"]
    second = client.get(reverse("payments:wallet") + first.context["next_url"])
    assert len(second.context["rows"]) == 6  # 5 payments and the top-up
    assert not second.context["next_url"]
    assert "R00" in second.content.decode()
    assert "R24" in first.content.decode()
    assert client.get(reverse("payments:wallet") + "?cursor=garbage").status_code == 200


def test_organisation_account_has_no_wallet_page(client: Client) -> None:
    model = apps.get_model("identity", "Account")
    company = model.objects.create_user("0312345678", "x", kind="organisation")
    client.force_login(company)
    assert client.get(reverse("payments:wallet")).status_code == 403


# ------------------------------------------------------------------------- send money


def test_send_shows_masked_name_then_pays_once(client: Client, funded: Wallet,
                                               binh: Wallet) -> None:  # fmt: skip
    form = client.get(reverse("payments:send"))
    data = {"phone": "0912 000 111", "amount": "120.000", "note": "tiền ăn", "key": key(form)}
    review = client.post(reverse("payments:send"), {**data, "step": "review"})
    assert review.status_code == 200
    assert "Trần T. B." in review.content.decode()
    assert "Trần Thị Bình" not in review.content.decode()
    assert balance(funded) == 500_000  # nothing paid before confirming
    usage = apps.get_model("identity", "DataUsage").objects.filter(person_id=binh.person_id)
    assert usage.filter(client_id="nentang-payments").count() == 1  # logged for Bình
    for _ in range(2):  # a double submit
        done = client.post(reverse("payments:send"), {**data, "step": "confirm"})
        assert done.status_code == 302
    assert balance(funded) == 380_000
    assert balance(binh) == 120_000
    assert Transfer.objects.filter(code="p2p").count() == 1


@pytest.mark.parametrize(
    ("phone", "amount", "field"),
    [
        ("0999 999 999", "1000", "phone"),  # no wallet on it
        ("abc", "1000", "phone"),
        ("0912000111", "0", "amount"),
        ("0912000111", "1,5", "amount"),
        ("0912000111", "600000", "amount"),  # more than the balance
        ("0903123456", "1000", "phone"),  # one's own wallet
    ],
)
def test_send_field_errors(client: Client, funded: Wallet, binh: Wallet, phone: str,
                           amount: str, field: str) -> None:  # fmt: skip
    form = client.get(reverse("payments:send"))
    data = {"phone": phone, "amount": amount, "key": key(form)}
    for step in ("review", "confirm"):
        response = client.post(reverse("payments:send"), {**data, "step": step})
        assert response.status_code == 400
        assert field in response.context["form"].errors
    assert balance(funded) == 500_000


def test_send_review_look_ups_are_throttled_per_account(
    client: Client, funded: Wallet, binh: Wallet, monkeypatch: Any
) -> None:
    """Each review shows a phone's masked holder: past the hourly limit the page says
    so (429) and shows no name."""
    monkeypatch.setattr(pages, "SEND_REVIEWS_PER_HOUR", 2)
    data = {"phone": "0912 000 111", "amount": "1.000", "step": "review"}
    for _ in range(2):
        form = client.get(reverse("payments:send"))
        assert client.post(reverse("payments:send"), {**data, "key": key(form)}).status_code == 200
    form = client.get(reverse("payments:send"))
    refused = client.post(reverse("payments:send"), {**data, "key": key(form)})
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Trần T. B." not in html
    assert "Bạn đã tra cứu quá nhiều người nhận" in html
    assert refused.context["review"] is None


def test_send_confirms_are_throttled_per_account(
    client: Client, funded: Wallet, binh: Wallet, monkeypatch: Any
) -> None:
    """A confirm looks the phone up as well (its errors tell a known number from an
    unknown one): past the hourly limit it is refused (429) and pays nothing."""
    monkeypatch.setattr(pages, "SEND_CONFIRMS_PER_HOUR", 2)
    data = {"phone": "0912 000 111", "amount": "1.000", "step": "confirm"}
    for _ in range(2):
        form = client.get(reverse("payments:send"))
        assert client.post(reverse("payments:send"), {**data, "key": key(form)}).status_code == 302
    form = client.get(reverse("payments:send"))
    refused = client.post(reverse("payments:send"), {**data, "key": key(form)})
    assert refused.status_code == 429
    assert "Trần T. B." not in refused.content.decode()
    assert balance(funded) == 498_000


def test_send_above_the_monthly_limit_is_refused_on_the_amount(
    client: Client, funded: Wallet, binh: Wallet, settings: Any
) -> None:
    settings.PAYMENTS_WALLET_POLICY = "pilot-316-2021"
    settings.PAYMENTS_LIMIT_OVERRIDES = {"combined": 100_000}
    form = client.get(reverse("payments:send"))
    data = {"phone": "0912000111", "amount": "150000", "key": key(form), "step": "confirm"}
    response = client.post(reverse("payments:send"), data)
    assert response.status_code == 400
    assert "amount" in response.context["form"].errors
    assert balance(funded) == 500_000


def test_reused_key_with_other_amount_pays_nothing_more(client: Client, funded: Wallet,
                                                       binh: Wallet) -> None:  # fmt: skip
    form = client.get(reverse("payments:send"))
    data = {"phone": "0912000111", "key": key(form), "step": "confirm"}
    assert client.post(reverse("payments:send"), {**data, "amount": "1000"}).status_code == 302
    again = client.post(reverse("payments:send"), {**data, "amount": "2000"})
    assert again.status_code == 400
    assert balance(funded) == 499_000


# ------------------------------------------------------------------------------ VietQR


def shop_qr(shop: Account, amount: int | None = None) -> str:
    return services.vietqr_payload(
        VietQR(
            bank_bin=selectors.platform_bin(),
            account=selectors.merchant_qr_account(account=shop),
            service="QRPUSH",
            amount=amount,
            merchant_name="BANH MI CO",
            city="HA NOI",
            reference="HD42",
        )
    )


def test_pay_dynamic_qr(client: Client, funded: Wallet, shop: Account) -> None:
    form = client.get(reverse("payments:pay_qr"))
    data = {"payload": shop_qr(shop, 45_000), "key": key(form)}
    review = client.post(reverse("payments:pay_qr"), {**data, "step": "review"})
    assert review.status_code == 200
    html = review.content.decode()
    assert "Bánh mì Cô" in html
    assert "45.000 ₫" in html
    assert balance(funded) == 500_000
    for _ in range(2):
        assert (
            client.post(
                reverse("payments:pay_qr"), {**data, "amount": "45000", "step": "confirm"}
            ).status_code
            == 302
        )
    assert balance(funded) == 455_000
    assert Account.objects.get(pk=shop.pk).balance == 45_000


def test_pay_static_qr_asks_the_amount(client: Client, funded: Wallet, shop: Account) -> None:
    form = client.get(reverse("payments:pay_qr"))
    data = {"payload": shop_qr(shop), "key": key(form)}
    review = client.post(reverse("payments:pay_qr"), {**data, "step": "review"})
    assert review.status_code == 200
    assert 'name="amount"' in review.content.decode()
    missing = client.post(reverse("payments:pay_qr"), {**data, "step": "confirm"})
    assert "amount" in missing.context["form"].errors
    done = client.post(reverse("payments:pay_qr"), {**data, "amount": "20000", "step": "confirm"})
    assert done.status_code == 302
    assert balance(funded) == 480_000


def test_pay_qr_from_an_uploaded_text_file(client: Client, funded: Wallet, shop: Account) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = client.get(reverse("payments:pay_qr"))
    upload = SimpleUploadedFile("qr.txt", shop_qr(shop, 10_000).encode(), "text/plain")
    review = client.post(reverse("payments:pay_qr"),
                         {"upload": upload, "key": key(form), "step": "review"})  # fmt: skip
    assert review.status_code == 200
    assert review.context["review"]["qr"].amount == 10_000


@pytest.mark.parametrize(
    ("mangle", "field"),
    [
        (lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"), "payload"),  # bad CRC
        (lambda p: "hello", "payload"),
        (lambda p: "", "payload"),
    ],
)
def test_pay_qr_errors(client: Client, funded: Wallet, shop: Account, mangle: Any,
                       field: str) -> None:  # fmt: skip
    form = client.get(reverse("payments:pay_qr"))
    data = {"payload": mangle(shop_qr(shop, 1_000)), "key": key(form), "step": "confirm"}
    response = client.post(reverse("payments:pay_qr"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert balance(funded) == 500_000


def test_pay_qr_of_another_bank_or_unknown_merchant(client: Client, funded: Wallet) -> None:
    other = services.vietqr_payload(
        VietQR(bank_bin="970436", account="0011001932418", service="QRIBFTTA", amount=5_000)
    )
    form = client.get(reverse("payments:pay_qr"))
    response = client.post(reverse("payments:pay_qr"),
                           {"payload": other, "key": key(form), "step": "review"})  # fmt: skip
    assert response.status_code == 400
    assert "payload" in response.context["form"].errors


def test_pay_qr_more_than_the_balance(client: Client, funded: Wallet, shop: Account) -> None:
    form = client.get(reverse("payments:pay_qr"))
    data = {"payload": shop_qr(shop, 900_000), "key": key(form), "step": "confirm"}
    response = client.post(reverse("payments:pay_qr"), data)
    assert response.status_code == 400
    assert "amount" in response.context["form"].errors
    assert balance(funded) == 500_000


def test_phone_of_a_guardian_names_the_guardians_own_wallet(an: Any, funded: Wallet) -> None:
    child = person("Nguyễn Ngọc Hân", born=(2022, 3, 1), phone="", guardian=an)
    kid = services.wallet_open(actor=as_person(an), person_id=child.id)
    assert kid.phone == funded.phone
    assert selectors.wallet_by_phone(phone="0903 123 456").pk == funded.pk


def test_the_readme_demo_qr_pays_the_demo_bakery(client: Client, funded: Wallet) -> None:
    import re
    from pathlib import Path

    bakery = services.merchant_account_for(
        merchant_code="banh-mi-sai-gon", merchant_name="Công ty TNHH Bánh mì Sài Gòn"
    )
    readme = (Path(__file__).resolve().parents[4] / "README.md").read_text(encoding="utf-8")
    [payload] = re.findall(r"`(00020101021238[^`]+)`", readme)
    form = client.get(reverse("payments:pay_qr"))
    data = {"payload": payload, "key": key(form), "step": "confirm"}
    assert client.post(reverse("payments:pay_qr"), data).status_code == 302
    assert Account.objects.get(pk=bakery.pk).balance == 35_000
