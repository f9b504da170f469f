"""Pages for citizens (search, dataset, preview, download) and publishers (create,
upload with status, API tokens)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import BadRequest, NotFound, ProblemError
from nentang.opendata import selectors, services
from nentang.opendata.problems import DUMP_FORMAT_UNKNOWN, DUMP_TOO_LARGE_FOR_XLSX
from nentang.opendata.views import charts
from nentang.opendata.views.forms import FREQUENCIES, DatasetForm, TokenForm, UploadForm

PAGE_SIZE = 20
PREVIEW_ROWS = 20
FACET_FIELDS = ("organization", "groups", "res_format", "license_id")


def _facet_title(name: str) -> str:
    return {
        "organization": _("Organisation"),
        "groups": _("Theme"),
        "res_format": _("Format"),
        "license_id": _("Licence"),
        "province": _("Province"),
    }[name]


def _type_label(ckan_type: str) -> str:
    return {
        "int": _("Whole number"), "numeric": _("Decimal number"), "date": _("Date"),
        "bool": _("Yes/no"), "text": _("Text"),
    }.get(ckan_type, ckan_type)  # fmt: skip


def _account(request: HttpRequest) -> Any:
    user = request.user
    return user if user.is_authenticated else None


@require_http_methods(["GET"])
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    filters: dict[str, list[str]] = {}
    for name in ("organization", "groups", "res_format", "license_id", "province"):
        values = [v for v in request.GET.getlist(name) if v][:5]
        if values:
            filters[name] = values
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 500))
    except ValueError:
        page = 1
    result = selectors.dataset_search(
        account=_account(request), q=q, filters=filters, rows=PAGE_SIZE,
        start=(page - 1) * PAGE_SIZE, facet_fields=FACET_FIELDS, facet_limit=8,
    )  # fmt: skip
    titles = {o.name: o.title for o in selectors.organisation_list()}
    titles.update({g.name: g.title for g in selectors.group_list()})
    titles.update({lic.id: lic.title for lic in selectors.licence_list()})
    facets = []
    for name, counts in result.facets.items():
        items = []
        for value, count in counts.items():
            chosen = value in filters.get(name, [])
            params = [
                (k, v) for k, vs in filters.items() for v in vs if not (k == name and v == value)
            ]
            if not chosen:
                params.append((name, value))
            if q:
                params.insert(0, ("q", q))
            items.append({"label": titles.get(value, value), "count": count, "chosen": chosen,
                          "url": "?" + urlencode(params)})  # fmt: skip
        if items:
            facets.append({"title": _facet_title(name), "items": items})
    base = [("q", q)] + [(k, v) for k, vs in filters.items() for v in vs]
    pages = (result.count + PAGE_SIZE - 1) // PAGE_SIZE
    context = {
        "q": q, "result": result, "facets": facets, "page": page, "pages": pages,
        "previous_url": "?" + urlencode([*base, ("page", page - 1)]) if page > 1 else "",
        "next_url": "?" + urlencode([*base, ("page", page + 1)]) if page < pages else "",
    }  # fmt: skip
    return render(request, "opendata/search.html", context)


def _preview(request: HttpRequest, resource: Any) -> dict[str, Any] | None:
    try:
        store = resource.datastore
    except Exception:
        return None
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    sort = request.GET.get("sort", "")
    try:
        page = selectors.datastore_search(
            account=_account(request), resource_id=str(resource.public_id), limit=PREVIEW_ROWS,
            offset=offset, sort=sort,
        )  # fmt: skip
    except ProblemError:
        page = selectors.datastore_search(
            account=_account(request), resource_id=str(resource.public_id), limit=PREVIEW_ROWS
        )
        sort = ""
    columns = []
    for field in page.fields:
        if field["id"] == "_id":
            continue
        current = sort.rsplit(" ", 1)
        descending = len(current) == 2 and current[0] == field["id"] and current[1] == "desc"
        ascending = sort == f"{field['id']} asc"
        next_sort = f"{field['id']} {'desc' if ascending else 'asc'}"
        columns.append({
            "id": field["id"], "label": field.get("info", {}).get("label") or field["id"],
            "notes": (field.get("info") or {}).get("notes", ""),
            "numeric": field["type"] in ("int", "numeric"),
            "sort_url": "?" + urlencode({"sort": next_sort}),
            "aria_sort": "ascending" if ascending else "descending" if descending else "none",
        })  # fmt: skip
    rows = [[record.get(c["id"]) for c in columns] for record in page.records]
    total = page.total or 0
    base = {"sort": sort} if sort else {}
    if request.GET.get("chart"):
        base["chart"] = request.GET["chart"][:100]
    previous_url = next_url = ""
    if offset:
        previous_url = "?" + urlencode({**base, "offset": max(0, offset - PREVIEW_ROWS)})
    if offset + PREVIEW_ROWS < total:
        next_url = "?" + urlencode({**base, "offset": offset + PREVIEW_ROWS})
    dictionary = [
        {"id": f["id"], "label": (f.get("info") or {}).get("label", ""),
         "notes": (f.get("info") or {}).get("notes", ""), "type_label": _type_label(f["type"])}
        for f in store.fields
    ]  # fmt: skip
    return {
        "chart": _chart(request, columns, rows, offset, base),
        "dictionary": dictionary, "described": any(d["label"] or d["notes"] for d in dictionary),
        "store": store, "columns": columns, "total": total, "offset": offset,
        "rows": [[(cell, c["numeric"]) for cell, c in zip(row, columns, strict=True)]
                 for row in rows],
        "first": offset + 1 if rows else 0, "last": offset + len(rows),
        "previous_url": previous_url, "next_url": next_url,
    }  # fmt: skip


def _chart(
    request: HttpRequest, columns: list[dict[str, Any]], rows: list[list[Any]], offset: int,
    base: dict[str, str],
) -> dict[str, Any] | None:  # fmt: skip
    """The bar chart of one numeric column of the page (``?chart=<column>``, else the
    first), labelled by the first text column, with links to chart the others."""
    numeric = [i for i, c in enumerate(columns) if c["numeric"]]
    if not numeric or not rows:
        return None
    wanted = request.GET.get("chart", "")
    index = next((i for i in numeric if columns[i]["id"] == wanted), numeric[0])
    text = next((i for i, c in enumerate(columns) if not c["numeric"]), None)
    labels = [
        str(row[text]) if text is not None and row[text] is not None else str(offset + n + 1)
        for n, row in enumerate(rows)
    ]
    chart = charts.bar_chart(
        column=columns[index]["label"], labels=labels, values=[row[index] for row in rows]
    )
    if chart is None:
        return None
    choices = [
        {"label": columns[i]["label"], "chosen": i == index,
         "url": "?" + urlencode({**base, "offset": offset, "chart": columns[i]["id"]})}
        for i in numeric
    ]  # fmt: skip
    return {"figure": chart, "choices": choices,
            "label_column": columns[text]["label"] if text is not None else ""}  # fmt: skip


@require_http_methods(["GET"])
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    found = selectors.dataset_get(account=_account(request), ref=name)
    resources = list(found.resources.select_related("datastore").all())
    chosen = request.GET.get("resource")
    preview_resource = next((r for r in resources if str(r.public_id) == chosen), None) or next(
        (r for r in resources if hasattr(r, "datastore")), None
    )
    preview = _preview(request, preview_resource) if preview_resource is not None else None
    jobs = []
    can_edit = services.can_publish(account=_account(request), organisation=found.organisation)
    if can_edit:
        jobs = selectors.ingest_jobs(dataset=found)
    context = {
        "dataset": found, "resources": resources, "preview": preview,
        "preview_resource": preview_resource, "can_edit": can_edit, "jobs": jobs,
        "base_url": settings.BASE_URL, "tags": list(found.tags.all()),
        "groups": list(found.groups.all()), "stale": found.is_stale(),
        "frequency": dict(FREQUENCIES).get(found.frequency, found.frequency),
        "provenance": selectors.dataset_provenance(dataset=found),
    }  # fmt: skip
    return render(request, "opendata/dataset.html", context)


@require_http_methods(["GET"])
def download(request: HttpRequest, name: str, resource_id: Any) -> HttpResponseBase:
    resource = selectors.resource_get(account=_account(request), ref=str(resource_id))
    if resource.dataset.name != name:
        raise NotFound(_("Not found"))
    if not resource.stored_path:
        return HttpResponseRedirect(resource.url or reverse("opendata:dataset", args=[name]))
    path = services.stored_file(resource)
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


def _neutralise(value: Any) -> Any:
    """No spreadsheet formula in an exported cell (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# Excel opens at most 1,048,576 rows; an XLSX is built whole before it is sent, so it is
# offered for tables a spreadsheet can hold and a worker can write in seconds.
XLSX_ROWS = 100_000


def _pages(account: Any, resource_id: str, names: list[str]) -> Any:
    offset = 0
    while True:
        page = selectors.datastore_search(
            account=account, resource_id=resource_id, fields=names, limit=5000,
            offset=offset, include_total=False,
        )  # fmt: skip
        if not page.records:
            return
        yield page.records
        offset += len(page.records)


def _xlsx(account: Any, resource: Any, store: Any, names: list[str]) -> HttpResponse:
    """The table as one XLSX sheet. Every text cell is written as text (``t="inlineStr"``
    or shared string), never as a formula: openpyxl would take ``=…`` for one."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    if store.row_count > XLSX_ROWS:
        raise BadRequest(
            _("This table is too large for a spreadsheet file: download it as CSV."),
            code=DUMP_TOO_LARGE_FOR_XLSX,
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("du_lieu")

    def row(values: list[Any]) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it starts with "="
            cells.append(cell)
        return cells

    sheet.append(row(names))
    for records in _pages(account, str(resource.public_id), names):
        for record in records:
            sheet.append(row([record[n] for n in names]))
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{resource.public_id}.xlsx"'
    return response


@require_http_methods(["GET"])
def dump(request: HttpRequest, resource_id: Any) -> HttpResponseBase:
    """CKAN's ``/datastore/dump/<id>``: the table as UTF-8 CSV (with BOM, for Excel), or
    ``?format=xlsx``. No cell of either, headings included, is a formula."""
    account = _account(request)
    resource_id = str(resource_id)
    resource, store = selectors.datastore_get(account=account, resource_id=resource_id)
    names = [f["id"] for f in store.fields]
    kind = request.GET.get("format", "csv").lower()
    if kind == "xlsx":
        return _xlsx(account, resource, store, names)
    if kind != "csv":
        raise BadRequest(_("Choose csv or xlsx."), code=DUMP_FORMAT_UNKNOWN)

    def rows() -> Any:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_neutralise(n) for n in names])
        yield "\ufeff" + buffer.getvalue()
        for records in _pages(account, resource_id, names):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for record in records:
                writer.writerow([_neutralise(record[n]) for n in names])
            yield buffer.getvalue()

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{resource.public_id}.csv"'
    return response


@require_http_methods(["GET"])
def organisation(request: HttpRequest, name: str) -> HttpResponse:
    found = selectors.organisation_get(ref=name)
    result = selectors.dataset_search(
        account=_account(request),
        filters={"organization": [found.name]},
        rows=100,
        sort="title asc",
    )
    return render(request, "opendata/organisation.html", {"organisation": found, "result": result})


# --- publishers -------------------------------------------------------------------


def _publisher_or_login(request: HttpRequest) -> Any:
    account = _account(request)
    if account is None:
        return None
    return account


@require_http_methods(["GET", "POST"])
def dataset_new(request: HttpRequest) -> HttpResponse:
    account = _publisher_or_login(request)
    if account is None:
        return redirect_to_login(request.get_full_path())
    organisations = list(selectors.publisher_organisations(account=account))
    if not organisations:
        raise NotFound(_("You do not publish for any organisation."))
    form = DatasetForm(request.POST or None)
    form.fields["owner_org"].choices = [(o.name, o.title) for o in organisations]  # type: ignore[attr-defined]
    form.fields["license_id"].choices = [  # type: ignore[attr-defined]
        (lic.id, lic.title) for lic in selectors.licence_list()
    ]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["state"] = "draft" if request.POST.get("draft") else "active"
        try:
            created = services.dataset_create(account=account, data=data)
        except ProblemError as error:
            for item in error.errors:
                field = item.field if item.field in form.fields else None
                form.add_error(field, item.message)
            if not error.errors:
                form.add_error(None, str(error.detail))
        else:
            messages.success(request, _("The dataset was created. Now add its files."))
            return HttpResponseRedirect(reverse("opendata:upload", args=[created.name]))
    return render(
        request, "opendata/dataset_form.html", {"form": form}, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, name: str) -> HttpResponse:
    account = _publisher_or_login(request)
    if account is None:
        return redirect_to_login(request.get_full_path())
    found = selectors.dataset_get(account=account, ref=name)
    if not services.can_publish(account=account, organisation=found.organisation):
        raise NotFound(_("Not found"))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(
                account=account, dataset=found, data={"name": form.cleaned_data["name"]}
            )
            resource = services.resource_upload(
                account=account, resource=resource, upload=form.cleaned_data["upload"]
            )
            job = services.datastore_upload(
                account=account, resource=resource, encoding=form.cleaned_data["encoding"] or None
            )
        except ProblemError as error:
            form.add_error("upload", str(error.detail))
        else:
            if job.status == "done":
                messages.success(
                    request,
                    _("The file was loaded: %(rows)s rows.")
                    % {"rows": f"{job.rows_done:,}".replace(",", ".")},
                )
            else:
                messages.info(
                    request,
                    _("The file is being loaded in the background; this page shows its progress."),
                )
            url = reverse("opendata:dataset", args=[found.name]) + f"?resource={resource.public_id}"
            return HttpResponseRedirect(url)
    context = {"form": form, "dataset": found}
    return render(request, "opendata/upload.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    account = _publisher_or_login(request)
    if account is None:
        return redirect_to_login(request.get_full_path())
    form = TokenForm(request.POST or None)
    created = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, created = services.api_token_create(
                account=account, name=form.cleaned_data["name"]
            )
        except ProblemError as error:
            form.add_error("name", str(error.detail))
    context = {"form": form, "created": created, "tokens": selectors.api_tokens(account=account)}
    return render(request, "opendata/tokens.html", context)
