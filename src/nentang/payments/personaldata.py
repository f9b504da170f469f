"""The payments section of a person's "Your data" copy (Law 91/2025, right of access):
their wallets, with balance, and every transfer in or out of them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nentang.kernel import personaldata

MAX_TRANSFERS = 5_000


def _party(other: Any) -> str:
    """Who was on the other side: an agency, a merchant or an agent by name; another
    person only as payers see them (the masked name), never their full name."""
    if other.kind == "wallet":
        wallet = getattr(other, "wallet", None)
        return wallet.masked_name if wallet is not None else ""
    return str(other.name)


def _other(transfer: Any, account_id: int) -> Any:
    if transfer.credit_account_id == account_id:
        return transfer.debit_account
    return transfer.credit_account


def wallet_rows(subject: personaldata.Subject) -> personaldata.Rows:
    from nentang.payments.models import Transfer, Wallet

    rows: list[dict[str, Any]] = []
    for wallet in Wallet.objects.select_related("account").filter(person_id=subject.person_id):
        account = wallet.account
        transfers = (
            Transfer.objects.filter(Q(debit_account=account) | Q(credit_account=account))
            .select_related("debit_account", "credit_account")
            .order_by("created_at", "id")[:MAX_TRANSFERS]
        )
        rows.append(
            {
                "wallet": str(wallet.id),
                "provider": wallet.provider,
                "phone": wallet.phone,
                "opened_at": timezone.localtime(wallet.created_at).isoformat(timespec="seconds"),
                "balance_vnd": account.credits_posted - account.debits_posted,
                "transfers": [
                    {
                        "at": timezone.localtime(t.created_at).isoformat(timespec="seconds"),
                        "amount_vnd": t.amount if t.credit_account_id == account.id else -t.amount,
                        "purpose": t.code,
                        "other_party": _party(
                            t.debit_account
                            if t.credit_account_id == account.id
                            else t.credit_account
                        ),
                        "reference": t.reference or None,
                    }
                    for t in transfers
                ],
            }
        )
    return rows


def install() -> None:
    personaldata.register(
        personaldata.Section(key="payments.wallets", title=_("Your e-wallet"), collect=wallet_rows)
    )
