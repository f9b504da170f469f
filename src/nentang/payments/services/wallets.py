"""Wallets and the operations people do with them, under the legal limits.

* **Policy** (``data/wallet-policies.json``, read by ``wallet_policies``):
  ``pilot-316-2021`` — 10,000,000 ₫ per wallet per month, withdrawals, transfers and
  payments combined — and ``decree-368-2025`` —
  100,000,000 ₫ per month for transfers and payments plus a separate 100,000,000 ₫ for
  essential payments (public-service fees, utilities, tuition, hospital, insurance,
  loans). The deployment chooses with ``settings.PAYMENTS_WALLET_POLICY``; unset, the
  policy in force on the day applies. Items marked ``verify`` in the data are the
  configurable ones (``settings.PAYMENTS_LIMIT_OVERRIDES``: ``{category: monthly}``).
* **KYC**: one wallet per person per provider, for a level-2 e-ID, on the phone number
  of the e-ID; a child under 14 gets one only through their guardian, who operates it.
* **Atomic limits**: every limited operation locks the payer's wallet row first, reads
  the month's usage, moves the money and adds to the usage in the same transaction, so
  no concurrent burst can pass a limit. The wallet lock is always taken before the
  ledger's account locks (one order everywhere).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, replace
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing, events
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from nentang.kernel.money import MoneyError, to_dong
from nentang.payments.models import Account, AccountKind, Transfer, Wallet, WalletUsage
from nentang.payments.problems import (
    ACCOUNTS_MUST_BE_DIFFERENT,
    AMOUNT_MUST_BE_POSITIVE,
    AMOUNT_NOT_WHOLE,
    GUARDIAN_REQUIRED,
    NOT_YOUR_WALLET,
    PAYMENT_ACCOUNT_NOT_FOUND,
    WALLET_LEVEL2_REQUIRED,
    WALLET_LIMIT_EXCEEDED,
    WALLET_PHONE_REQUIRED,
)
from nentang.payments.services.fee_schedule import Fee, fee_for
from nentang.payments.services.ledger import (
    TransferInput,
    TransferResult,
    account_open,
    problem_for,
    system_account,
    transfer_id,
    transfers_create,
)
from nentang.payments.services.wallet_policies import kyc_rules, policy_in_force

# What each operation counts as, for the limits.
CATEGORY_OF = {
    "p2p": "transfer",
    "merchant": "payment",
    "fee": "essential",
    "cash_out": "withdrawal",
}
# The GSMA transaction type of each operation: the fee schedule's keys.
GSMA_KIND = {
    "p2p": "transfer",
    "merchant": "merchantpay",
    "fee": "billpay",
    "cash_in": "deposit",
    "cash_out": "withdrawal",
}
FEE_CODE = "service_fee"


def month_of(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date().replace(day=1)


def _person(person_id: uuid.UUID | str) -> Any:
    person = apps.get_model("identity", "Person").objects.filter(id=person_id).first()
    if person is None:
        raise NotFound(_("No person has this id."), code=PAYMENT_ACCOUNT_NOT_FOUND)
    return person


def _age(born: datetime.date, today: datetime.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _mask(full_name: str) -> str:
    """'Nguyễn Văn An' → 'Nguyễn V. A.': enough to recognise, not to identify."""
    words = full_name.split()
    if len(words) < 2:
        return (words[0][:1] + ".") if words else ""
    return " ".join([words[0], *(w[:1] + "." for w in words[1:])])


# --------------------------------------------------------------------------- wallets


def wallet_open(*, actor: Actor, person_id: uuid.UUID | str, provider: str = "nentang") -> Wallet:
    """Open the person's wallet (idempotent: one per person per provider). The holder
    must have a level-2 e-ID and a phone number on it; a child under 14 gets a wallet
    only when the actor is their guardian, whose level-2 e-ID and phone it uses."""
    person = _person(person_id)
    rules = kyc_rules()
    child = _age(person.date_of_birth, timezone.localdate()) < rules["child_under_age"]
    guardian = None
    if child:
        if person.guardian_id is None or actor != Actor.person(str(person.guardian_id)):
            raise Forbidden(
                _("A child under 14 gets a wallet only through their guardian."),
                code=GUARDIAN_REQUIRED,
            )
        guardian = _person(person.guardian_id)
    elif actor.type == "person" and actor.id != str(person.id):
        raise Forbidden(_("Only the holder may open their wallet."), code=NOT_YOUR_WALLET)
    kyc = guardian or person
    if kyc.level < rules["minimum_level"]:
        raise Forbidden(
            _("A wallet needs a level-2 electronic identity (verified in person)."),
            code=WALLET_LEVEL2_REQUIRED,
        )
    if not kyc.phone:
        raise ValidationFailed(
            _("The e-ID has no phone number to tie the wallet to."),
            code=WALLET_PHONE_REQUIRED,
            errors=[FieldError("phone", _("Add a phone number to the e-ID first."))],
        )
    with transaction.atomic():
        existing = Wallet.objects.filter(person_id=person.id, provider=provider).first()
        if existing is not None:
            return existing
        account = account_open(
            actor=actor,
            code=f"wallet:{provider}:{person.id}",
            kind=AccountKind.WALLET,
            name=_mask(person.full_name),
            owner=f"person:{person.id}",
        )
        wallet = Wallet.objects.create(
            person_id=person.id,
            provider=provider,
            account=account,
            phone=kyc.phone,
            guardian_person_id=guardian.id if guardian else None,
            masked_name=_mask(person.full_name),
            created_at=timezone.now(),
        )
        auditing.record(
            actor=actor,
            action="payments.wallet.open",
            subject_type="payments.wallet",
            subject=str(wallet.id),
            summary={"provider": provider, "child": child},
        )
    return wallet


def wallet_of_person(*, person_id: uuid.UUID | str, provider: str = "nentang") -> Wallet:
    wallet = (
        Wallet.objects.select_related("account")
        .filter(person_id=person_id, provider=provider)
        .first()
    )
    if wallet is None:
        raise NotFound(_("This person has no wallet."), code=PAYMENT_ACCOUNT_NOT_FOUND)
    return wallet


def _may_operate(actor: Actor, wallet: Wallet) -> None:
    if actor.type in ("system", "client", "officer"):
        return  # trusted callers, authorised by their own layer
    holder = str(wallet.guardian_person_id or wallet.person_id)
    if actor.type != "person" or actor.id != holder:
        raise NotFound(_("No wallet you may use has this id."), code=PAYMENT_ACCOUNT_NOT_FOUND)


def _amount(value: object) -> int:
    try:
        return to_dong(value, positive=True)
    except MoneyError as error:
        if isinstance(value, int):
            raise ValidationFailed(
                str(error),
                code=AMOUNT_MUST_BE_POSITIVE,
                errors=[FieldError("amount", str(error), AMOUNT_MUST_BE_POSITIVE)],
            ) from error
        raise ValidationFailed(
            str(error),
            code=AMOUNT_NOT_WHOLE,
            errors=[FieldError("amount", str(error), AMOUNT_NOT_WHOLE)],
        ) from error


@dataclass(frozen=True)
class Usage:
    category: str
    used: int
    monthly: int
    verify: bool

    @property
    def left(self) -> int:
        return max(0, self.monthly - self.used)


def wallet_usage(*, wallet: Wallet, now: datetime.datetime | None = None) -> list[Usage]:
    """This month's usage of each limit of the policy in force."""
    now = now or timezone.now()
    policy = policy_in_force(on=timezone.localtime(now).date())
    spent = dict(
        WalletUsage.objects.filter(wallet=wallet, month=month_of(now)).values_list(
            "category", "amount"
        )
    )
    return [
        Usage(
            category=limit.category,
            used=sum(spent.get(kind, 0) for kind in limit.counts),
            monthly=limit.monthly,
            verify=limit.verify,
        )
        for limit in policy.limits
    ]


def _spend(
    *,
    actor: Actor,
    wallet: Wallet,
    operation: str,
    credit: Account,
    amount: object,
    key: str,
    reference: str = "",
    now: datetime.datetime | None = None,
    fee: Fee | None = None,
) -> Transfer:
    """Debit ``wallet`` for ``operation`` within the limits, atomically (module doc),
    with the schedule's fee (or the quoted ``fee``) as a transfer linked to it."""
    _may_operate(actor, wallet)
    value = _amount(amount)
    now = now or timezone.now()
    category = CATEGORY_OF[operation]
    item = TransferInput(
        id=transfer_id(operation, wallet.id, key),
        debit_account_id=wallet.account_id,
        credit_account_id=credit.id,
        amount=value,
        code=operation,
        reference=reference[:140],
    )
    month = month_of(now)
    with transaction.atomic():
        Wallet.objects.select_for_update().filter(pk=wallet.pk).first()
        items = [item]
        # Read after the lock (a concurrent retry's commit is seen), in one statement.
        done, spent = _done_and_spent(wallet=wallet, transfer=item.id, month=month)
        if not done:
            _check_limits(category=category, amount=value, now=now, spent=spent)
            # A retry of a transfer that exists is answered with it: its fee was
            # charged with it, by the schedule of that day.
            items = with_fee(item, operation=operation, fee=fee, now=now)
        result = _outcome(transfers_create(actor=actor, transfers=items, now=now))
        if result.status == "created":
            _usage_add(wallet=wallet, month=month, category=category, amount=value)
            auditing.record(
                actor=actor,
                action=f"payments.wallet.{operation}",
                subject_type="payments.wallet",
                subject=str(wallet.id),
                summary={
                    "amount": value,
                    "fee": items[1].amount if len(items) > 1 else 0,
                    "transfer": str(item.id),
                    "to": credit.code,
                },
            )
            events.emit(
                "payments.transfer.completed",
                {"transfer_id": str(item.id), "operation": operation, "amount": value},
            )
    assert result.transfer is not None
    return result.transfer


def fee_of(*, operation: str, amount: int, now: datetime.datetime | None = None) -> Fee:
    """The fee schedule's fee for ``operation`` (``p2p``, ``merchant`` …) of ``amount``."""
    day = timezone.localtime(now or timezone.now()).date()
    return fee_for(kind=GSMA_KIND[operation], amount=amount, on=day)


def with_fee(
    item: TransferInput, *, operation: str, fee: Fee | None, now: datetime.datetime
) -> list[TransferInput]:
    """``item`` and, when there is a fee, the fee's transfer to ``system:fee-revenue``
    linked to it (both or neither): from the payer on top of the amount, or from the
    payee out of what it received."""
    assert item.amount is not None
    fee = fee or fee_of(operation=operation, amount=item.amount, now=now)
    if fee.amount == 0:
        return [item]
    source = item.debit_account_id if fee.borne_by == "payer" else item.credit_account_id
    charge = TransferInput(
        id=transfer_id(item.id, FEE_CODE),
        debit_account_id=source,
        credit_account_id=system_account("system:fee-revenue").id,
        amount=fee.amount,
        code=FEE_CODE,
        reference=str(item.id),
    )
    return [replace(item, linked=True), charge]


def _outcome(results: list[TransferResult]) -> TransferResult:
    """The operation's transfer (the first), or the problem that stopped the chain (the
    failing member's own, rather than ``linked_event_failed``)."""
    failures = [r.status for r in results if not r.ok]
    if failures:
        specific = [code for code in failures if code != "linked_event_failed"]
        raise problem_for((specific or failures)[0])
    return results[0]


# The category of the marker row that says the transfer exists (no usage has it).
_DONE = ""


def _done_and_spent(
    *, wallet: Wallet, transfer: uuid.UUID, month: datetime.date
) -> tuple[bool, dict[str, int]]:
    """Whether ``transfer`` exists, and the wallet's usage of ``month`` by category: one
    ``UNION ALL`` (one round trip instead of two)."""
    usage = (
        WalletUsage.objects.filter(wallet=wallet, month=month)
        .order_by()
        .values_list("category", "amount")
    )
    marker = (
        Transfer.objects.filter(id=transfer)
        .order_by()
        .values_list(
            Value(_DONE, output_field=CharField()), Value(0, output_field=BigIntegerField())
        )
    )
    spent = dict(usage.union(marker, all=True))
    done = spent.pop(_DONE, None) is not None
    return done, spent


def _usage_add(*, wallet: Wallet, month: datetime.date, category: str, amount: int) -> None:
    """Add ``amount`` to the month's usage of ``category`` in one upsert (PostgreSQL and
    SQLite: ``INSERT … ON CONFLICT DO UPDATE``), under the wallet's lock."""
    meta = WalletUsage._meta
    table = connection.ops.quote_name(meta.db_table)
    values = [
        meta.get_field("wallet").get_db_prep_save(wallet.pk, connection),
        meta.get_field("month").get_db_prep_save(month, connection),
        category,
        amount,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (wallet_id, month, category, amount) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (wallet_id, month, category) "
            f"DO UPDATE SET amount = {table}.amount + excluded.amount",
            values,
        )


def _check_limits(
    *, category: str, amount: int, now: datetime.datetime, spent: dict[str, int]
) -> None:
    """Refuse ``amount`` if it would pass a monthly limit (``spent``: the month's usage
    by category, read under the wallet's lock)."""
    policy = policy_in_force(on=timezone.localtime(now).date())
    for limit in policy.limits:
        if category not in limit.counts:
            continue
        used = sum(spent.get(kind, 0) for kind in limit.counts)
        if used + amount > limit.monthly:
            left = f"{max(0, limit.monthly - used):,}".replace(",", ".")
            raise Conflict(
                _(
                    "This payment would pass the wallet's monthly limit under %(policy)s: "
                    "%(left)s ₫ left this month."
                )
                % {"policy": policy.title, "left": left},
                code=WALLET_LIMIT_EXCEEDED,
                errors=[FieldError("amount", _("Above the monthly limit."), "limit")],
                extra={"limit_category": limit.category, "remaining": max(0, limit.monthly - used)},
            )


def p2p_transfer(
    *,
    actor: Actor,
    payer: Wallet,
    payee: Wallet,
    amount: object,
    idempotency_key: str,
    note: str = "",
    fee: Fee | None = None,
) -> Transfer:
    if payer.pk == payee.pk:
        raise ValidationFailed(
            _("Choose another wallet to pay."),
            code=ACCOUNTS_MUST_BE_DIFFERENT,
            errors=[FieldError("payee", _("The same wallet."))],
        )
    return _spend(
        actor=actor,
        wallet=payer,
        operation="p2p",
        credit=payee.account,
        amount=amount,
        key=idempotency_key,
        reference=note,
        fee=fee,
    )


def merchant_pay(
    *, actor: Actor, payer: Wallet, merchant: Account, amount: object, idempotency_key: str,
    reference: str = "", fee: Fee | None = None,
) -> Transfer:  # fmt: skip
    if merchant.kind != AccountKind.MERCHANT:
        raise NotFound(_("No merchant has this account."), code=PAYMENT_ACCOUNT_NOT_FOUND)
    return _spend(
        actor=actor,
        wallet=payer,
        operation="merchant",
        credit=merchant,
        amount=amount,
        key=idempotency_key,
        reference=reference,
        fee=fee,
    )


def cash_out(
    *, actor: Actor, wallet: Wallet, agent: Account, amount: object, idempotency_key: str,
    fee: Fee | None = None,
) -> Transfer:  # fmt: skip
    if agent.kind != AccountKind.AGENT:
        raise NotFound(_("No agent has this account."), code=PAYMENT_ACCOUNT_NOT_FOUND)
    return _spend(
        actor=actor,
        wallet=wallet,
        operation="cash_out",
        credit=agent,
        amount=amount,
        key=idempotency_key,
        fee=fee,
    )


def cash_in(
    *, actor: Actor, agent: Account, wallet: Wallet, amount: object, idempotency_key: str,
    fee: Fee | None = None,
) -> Transfer:  # fmt: skip
    """The agent takes cash and credits the wallet from its e-money float (no limit)."""
    if agent.kind != AccountKind.AGENT:
        raise NotFound(_("No agent has this account."), code=PAYMENT_ACCOUNT_NOT_FOUND)
    value = _amount(amount)
    item = TransferInput(
        id=transfer_id("cash_in", agent.id, idempotency_key),
        debit_account_id=agent.id,
        credit_account_id=wallet.account_id,
        amount=value,
        code="cash_in",
    )
    with transaction.atomic():
        items = [item]
        if not Transfer.objects.filter(id=item.id).exists():
            items = with_fee(item, operation="cash_in", fee=fee, now=timezone.now())
        result = _outcome(transfers_create(actor=actor, transfers=items))
        if result.status == "created":
            auditing.record(
                actor=actor,
                action="payments.wallet.cash_in",
                subject_type="payments.wallet",
                subject=str(wallet.id),
                summary={"amount": value, "agent": agent.code},
            )
    assert result.transfer is not None
    return result.transfer


def agent_open(
    *, actor: Actor, code: str, name: str, float_amount: int = 0, owner: str = ""
) -> Account:
    """An agent's account, funded from the bank settlement account (its e-money float);
    ``owner`` (``person:<id>``) is who operates it on the agent page."""
    agent = account_open(
        actor=actor, code=f"agent:{code}", kind=AccountKind.AGENT, name=name, owner=owner
    )
    if float_amount:
        bank = system_account("system:bank-settlement")
        [result] = transfers_create(
            actor=actor,
            transfers=[
                TransferInput(
                    id=transfer_id("agent-float", agent.id, float_amount),
                    debit_account_id=bank.id,
                    credit_account_id=agent.id,
                    amount=float_amount,
                    code="float",
                )
            ],
        )
        if not result.ok:
            raise problem_for(result.status)
    return agent


def merchant_account_open(*, actor: Actor, code: str, name: str, owner: str = "") -> Account:
    return account_open(
        actor=actor, code=f"merchant:{code}", kind=AccountKind.MERCHANT, name=name, owner=owner
    )


# ------------------------------------------------------------------ public-service fees


def agency_fee_account(*, agency_id_or_code: str) -> Account:
    """The fee-collection account of an identity agency (by id or code), opened on
    first use."""
    agency_model = apps.get_model("identity", "Agency")
    # An agency's id is its code (identity.Agency's primary key).
    agency = agency_model.objects.filter(pk=str(agency_id_or_code).strip()).first()
    if agency is None:
        raise NotFound(_("No agency has this id or code."), code=PAYMENT_ACCOUNT_NOT_FOUND)
    return account_open(
        actor=Actor.system("payments"),
        code=f"agency:{agency.code}",
        kind=AccountKind.AGENCY,
        name=agency.name,
        owner=f"agency:{agency.code}",
    )


@dataclass(frozen=True)
class FeePayment:
    transfer_id: uuid.UUID
    amount: int
    agency_code: str
    reference: str
    paid_at: datetime.datetime


def fee_payment_create(
    *,
    actor: Actor,
    payer_person_id: uuid.UUID | str,
    agency_id_or_code: str,
    amount: int,
    reference: str,
    idempotency_key: str,
    fee: Fee | None = None,
) -> FeePayment:
    """Pay a public-service fee from the payer's wallet to the agency's fee account
    (an essential payment under Decree 368/2025). Idempotent per payer and key: the
    same call again returns the same payment; the same key with another amount or
    agency is refused (``transfer_exists_with_different_parameters``)."""
    wallet = wallet_of_person(person_id=payer_person_id)
    fees = agency_fee_account(agency_id_or_code=agency_id_or_code)
    transfer = _spend(
        actor=actor,
        wallet=wallet,
        operation="fee",
        credit=fees,
        amount=amount,
        key=idempotency_key,
        reference=reference,
        fee=fee,
    )
    return FeePayment(
        transfer_id=transfer.id,
        amount=transfer.amount,
        agency_code=fees.code.removeprefix("agency:"),
        reference=transfer.reference,
        paid_at=transfer.created_at,
    )
