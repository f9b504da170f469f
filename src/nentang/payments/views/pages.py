"""The citizen's wallet pages: the wallet (balance, this month's limits, history), send
money to a phone number and pay a merchant by VietQR. Each payment has two steps
(review, then confirm) and a hidden one-time key, so a double submit pays once."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.identity import selectors as identity
from nentang.identity import services as identity_services
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import NotFound, ProblemError, RateLimited
from nentang.kernel.money import format_vnd
from nentang.kernel.throttle import throttle_take
from nentang.payments import selectors, services
from nentang.payments.models import Wallet
from nentang.payments.views.forms import QRForm, SendForm
from nentang.web.components import Cell, Column, SummaryRow

LIMIT_LABELS = {
    "combined": gettext_lazy("Transfers, payments and cash-out"),
    "transfers_payments": gettext_lazy("Transfers and payments"),
    "essential": gettext_lazy("Essential payments (public-service fees, utilities, tuition)"),
}
OPERATION_LABELS = {
    "cash_in": gettext_lazy("Top-up at an agent"),
    "cash_out": gettext_lazy("Cash-out at an agent"),
    "p2p": gettext_lazy("Transfer"),
    "merchant": gettext_lazy("Payment to a merchant"),
    "fee": gettext_lazy("Public-service fee"),
}
# Review steps of "send money" per signed-in account per hour: each shows the masked
# name behind a phone number, so an unbounded review step is a directory of holders.
SEND_REVIEWS_PER_HOUR = 20
# Confirm steps per signed-in account per hour: a confirm looks the phone up too (its
# errors tell an unknown number from a known one, its success names the holder), so it
# is no way around the review's limit.
SEND_CONFIRMS_PER_HOUR = 20
# Problem codes that belong to the amount field of a payment form.
AMOUNT_CODES = {
    "insufficient_funds",
    "wallet_limit_exceeded",
    "amount_must_be_positive",
    "amount_not_whole",
    "amount_too_large",
}


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def _again(request: HttpRequest, *names: str) -> dict[str, str]:
    """A fresh form's initial values: a new one-time key, and on "change" what was typed."""
    initial = {"key": _new_key()}
    if request.method == "POST" and request.POST.get("step") == "edit":
        initial.update({name: request.POST.get(name, "")[:512] for name in names})
    return initial


def _holder(request: HttpRequest) -> Any:
    """The signed-in person, or None (staff and organisation accounts have no wallet)."""
    return identity.person_for_account(account=request.user)  # type: ignore[arg-type]


def _wallet(person: Any) -> Wallet | None:
    try:
        return services.wallet_of_person(person_id=person.id)
    except NotFound:
        return None


def _field_error(form: Any, error: ProblemError, default_field: str) -> None:
    """Put a service's refusal on the form: on the field it names, else on the default."""
    fields = [e.field for e in error.errors if e.field in form.fields]
    if error.code in AMOUNT_CODES:
        message = str(error.detail)
        if error.code == "insufficient_funds":
            message = _("Not enough money in the wallet for this amount.")
        form.add_error("amount", message)
    elif fields:
        for item in error.errors:
            if item.field in form.fields:
                form.add_error(item.field, str(item.message))
    elif error.code == "transfer_exists_with_different_parameters":
        form.add_error(None, _("This form was already used for another payment: start again."))
    else:
        form.add_error(default_field, str(error.detail))


def _guard(request: HttpRequest) -> tuple[HttpResponse | None, Any, Wallet | None]:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path()), None, None
    person = _holder(request)
    if person is None:
        return render(request, "payments/no_person.html", status=403), None, None
    return None, person, _wallet(person)


@never_cache
@require_http_methods(["GET", "POST"])
def wallet(request: HttpRequest) -> HttpResponse:
    """Balance, this month's usage of each legal limit, the latest transfers (cursor
    pagination); without a wallet, what opening one needs and a button to open it."""
    response, person, found = _guard(request)
    if response is not None:
        return response
    if found is None:
        refusal = ""
        status = 200
        if request.method == "POST":
            try:
                services.wallet_open(actor=Actor.person(str(person.id)), person_id=person.id)
            except ProblemError as error:
                refusal, status = str(error.detail), error.status
            else:
                messages.success(request, _("Your wallet is open."))
                return HttpResponseRedirect(reverse("payments:wallet"))
        return render(
            request,
            "payments/no_wallet.html",
            {"person": person, "can_open": person.level >= 2 and bool(person.phone),
             "refusal": refusal},
            status=status,
        )  # fmt: skip
    if request.method == "POST":
        return HttpResponseRedirect(reverse("payments:wallet"))
    policy = services.policy_in_force()
    bars = [
        {
            "label": LIMIT_LABELS.get(usage.category, usage.category),
            "used": format_vnd(usage.used),
            "monthly": format_vnd(usage.monthly),
            "left": format_vnd(usage.left),
            "value": min(usage.used, usage.monthly),
            "max": usage.monthly,
            "percent": min(100, round(usage.used * 100 / usage.monthly)) if usage.monthly else 0,
        }
        for usage in services.wallet_usage(wallet=found)
    ]
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.account_statement(account=found.account, cursor=cursor, limit=20)
    except ProblemError:
        page = selectors.account_statement(account=found.account, limit=20)
    rows = []
    for entry in page.items:
        transfer = entry.transfer
        incoming = entry.credits_posted > 0 or entry.credits_pending > 0
        other = transfer.debit_account if incoming else transfer.credit_account
        amount = entry.credits_posted + entry.credits_pending - entry.debits_posted
        amount -= entry.debits_pending
        label = OPERATION_LABELS.get(transfer.code, transfer.code)
        rows.append(
            [
                Cell(date_format(timezone.localtime(entry.created_at), "SHORT_DATETIME_FORMAT")),
                Cell(f"{label} · {other.name}" + (f" · {transfer.reference}"
                                                   if transfer.reference else "")),
                Cell(("+" if amount > 0 else "") + format_vnd(amount)),
                Cell(format_vnd(entry.balance_after)),
            ]
        )  # fmt: skip
    columns = [
        Column(_("Date")),
        Column(_("Transfer details")),
        Column(_("Amount"), numeric=True),
        Column(_("Balance after"), numeric=True),
    ]
    account = found.account
    summary = [
        SummaryRow(_("Available to spend"), format_vnd(account.available)),
        SummaryRow(_("Phone number"), found.phone),
    ]
    return render(
        request,
        "payments/wallet.html",
        {
            "wallet": found,
            "balance": format_vnd(account.balance),
            "summary": summary,
            "policy": policy,
            "bars": bars,
            "columns": columns,
            "rows": rows,
            "next_url": f"?cursor={page.next_cursor}" if page.next_cursor else "",
            "first_page": cursor is None,
            "withdrawal_code": services.withdrawal_code(wallet=found),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    """Send money to a phone number: fill in, review (the recipient's masked name), pay."""
    response, person, payer = _guard(request)
    if response is not None:
        return response
    if payer is None:
        return HttpResponseRedirect(reverse("payments:wallet"))
    step = request.POST.get("step", "")
    payee = None
    status = 200
    if request.method == "POST" and step in ("review", "confirm"):
        form = SendForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if step == "review":  # the look-up that shows a phone's holder
                    throttle_take(
                        "payments.send_review", str(request.user.pk),
                        limit=SEND_REVIEWS_PER_HOUR, window=timedelta(hours=1),
                        message=_("You have looked up too many recipients."),
                    )  # fmt: skip
                else:  # the confirm looks the phone up as well
                    throttle_take(
                        "payments.send_confirm", str(request.user.pk),
                        limit=SEND_CONFIRMS_PER_HOUR, window=timedelta(hours=1),
                        message=_("You have confirmed too many transfers."),
                    )  # fmt: skip
                payee = selectors.wallet_by_phone(phone=data["phone"])
                if payee.pk == payer.pk:
                    form.add_error("phone", _("This is your own wallet: choose someone else."))
                elif step == "review" and data["amount"] > payer.account.available:
                    form.add_error("amount", _("Not enough money in the wallet for this amount."))
                elif step == "confirm":
                    services.p2p_transfer(
                        actor=Actor.person(str(person.id)), payer=payer, payee=payee,
                        amount=data["amount"], idempotency_key=data["key"], note=data["note"],
                    )  # fmt: skip
                    messages.success(
                        request,
                        _("%(amount)s sent to %(name)s.")
                        % {"amount": format_vnd(data["amount"]), "name": payee.masked_name},
                    )
                    return HttpResponseRedirect(reverse("payments:wallet"))
            except RateLimited as error:
                form.add_error(None, str(error.detail))
                status = 429
            except ProblemError as error:
                _field_error(form, error, "phone")
        if form.errors:
            status = status if status != 200 else 400
            payee = None
    else:
        form = SendForm(initial=_again(request, "phone", "amount", "note"))
    review = None
    if payee is not None:
        data = form.cleaned_data
        # The recipient's (masked) name leaves their record: written to their data log.
        identity_services.data_usage_record(
            person_id=payee.person_id,
            client_id="nentang-payments",
            client_name=_("Mobile money wallet"),
            fields=["full_name"],
            purpose=_("Showing your shortened name to someone about to send you money"),
        )
        review = [
            SummaryRow(_("Recipient"), payee.masked_name),
            SummaryRow(_("Phone number"), payee.phone),
            SummaryRow(_("Amount"), format_vnd(data["amount"])),
            *([SummaryRow(_("Message"), data["note"])] if data["note"] else []),
            SummaryRow(
                _("Paid from"), f"{payer.masked_name} · {format_vnd(payer.account.available)}"
            ),
        ]
    return render(
        request,
        "payments/send.html",
        {"form": form, "review": review, "payee": payee},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def pay_qr(request: HttpRequest) -> HttpResponse:
    """Pay a merchant by VietQR: paste the code, or upload a photo of it (decoded here,
    server-side) or a text file with it; check the merchant and the amount, pay."""
    response, person, payer = _guard(request)
    if response is not None:
        return response
    if payer is None:
        return HttpResponseRedirect(reverse("payments:wallet"))
    step = request.POST.get("step", "")
    review = None
    merchant = None
    status = 200
    if request.method == "POST" and step in ("review", "confirm"):
        form = QRForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("image"):
                    data["payload"] = services.vietqr_text_from_image(data["image"], field="upload")
                qr = services.vietqr_parse(data["payload"])
                merchant = selectors.merchant_for_vietqr(
                    bank_bin=qr.bank_bin, account_number=qr.account
                )
                amount = qr.amount or data.get("amount")
                if qr.amount and data.get("amount") and data["amount"] != qr.amount:
                    form.add_error("amount", _("This code fixes the amount: %(amount)s.")
                                   % {"amount": format_vnd(qr.amount)})  # fmt: skip
                elif not amount:
                    if step == "confirm":
                        form.add_error("amount", _("This code has no amount: enter it."))
                elif amount > payer.account.available:
                    form.add_error("amount", _("Not enough money in the wallet for this amount."))
                elif step == "confirm":
                    services.merchant_pay(
                        actor=Actor.person(str(person.id)), payer=payer, merchant=merchant,
                        amount=amount, idempotency_key=data["key"],
                        reference=qr.reference or qr.bill_number,
                    )  # fmt: skip
                    messages.success(
                        request,
                        _("%(amount)s paid to %(name)s.")
                        % {"amount": format_vnd(amount), "name": merchant.name},
                    )
                    return HttpResponseRedirect(reverse("payments:wallet"))
                if not form.errors:
                    review = {
                        "qr": qr,
                        "payload": data["payload"],
                        "fixed": qr.amount is not None,
                        "rows": [
                            SummaryRow(_("Merchant"), merchant.name),
                            *([SummaryRow(_("Name in the code"), qr.merchant_name)]
                              if qr.merchant_name else []),
                            SummaryRow(_("Amount"), format_vnd(amount) if amount else
                                       _("Enter it below")),
                            *([SummaryRow(_("Reference"), qr.reference or qr.bill_number)]
                              if qr.reference or qr.bill_number else []),
                        ],
                    }  # fmt: skip
            except ProblemError as error:
                _qr_error(form, error, "upload" if data.get("image") else "payload")
        if form.errors:
            status = 400
            review = None
    else:
        form = QRForm(initial=_again(request, "payload", "amount"))
    return render(
        request,
        "payments/pay_qr.html",
        {"form": form, "review": review, "merchant": merchant},
        status=status,
    )


def _qr_error(form: Any, error: ProblemError, where: str) -> None:
    """A code's fault on the field it came from (the pasted text or the picture)."""
    if error.code in AMOUNT_CODES:
        _field_error(form, error, "amount")
        return
    if not error.errors:
        form.add_error(where, str(error.detail))
    for item in error.errors:
        form.add_error(item.field if item.field in form.fields else where, str(item.message))
