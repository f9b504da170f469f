"""Demo data of the payments context for ``nentang demo``:

* the agent "Tạp hoá Cô Ba" (cash-in/cash-out) with its e-money float, operated by
  Võ Thị Ba, who logs in to ``/agent/``;
* the merchant account of "Công ty TNHH Bánh mì Sài Gòn" (the postal demo's merchant:
  its cash on delivery lands there) and the café "Cà phê Nhà Làm", operated by Lê Thị
  Mai, who logs in to ``/merchant/``;
* the fee-collection account of UBND phường Sài Gòn;
* wallets for Nguyễn Văn An (level 2) and, through him as guardian, his daughter
  Nguyễn Ngọc Hân; six months of history on An's wallet (top-ups, bánh mì, coffee,
  transfers, a fee), this month's through the services so the limit bars show usage.

The two operators are level-1 e-IDs registered through identity's services; their
logins are printed by ``nentang demo`` and get the demo authenticator (the merchant and
agent pages need a second factor).

Idempotent: every transfer id is derived from a fixed key, every account is opened by
code; running it twice changes nothing.
"""

from __future__ import annotations

import datetime
import random

from django.apps import apps
from django.utils import timezone

from nentang.identity import services as identity
from nentang.kernel import demodata
from nentang.kernel.auditing import Actor
from nentang.payments import services
from nentang.payments.services import TransferInput

SEED = 20260101
AN_ID = "079090001234"
CHILD_ID = "079322001235"
AGENCY_CODE = "ubnd-phuong-sai-gon"
OPERATOR = Actor.system("payments-demo")
MERCHANT_ID = "079192001120"  # Lê Thị Mai, born 20 Nov 1992 (digit 1: female, 1900s)
AGENT_ID = "079185000308"  # Võ Thị Ba, born 8 Mar 1985
MERCHANT_PASSWORD = "demo-merchant-2026"  # noqa: S105 - documented demo accounts
AGENT_PASSWORD = "demo-agent-2026"  # noqa: S105
# A 1×1 grey PNG standing in for a portrait photo (the demo has no real faces).
PORTRAIT = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c63d8020000b600b518a625e40000000049454e44ae426082"
)
ACCOUNTS = (
    demodata.DemoAccount(
        role="merchant (Cà phê Nhà Làm), Lê Thị Mai",
        login=MERCHANT_ID,
        password=MERCHANT_PASSWORD,
        note="/merchant/",
        second_factor=True,
    ),
    demodata.DemoAccount(
        role="cash-in/cash-out agent (Tạp hoá Cô Ba), Võ Thị Ba",
        login=AGENT_ID,
        password=AGENT_PASSWORD,
        note="/agent/",
        second_factor=True,
    ),
)
OPERATORS = (
    (MERCHANT_ID, "Lê Thị Mai", datetime.date(1992, 11, 20), "0909 112 092", MERCHANT_PASSWORD),
    (AGENT_ID, "Võ Thị Ba", datetime.date(1985, 3, 8), "0909 308 085", AGENT_PASSWORD),
)


def _operator(id_number: str) -> str:
    """``person:<id>`` of a demo operator, registered (level 1) on first use."""
    person_model = apps.get_model("identity", "Person")
    found = person_model.objects.filter(id_number=id_number).first()
    if found is None:
        number, name, born, phone, password = next(o for o in OPERATORS if o[0] == id_number)
        found = identity.person_register(
            id_number=number, full_name=name, date_of_birth=born, sex="female", phone=phone,
            password=password, residence=identity.Residence("79", "26740", "45 Lý Tự Trọng"),
            portrait=PORTRAIT,
        )  # fmt: skip
    return f"person:{found.id}"


@demodata.loader("payments", accounts=ACCOUNTS)
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
    services.account_owner_set(actor=OPERATOR, account=agent, owner=_operator(AGENT_ID))
    services.account_owner_set(actor=OPERATOR, account=cafe, owner=_operator(MERCHANT_ID))
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
