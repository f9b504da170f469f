"""JSON API of the postal context at ``/api/v1/postal/``.

* Merchant API (GHN/GHTK/EasyPost shape): quote, create (``Idempotency-Key`` and a
  unique client order code), list, get, label (PDF), cancel before pickup, tracking,
  bulk create from CSV with per-row errors, COD report, webhooks. Authenticated by an
  access token of our OpenID provider issued to the merchant's machine client
  (``client_credentials``) with the scope ``postal``.
* Scans: a batch of tracking events from a postal worker's session or a sorting
  centre's machine client (scope ``postal.scan``).
* Public: tracking by S10 number (no personal data) and aggregate statistics.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.security import APIKeyCookie

from nentang.identity import selectors as identity
from nentang.kernel.api import Problem
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import BadRequest, FieldError, Forbidden, PayloadTooLarge, Unauthorized
from nentang.kernel.idempotency import IDEMPOTENCY_OPENAPI, OncePerRequestBearer, idempotent
from nentang.kernel.pagination import CursorQuery, LimitQuery, paginate
from nentang.kernel.security import client_address
from nentang.postal import selectors, services
from nentang.postal.api_schemas import (
    BulkOut,
    BulkRowOut,
    CodReportOut,
    EventOut,
    PartyIn,
    PublicTrackingOut,
    QuoteIn,
    QuoteOut,
    ScanBatchIn,
    ScanBatchOut,
    ShipmentIn,
    ShipmentListOut,
    ShipmentOut,
    StatisticsOut,
    TrackingOut,
    WebhookIn,
    WebhookOut,
)
from nentang.postal.models import Merchant
from nentang.postal.problems import (
    BATCH_TOO_LARGE,
    INVALID_CSV,
    MERCHANT_REQUIRED,
    POSTAL_WORKER_REQUIRED,
)
from nentang.postal.services.public import PUBLIC_LOOKUPS, PUBLIC_WINDOW
from nentang.postal.services.tracking import EVENT_CODES

router = Router(tags=["postal"])
MAX_CSV_BYTES = 2_000_000
MAX_CSV_ROWS = 1000
CSV_FIELDS = (
    "client_order_code",
    "recipient_name",
    "recipient_phone",
    "recipient_address",
    "recipient_ward_code",
    "service",
    "weight_g",
    "length_cm",
    "width_cm",
    "height_cm",
    "cod_amount",
    "declared_value",
    "insured",
    "note",
)


@dataclass(frozen=True)
class MerchantCaller:
    merchant: Merchant
    client_id: str

    @property
    def idempotency_scope(self) -> str:
        return f"postal.merchant:{self.merchant.id}"

    @property
    def actor(self) -> Actor:
        return Actor.client(self.client_id)


def _challenge(error: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="nentang", error="{error}"'}


class MerchantAuth(OncePerRequestBearer):
    """A machine client's access token with the scope ``postal``, bound to a merchant."""

    def authenticate(self, request: HttpRequest, token: str) -> MerchantCaller | None:
        caller = identity.machine_token(token=token)
        if caller is None:
            raise Unauthorized(
                _("The access token is unknown, expired or revoked."),
                code="invalid_token",
                headers=_challenge("invalid_token"),
            )
        if "postal" not in caller.scopes:
            raise Forbidden(
                _("The access token does not carry the scope “postal”."),
                code="insufficient_scope",
                headers=_challenge("insufficient_scope"),
            )
        merchant = selectors.merchant_for_client(client_id=caller.client_id)
        if merchant is None:
            raise Forbidden(
                _("This client is not a merchant's API client."), code=MERCHANT_REQUIRED
            )
        return MerchantCaller(merchant=merchant, client_id=caller.client_id)


@dataclass(frozen=True)
class ScanCaller:
    actor: Actor
    facility_code: str
    idempotency_scope: str


class ScanTokenAuth(OncePerRequestBearer):
    """A sorting centre's machine client (scope ``postal.scan``)."""

    def authenticate(self, request: HttpRequest, token: str) -> ScanCaller | None:
        caller = identity.machine_token(token=token)
        if caller is None or "postal.scan" not in caller.scopes:
            raise Unauthorized(
                _("A sorting-centre token with the scope “postal.scan” is needed."),
                code="invalid_token",
                headers=_challenge("invalid_token"),
            )
        return ScanCaller(Actor.client(caller.client_id), "", f"client:{caller.client_id}")


class WorkerSessionAuth(APIKeyCookie):
    """The browser session of a postal worker (CSRF-checked, as every cookie auth)."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> ScanCaller | None:
        worker = selectors.worker_for_account(account=getattr(request, "user", None))
        if worker is None:
            return None
        return ScanCaller(
            Actor.officer(str(worker.account_id)), worker.facility_id, f"user:{worker.account_id}"
        )


def merchant_of(request: HttpRequest) -> MerchantCaller:
    return cast(MerchantCaller, cast(Any, request).auth)


def _base() -> str:
    return str(settings.BASE_URL)


def _input(payload: ShipmentIn | QuoteIn) -> services.ShipmentInput:
    def party(value: PartyIn | None) -> services.Party | None:
        if value is None:
            return None
        return services.Party(
            value.name, value.phone, value.address, value.ward_code, value.digital_code
        )

    recipient = party(payload.recipient)
    assert recipient is not None
    return services.ShipmentInput(
        recipient=recipient,
        sender=party(payload.sender),
        service=payload.service,
        weight_g=payload.weight_g,
        length_cm=payload.length_cm,
        width_cm=payload.width_cm,
        height_cm=payload.height_cm,
        declared_value=payload.declared_value,
        insured=payload.insured,
        cod_amount=payload.cod_amount,
        client_order_code=getattr(payload, "client_order_code", ""),
        note=getattr(payload, "note", ""),
    )


MERCHANT = [MerchantAuth()]


@router.post(
    "/quotes",
    auth=MERCHANT,
    response={200: QuoteOut, 400: Problem, 401: Problem, 403: Problem, 422: Problem},
    summary="Price of a parcel (zone × weight band × service)",
)
def quote(request: HttpRequest, payload: QuoteIn) -> QuoteOut:
    caller = merchant_of(request)
    price = services.shipment_quote(merchant=caller.merchant, data=_input(payload))
    return QuoteOut(**price.as_dict())


@router.post(
    "/shipments",
    auth=MERCHANT,
    response={
        201: ShipmentOut,
        400: Problem,
        401: Problem,
        403: Problem,
        409: Problem,
        422: Problem,
    },
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary="Create a shipment (S10 number, price, label)",
)
@decorate_view(idempotent)
def shipment_create(request: HttpRequest, payload: ShipmentIn) -> Status[ShipmentOut]:
    """An address that fits several wards (a ward split in 2025, marks not written) is a
    422 ``address_unresolved`` listing ``candidates``: send again with ``ward_code``."""
    caller = merchant_of(request)
    shipment = services.shipment_create(
        actor=caller.actor, merchant=caller.merchant, data=_input(payload)
    )
    return Status(201, ShipmentOut.build(shipment, base=_base()))


@router.get(
    "/shipments",
    auth=MERCHANT,
    response={200: ShipmentListOut, 400: Problem, 401: Problem, 403: Problem},
    summary="The merchant's shipments, newest first",
)
def shipment_list(
    request: HttpRequest,
    status: str | None = None,
    client_order_code: str | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> ShipmentListOut:
    caller = merchant_of(request)
    page = paginate(
        selectors.shipment_list(
            merchant=caller.merchant, status=status, client_order_code=client_order_code
        ),
        order=selectors.SHIPMENT_ORDER,
        cursor=cursor,
        limit=limit,
    )
    return ShipmentListOut(
        items=[ShipmentOut.build(s, base=_base()) for s in page.items],
        next_cursor=page.next_cursor,
    )


def _int(row: dict[str, str], name: str, errors: list[FieldError], default: int = 0) -> int:
    value = (row.get(name) or "").strip().replace(".", "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        errors.append(FieldError(name, _("Must be a whole number."), "wrong_type"))
        return default


def _csv_rows(data: bytes) -> list[tuple[int, services.ShipmentInput | list[FieldError]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(_("The CSV file must be UTF-8."), code=INVALID_CSV) from None
    if "\x00" in text:
        raise BadRequest(_("The CSV file contains NUL characters."), code=INVALID_CSV)
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        f
        for f in ("recipient_name", "recipient_phone", "service", "weight_g")
        if f not in (reader.fieldnames or [])
    ]
    if missing:
        raise BadRequest(
            _("The CSV header lacks: %(f)s. Expected columns: %(all)s.")
            % {"f": ", ".join(missing), "all": ", ".join(CSV_FIELDS)},
            code=INVALID_CSV,
        )
    rows: list[tuple[int, services.ShipmentInput | list[FieldError]]] = []
    try:
        for number, row in enumerate(reader, start=2):
            if len(rows) >= MAX_CSV_ROWS:
                raise PayloadTooLarge(
                    _("At most %(n)s rows per file.") % {"n": MAX_CSV_ROWS}, code=BATCH_TOO_LARGE
                )
            errors: list[FieldError] = []
            parsed = services.ShipmentInput(
                recipient=services.Party(
                    row.get("recipient_name") or "",
                    row.get("recipient_phone") or "",
                    row.get("recipient_address") or "",
                    row.get("recipient_ward_code") or "",
                ),
                service=(row.get("service") or "").strip(),
                weight_g=_int(row, "weight_g", errors),
                length_cm=_int(row, "length_cm", errors, 10),
                width_cm=_int(row, "width_cm", errors, 10),
                height_cm=_int(row, "height_cm", errors, 10),
                cod_amount=_int(row, "cod_amount", errors),
                declared_value=_int(row, "declared_value", errors),
                insured=(row.get("insured") or "").strip().lower()
                in ("1", "true", "yes", "có", "x"),
                client_order_code=(row.get("client_order_code") or "").strip(),
                note=row.get("note") or "",
            )
            rows.append((number, errors or parsed))
    except csv.Error as error:
        raise BadRequest(
            _("The CSV file is malformed: %(e)s") % {"e": error}, code=INVALID_CSV
        ) from None
    return rows


@router.post(
    "/shipments/bulk",
    auth=MERCHANT,
    response={200: BulkOut, 400: Problem, 401: Problem, 403: Problem, 413: Problem},
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary="Create shipments from a CSV file, with per-row errors",
)
@decorate_view(idempotent)
def shipment_bulk(request: HttpRequest, file: File[UploadedFile]) -> BulkOut:
    """Columns: ``client_order_code, recipient_name, recipient_phone, recipient_address,
    recipient_ward_code, service, weight_g, length_cm, width_cm, height_cm, cod_amount,
    declared_value, insured, note``. Valid rows are created; each invalid row is reported
    with its line number and field errors, and changes nothing."""
    caller = merchant_of(request)
    if file.size and file.size > MAX_CSV_BYTES:
        raise PayloadTooLarge(_("The CSV file is larger than 2 MB."), code=BATCH_TOO_LARGE)
    rows = _csv_rows(file.read(MAX_CSV_BYTES + 1))
    outcomes = services.shipments_create_many(
        actor=caller.actor, merchant=caller.merchant, rows=rows
    )
    out = [
        BulkRowOut(
            row=o.row,
            ok=o.shipment is not None,
            shipment=ShipmentOut.build(o.shipment, base=_base()) if o.shipment else None,
            errors=[e.as_dict() for e in o.errors],
            candidates=o.candidates,
        )
        for o in outcomes
    ]
    created = sum(1 for o in out if o.ok)
    return BulkOut(created=created, failed=len(out) - created, rows=out)


@router.get(
    "/shipments/{reference}",
    auth=MERCHANT,
    response={200: ShipmentOut, 400: Problem, 401: Problem, 403: Problem, 404: Problem},
    summary="One shipment by id or S10 number",
)
def shipment_detail(request: HttpRequest, reference: str) -> ShipmentOut:
    caller = merchant_of(request)
    shipment = selectors.shipment_for_merchant(merchant=caller.merchant, reference=reference)
    return ShipmentOut.build(shipment, base=_base())


@router.get(
    "/shipments/{reference}/label",
    auth=MERCHANT,
    response={200: None, 401: Problem, 403: Problem, 404: Problem},
    summary="The 100 × 150 mm label (PDF)",
)
def shipment_label(request: HttpRequest, reference: str) -> HttpResponse:
    caller = merchant_of(request)
    shipment = selectors.shipment_for_merchant(merchant=caller.merchant, reference=reference)
    # ReportLab loads when a label is printed, not in every process that serves the API.
    from nentang.postal import labels

    response = HttpResponse(labels.label_pdf(shipment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{shipment.s10}.pdf"'
    return response


@router.post(
    "/shipments/{reference}/cancel",
    auth=MERCHANT,
    response={200: ShipmentOut, 401: Problem, 403: Problem, 404: Problem, 409: Problem},
    summary="Cancel a shipment not yet handed to the post",
)
def shipment_cancel(request: HttpRequest, reference: str) -> ShipmentOut:
    caller = merchant_of(request)
    shipment = selectors.shipment_for_merchant(merchant=caller.merchant, reference=reference)
    cancelled = services.shipment_cancel(
        actor=caller.actor, merchant=caller.merchant, shipment_id=shipment.id
    )
    return ShipmentOut.build(cancelled, base=_base())


@router.get(
    "/shipments/{reference}/tracking",
    auth=MERCHANT,
    response={200: TrackingOut, 401: Problem, 403: Problem, 404: Problem},
    summary="Tracking events of a shipment, oldest first (flagged ones included)",
)
def shipment_tracking(request: HttpRequest, reference: str) -> TrackingOut:
    caller = merchant_of(request)
    shipment = selectors.shipment_for_merchant(merchant=caller.merchant, reference=reference)
    return TrackingOut(
        id=shipment.id,
        s10=shipment.s10,
        status=shipment.status,
        events=[
            EventOut(
                code=e.code,
                label=str(EVENT_CODES[e.code].label),
                occurred_at=e.occurred_at,
                facility_code=e.facility_code or None,
                reason=e.reason or None,
                flag=e.flag or None,
            )
            for e in selectors.events_of(shipment=shipment)
        ],
    )


@router.get(
    "/cod",
    auth=MERCHANT,
    response={200: CodReportOut, 401: Problem, 403: Problem},
    summary="Cash on delivery: amounts by state and the latest remittances",
)
def cod_report(request: HttpRequest) -> dict[str, Any]:
    return selectors.cod_report(merchant=merchant_of(request).merchant)


@router.post(
    "/webhooks",
    auth=MERCHANT,
    response={201: WebhookOut, 400: Problem, 401: Problem, 403: Problem, 422: Problem},
    summary="Receive shipment.updated (and COD remittance) webhooks at a URL",
)
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status[WebhookOut]:
    caller = merchant_of(request)
    subscription, secret = services.merchant_webhook_create(
        actor=caller.actor, merchant=caller.merchant, url=payload.url
    )
    return Status(
        201,
        WebhookOut(
            id=subscription.id, url=subscription.url, topics=subscription.topics, secret=secret
        ),
    )


@router.delete(
    "/webhooks/{subscription_id}",
    auth=MERCHANT,
    response={204: None, 401: Problem, 403: Problem, 404: Problem},
    summary="Stop a webhook subscription",
)
def webhook_delete(request: HttpRequest, subscription_id: str) -> Status[None]:
    caller = merchant_of(request)
    import uuid

    try:
        ident = uuid.UUID(subscription_id)
    except ValueError:
        raise selectors.shipment_not_found() from None
    services.merchant_webhook_disable(
        actor=caller.actor, merchant=caller.merchant, subscription_id=ident
    )
    return Status(204, None)


@router.post(
    "/scans",
    auth=[ScanTokenAuth(), WorkerSessionAuth()],
    response={
        200: ScanBatchOut,
        400: Problem,
        401: Problem,
        403: Problem,
        413: Problem,
        422: Problem,
    },
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary="Record a batch of tracking events (scans), with a result per item",
)
@decorate_view(idempotent)
def scans(request: HttpRequest, payload: ScanBatchIn) -> ScanBatchOut:
    caller = cast(ScanCaller, cast(Any, request).auth)
    if caller is None:
        raise Forbidden(_("Only postal staff may scan."), code=POSTAL_WORKER_REQUIRED)
    results = services.scans_record(
        actor=caller.actor,
        default_facility=caller.facility_code,
        items=[
            services.ScanInput(
                s10=s.s10,
                code=s.code,
                occurred_at=s.occurred_at,
                facility_code=s.facility_code,
                reason=s.reason,
                next_attempt_on=s.next_attempt_on,
            )
            for s in payload.scans
        ],
    )
    counts = {
        k: sum(1 for r in results if r.result == k)
        for k in ("recorded", "duplicate", "flagged", "rejected")
    }
    return ScanBatchOut(
        recorded=counts["recorded"],
        duplicates=counts["duplicate"],
        flagged=counts["flagged"],
        rejected=counts["rejected"],
        results=[r.as_dict() for r in results],  # type: ignore[misc]
    )


@router.get(
    "/tracking/{s10}",
    auth=None,
    response={200: PublicTrackingOut, 400: Problem, 404: Problem, 429: Problem},
    summary="Public tracking by S10 number (status and cities only)",
    description="S10 numbers are sequential: no personal data is shown, and each client "
    f"address may look up {PUBLIC_LOOKUPS} numbers per {PUBLIC_WINDOW.seconds // 60} minutes "
    "(429 with Retry-After beyond).",
)
def public_tracking(request: HttpRequest, s10: str) -> PublicTrackingOut:
    services.public_lookup_take(address=client_address(request))
    found = selectors.shipment_public(s10=s10)
    return PublicTrackingOut(
        s10=found.s10,
        status=found.status,
        status_label=found.status_label,
        service=found.service,
        destination_city=found.destination_city,
        promised_by=found.promised_by,
        delivered_at=found.delivered_at,
        events=[
            {
                "code": e.code,
                "label": e.label,
                "occurred_at": e.occurred_at,  # type: ignore[misc]
                "city": e.city or None,
                "reason": e.reason or None,
            }
            for e in found.events
        ],
    )


@router.get(
    "/statistics",
    auth=None,
    response={200: StatisticsOut},
    summary="Aggregate postal statistics (e-commerce growth, on-time, first attempt, COD)",
)
def statistics(request: HttpRequest) -> dict[str, Any]:
    return selectors.statistics_summary()
