"""The merchant, agent and operator pages through Django's test client: each needs the
second factor in the session, shows only the accounts its user operates, and changes
money only through the services (refunds never above what was paid, cash-out under the
customer's balance, freeze/unfreeze with a reason in the audit log)."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from tests.support.staff import staff_login

from nentang.kernel.errors import RateLimited, ValidationFailed
from nentang.payments import services
from nentang.payments.models import Account, Transfer, Wallet
from nentang.payments.tests.support import OPERATOR, as_person, person

pytestmark = pytest.mark.django_db


def e_id(who: Any) -> Any:
    model = apps.get_model("identity", "Account")
    account = model.objects.create_user(who.id_number, "x-unused-password-x")
    who.account = account
    who.save(update_fields=["account"])
    return account


@pytest.fixture
def an() -> Any:
    return person("Nguyễn Văn An", phone="+84903123456")


@pytest.fixture
def wallet(an: Any) -> Wallet:
    return services.wallet_open(actor=as_person(an), person_id=an.id)


@pytest.fixture
def mai() -> Any:
    return person("Lê Thị Mai", phone="+84988000111")


@pytest.fixture
def shop(mai: Any) -> Account:
    return services.merchant_account_open(
        actor=OPERATOR, code="bun-cha-mai", name="Bún chả Mai", owner=f"person:{mai.id}"
    )


@pytest.fixture
def point(mai: Any) -> Account:
    return services.agent_open(actor=OPERATOR, code="mai", name="Đại lý Mai",
                               float_amount=10_000_000, owner=f"person:{mai.id}")  # fmt: skip


@pytest.fixture
def paid(wallet: Wallet, shop: Account, point: Account) -> Transfer:
    services.cash_in(actor=OPERATOR, agent=point, wallet=wallet, amount=300_000,
                     idempotency_key="top-up")  # fmt: skip
    return services.merchant_pay(actor=OPERATOR, payer=wallet, merchant=shop, amount=80_000,
                                 idempotency_key="lunch", reference="BAN-7")  # fmt: skip


def balance(account_id: int) -> int:
    return Account.objects.get(pk=account_id).balance


def test_each_page_needs_a_login_and_the_second_factor(client: Client, mai: Any, shop: Any) -> None:
    for name in ("payments:merchant", "payments:agent", "payments:operator"):
        assert client.get(reverse(name)).status_code == 302  # to the login
    account = e_id(mai)
    client.force_login(account)
    response = client.get(reverse("payments:merchant"))
    assert response.status_code == 403  # no authenticator yet: set one up first
    staff_login(client, account)  # with the second factor
    assert client.get(reverse("payments:merchant")).status_code == 200
    fresh = Client()
    fresh.force_login(account)  # has a factor, this session did not present it
    step_up = fresh.get(reverse("payments:merchant"))
    assert step_up.status_code == 302
    assert reverse("identity_web:second_factor") in step_up["Location"]


def test_merchant_sees_its_qr_and_payments_and_refunds_within_what_was_paid(
    client: Client, mai: Any, shop: Account, paid: Transfer, wallet: Wallet
) -> None:
    staff_login(client, e_id(mai))
    page = client.get(reverse("payments:merchant"))
    html = page.content.decode()
    assert "<svg" in html
    assert "BUNCHAMAI" in html  # the VietQR names this merchant
    assert "80.000 ₫" in html

    def refund(amount: str, reference: Any = paid.id, key: str = "k" * 20) -> Any:
        return client.post(reverse("payments:merchant"),
                           {"reference": str(reference), "amount": amount, "key": key})  # fmt: skip

    assert refund("30000").status_code == 302
    assert refund("30000").status_code == 302  # the same form again: the same refund
    assert balance(shop.id) == 50_000
    too_much = refund("50001", key="m" * 20)
    assert too_much.status_code == 400
    [refused] = [r["form"] for r in too_much.context["rows"] if r["form"] and r["form"].errors]
    assert "Giao dịch này chỉ còn tối đa 50.000 ₫ có thể hoàn." in refused.errors["amount"]
    assert refund("", key="n" * 20).status_code == 302  # the rest
    assert balance(shop.id) == 0
    assert balance(wallet.account_id) == 300_000
    assert Transfer.objects.get(id=paid.id).amount == 80_000  # the original is untouched


def test_a_merchant_cannot_refund_another_shops_sale(
    client: Client, mai: Any, shop: Account, wallet: Wallet, point: Account
) -> None:
    other = services.merchant_account_open(actor=OPERATOR, code="pho-ha", name="Phở Hà")
    services.cash_in(actor=OPERATOR, agent=point, wallet=wallet, amount=100_000,
                     idempotency_key="t")  # fmt: skip
    sale = services.merchant_pay(actor=OPERATOR, payer=wallet, merchant=other, amount=40_000,
                                 idempotency_key="pho")  # fmt: skip
    staff_login(client, e_id(mai))
    wrong = {"reference": str(sale.id), "amount": "1000", "key": "z" * 20}
    response = client.post(reverse("payments:merchant"), wrong)
    assert response.status_code == 400
    assert balance(other.id) == 40_000
    assert "Phở Hà" not in client.get(reverse("payments:merchant")).content.decode()
    stranger = person("Trần Văn Khách", phone="+84977000222")
    staff_login(client, e_id(stranger))
    assert client.get(reverse("payments:merchant")).status_code == 403
    assert client.get(reverse("payments:agent")).status_code == 403


def test_agent_cash_in_and_out_with_review_and_limits(
    client: Client, mai: Any, an: Any, point: Account, wallet: Wallet
) -> None:
    staff_login(client, e_id(mai))
    form = client.get(reverse("payments:agent"))
    key = form.context["form"]["key"].value()
    data = {"operation": "cash_in", "phone": "0903 123 456", "amount": "200000", "key": key}
    review = client.post(reverse("payments:agent"), {**data, "step": "review"})
    assert review.status_code == 200
    assert wallet.masked_name in review.content.decode()
    assert balance(wallet.account_id) == 0
    for _ in range(2):  # a double submit
        assert (
            client.post(reverse("payments:agent"), {**data, "step": "confirm"}).status_code == 302
        )
    assert balance(wallet.account_id) == 200_000
    assert balance(point.id) == 9_800_000

    out = {"operation": "cash_out", "phone": "0903123456", "amount": "50000",
           "key": "o" * 20, "step": "confirm", "customer_code": "000000"}  # fmt: skip
    guessed = client.post(reverse("payments:agent"), out)  # the agent alone cannot cash out
    assert guessed.status_code == 400
    assert "customer_code" in guessed.context["form"].errors
    assert balance(wallet.account_id) == 200_000
    # The customer reads the code on their own wallet page.
    holder = Client()
    holder.force_login(e_id(an))
    out["customer_code"] = holder.get(reverse("payments:wallet")).context["withdrawal_code"]
    refused = client.post(reverse("payments:agent"), {**out, "amount": "250000"})
    assert refused.status_code == 400
    assert "amount" in refused.context["form"].errors
    unknown = client.post(reverse("payments:agent"), {**out, "phone": "0900000000"})
    assert "phone" in unknown.context["form"].errors
    assert client.post(reverse("payments:agent"), {**out, "amount": "50000"}).status_code == 302
    assert balance(wallet.account_id) == 150_000


def test_an_agent_cannot_guess_the_withdrawal_code(
    client: Client, mai: Any, an: Any, point: Account, wallet: Wallet
) -> None:
    """The code is six digits and every wrong one was only a form error: an agent could
    script a million guesses at /agent/ and empty the wallet. After five wrong codes in
    the window, even the right one waits."""
    services.cash_in(actor=as_person(mai), agent=point, wallet=wallet, amount=200_000,
                     idempotency_key="nap-200k")  # fmt: skip
    staff_login(client, e_id(mai))
    holder = Client()
    holder.force_login(e_id(an))
    code = holder.get(reverse("payments:wallet")).context["withdrawal_code"]
    out = {"operation": "cash_out", "phone": "0903123456", "amount": "50000",
           "key": "o" * 20, "step": "confirm"}  # fmt: skip
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != code][:5]
    for guess in wrong:
        guessed = client.post(reverse("payments:agent"), {**out, "customer_code": guess})
        assert guessed.status_code == 400
    right = client.post(reverse("payments:agent"), {**out, "customer_code": code})
    assert right.status_code == 400
    assert balance(wallet.account_id) == 200_000


def test_one_agent_guessing_cannot_shut_the_customer_out_everywhere(
    mai: Any, an: Any, point: Account, wallet: Wallet
) -> None:
    """Wrong codes count per (agent, wallet): an agent's five guesses shut that agent
    out, not the customer's cash-out at every other agent; a ceiling per wallet across
    agents still bounds guessing with many agents."""
    services.cash_in(actor=as_person(mai), agent=point, wallet=wallet, amount=200_000,
                     idempotency_key="nap-200k")  # fmt: skip
    code = services.withdrawal_code(wallet=wallet)
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" != code)
    others = [services.agent_open(actor=OPERATOR, code=f"dai-ly-{n}", name=f"Đại lý {n}",
                                  float_amount=1_000_000) for n in range(4)]  # fmt: skip

    def out(agent: Account, given: str, key: str) -> Transfer:
        return services.agent_cash_out(actor=as_person(mai), agent=agent, wallet=wallet,
                                       amount=10_000, idempotency_key=key,
                                       customer_code=given)  # fmt: skip

    for n in range(services.agents.MAX_FAILURES):
        with pytest.raises(ValidationFailed):
            out(point, wrong, f"sai-{n}")
    with pytest.raises(RateLimited):  # this agent waits, even with the right code
        out(point, code, "dung-0")
    out(others[0], code, "dung-1")  # another agent serves the customer
    assert balance(wallet.account_id) == 190_000
    for n, agent in enumerate(others[1:3]):  # 15 wrong codes from three agents
        for m in range(services.agents.MAX_FAILURES):
            with pytest.raises(ValidationFailed):
                out(agent, wrong, f"sai-{n}-{m}")
    with pytest.raises(RateLimited):  # the wallet's ceiling: every agent waits
        out(others[3], code, "dung-2")
    assert balance(wallet.account_id) == 190_000
    assert (
        apps.get_model("audit", "SecurityEvent")
        .objects.filter(subject="payments.withdrawal_code", severity="high")
        .exists()
    )


def test_operator_reconciles_and_freezes_with_a_reason(client: Client, wallet: Wallet) -> None:
    model = apps.get_model("identity", "Account")
    officer = model.objects.create_user("van-hanh-vi", "x-unused-password-x", is_staff=True)
    staff_login(client, officer)
    assert client.get(reverse("payments:operator")).status_code == 403  # no permission
    officer.user_permissions.add(
        Permission.objects.get(codename="change_account", content_type__app_label="payments")
    )
    page = client.get(reverse("payments:operator"))
    assert page.status_code == 200
    assert page.context["report"].ok
    code = wallet.account.code
    short = client.post(reverse("payments:operator"),
                        {"code": code, "status": "frozen", "reason": "x"})  # fmt: skip
    assert short.status_code == 400
    assert "reason" in short.context["form"].errors
    nope = {"code": "wallet:nope", "status": "frozen", "reason": "Lệnh số 12"}
    unknown = client.post(reverse("payments:operator"), nope)
    assert "code" in unknown.context["form"].errors
    freeze = {"code": code, "status": "frozen", "reason": "Quyết định 12/QĐ"}
    done = client.post(reverse("payments:operator"), freeze)
    assert done.status_code == 302
    assert Account.objects.get(code=code).status == "frozen"
    assert code in client.get(reverse("payments:operator")).content.decode()
    entry = (
        apps.get_model("audit", "AuditEntry")
        .objects.filter(action="payments.account.status")
        .last()
    )
    assert entry is not None
    assert entry.summary["reason"] == "Quyết định 12/QĐ"
    client.post(reverse("payments:operator"), {"code": code, "status": "active",
                                                "reason": "Hết hiệu lực"})  # fmt: skip
    assert Account.objects.get(code=code).status == "active"
