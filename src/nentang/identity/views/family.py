"""What a holder registers from their own level-2 e-ID: their children under 14
(attached to them, Decree 69/2024/NĐ-CP) and the organisations they legally represent.

Both are security pages (a second factor in this session when the account has one);
the services decide who may (level 2) and check every field again.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.identity.models import Organisation, Person
from nentang.identity.problems import ID_NUMBER_TAKEN, TAX_CODE_TAKEN
from nentang.identity.selectors import organisations_represented, person_own, person_wards
from nentang.identity.services import child_register, organisation_register
from nentang.identity.views.access import IdentityRequest, account_of, security_page
from nentang.identity.views.account import account_nav, crumbs
from nentang.identity.views.forms import (
    ChildForm,
    OrganisationForm,
    commune_choices,
    submit,
)

CONFLICT_FIELDS = {ID_NUMBER_TAKEN: "id_number", TAX_CODE_TAKEN: "tax_code"}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@security_page
def children(request: IdentityRequest) -> HttpResponse:
    account = account_of(request)
    guardian = person_own(actor=account)  # 404 page for accounts that are not a person's
    posted = request.method == "POST"
    form = ChildForm(request.POST if posted else None)
    status = 200
    if posted:
        child, status = submit(
            form,
            lambda data: child_register(
                actor=account,
                id_number=data["id_number"],
                full_name=data["full_name"],
                date_of_birth=data["date_of_birth"],
                sex=data["sex"],
                relationship=data["relationship"],
                evidence_number=data["evidence_number"],
                evidence_date=data["evidence_date"],
            ),
            conflict_fields=CONFLICT_FIELDS,
        )
        if child is not None:
            messages.success(
                request,
                _("%(name)s is registered and attached to your e-ID.") % {"name": child.full_name},
            )
            return HttpResponseRedirect(reverse("identity_web:children"))
    wards: list[Person] = list(person_wards(guardian=guardian))
    return render(
        request,
        "identity/account/children.html",
        {
            "account_nav": account_nav("children", person=True),
            "breadcrumbs": crumbs(deeper=True),
            "form": form,
            "wards": wards,
            "can_register": guardian.level >= 2,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@security_page
def organisations(request: IdentityRequest) -> HttpResponse:
    account = account_of(request)
    representative = person_own(actor=account)
    posted = request.method == "POST"
    form = OrganisationForm(request.POST if posted else None)
    status = 200
    if posted and request.POST.get("action") == "communes":
        # Without JavaScript: "Show the wards" refreshes the list for the chosen province.
        form = OrganisationForm(initial=request.POST.dict())
        form.fields["commune_code"].choices = commune_choices(  # type: ignore[attr-defined]
            request.POST.get("province_code", "")
        )
    elif posted:
        organisation, status = submit(
            form,
            lambda data: organisation_register(
                actor=account,
                tax_code=data["tax_code"],
                name=data["name"],
                short_name=data["short_name"],
                english_name=data["english_name"],
                established_on=data["established_on"],
                province_code=data["province_code"],
                commune_code=data["commune_code"],
                street=data["street"],
                password=data["password"],
            ),
            conflict_fields=CONFLICT_FIELDS,
        )
        if organisation is not None:
            messages.success(
                request,
                _(
                    "%(name)s has its e-ID. It logs in with its tax code %(tax_code)s and "
                    "the password you chose."
                )
                % {"name": organisation.name, "tax_code": organisation.tax_code},
            )
            return HttpResponseRedirect(reverse("identity_web:organisations"))
    represented: list[Organisation] = list(organisations_represented(person=representative))
    return render(
        request,
        "identity/account/organisations.html",
        {
            "account_nav": account_nav("organisations", person=True),
            "breadcrumbs": crumbs(deeper=True),
            "form": form,
            "organisations": represented,
            "can_register": representative.level >= 2,
        },
        status=status,
    )
