"""The e-form's documents page (after the last question, before the review): one upload
per document the procedure asks for, with Vietnamese field errors for a wrong type or a
file too large; and a document's download for the applicant and the agency's officers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import ValidationFailed
from nentang.publicservices import selectors, services
from nentang.publicservices.services.common import open_to_applicant, procedure_of
from nentang.publicservices.services.documents import MAX_DOCUMENT_BYTES
from nentang.web import forms as web_forms


class DocumentForm(web_forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (PDF, JPEG or PNG)"),
        help_text=gettext_lazy("A scan or a photo, at most 5 MB."),
        error_messages={"required": gettext_lazy("Choose the file of this document.")},
    )


def _forms(slots: list[Any], failed: int | None, failed_form: Any) -> list[tuple[Any, Any]]:
    return [
        (slot, failed_form if slot.index == failed else DocumentForm(auto_id=f"doc{slot.index}_%s"))
        for slot in slots
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, dossier_id: str) -> HttpResponse:
    """Upload the procedure's documents to the draft (or while supplementing)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    dossier = selectors.dossier_for_applicant(actor=request.user, dossier_id=dossier_id)
    if not open_to_applicant(dossier):
        return HttpResponseRedirect(reverse("publicservices:dossier", args=[dossier.pk]))
    failed: int | None = None
    failed_form = None
    if request.method == "POST":
        raw = request.POST.get("document", "")
        index = int(raw) if raw.isdigit() and len(raw) < 4 else -1
        form = DocumentForm(request.POST, request.FILES, auto_id=f"doc{index}_%s")
        reuse = request.POST.get("reuse")
        if reuse is not None:  # the reuse form sends no file: its errors are added by hand
            form = DocumentForm(auto_id=f"doc{index}_%s")
            form.full_clean()
            form.cleaned_data = {}
        try:
            if reuse is not None:
                services.dossier_document_reuse(
                    actor=request.user, dossier_id=dossier.pk, document=index, file_id=reuse
                )
            elif form.is_valid():
                upload = form.cleaned_data["file"]
                # An oversized file is not read into memory: the service refuses it by size.
                services.dossier_document_upload(
                    actor=request.user,
                    dossier_id=dossier.pk,
                    document=index,
                    name=upload.name or "",
                    content=upload.read() if upload.size <= MAX_DOCUMENT_BYTES else b"",
                    size=upload.size,
                )
        except ValidationFailed as invalid:
            for error in invalid.errors:
                form.add_error(
                    "file" if error.field in ("file", "document") else None, error.message
                )
        if not form.errors and (reuse is not None or form.is_bound):
            messages.success(request, _("The document was attached to your dossier."))
            return HttpResponseRedirect(reverse("publicservices:documents", args=[dossier.pk]))
        failed, failed_form = index, form
    slots = selectors.dossier_documents_with_reuse(dossier=dossier, language=request.LANGUAGE_CODE)
    return render(
        request,
        "publicservices/documents.html",
        {
            "dossier": dossier,
            "procedure": procedure_of(dossier),
            "slots": _forms(slots, failed, failed_form),
            "errored": failed is not None,
        },
        status=400 if failed is not None else 200,
    )


@never_cache
@require_http_methods(["GET"])
def document_file(request: HttpRequest, dossier_id: str, file_id: str) -> HttpResponse:
    """A document's bytes, as an attachment that the browser never renders as a page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    row, content = selectors.dossier_document_open(
        actor=request.user, dossier_id=dossier_id, file_id=file_id
    )
    response = HttpResponse(content, content_type=row.content_type)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[
        row.content_type
    ]
    response["Content-Disposition"] = f'attachment; filename="tai-lieu-{row.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    return response
