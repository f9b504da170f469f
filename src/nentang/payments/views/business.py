"""Pages of the people who run money for others: a merchant (its VietQR to receive,
its latest payments, refunds), an agent (cash-in and cash-out for a customer) and the
payments operator (the reconciliation, frozen accounts, freeze and unfreeze with a
reason). Each shows only the accounts its user operates, and each needs the second
factor in this session (they move or stop other people's money)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.identity import selectors as identity
from nentang.identity import services as identity_services
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import ProblemError
from nentang.kernel.money import format_vnd
from nentang.payments import selectors, services
from nentang.payments.models import Account, AccountKind
from nentang.payments.views.forms import AccountStatusForm, AgentForm, RefundForm
from nentang.payments.views.pages import OPERATION_LABELS, _field_error, _new_key
from nentang.web.components import Cell, Column, SummaryRow

View = Callable[..., HttpResponse]


def _refuse(request: HttpRequest, title: str, text: str) -> HttpResponse:
    return render(request, "payments/no_role.html", {"title": title, "text": text}, status=403)


def second_factor_page(view: View) -> View:
    """Logged in, and the second factor presented in this session (an account without
    one is told to set it up first)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        account: Any = request.user
        if not identity_services.requires_second_factor(account):
            return _refuse(request, _("A second factor is needed"),
                           _("This page moves other people's money: set up an authenticator "
                             "app or a passkey on your account first."))  # fmt: skip
        if not identity_services.second_factor_satisfied(request.session):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('identity_web:second_factor')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped


def _operated(request: HttpRequest, kind: str) -> list[Account]:
    account: Any = request.user
    person = identity.person_for_account(account=account)
    organisations = (
        [org.id for org in identity.organisations_represented(person=person)] if person else []
    )
    own = identity.organisation_for_account(account=account)
    if own is not None:
        organisations.append(own.id)
    return selectors.accounts_operated_by(
        kind=kind, person_id=person.id if person else None, organisation_ids=organisations
    )


def _chosen(request: HttpRequest, accounts: list[Account]) -> Account:
    wanted = request.GET.get("account", "")
    return next((a for a in accounts if a.code == wanted), accounts[0])


def _ascii(text: str, size: int) -> str:
    folded = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in folded if c.isascii() and c.isprintable()).upper()[:size]


def _rows(account: Account) -> list[tuple[Any, list[Cell]]]:
    page = selectors.account_statement(account=account, limit=20)
    rows = []
    for entry in page.items:
        transfer = entry.transfer
        amount = entry.credits_posted - entry.debits_posted
        other = transfer.debit_account if amount > 0 else transfer.credit_account
        label = OPERATION_LABELS.get(transfer.code, _("Refund") if transfer.code == "reversal"
                                     else transfer.code)  # fmt: skip
        when = date_format(timezone.localtime(entry.created_at), "SHORT_DATETIME_FORMAT")
        detail = f"{label} · {other.name}" + (f" · {transfer.reference}"
                                              if transfer.reference and transfer.code !=
                                              "reversal" else "")  # fmt: skip
        cells = [Cell(when), Cell(detail), Cell(("+" if amount > 0 else "") + format_vnd(amount))]
        rows.append((transfer if transfer.code == "merchant" else None, cells))
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
@second_factor_page
def merchant(request: HttpRequest) -> HttpResponse:
    """The merchant's VietQR (static: the customer types the amount), its latest
    payments, and a refund of each payment (all or part, never more than was paid)."""
    accounts = _operated(request, AccountKind.MERCHANT)
    if not accounts:
        return _refuse(request, _("No merchant account"),
                       _("This e-ID operates no merchant account. The operator opens one for "
                         "your shop."))  # fmt: skip
    shop = _chosen(request, accounts)
    refund_errors: dict[str, Any] = {}
    if request.method == "POST":
        form = RefundForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = services.transfer_reverse(
                    actor=Actor.person(request.user.get_username()), reference=data["reference"],
                    amount=data["amount"], idempotency_key=data["key"],
                    credit_account_id=shop.id,
                )  # fmt: skip
            except ProblemError as error:
                _field_error(form, error, "amount")
            else:
                messages.success(request, _("%(amount)s refunded.")
                                 % {"amount": format_vnd(done.amount)})  # fmt: skip
                return HttpResponseRedirect(f"{reverse('payments:merchant')}?account={shop.code}")
        refund_errors = {str(form.data.get("reference")): form}
    payload = services.vietqr_payload(
        services.VietQR(bank_bin=selectors.platform_bin(),
                        account=selectors.merchant_qr_account(account=shop), service="QRPUSH",
                        merchant_name=_ascii(shop.name, 25), city="VIET NAM")
    )  # fmt: skip
    rows = []
    for transfer, cells in _rows(shop):
        refund: RefundForm | None = None
        if transfer is not None:
            refund = refund_errors.get(str(transfer.id)) or RefundForm(
                initial={"reference": transfer.id, "key": _new_key()},
                auto_id=f"refund-{transfer.id}-%s",
            )
        rows.append({"cells": cells, "form": refund, "transfer": transfer})
    return render(
        request,
        "payments/merchant.html",
        {"shop": shop, "accounts": accounts, "payload": payload, "rows": rows,
         "qr_svg": services.vietqr_svg(payload, title=_("VietQR code of %(name)s")
                                       % {"name": shop.name}),
         "summary": [SummaryRow(_("Balance"), format_vnd(shop.balance)),
                     SummaryRow(_("Account"), shop.code)]},
        status=400 if refund_errors else 200,
    )  # fmt: skip


@never_cache
@require_http_methods(["GET", "POST"])
@second_factor_page
def agent(request: HttpRequest) -> HttpResponse:
    """Cash-in and cash-out for a customer by phone number: review (the customer's
    masked name), then confirm; the customer's monthly limits apply to cash-out."""
    accounts = _operated(request, AccountKind.AGENT)
    if not accounts:
        return _refuse(request, _("No agent account"),
                       _("This e-ID operates no cash-in/cash-out agent."))  # fmt: skip
    point = _chosen(request, accounts)
    review: list[SummaryRow] | None = None
    step = request.POST.get("step", "")
    if request.method == "POST" and step in ("review", "confirm"):
        form = AgentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                wallet = selectors.wallet_by_phone(phone=data["phone"])
                if step == "confirm":
                    actor = Actor.person(request.user.get_username())
                    amount, key = data["amount"], data["key"]
                    if data["operation"] == "cash_in":
                        services.cash_in(actor=actor, agent=point, wallet=wallet,
                                         amount=amount, idempotency_key=key)  # fmt: skip
                    else:
                        services.agent_cash_out(
                            actor=actor, wallet=wallet, agent=point, amount=amount,
                            idempotency_key=key, customer_code=data["customer_code"],
                        )  # fmt: skip
                    messages.success(request, _("Done: %(operation)s of %(amount)s.") % {
                        "operation": OPERATION_LABELS[data["operation"]],
                        "amount": format_vnd(data["amount"])})  # fmt: skip
                    return HttpResponseRedirect(f"{reverse('payments:agent')}?account={point.code}")
                review = [
                    SummaryRow(_("Operation"), str(OPERATION_LABELS[data["operation"]])),
                    SummaryRow(_("Customer"), wallet.masked_name),
                    SummaryRow(_("Amount"), format_vnd(data["amount"])),
                ]
            except ProblemError as error:
                _field_error(form, error, "phone")
    else:
        form = AgentForm(initial={"key": _new_key(), "operation": "cash_in"})
    return render(
        request,
        "payments/agent.html",
        {"point": point, "form": form, "review": review,
         "summary": [SummaryRow(_("E-money float"), format_vnd(point.available))],
         "rows": [cells for _t, cells in _rows(point)],
         "columns": [Column(_("Date")), Column(_("Transfer details")),
                     Column(_("Amount"), numeric=True)]},
        status=400 if form.errors else 200,
    )  # fmt: skip


@never_cache
@require_http_methods(["GET", "POST"])
@second_factor_page
def operator(request: HttpRequest) -> HttpResponse:
    """The payments operator: the ledger's reconciliation, frozen accounts, and freeze /
    unfreeze with a reason (``account_set_status``, audited). Staff with the permission
    to change payment accounts only."""
    user: Any = request.user
    if not (user.is_staff and user.has_perm("payments.change_account")):
        return _refuse(request, _("Payments operators only"),
                       _("This page is for the operators of the payment service."))  # fmt: skip
    form = AccountStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = selectors.account_by_code(code=data["code"])
            services.account_set_status(actor=Actor.officer(user.get_username()),
                                        account=account, status=data["status"],
                                        reason=data["reason"])  # fmt: skip
        except ProblemError as error:
            _field_error(form, error, "code")
        else:
            done = _("Frozen") if data["status"] == "frozen" else _("Unfrozen")
            messages.success(request, f"{done}: {account.code}")
            return HttpResponseRedirect(reverse("payments:operator"))
    report = selectors.ledger_reconcile()
    return render(
        request,
        "payments/operator.html",
        {"form": form, "report": report, "frozen": selectors.accounts_frozen(),
         "summary": [SummaryRow(_("Accounts"), str(report.accounts)),
                     SummaryRow(_("Transfers"), str(report.transfers)),
                     SummaryRow(_("Entries"), str(report.entries))]},
        status=400 if form.errors else 200,
    )  # fmt: skip
