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
from nentang.identity.services import Residence, person_register
from nentang.identity.services.inputs import MAX_PORTRAIT_BYTES
from nentang.identity.views.access import IdentityRequest
from nentang.identity.views.forms import RegisterForm, commune_choices, submit
from nentang.identity.views.presenters import level_info
from nentang.web.components import Link

DONE_KEY = "identity.register.done"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request: IdentityRequest) -> HttpResponse:
    """The form; on POST every mistake shows at its field and nothing is written. The
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
        person, status = submit(
            form,
            lambda data: person_register(
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
            ),
            conflict_fields={ID_NUMBER_TAKEN: "id_number"},
        )
        if person is not None:
            request.session[DONE_KEY] = True
            return HttpResponseRedirect(reverse("identity_web:register_done"))
    return render(
        request,
        "identity/register/form.html",
        {"form": form, "breadcrumbs": [Link(_("Home"), reverse("web:home"))]},
        status=status,
    )


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
