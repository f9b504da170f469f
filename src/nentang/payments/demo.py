"""Demo data of the payments context for ``nentang demo``:

* the agent "Tạp hoá Cô Ba" (cash-in/cash-out) with its e-money float;
* the merchant account of "Công ty TNHH Bánh mì Sài Gòn" (the postal demo's merchant:
  its cash on delivery lands there) and a café;
* the fee-collection account of UBND phường Sài Gòn;
* wallets for Nguyễn Văn An (level 2) and, through him as guardian, his daughter
  Nguyễn Ngọc Hân; six months of history on An's wallet (top-ups, bánh mì, coffee,
  transfers, a fee), this month's through the services so the limit bars show usage.

Idempotent: every transfer id is derived from a fixed key, every account is opened by
code; running it twice changes nothing.
"""

from __future__ import annotations

import datetime
import random

from django.apps import apps
from django.utils import timezone

from nentang.kernel import demodata
from nentang.kernel.auditing import Actor
from nentang.payments import services
from nentang.payments.services import TransferInput

SEED = 20260101
AN_ID = "079090001234"
CHILD_ID = "079322001235"
AGENCY_CODE = "ubnd-phuong-sai-gon"
OPERATOR = Actor.system("payments-demo")


@demodata.loader("payments")
def load(progress: demodata.Progress) -> None:
    progress.start("Mobile money and payments", 4)
    agent = services.agent_open(
        actor=OPERATOR, code="tap-hoa-co-ba", name="Tạp hoá Cô Ba", float_amount=2_000_000_000
    )
    banh_mi = services.merchant_account_for(
        merchant_code="banh-mi-sai-gon", merchant_name="Công ty TNHH Bánh mì Sài Gòn"
    )
    cafe = services.merchant_account_open(
        actor=OPERATOR, code="ca-phe-nha-lam", name="Cà phê Nhà Làm"
    )
    person_model = apps.get_model("identity", "Person")
    an = person_model.objects.filter(id_number=AN_ID).first()
    fees = None
    if apps.get_model("identity", "Agency").objects.filter(code=AGENCY_CODE).exists():
        fees = services.agency_fee_account(agency_id_or_code=AGENCY_CODE)
    progress.advance()
    if an is None or an.level < 2:
        progress.advance(3)
        return
    wallet = services.wallet_open(actor=Actor.person(str(an.id)), person_id=an.id)
    child = person_model.objects.filter(id_number=CHILD_ID, guardian=an).first()
    if child is not None:
        services.wallet_open(actor=Actor.person(str(an.id)), person_id=child.id)
    progress.advance()

    # Six past months of history, written to the ledger with their dates.
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    history: list[tuple[datetime.datetime, TransferInput]] = []
    for month in range(6, 0, -1):
        start = now - datetime.timedelta(days=30 * month)
        history.append(
            (start, TransferInput(id=services.transfer_id("demo-topup", month),
                                  debit_account_id=agent.id, credit_account_id=wallet.account_id,
                                  amount=3_000_000, code="cash_in"))
        )  # fmt: skip
        for day in range(1, 26, 2):
            shop = banh_mi if rng.random() < 0.6 else cafe
            history.append(
                (start + datetime.timedelta(days=day),
                 TransferInput(id=services.transfer_id("demo-pay", month, day),
                               debit_account_id=wallet.account_id, credit_account_id=shop.id,
                               amount=rng.choice((25_000, 30_000, 35_000, 45_000, 55_000)),
                               code="merchant", reference=f"HD-{month}{day:02d}"))
            )  # fmt: skip
    for when, item in history:
        services.transfers_create(actor=OPERATOR, transfers=[item], now=when)
    progress.advance()

    # This month, through the wallet services (counted against the limits).
    services.cash_in(actor=OPERATOR, agent=agent, wallet=wallet, amount=2_000_000,
                     idempotency_key="demo-this-month")  # fmt: skip
    services.merchant_pay(actor=Actor.person(str(an.id)), payer=wallet, merchant=banh_mi,
                          amount=35_000, idempotency_key="demo-banh-mi",
                          reference="BM-0001")  # fmt: skip
    if fees is not None:
        services.fee_payment_create(actor=Actor.person(str(an.id)), payer_person_id=an.id,
                                    agency_id_or_code=AGENCY_CODE, amount=50_000,
                                    reference="000.00.26.H29-261201-0002",
                                    idempotency_key="demo-fee")  # fmt: skip
    progress.advance()
