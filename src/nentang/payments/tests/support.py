"""Shared set-up of the payments tests: accounts and transfer shorthands."""

from __future__ import annotations

import uuid
from typing import Any

from nentang.kernel.auditing import Actor
from nentang.payments import services
from nentang.payments.models import Account, AccountKind, Transfer
from nentang.payments.services import TransferInput

OPERATOR = Actor.system("payments-test")


def account(code: str, kind: str = AccountKind.WALLET) -> Account:
    return services.account_open(actor=OPERATOR, code=code, kind=kind, name=code)


def fund(target: Account, amount: int) -> Transfer:
    """Money into ``target`` from the bank settlement account (a system account)."""
    bank = services.system_account("system:bank-settlement")
    return services.transfer_create(
        actor=OPERATOR,
        transfer=TransferInput(
            id=uuid.uuid4(),
            debit_account_id=bank.id,
            credit_account_id=target.id,
            amount=amount,
            code="fund",
        ),
    )


def move(debit: Account, credit: Account, amount: int | None, **options: object) -> TransferInput:
    options.setdefault("id", uuid.uuid4())
    options.setdefault("code", "p2p")
    return TransferInput(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        **options,  # type: ignore[arg-type]
    )


def fresh(target: Account) -> Account:
    return Account.objects.get(pk=target.pk)


def person(
    name: str = "Nguyễn Văn An",
    *,
    level: int = 2,
    born: tuple[int, int, int] = (1990, 5, 1),
    phone: str = "+84903123456",
    guardian: object = None,
) -> Any:
    """A person of the identity context (a row as identity's services leave it)."""
    import datetime

    from django.apps import apps
    from django.utils import timezone

    model = apps.get_model("identity", "Person")
    now = timezone.now()
    return model.objects.create(
        id_number=f"{model.objects.count() + 1:012d}",
        full_name=name,
        full_name_folded=name.lower(),
        date_of_birth=datetime.date(*born),
        sex="male",
        phone=phone,
        province_code="79",
        commune_code="26740",
        street="12 Lê Lợi",
        level=level,
        guardian=guardian,
        created_at=now,
        updated_at=now,
    )


def as_person(who: Any) -> Actor:
    return Actor.person(str(who.id))
