"""The postal network and its customers: facilities, postal workers, merchants."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, ValidationFailed
from nentang.kernel.text import clean
from nentang.kernel.webhooks import webhook_subscription_create, webhook_subscription_disable
from nentang.postal.models import Facility, Merchant, MerchantStaff, PostalWorker
from nentang.postal.services.parties import Party, Problems, resolve_party

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TAX_CODE = re.compile(r"^[0-9]{10}(-[0-9]{3})?$")
_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code_valid(code: str) -> bool:
    """MST check digit (DOMAIN.md): 10 − (Σ wᵢdᵢ mod 11) over the first nine digits."""
    if not _TAX_CODE.fullmatch(code):
        return False
    total = sum(int(d) * w for d, w in zip(code[:9], _MST_WEIGHTS, strict=True))
    check = 10 - total % 11
    return 0 <= check <= 9 and check == int(code[9])


def facility_create(*, actor: Actor, code: str, name: str, kind: str, ward_code: str) -> Facility:
    """A post office, sorting centre or delivery office in a ward in force."""
    errors: list[FieldError] = []
    if not _SLUG.fullmatch(code or "") or len(code) > 40:
        errors.append(
            FieldError("code", _("Lower-case letters, digits and hyphens."), "invalid_format")
        )
    if kind not in Facility.Kind.values:
        errors.append(FieldError("kind", _("Unknown kind of facility."), "invalid_choice"))
    title = clean(name or "")
    if not 1 <= len(title) <= 150:
        errors.append(FieldError("name", _("Give a name of 1 to 150 characters."), "required"))
    try:
        ward = addresses.commune_get(code=ward_code)
    except Exception:
        ward = None
        errors.append(FieldError("ward_code", _("No ward has this code."), "unknown_ward"))
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=errors)
    assert ward is not None
    with transaction.atomic():
        if Facility.objects.filter(code=code).exists():
            raise Conflict(_("A facility with this code exists."))
        facility = Facility.objects.create(
            code=code,
            name=title,
            kind=kind,
            ward_code=ward.code,
            province_code=ward.province_id,
            city=ward.province.name,
        )
        auditing.record(
            actor=actor,
            action="postal.facility.create",
            subject_type="postal.facility",
            subject=code,
            summary={"kind": kind, "ward": ward.code},
        )
    return facility


def postal_worker_create(
    *, actor: Actor, account: Any, facility_code: str, full_name: str
) -> PostalWorker:
    """Let an e-ID staff account scan and deliver for a facility."""
    facility = Facility.objects.filter(code=facility_code, is_active=True).first()
    if facility is None:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError("facility_code", _("No active facility has this code."), "unknown")],
        )
    with transaction.atomic():
        worker, created = PostalWorker.objects.get_or_create(
            account=account,
            defaults={
                "facility": facility,
                "full_name": clean(full_name)[:150],
                "created_at": timezone.now(),
            },
        )
        if created:
            auditing.record(
                actor=actor,
                action="postal.worker.create",
                subject_type="postal.worker",
                subject=str(worker.id),
                summary={"facility": facility.code},
            )
    return worker


def merchant_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    tax_code: str,
    phone: str,
    pickup_address: str,
    client_id: str,
    remittance_days: int = 1,
    organisation_id: Any = None,
) -> Merchant:
    """A shop that ships through the merchant API with its OIDC machine client."""
    problems = Problems()
    if not _SLUG.fullmatch(code or "") or len(code) > 60:
        problems.errors.append(
            FieldError("code", _("Lower-case letters, digits and hyphens."), "invalid_format")
        )
    if not tax_code_valid(tax_code or ""):
        problems.errors.append(
            FieldError("tax_code", _("Not a valid tax code (MST)."), "invalid_tax_code")
        )
    if not 1 <= remittance_days <= 30:
        problems.errors.append(
            FieldError("remittance_days", _("Between 1 and 30 days."), "invalid")
        )
    pickup = resolve_party(
        Party(name=name, phone=phone, address=pickup_address), "pickup", problems
    )
    if problems.errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=problems.errors)
    assert pickup is not None
    with transaction.atomic():
        if (
            Merchant.objects.filter(code=code).exists()
            or Merchant.objects.filter(client_id=client_id).exists()
        ):
            raise Conflict(_("A merchant with this code or API client exists."))
        merchant = Merchant.objects.create(
            code=code,
            name=pickup.name,
            tax_code=tax_code,
            organisation_id=organisation_id,
            client_id=client_id,
            phone=pickup.phone,
            pickup_line=pickup.line,
            pickup_ward_code=pickup.ward_code,
            pickup_province_code=pickup.province_code,
            remittance_days=remittance_days,
            created_at=timezone.now(),
        )
        auditing.record(
            actor=actor,
            action="postal.merchant.create",
            subject_type="postal.merchant",
            subject=str(merchant.id),
            summary={"code": code, "client_id": client_id},
        )
    return merchant


def merchant_webhook_create(*, actor: Actor, merchant: Merchant, url: str) -> tuple[Any, str]:
    """Subscribe ``url`` to this merchant's shipment updates and COD remittances; the
    signing secret is returned once. Events of other merchants never reach it (the
    outbox event's audience is the merchant)."""
    return webhook_subscription_create(
        actor=actor,
        owner=merchant.webhook_owner,
        url=url,
        topics=["postal.shipment.updated", "postal.cod.remitted"],
        description=f"{merchant.code} webhooks",
    )


def merchant_webhook_disable(*, actor: Actor, merchant: Merchant, subscription_id: Any) -> None:
    from nentang.kernel.models import WebhookSubscription

    if not WebhookSubscription.objects.filter(
        id=subscription_id, owner=merchant.webhook_owner
    ).exists():
        from nentang.postal.selectors import shipment_not_found

        raise shipment_not_found()
    webhook_subscription_disable(actor=actor, subscription_id=subscription_id)


def merchant_staff_add(*, actor: Actor, merchant: Merchant, account: Any) -> MerchantStaff:
    """Let ``account`` see ``merchant``'s parcels, COD and remittances (idempotent)."""
    with transaction.atomic():
        staff, created = MerchantStaff.objects.get_or_create(
            account=account, merchant=merchant, defaults={"created_at": timezone.now()}
        )
        if created:
            auditing.record(
                actor=actor,
                action="postal.merchant_staff.add",
                subject_type="postal.merchant",
                subject=merchant.code,
                summary={"account": str(account.pk)},
            )
    return staff
