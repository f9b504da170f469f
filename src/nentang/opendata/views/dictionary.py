"""The data dictionary page: a publisher describes the columns of a resource's table
(label and notes, CKAN's ``info``); the dataset page shows them to everyone."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import NotFound, ProblemError
from nentang.opendata import selectors, services

MAX_LABEL = 200
MAX_NOTES = 2000


def _columns(store: Any, posted: Any = None) -> list[dict[str, Any]]:
    columns = []
    for index, field in enumerate(store.fields):
        info = field.get("info") or {}
        label = info.get("label", "") if posted is None else posted.get(f"label-{index}", "")
        notes = info.get("notes", "") if posted is None else posted.get(f"notes-{index}", "")
        columns.append({"index": index, "id": field["id"], "type": field["type"],
                        "label": label, "notes": notes, "error": ""})  # fmt: skip
    return columns


@require_http_methods(["GET", "POST"])
def fields_edit(request: HttpRequest, name: str, resource_id: Any) -> HttpResponse:
    account = request.user if request.user.is_authenticated else None
    if account is None:
        return redirect_to_login(request.get_full_path())
    resource, store = selectors.datastore_get(account=account, resource_id=str(resource_id))
    if resource.dataset.name != name or not services.can_publish(
        account=account, organisation=resource.dataset.organisation
    ):
        raise NotFound(_("Not found"))
    columns = _columns(store, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        for column in columns:
            if len(column["label"]) > MAX_LABEL:
                column["error"] = _("A label has at most 200 characters.")
            elif len(column["notes"]) > MAX_NOTES:
                column["error"] = _("Notes have at most 2,000 characters.")
        if not any(c["error"] for c in columns):
            try:
                services.datastore_fields_describe(
                    account=account, resource=resource,
                    descriptions={c["id"]: (c["label"], c["notes"]) for c in columns},
                )  # fmt: skip
            except ProblemError as error:
                by_field = {item.field: str(item.message) for item in error.errors}
                for column in columns:
                    column["error"] = by_field.get(column["id"], "")
                if not by_field:
                    columns[0]["error"] = str(error.detail)
            else:
                messages.success(request, _("The column descriptions were saved."))
                url = reverse("opendata:dataset", args=[name])
                return HttpResponseRedirect(f"{url}?resource={resource.public_id}#dictionary")
        status = 422
    context = {"dataset": resource.dataset, "resource": resource, "columns": columns,
               "has_errors": status == 422}  # fmt: skip
    return render(request, "opendata/fields.html", context, status=status)
