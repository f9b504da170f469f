"""Reads for the citizen's wallet pages: a recipient by phone number (only the masked
name leaves this function) and the merchant a VietQR code names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _

from nentang.kernel.errors import FieldError, NotFound
from nentang.payments.models import Account, AccountKind, Wallet
from nentang.payments.problems import PAYMENT_ACCOUNT_NOT_FOUND

# The BIN under which this platform's merchants receive VietQR payments (a deployment
# sets its own; 970499 is not assigned to a bank).
DEFAULT_BIN = "970499"


def platform_bin() -> str:
    return str(getattr(settings, "PAYMENTS_VIETQR_BIN", "") or DEFAULT_BIN)


def normalise_phone(value: str) -> str:
    """'0903 123 456', '+84903123456', '84903123456' → '+84903123456' ('' if not a phone)."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    if not digits.isdigit() or len(digits) != 9:
        return ""
    return "+84" + digits


def wallet_by_phone(*, phone: str) -> Wallet:
    """The wallet on this phone number, to pay into; 404 ``payment_account_not_found``.
    Callers show only its ``masked_name``."""
    number = normalise_phone(phone)
    # A child's wallet carries the guardian's phone: the number names the adult's own.
    found = Wallet.objects.select_related("account").filter(phone=number)
    wallet = (
        found.order_by(F("guardian_person_id").asc(nulls_first=True), "created_at").first()
        if number
        else None
    )
    if wallet is None:
        raise NotFound(
            _("No wallet is registered on this phone number."),
            code=PAYMENT_ACCOUNT_NOT_FOUND,
            errors=[FieldError("phone", _("No wallet is registered on this phone number."))],
        )
    return wallet


def merchant_qr_account(*, account: Account) -> str:
    """The account number a merchant's VietQR carries: its code without the prefix,
    letters and digits only, upper case."""
    return re.sub(r"[^0-9A-Za-z]", "", account.code.removeprefix("merchant:")).upper()


def merchant_for_vietqr(*, bank_bin: str, account_number: str) -> Account:
    """The active merchant account a parsed VietQR code pays into."""
    elsewhere = _("This code is not for a merchant of this wallet: pay it from the bank's app.")
    found = None
    if bank_bin == platform_bin() and account_number.isalnum():
        folded = Upper(Replace("code", Value("-"), Value("")))
        found = (
            Account.objects.filter(kind=AccountKind.MERCHANT)
            .annotate(folded=folded)
            .filter(folded=("MERCHANT:" + account_number.upper()))
            .first()
        )
    if found is None:
        raise NotFound(elsewhere, code=PAYMENT_ACCOUNT_NOT_FOUND,
                       errors=[FieldError("payload", elsewhere)])  # fmt: skip
    return found


def accounts_operated_by(
    *, kind: str, person_id: object, organisation_ids: Sequence[object]
) -> list[Account]:
    """The merchant or agent accounts a person operates: owned by the person
    (``person:<id>``) or by an organisation they legally represent / are logged in as
    (``organisation:<id>``). Nothing else: the pages show only these (no BOLA)."""
    owners = [f"person:{person_id}"] if person_id else []
    owners += [f"organisation:{org}" for org in organisation_ids]
    return list(Account.objects.filter(kind=kind, owner__in=owners).order_by("code"))


def accounts_frozen() -> list[Account]:
    """Frozen accounts, for the operator (by code)."""
    return list(Account.objects.filter(status=Account.Status.FROZEN).order_by("code")[:500])


def account_by_code(*, code: str) -> Account:
    found = Account.objects.filter(code=code.strip()[:120]).first()
    if found is None:
        message = _("No account has this code.")
        raise NotFound(message, code=PAYMENT_ACCOUNT_NOT_FOUND,
                       errors=[FieldError("code", message)])  # fmt: skip
    return found


def wallet_operator(*, account: Account) -> str:
    """The id of the person who operates ``account`` if it is a wallet — its holder, or
    the guardian of a child's — else ""."""
    wallet = getattr(account, "wallet", None)
    if wallet is None:
        return ""
    return str(wallet.guardian_person_id or wallet.person_id)
