"""Online self-registration of an e-ID at level 1 (Decree 69/2024/NĐ-CP)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from nentang.identity.auth import request_source_ip
from nentang.identity.problems import ID_NUMBER_TAKEN
from nentang.identity.services import Residence
from nentang.identity.services.inputs import MAX_PORTRAIT_BYTES
from nentang.identity.services.registration import (
    pending_registration_phone,
    registration_confirm,
    registration_resend,
    registration_start,
)
from nentang.identity.services.sms import mask
from nentang.identity.views.access import IdentityRequest
from nentang.identity.views.countries import country_options
from nentang.identity.views.forms import (
    RegisterForm,
    SmsCodeForm,
    commune_choices,
    submit,
)
from nentang.identity.views.presenters import level_info
from nentang.kernel.errors import RateLimited, ValidationFailed
from nentang.kernel.text import fold
from nentang.web.components import Link

DONE_KEY = "identity.register.done"
PENDING_KEY = "identity.register.pending"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request: IdentityRequest) -> HttpResponse:
    """The form; on POST every mistake shows at its field and nothing is written; a
    form without mistakes is kept and a code is sent to the phone (the next page). The
    button "Show the wards" (for browsers without JavaScript) only refreshes the list
    of wards of the chosen province."""
    posted = request.method == "POST"
    form = RegisterForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if posted and request.POST.get("action") == "communes":
        form = RegisterForm(initial=request.POST.dict())
        form.fields["commune_code"].choices = commune_choices(  # type: ignore[attr-defined]
            request.POST.get("province_code", "")
        )
    elif posted:
        pending, status = submit(
            form,
            lambda data: registration_start(
                id_number=data["id_number"],
                full_name=data["full_name"],
                date_of_birth=data["date_of_birth"],
                sex=data["sex"],
                phone=data["phone"],
                email=data["email"],
                password=data["password"],
                residence=Residence(
                    province_code=data["province_code"],
                    commune_code=data["commune_code"],
                    street=data["street"],
                ),
                portrait=data["portrait"].read(MAX_PORTRAIT_BYTES + 1),
                nationality=data["nationality"],
                residence_card_number=data["residence_card_number"],
                source_ip=request_source_ip(request),
                name_without_marks=data["name_without_marks"],
            ),
        )
        if pending is not None:
            request.session[PENDING_KEY] = str(pending.id)
            return HttpResponseRedirect(reverse("identity_web:register_confirm"))
    return render(
        request,
        "identity/register/form.html",
        {
            "form": form,
            "ask_name": posted and _asks_about_name(request, form),
            "countries": country_options(),
            "breadcrumbs": [Link(_("Home"), reverse("web:home"))],
        },
        status=status,
    )


def _asks_about_name(request: IdentityRequest, form: RegisterForm) -> bool:
    """Show the box "my card writes my name without marks": when the name was refused
    for that, or the box was ticked already."""
    if request.POST.get("name_without_marks"):
        return True
    name = str(request.POST.get("full_name") or "").strip()
    return bool(name) and fold(name) == name.casefold() and form.has_error("full_name")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register_confirm(request: IdentityRequest) -> HttpResponse:
    """Step 2: the code sent by SMS. The page is the same whether or not the ID number
    had an e-ID already (then the SMS says so, and no code matches)."""
    pending_id = request.session.get(PENDING_KEY)
    if not pending_id:
        return HttpResponseRedirect(reverse("identity_web:register"))
    posted = request.method == "POST"
    form = SmsCodeForm(request.POST if posted and "code" in request.POST else None)
    status = 200
    sent_again = False
    refused = ""
    if posted and request.POST.get("action") == "resend":
        sent_again, status, refused = _resend(pending_id)
    elif posted:
        person, status = submit(
            form,
            lambda data: registration_confirm(pending_id=pending_id, code=data["code"]),
            conflict_fields={ID_NUMBER_TAKEN: "code"},
        )
        if person is not None:
            del request.session[PENDING_KEY]
            request.session[DONE_KEY] = True
            return HttpResponseRedirect(reverse("identity_web:register_done"))
    phone = pending_registration_phone(pending_id)
    if not phone:  # removed (expired and cleaned up, or confirmed elsewhere)
        del request.session[PENDING_KEY]
        return HttpResponseRedirect(reverse("identity_web:register"))
    return render(
        request,
        "identity/register/confirm.html",
        {
            "form": form,
            "phone": mask(phone) if phone else "",
            "sent_again": sent_again,
            "refused": refused,
            "breadcrumbs": [Link(_("Home"), reverse("web:home"))],
        },
        status=status,
    )


def _resend(pending_id: str) -> tuple[bool, int, str]:
    """(sent, status, the reason when not sent)."""
    try:
        registration_resend(pending_id=pending_id)
    except RateLimited as throttled:
        return False, 429, str(throttled.detail)
    except ValidationFailed as failed:
        return False, 422, " ".join(str(error.message) for error in failed.errors)
    return True, 200, ""


@require_safe
def communes(request: HttpRequest) -> HttpResponse:
    """The ward picker for the chosen province (htmx swaps it in place)."""
    form = RegisterForm(initial={"province_code": request.GET.get("province_code", "")})
    form.fields["commune_code"].choices = commune_choices(  # type: ignore[attr-defined]
        request.GET.get("province_code", "")
    )
    return render(request, "identity/register/commune_field.html", {"form": form})


@require_safe
def register_done(request: HttpRequest) -> HttpResponse:
    if not request.session.get(DONE_KEY):
        return HttpResponseRedirect(reverse("identity_web:register"))
    return render(
        request,
        "identity/register/done.html",
        {"level1": level_info(1), "level2": level_info(2)},
    )
