"""Wallets: KYC rules (level 2, phone, children through guardians), the operations
(cash-in/out at agents, person to person, merchant, public-service fee), idempotency by
key, and the monthly limits of both legal regimes, enforced atomically."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nentang.payments import selectors, services
from nentang.payments.models import Account, Wallet, WalletUsage
from nentang.payments.tests.support import OPERATOR, as_person, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> Account:
    return services.agent_open(
        actor=OPERATOR, code="tap-hoa-co-ba", name="Tạp hoá Cô Ba", float_amount=500_000_000
    )


def topped_up(agent: Account, who: Any, amount: int) -> Wallet:
    wallet = services.wallet_open(actor=as_person(who), person_id=who.id)
    services.cash_in(
        actor=OPERATOR, agent=agent, wallet=wallet, amount=amount, idempotency_key="top-up"
    )
    return wallet


def test_a_wallet_needs_level_2_and_is_one_per_person() -> None:
    an = person()
    wallet = services.wallet_open(actor=as_person(an), person_id=an.id)

    assert services.wallet_open(actor=as_person(an), person_id=an.id).id == wallet.id
    assert wallet.phone == "+84903123456"
    assert wallet.masked_name == "Nguyễn V. A."
    low = person("Lê Thị Hoa", level=1)
    with pytest.raises(Forbidden) as refused:
        services.wallet_open(actor=as_person(low), person_id=low.id)
    assert refused.value.code == "wallet_level2_required"
    with pytest.raises(Forbidden):
        services.wallet_open(actor=as_person(an), person_id=person("Trần Văn Bảo").id)


def test_a_child_under_14_gets_a_wallet_only_through_the_guardian() -> None:
    mother = person("Phạm Thị Mai")
    today = timezone.localdate()
    child = person("Phạm Minh Khang", level=1, phone="", guardian=mother,
                   born=(today.year - 9, 1, 1))  # fmt: skip

    with pytest.raises(Forbidden) as refused:
        services.wallet_open(actor=as_person(child), person_id=child.id)
    assert refused.value.code == "wallet_guardian_required"

    wallet = services.wallet_open(actor=as_person(mother), person_id=child.id)
    assert wallet.guardian_person_id == mother.id
    assert wallet.phone == mother.phone


def test_the_api_pays_a_phone_number_into_the_adults_wallet_not_the_childs() -> None:
    """A child's wallet carries the guardian's phone. The GSMA API's ``msisdn`` party
    took the first wallet on the number by id: a guardian who opened the child's wallet
    before their own had the payments sent to their number credited to the child."""
    mother = person("Phạm Thị Mai")
    today = timezone.localdate()
    child = person("Phạm Minh Khang", level=1, phone="", guardian=mother,
                   born=(today.year - 9, 1, 1))  # fmt: skip
    services.wallet_open(actor=as_person(mother), person_id=child.id)
    own = services.wallet_open(actor=as_person(mother), person_id=mother.id)

    named = selectors.party_account(identifier_type="msisdn", identifier=mother.phone)
    assert named.pk == own.account_id
    assert selectors.wallet_by_phone(phone=mother.phone).pk == own.pk


def test_an_account_code_with_a_nul_is_not_found() -> None:
    """GET /api/v1/payments/accounts/accountid/%00/balance was a 500 on PostgreSQL: the
    path parameter went to the database with its NUL."""
    for odd in ("\x00", "merchant:\x00x", "a" * 5000):
        with pytest.raises(NotFound):
            selectors.party_account(identifier_type="accountid", identifier=odd)


def test_cash_in_pay_and_cash_out_with_idempotency_keys(agent: Account) -> None:
    an, binh = person(), person("Trần Thị Bình", phone="+84912345678")
    wallet = topped_up(agent, an, 1_000_000)
    other = services.wallet_open(actor=as_person(binh), person_id=binh.id)
    shop = services.merchant_account_open(actor=OPERATOR, code="banh-mi", name="Bánh mì")

    first = services.p2p_transfer(actor=as_person(an), payer=wallet, payee=other, amount=200_000,
                                  idempotency_key="k1")  # fmt: skip
    again = services.p2p_transfer(actor=as_person(an), payer=wallet, payee=other, amount=200_000,
                                  idempotency_key="k1")  # fmt: skip
    assert again.id == first.id
    with pytest.raises(Conflict) as changed:
        services.p2p_transfer(actor=as_person(an), payer=wallet, payee=other, amount=1,
                              idempotency_key="k1")  # fmt: skip
    assert changed.value.code == "transfer_exists_with_different_parameters"
    services.merchant_pay(actor=as_person(an), payer=wallet, merchant=shop, amount=35_000,
                          idempotency_key="m1", reference="BM-1")  # fmt: skip
    services.cash_out(actor=as_person(an), wallet=wallet, agent=agent, amount=100_000,
                      idempotency_key="o1")  # fmt: skip

    assert Account.objects.get(pk=wallet.account_id).balance == 665_000
    with pytest.raises(Conflict) as poor:
        services.p2p_transfer(actor=as_person(an), payer=wallet, payee=other, amount=665_001,
                              idempotency_key="k2")  # fmt: skip
    assert poor.value.code == "insufficient_funds"
    with pytest.raises(NotFound):  # someone else's wallet is not found, not forbidden
        services.p2p_transfer(actor=as_person(binh), payer=wallet, payee=other, amount=1,
                              idempotency_key="k3")  # fmt: skip
    for bad, code in ((0, "amount_must_be_positive"), (1.5, "amount_not_whole")):
        with pytest.raises(ValidationFailed) as refused:
            services.p2p_transfer(actor=as_person(an), payer=wallet, payee=other, amount=bad,
                                  idempotency_key="k4")  # fmt: skip
        assert refused.value.code == code
    assert selectors.ledger_reconcile().ok


def test_decree_368_limits_transfers_and_essential_payments_separately(
    agent: Account, settings: object
) -> None:
    settings.PAYMENTS_WALLET_POLICY = "decree-368-2025"  # type: ignore[attr-defined]
    an = person()
    wallet = topped_up(agent, an, 250_000_000)
    shop = services.merchant_account_open(actor=OPERATOR, code="sieu-thi", name="Siêu thị")
    services.merchant_pay(actor=as_person(an), payer=wallet, merchant=shop, amount=100_000_000,
                          idempotency_key="big")  # fmt: skip
    with pytest.raises(Conflict) as limited:
        services.merchant_pay(actor=as_person(an), payer=wallet, merchant=shop, amount=1,
                              idempotency_key="one-more")  # fmt: skip
    assert limited.value.code == "wallet_limit_exceeded"
    assert limited.value.extra["limit_category"] == "transfers_payments"

    # Essential payments have their own 100,000,000 ₫.
    ward = _agency()
    paid = services.fee_payment_create(actor=as_person(an), payer_person_id=an.id,
                                       agency_id_or_code=ward.code, amount=50_000,
                                       reference="H29.1-0001", idempotency_key="fee-1")  # fmt: skip
    assert (paid.amount, paid.agency_code) == (50_000, ward.code)
    usage = {u.category: u.used for u in services.wallet_usage(wallet=wallet)}
    assert usage == {"transfers_payments": 100_000_000, "essential": 50_000}
    again = services.fee_payment_create(
        actor=as_person(an),
        payer_person_id=an.id,
        agency_id_or_code=str(ward.pk),
        amount=50_000,
        reference="H29.1-0001",
        idempotency_key="fee-1",
    )
    assert again.transfer_id == paid.transfer_id
    assert WalletUsage.objects.get(category="essential").amount == 50_000  # counted once


def test_the_pilot_limits_everything_combined_at_10_million(
    agent: Account, settings: object
) -> None:
    settings.PAYMENTS_WALLET_POLICY = "pilot-316-2021"  # type: ignore[attr-defined]
    an = person()
    wallet = topped_up(agent, an, 20_000_000)
    ward = _agency()
    services.cash_out(actor=as_person(an), wallet=wallet, agent=agent, amount=6_000_000,
                      idempotency_key="o")  # fmt: skip
    with pytest.raises(Conflict) as limited:
        services.fee_payment_create(actor=as_person(an), payer_person_id=an.id,
                                    agency_id_or_code=ward.code, amount=4_000_001,
                                    reference="x", idempotency_key="f")  # fmt: skip
    assert limited.value.code == "wallet_limit_exceeded"
    services.fee_payment_create(actor=as_person(an), payer_person_id=an.id,
                                agency_id_or_code=ward.code, amount=4_000_000,
                                reference="x", idempotency_key="f2")  # fmt: skip
    next_month = timezone.now() + datetime.timedelta(days=32)
    assert [u.used for u in services.wallet_usage(wallet=wallet, now=next_month)] == [0]


def test_overrides_make_a_limit_configurable(agent: Account, settings: object) -> None:
    settings.PAYMENTS_WALLET_POLICY = "decree-368-2025"  # type: ignore[attr-defined]
    settings.PAYMENTS_LIMIT_OVERRIDES = {"transfers_payments": 1_000}  # type: ignore[attr-defined]
    an = person()
    wallet = topped_up(agent, an, 5_000)
    with pytest.raises(Conflict):
        services.cash_out(actor=as_person(an), wallet=wallet, agent=agent, amount=1_001,
                          idempotency_key="o")  # fmt: skip


def _agency() -> Any:
    from django.apps import apps

    return apps.get_model("identity", "Agency").objects.create(
        code="ubnd-phuong-sai-gon",
        name="UBND phường Sài Gòn",
        kind="commune",
        province_code="79",
        commune_code="26740",
    )
