"""The papers of a dossier: the signed result and the receipt slip as PDF downloads
(the permission checks are the selectors'), and the public verification page — what a
result's QR code opens, and where anyone can upload a result to check its signature."""

from __future__ import annotations

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import NotFound
from nentang.publicservices import selectors
from nentang.publicservices.selectors.results import MAX_VERIFY_BYTES
from nentang.web import forms as web_forms


def _pdf(name: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET"])
def result(request: HttpRequest, dossier_id: str) -> HttpResponse:
    """The signed result, for the dossier's applicant only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    name, content = selectors.dossier_result_pdf(actor=request.user, dossier_id=dossier_id)
    return _pdf(name, content)


@never_cache
@require_http_methods(["GET"])
def partner_result(request: HttpRequest, dossier_id: str, file_id: str) -> HttpResponse:
    """A partner agency's own signed result (liên thông), for the applicant only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    name, content = selectors.dossier_partner_result_pdf(
        actor=request.user, dossier_id=dossier_id, file_id=file_id
    )
    return _pdf(name, content)


@never_cache
@require_http_methods(["GET"])
def receipt(request: HttpRequest, dossier_id: str) -> HttpResponse:
    """The receipt-and-appointment slip, for the applicant or the agency's officers."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    name, content = selectors.dossier_receipt_pdf(actor=request.user, dossier_id=dossier_id)
    return _pdf(name, content)


@never_cache
@require_http_methods(["GET"])
def apology(request: HttpRequest, dossier_id: str) -> HttpResponse:
    """The written apology with the new date, for the applicant or the agency's officers."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    name, content = selectors.dossier_apology_pdf(actor=request.user, dossier_id=dossier_id)
    return _pdf(name, content)


class VerifyForm(web_forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The result, as a PDF file"),
        help_text=gettext_lazy("The file you received: it is checked here and not kept."),
        error_messages={"required": gettext_lazy("Choose the PDF file of the result.")},
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_VERIFY_BYTES:
            raise forms.ValidationError(_("This file is larger than any result we issue."))
        return bytes(upload.read())


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Public: a result's status by receipt code (the QR code; with ``issuer``, a
    partner agency's own result), or an uploaded PDF's signature checked with pyHanko.
    Nothing personal is shown."""
    check = None
    code = (request.GET.get("code") or "").strip()[:40]
    issuer = (request.GET.get("issuer") or "").strip()[:64]
    error = ""
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        check = selectors.result_verify(content=form.cleaned_data["file"])
    elif code:
        try:
            check = selectors.result_status(receipt_code=code, issuer=issuer)
        except NotFound:
            error = _("No dossier has this receipt code. Check it against your receipt.")
    return render(
        request,
        "publicservices/verify.html",
        {"form": form, "check": check, "code": code, "error": error},
        status=404 if error else 200,
    )
