"""The public tracking page and the postal worker's scanning and delivery pages."""

from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.kernel.auditing import Actor
from nentang.kernel.errors import NotFound, ProblemError
from nentang.kernel.money import format_vnd
from nentang.kernel.security import client_address
from nentang.postal import selectors, services
from nentang.postal.models import CodRemittance, PostalWorker, Shipment
from nentang.postal.services.tracking import EVENT_CODES
from nentang.postal.views.forms import DeliverForm, FailedForm, ScanForm, TrackForm
from nentang.web.components import Badge, Cell, Column, SummaryRow, TimelineEvent, Tone

STATUS_TONES: dict[str, Tone] = {
    "delivered": "success",
    "failure": "warning",
    "return_to_sender": "warning",
    "cancelled": "neutral",
    "out_for_delivery": "info",
    "available_for_pickup": "info",
}
RESULT_TONES = {
    "recorded": "success",
    "duplicate": "info",
    "flagged": "warning",
    "rejected": "error",
}


@require_http_methods(["GET"])
def track(request: HttpRequest, s10: str = "") -> HttpResponse:
    """Anyone with the number: status, destination province, events with cities."""
    number = s10 or request.GET.get("s10", "")
    form = TrackForm(request.GET or None, initial={"s10": number})
    found = None
    status = 200
    headers: dict[str, str] = {}
    if number:
        try:
            # Numbers are sequential: each address may look up only so many.
            services.public_lookup_take(address=client_address(request))
            found = selectors.shipment_public(s10=number)
        except ProblemError as error:
            form = TrackForm({"s10": number})
            form.is_valid()
            form.add_error("s10", str(error.detail))
            status = 404 if isinstance(error, NotFound) else error.status
            headers = dict(error.headers)
    events = []
    if found is not None:
        for index, event in enumerate(reversed(found.events)):
            last = index == len(found.events) - 1
            failed = event.code in ("EMH", "RTS")
            events.append(
                TimelineEvent(
                    title=event.label,
                    time=event.occurred_at,
                    text=", ".join(part for part in (event.city, event.reason) if part),
                    state="failed"
                    if failed and last
                    else ("current" if last and found.status != "delivered" else "done"),
                )
            )
        events.reverse()
    response = render(
        request,
        "postal/track.html",
        {
            "form": form,
            "found": found,
            "events": events,
            "tone": STATUS_TONES.get(found.status, "info") if found else "",
        },
        status=status,
    )
    for name, value in headers.items():  # Retry-After of a refused look-up
        response[name] = value
    return response


def _worker(request: HttpRequest) -> PostalWorker:
    worker = selectors.worker_for_account(account=request.user)
    if worker is None:
        raise PermissionDenied(_("Only postal workers may scan parcels."))
    return worker


def _actor(worker: PostalWorker) -> Actor:
    return Actor.officer(str(worker.account_id))


def _login_or(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest) -> HttpResponse:
    """Type or scan an item number, choose the event, record it; the event stays chosen
    for the next parcel (a postman scans a stack with the same event)."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    worker = _worker(request)
    outcome: services.ScanOutcome | None = None
    shipment: Shipment | None = None
    scanned = ""
    last_code = request.session.get("postal.scan.code", "EMA")
    if request.method == "POST":
        form = ScanForm(request.POST)
        if form.is_valid():
            code = scanned = form.cleaned_data["code"]
            request.session["postal.scan.code"] = code
            [outcome] = services.scans_record(
                actor=_actor(worker),
                default_facility=worker.facility_id,
                allow_delivery=False,
                items=[
                    services.ScanInput(
                        form.cleaned_data["s10"], code, reason=form.cleaned_data["reason"]
                    )
                ],
            )
            if outcome.result == "rejected" and outcome.error_code == "invalid_s10":
                form.add_error("s10", outcome.error)
                outcome = None
            elif outcome.result != "rejected":
                shipment = selectors.shipment_for_worker(worker=worker, reference=outcome.s10)
            form = ScanForm(initial={"code": code}) if outcome else form
    else:
        form = ScanForm(initial={"code": last_code})
    return render(
        request,
        "postal/scan.html",
        {
            "form": form,
            "worker": worker,
            "outcome": outcome,
            "shipment": shipment,
            "tone": RESULT_TONES.get(outcome.result, "info") if outcome else "",
            "event_label": EVENT_CODES[scanned].label if scanned else "",
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def deliver(request: HttpRequest, s10: str) -> HttpResponse:
    """At the door: the recipient's name and the SMS code (or a signature); or a failed
    attempt with its reason and the next date."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    worker = _worker(request)
    try:
        shipment = selectors.shipment_for_worker(worker=worker, reference=s10)
    except ProblemError as error:
        raise NotFound(str(error.detail)) from error
    form = DeliverForm()
    failed_form = FailedForm()
    sent_to = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "send_code":
                sent_to = services.delivery_code_send(actor=_actor(worker), shipment_id=shipment.id)
                form = DeliverForm(initial={"received_by": request.POST.get("received_by", "")})
            elif action == "deliver":
                form = DeliverForm(request.POST)
                if form.is_valid():
                    signature = _signature(form.cleaned_data["signature"])
                    services.shipment_deliver(
                        actor=_actor(worker),
                        worker_account_id=worker.account_id,
                        facility_code=worker.facility_id,
                        shipment_id=shipment.id,
                        received_by=form.cleaned_data["received_by"],
                        code=form.cleaned_data["code"],
                        signature_png=signature,
                    )
                    messages.success(request, _("%(s10)s delivered.") % {"s10": shipment.s10})
                    return HttpResponseRedirect(reverse("postal:scan"))
            elif action == "failed":
                failed_form = FailedForm(request.POST)
                if failed_form.is_valid():
                    services.shipment_delivery_failed(
                        actor=_actor(worker),
                        facility_code=worker.facility_id,
                        shipment_id=shipment.id,
                        reason=failed_form.cleaned_data["reason"],
                        next_attempt_on=failed_form.cleaned_data["next_attempt_on"],
                    )
                    messages.info(
                        request, _("Failed attempt recorded for %(s10)s.") % {"s10": shipment.s10}
                    )
                    return HttpResponseRedirect(reverse("postal:scan"))
        except ProblemError as error:
            target = failed_form if action == "failed" else form
            if not target.is_bound:
                target = DeliverForm(request.POST)
                target.is_valid()
                form = target
            for field_error in error.errors or ():
                name = field_error.field if field_error.field in target.fields else None
                target.add_error(name, field_error.message)
            if not error.errors:
                target.add_error(None, str(error.detail))
    return render(
        request,
        "postal/deliver.html",
        {
            "shipment": shipment,
            "form": form,
            "failed_form": failed_form,
            "sent_to": sent_to,
            "worker": worker,
            "cod_text": format_vnd(shipment.cod_amount),
        },
    )


def _signature(data_url: str) -> bytes | None:
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        return b"invalid"
    try:
        return base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return b"invalid"


@never_cache
@require_http_methods(["GET"])
def merchant(request: HttpRequest) -> HttpResponse:
    """A merchant's staff: its parcels (latest 50), the cash on delivery by state and
    the remittance reports. Anyone else: 403."""
    if (redirect := _login_or(request)) is not None:
        return redirect
    shop = selectors.merchant_for_staff(account=request.user)
    if shop is None:
        raise PermissionDenied(_("Only a merchant's staff may see its parcels."))
    report = selectors.cod_report(merchant=shop)
    totals = report["totals"]
    states = (
        ("pending", _("To collect")),
        ("collected", _("Collected, to remit")),
        ("remitted", _("Remitted")),
        ("voided", _("Voided (returned)")),
    )
    cod_rows = [
        SummaryRow(
            key=label,
            value=_("%(amount)s · %(count)s parcels")
            % {
                "amount": format_vnd(totals.get(state, {}).get("amount") or 0),
                "count": totals.get(state, {}).get("count") or 0,
            },
        )
        for state, label in states
    ]
    remittance_columns = [
        Column(_("Date"), row_header=True),
        Column(_("Parcels"), numeric=True),
        Column(_("Amount"), numeric=True),
        Column(_("Status")),
    ]
    remittance_rows = [
        [
            Cell(date_format(timezone.localtime(r.created_at), "SHORT_DATETIME_FORMAT")),
            Cell(str(r.shipment_count)),
            Cell(format_vnd(r.amount)),
            Cell(
                badge=Badge(_("Remitted"), "success")
                if r.status == CodRemittance.Status.PAID
                else Badge(_("To remit"), "info")
            ),
        ]
        for r in report["remittances"]
    ]
    parcel_columns = [
        Column(_("Item number"), row_header=True),
        Column(_("Order")),
        Column(_("To")),
        Column(_("Status")),
        Column(_("COD"), numeric=True),
    ]
    parcel_rows = [
        [
            Cell(s.s10, url=reverse("postal:track", args=[s.s10]), mono=True),
            Cell(s.client_order_code or "—"),
            Cell(s.recipient_province_name),
            Cell(badge=Badge(s.get_status_display(), STATUS_TONES.get(s.status, "info"))),
            Cell(
                f"{format_vnd(s.cod_amount)} · {s.get_cod_status_display()}"
                if s.cod_amount
                else "—"
            ),
        ]
        for s in selectors.merchant_parcels(merchant=shop)
    ]
    return render(
        request,
        "postal/merchant.html",
        {
            "merchant": shop,
            "cod_rows": cod_rows,
            "remittance_columns": remittance_columns,
            "remittance_rows": remittance_rows,
            "parcel_columns": parcel_columns,
            "parcel_rows": parcel_rows,
        },
    )
