"""Reads of the ledger: statements (cursor-paginated entries of one account), the state
of a pending transfer and the reconciliation report.

These functions take an account the caller was already allowed to see (the wallet,
merchant and operator selectors check that); they do no permission check themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F, Q, Sum

from nentang.kernel.pagination import Page, paginate
from nentang.payments.models import Account, Entry, Transfer, TransferKind

# Newest first; ``seq`` grows in the order the account's lock was taken (and reaches
# the transfer's (account, seq) indexes through the view).
STATEMENT_ORDER = ("-seq",)
TOTALS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")


def account_statement(
    *, account: Account, cursor: str | None = None, limit: int | None = None
) -> Page[Entry]:
    """The account's entries, newest first, with the transfer and the balance after."""
    queryset = Entry.objects.filter(account=account).select_related(
        "transfer", "transfer__debit_account", "transfer__credit_account"
    )
    return paginate(queryset, order=STATEMENT_ORDER, cursor=cursor, limit=limit)


def pending_state(*, transfer: Transfer) -> str:
    """``pending``, ``posted``, ``voided`` or ``expired`` for a pending transfer."""
    resolution = Transfer.objects.filter(pending=transfer).values_list("kind", flat=True).first()
    states: dict[str | None, str] = {
        None: "pending",
        TransferKind.POST: "posted",
        TransferKind.VOID: "voided",
        TransferKind.EXPIRE: "expired",
    }
    return states[resolution]


@dataclass(frozen=True)
class Difference:
    account_code: str
    total: str
    stored: int
    recomputed: int


@dataclass
class Reconciliation:
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    sums: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems


def ledger_reconcile() -> Reconciliation:
    """Recompute every account's four totals from its entries and compare them with the
    stored totals (set-based: one grouped query); check that all balances sum to zero,
    that debits and credits pending are equal, that every transfer's accounts exist and
    that each resolution released what its pending transfer held."""
    report = Reconciliation()
    recomputed = {
        row["account_id"]: row
        for row in Entry.objects.values("account_id").annotate(
            **{name: Sum(name) for name in TOTALS}
        )
    }
    sums = dict.fromkeys(TOTALS, 0)
    for account in Account.objects.order_by("code").values("id", "code", *TOTALS):
        report.accounts += 1
        row = recomputed.get(account["id"], {})
        for name in TOTALS:
            sums[name] += account[name]
            value = int(row.get(name) or 0)
            if value != account[name]:
                report.differences.append(Difference(account["code"], name, account[name], value))
    report.sums = sums
    if sums["debits_posted"] != sums["credits_posted"]:
        report.problems.append(
            f"posted debits {sums['debits_posted']} != posted credits {sums['credits_posted']}"
        )
    if sums["debits_pending"] != sums["credits_pending"]:
        report.problems.append(
            f"pending debits {sums['debits_pending']} != pending credits {sums['credits_pending']}"
        )
    report.transfers = Transfer.objects.count()
    report.entries = 2 * report.transfers  # the view's legs
    # No database foreign keys on the transfers (speed): check here that every transfer
    # names accounts that exist and that a resolution released what its pending held.
    orphan = (
        Transfer.objects.filter(
            ~Q(debit_account_id__in=Account.objects.values("id"))
            | ~Q(credit_account_id__in=Account.objects.values("id"))
        )
        .values_list("id", flat=True)
        .first()
    )
    if orphan is not None:
        report.problems.append(f"transfer {orphan} names an account that does not exist")
    wrong_hold = (
        Transfer.objects.filter(pending__isnull=False)
        .exclude(held=F("pending__amount"))
        .values_list("id", flat=True)
        .first()
    )
    if wrong_hold is not None:
        report.problems.append(f"transfer {wrong_hold} released another amount than was held")
    return report


def party_accounts(*, parties: Sequence[tuple[str, str]]) -> list[Account | None]:
    """The account each ``(identifier_type, identifier)`` names, as :func:`party_account`
    finds it, or None where none is found (the caller raises, in its order). Wallets
    named by phone number are read in one query (a transaction's two parties)."""
    from nentang.payments.models import Wallet

    phones = [_msisdn(value) for kind, value in parties if kind == "msisdn"]
    if len(phones) < 2:
        return [_party_or_none(kind, value) for kind, value in parties]
    by_phone: dict[str, Account] = {}
    # A child's wallet carries the guardian's phone: the number names the adult's own
    # wallet, as ``party_account`` (``wallets.wallet_by_phone``) finds it.
    found = Wallet.objects.select_related("account").filter(phone__in=phones)
    for wallet in found.order_by(F("guardian_person_id").asc(nulls_first=True), "created_at"):
        by_phone.setdefault(wallet.phone, wallet.account)
    return [
        by_phone.get(_msisdn(value)) if kind == "msisdn" else _party_or_none(kind, value)
        for kind, value in parties
    ]


def _msisdn(identifier: str) -> str:
    value = identifier.strip().replace(" ", "")
    return "+84" + value[1:] if value.startswith("0") else value


def _party_or_none(identifier_type: str, identifier: str) -> Account | None:
    from nentang.kernel.errors import NotFound

    try:
        return party_account(identifier_type=identifier_type, identifier=identifier)
    except NotFound:
        return None


def party_account(*, identifier_type: str, identifier: str) -> Account:
    """The account a GSMA party names: ``msisdn`` (a wallet's phone number, +84… or
    0…), ``walletid`` (a wallet's id) or ``accountid`` (an account's code)."""
    from django.utils.translation import gettext as _

    from nentang.kernel.errors import NotFound
    from nentang.payments.models import Wallet
    from nentang.payments.problems import PAYMENT_ACCOUNT_NOT_FOUND

    value = identifier.strip().replace(" ", "")
    account = None
    if identifier_type == "msisdn":
        # The adult's own wallet, as the pages pay it: a child's carries the same number.
        from nentang.payments.selectors.wallets import wallet_by_phone

        try:
            account = wallet_by_phone(phone=value).account
        except NotFound:
            account = None
    elif identifier_type == "walletid":
        try:
            wallet = Wallet.objects.select_related("account").filter(id=value).first()
        except ValueError:  # not a UUID
            wallet = None
        except Exception:
            wallet = None
        account = wallet.account if wallet else None
    elif identifier_type == "accountid" and value.isprintable() and len(value) <= 120:
        # A path parameter reaches here unchecked: NUL is an error on PostgreSQL (a 500).
        account = Account.objects.filter(code=value).first()
    if account is None:
        raise NotFound(
            _("No account you may use has this identifier."), code=PAYMENT_ACCOUNT_NOT_FOUND
        )
    return account


def transfer_get(*, reference: str) -> Transfer:
    from django.utils.translation import gettext as _

    from nentang.kernel.errors import NotFound
    from nentang.payments.problems import TRANSACTION_NOT_FOUND

    try:
        transfer = (
            Transfer.objects.select_related("debit_account", "credit_account")
            .filter(id=reference)
            .first()
        )
    except Exception:
        transfer = None
    if transfer is None:
        raise NotFound(_("No transaction has this reference."), code=TRANSACTION_NOT_FOUND)
    return transfer
