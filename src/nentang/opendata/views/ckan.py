"""CKAN's Action API at ``/api/3/action/<name>`` (and ``/api/action/<name>``), so the
CKAN clients (``ckanapi``, CKAN's own harvesters) work unmodified.

Each action parses CKAN's parameters (GET query string, JSON body or a multipart form),
calls one selector or service and answers CKAN's envelope ``{"help", "success",
"result"}``; errors answer CKAN's shapes (``{"success": false, "error": {"__type":
"Not Found Error", "message": …}}``) with CKAN's statuses, never problem+json (the
prefix is registered with ``kernel.errors.register_foreign_api``).

Writes need an API token (``Authorization: <token>``, CKAN's header; ``Bearer`` is
accepted too); a browser session may read, never write (no CSRF token here).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from nentang.kernel.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ProblemError,
    Unauthorized,
    ValidationFailed,
)
from nentang.opendata import selectors, services
from nentang.opendata.problems import INVALID_API_TOKEN
from nentang.opendata.views import ckan_shapes as shapes

logger = logging.getLogger("nentang.opendata.ckan")

CKAN_VERSION = "2.10.4"
Action = Callable[[HttpRequest, dict[str, Any], Any], Any]
ACTIONS: dict[str, Action] = {}
WRITES: set[str] = set()


def action(name: str, *, write: bool = False) -> Callable[[Action], Action]:
    def register(function: Action) -> Action:
        ACTIONS[name] = function
        if write:
            WRITES.add(name)
        return function

    return register


# --- the envelope -----------------------------------------------------------------


def _help(name: str) -> str:
    return f"{settings.BASE_URL}/api/3/action/help_show?name={name}"


def _ok(name: str, result: Any) -> JsonResponse:
    return JsonResponse(
        {"help": _help(name), "success": True, "result": result},
        json_dumps_params={"ensure_ascii": False},
    )


def _error(name: str, status: int, error: dict[str, Any]) -> JsonResponse:
    return JsonResponse(
        {"help": _help(name), "success": False, "error": error},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _validation_error(errors: tuple[FieldError, ...], detail: str | None) -> dict[str, Any]:
    """CKAN's Validation Error: one list of messages per field."""
    error: dict[str, Any] = {"__type": "Validation Error"}
    for item in errors:
        error.setdefault(item.field, []).append(str(item.message))
    if not errors:
        error["message"] = detail or _("Some fields are invalid.")
    return error


def _translate(name: str, exception: ProblemError) -> JsonResponse:
    detail = exception.detail or ""
    if isinstance(exception, NotFound):
        return _error(name, 404, {"__type": "Not Found Error", "message": detail or _("Not found")})
    if isinstance(exception, Forbidden | Unauthorized):
        return _error(
            name, 403, {"__type": "Authorization Error", "message": f"Access denied: {detail}"}
        )
    if isinstance(exception, ValidationFailed):
        return _error(name, 409, _validation_error(exception.errors, detail))
    if isinstance(exception, Conflict):
        error = _validation_error(exception.errors, detail)
        if exception.code == "dataset_name_taken":
            error = {"__type": "Validation Error", "name": [detail]}
        return _error(name, 409, error)
    if exception.code in ("invalid_fq", "invalid_sort", "invalid_paging"):
        return _error(
            name,
            409,
            {"__type": "Search Query Error", "message": f"Search Query is invalid: {detail}"},
        )
    if exception.code == "sql_refused":
        return _error(
            name,
            409,
            {"__type": "Validation Error", "sql": [detail], "info": {"code": exception.code}},
        )
    return _error(name, exception.status, {"__type": "Bad Request", "message": detail})


# --- parameters and the caller ----------------------------------------------------


def _params(request: HttpRequest) -> dict[str, Any]:
    if request.method == "GET":
        return {key: request.GET.get(key) for key in request.GET}
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") or content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        return {key: request.POST.get(key) for key in request.POST}
    body = request.body
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        raise BadRequest(_("Bad request - JSON Error: the body is not valid JSON.")) from None
    if not isinstance(parsed, dict):
        raise BadRequest(_("Bad request - JSON Error: the body must be a JSON object."))
    return parsed


def _token(request: HttpRequest) -> str:
    value = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key") or ""
    value = value.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return value


def _caller(request: HttpRequest, *, write: bool) -> Any:
    token = _token(request)
    if token:
        account = selectors.account_for_token(token=token)
        if account is None:
            raise Unauthorized(_("The API token is unknown or revoked."), code=INVALID_API_TOKEN)
        return account
    user = getattr(request, "user", None)
    if not write and user is not None and user.is_authenticated and user.is_active:
        return user
    return None


@csrf_exempt
def dispatch(request: HttpRequest, name: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return _error(name, 405, {"__type": "Bad Request", "message": "GET or POST"})
    function = ACTIONS.get(name)
    if function is None:
        message = f"Bad request - Action name not known: {name}"
        return _error(name, 400, {"__type": "Bad Request", "message": message})
    write = name in WRITES
    if write and request.method != "POST":
        return _error(
            name,
            400,
            {"__type": "Bad Request", "message": "Bad request - use POST for this action"},
        )
    try:
        data = _params(request)
        account = _caller(request, write=write)
        if write and account is None:
            raise Forbidden(_("Send a publisher's API token in the Authorization header."))
        return _ok(name, function(request, data, account))
    except ProblemError as problem:
        return _translate(name, problem)


# --- helpers ----------------------------------------------------------------------


def _int(data: dict[str, Any], key: str, default: int, *, low: int = 0, high: int = 1000) -> int:
    value = data.get(key, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(errors=[FieldError(key, _("Enter a whole number."))]) from None
    if not low <= number <= high:
        raise ValidationFailed(
            errors=[
                FieldError(key, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
            ]
        )
    return number


def _bool(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ValidationFailed(
                errors=[FieldError("facet.field", _("Give a JSON list."))]
            ) from None
        return [str(v) for v in parsed] if isinstance(parsed, list) else []
    return [text]


def _require(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value in (None, ""):
        raise ValidationFailed(errors=[FieldError(key, _("Missing value"), "required")])
    return str(value)


def _show_package(account: Any, ref: str) -> dict[str, Any]:
    dataset = selectors.dataset_get(account=account, ref=ref)
    return shapes.package_dict(dataset)


# --- site and catalogue reads -----------------------------------------------------


@action("status_show")
def status_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    return {
        "site_title": "Dữ liệu mở — nentang",
        "site_description": _("Open data of Vietnamese state agencies"),
        "site_url": settings.BASE_URL,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "vi",
        "extensions": ["datastore", "dcat"],
    }


@action("package_list")
def package_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    limit = _int(data, "limit", 1000, high=10_000)
    offset = _int(data, "offset", 0, high=10**9)
    queryset = selectors.visible_datasets(None).order_by("name").values_list("name", flat=True)
    return list(queryset[offset : offset + limit])


@action("current_package_list_with_resources")
def current_package_list_with_resources(
    request: HttpRequest, data: dict[str, Any], account: Any
) -> Any:
    limit = _int(data, "limit", 10, high=1000)
    offset = _int(data, "offset", 0, high=10**9)
    result = selectors.dataset_search(
        account=None, sort="metadata_modified desc", rows=limit, start=offset
    )
    return [shapes.package_dict(d) for d in result.datasets]


@action("package_show")
def package_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    return _show_package(account, _require(data, "id"))


@action("package_search")
def package_search(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    rows = _int(data, "rows", 10, high=1000)
    start = _int(data, "start", 0, high=10**9)
    facet_fields = tuple(_list(data.get("facet.field")))
    facet_limit = _int(data, "facet.limit", 50, low=-1, high=1000)
    include_private = _bool(data.get("include_private")) and account is not None
    include_drafts = _bool(data.get("include_drafts")) and account is not None
    result = selectors.dataset_search(
        account=account,
        q=str(data.get("q") or ""),
        filters=selectors.parse_fq(str(data.get("fq") or "")),
        sort=str(data.get("sort") or ""),
        rows=rows,
        start=start,
        facet_fields=facet_fields,
        facet_limit=1000 if facet_limit < 0 else facet_limit,
        include_private=include_private,
        include_drafts=include_drafts,
    )
    search_facets = {
        name: {
            "title": name,
            "items": [
                {"name": value, "display_name": value, "count": count}
                for value, count in counts.items()
            ],
        }
        for name, counts in result.facets.items()
    }
    return {
        "count": result.count,
        "sort": str(data.get("sort") or "score desc, metadata_modified desc"),
        "results": [shapes.package_dict(d) for d in result.datasets],
        "facets": result.facets,
        "search_facets": search_facets,
    }


@action("resource_show")
def resource_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    resource = selectors.resource_get(account=account, ref=_require(data, "id"))
    return shapes.resource_dict(resource)


def _counts(field: str) -> dict[int, int]:
    visible = selectors.visible_datasets(None)
    return dict(
        visible.values_list(field).annotate(n=Count("pk")).filter(**{f"{field}__isnull": False})
    )


@action("organization_list")
def organization_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    organisations = list(selectors.organisation_list())
    if _bool(data.get("all_fields")):
        counts = _counts("organisation")
        return [shapes.organization_dict(o, count=counts.get(o.pk, 0)) for o in organisations]
    return [o.name for o in organisations]


@action("organization_show")
def organization_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    organisation = selectors.organisation_get(ref=_require(data, "id"))
    visible = selectors.visible_datasets(account, include_private=True, include_drafts=False)
    datasets = visible.filter(organisation=organisation)
    result = shapes.organization_dict(organisation, count=datasets.count())
    if _bool(data.get("include_datasets")):
        rows = selectors.dataset_search(
            account=account, filters={"organization": [organisation.name]}, rows=1000,
            sort="name asc", include_private=True,
        )  # fmt: skip
        result["packages"] = [shapes.package_dict(d) for d in rows.datasets]
    return result


@action("group_list")
def group_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    groups = list(selectors.group_list())
    if _bool(data.get("all_fields")):
        counts = _counts("groups")
        return [shapes.group_dict(g, count=counts.get(g.pk, 0)) for g in groups]
    return [g.name for g in groups]


@action("group_show")
def group_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    group = selectors.group_get(ref=_require(data, "id"))
    visible = selectors.visible_datasets(None)
    result = shapes.group_dict(group, count=visible.filter(groups=group).count())
    if _bool(data.get("include_datasets")):
        rows = selectors.dataset_search(
            account=None, filters={"groups": [group.name]}, rows=1000, sort="name asc"
        )
        result["packages"] = [shapes.package_dict(d) for d in rows.datasets]
    return result


@action("tag_list")
def tag_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    tags = selectors.tag_list(query=str(data.get("query") or ""))
    if _bool(data.get("all_fields")):
        return [shapes.tag_dict(t) for t in tags]
    return [t.name for t in tags]


@action("license_list")
def license_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    return [shapes.licence_dict(licence) for licence in selectors.licence_list()]


# --- publishers' writes -----------------------------------------------------------


def _editable(account: Any, ref: str) -> Any:
    return selectors.dataset_get(account=account, ref=ref)


@action("package_create", write=True)
def package_create(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = services.dataset_create(account=account, data=data)
    return _show_package(account, str(dataset.public_id))


@action("package_update", write=True)
def package_update(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = _editable(account, _require(data, "id"))
    services.dataset_update(account=account, dataset=dataset, data=data, partial=False)
    return _show_package(account, str(dataset.public_id))


@action("package_patch", write=True)
def package_patch(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = _editable(account, _require(data, "id"))
    services.dataset_update(account=account, dataset=dataset, data=data, partial=True)
    return _show_package(account, str(dataset.public_id))


@action("package_delete", write=True)
def package_delete(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = _editable(account, _require(data, "id"))
    services.dataset_transition(account=account, dataset=dataset, to="deleted")
    return None


@action("package_deprecate", write=True)
def package_deprecate(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    """Not CKAN's: the Decree 47 lifecycle (a dataset kept, marked as superseded)."""
    dataset = _editable(account, _require(data, "id"))
    services.dataset_transition(account=account, dataset=dataset, to="deprecated")
    return _show_package(account, str(dataset.public_id))


@action("resource_create", write=True)
def resource_create(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = _editable(account, _require(data, "package_id"))
    upload = request.FILES.get("upload")
    resource = services.resource_create(account=account, dataset=dataset, data=data)
    if upload is not None:
        resource = services.resource_upload(account=account, resource=resource, upload=upload)
        _load_after_upload(account, resource)
    return shapes.resource_dict(
        selectors.resource_get(account=account, ref=str(resource.public_id))
    )


def _resource_change(
    request: HttpRequest, data: dict[str, Any], account: Any, *, partial: bool
) -> Any:
    resource = selectors.resource_get(account=account, ref=_require(data, "id"))
    fields = {k: v for k, v in data.items() if k != "id"}
    services.resource_update(account=account, resource=resource, data=fields, partial=partial)
    upload = request.FILES.get("upload")
    if upload is not None:
        services.resource_upload(account=account, resource=resource, upload=upload)
        _load_after_upload(account, resource)
    return shapes.resource_dict(
        selectors.resource_get(account=account, ref=str(resource.public_id))
    )


@action("resource_update", write=True)
def resource_update(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    return _resource_change(request, data, account, partial=False)


@action("resource_patch", write=True)
def resource_patch(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    return _resource_change(request, data, account, partial=True)


@action("resource_delete", write=True)
def resource_delete(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    resource = selectors.resource_get(account=account, ref=_require(data, "id"))
    services.resource_delete(account=account, resource=resource)
    return None


# --- datastore --------------------------------------------------------------------

LOADABLE = ("CSV", "XLSX", "JSON", "TSV")


def _load_after_upload(account: Any, resource: Any) -> None:
    """Like CKAN's XLoader: an uploaded table is loaded into the datastore (inline when
    small, by the worker when large); a failure stays on the job for the publisher."""
    if resource.format.upper() in LOADABLE:
        try:
            services.datastore_upload(account=account, resource=resource)
        except ValidationFailed:
            logger.info("datastore load failed for %s", resource.public_id)


@action("datastore_search")
def datastore_search(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    filters = data.get("filters") or {}
    if isinstance(filters, str):
        try:
            filters = json.loads(filters)
        except ValueError:
            raise ValidationFailed(
                errors=[FieldError("filters", _("Give a JSON object."))]
            ) from None
    if not isinstance(filters, dict):
        raise ValidationFailed(errors=[FieldError("filters", _("Give a JSON object."))])
    fields = data.get("fields")
    if isinstance(fields, str):
        fields = [
            f.strip() for f in (_list(fields) if fields.startswith("[") else fields.split(","))
        ]
    resource_id = _require(data, "resource_id")
    limit = _int(data, "limit", 100, high=32_000)
    offset = _int(data, "offset", 0, high=10**9)
    page = selectors.datastore_search(
        account=account, resource_id=resource_id, filters=filters,
        q=str(data.get("q") or ""), fields=fields or None, sort=str(data.get("sort") or ""),
        limit=limit, offset=offset,
        include_total=_bool(data.get("include_total"), True), distinct=_bool(data.get("distinct")),
        facets=_list(data.get("facets")) or None,
        facet_limit=_int(data, "facet_limit", 50, high=1000),
    )  # fmt: skip
    base = f"/api/3/action/datastore_search?resource_id={resource_id}"
    result: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": page.fields,
        "records": page.records,
        "limit": limit,
        "offset": offset,
        "_links": {"start": base, "next": f"{base}&offset={offset + limit}"},
    }
    if page.total is not None:
        result["total"] = page.total
    if page.facets:
        result["facets"] = page.facets
    return result


@action("datastore_search_sql")
def datastore_search_sql(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    page = selectors.datastore_search_sql(account=account, sql=_require(data, "sql"))
    return {"sql": data["sql"], "fields": page.fields, "records": page.records}


@action("datastore_info")
def datastore_info(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    _resource, store = selectors.datastore_get(account=account, resource_id=_require(data, "id"))
    return {
        "meta": {"id": store.table_name, "count": store.row_count, "encoding": store.encoding},
        "fields": [
            {"id": f["id"], "type": f["type"], "info": f.get("info", {})} for f in store.fields
        ],
    }


def _records(data: dict[str, Any]) -> list[Any]:
    records = data.get("records") or []
    if isinstance(records, str):
        try:
            records = json.loads(records)
        except ValueError:
            records = None
    if not isinstance(records, list):
        raise ValidationFailed(errors=[FieldError("records", _("Give a list of objects."))])
    return records


@action("datastore_create", write=True)
def datastore_create(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    resource_id = data.get("resource_id")
    if not resource_id and isinstance(data.get("resource"), dict):
        dataset = _editable(account, _require(data["resource"], "package_id"))
        resource_id = str(
            services.resource_create(
                account=account, dataset=dataset, data=data["resource"]
            ).public_id
        )
    resource = selectors.resource_get(account=account, ref=str(resource_id or ""))
    fields = data.get("fields") if isinstance(data.get("fields"), list) else None
    store = services.datastore_create(
        account=account, resource=resource, fields=fields, records=_records(data)
    )
    return {
        "resource_id": str(resource.public_id),
        "fields": [{"id": f["id"], "type": f["type"]} for f in store.fields],
        "method": "insert",
    }


@action("datastore_upsert", write=True)
def datastore_upsert(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    method = str(data.get("method") or "upsert")
    if method != "insert":
        raise ValidationFailed(
            errors=[FieldError("method", _("Only the insert method is supported."))]
        )
    resource = selectors.resource_get(account=account, ref=_require(data, "resource_id"))
    selectors.datastore_get(account=account, resource_id=str(resource.public_id))
    records = _records(data)
    services.datastore_create(account=account, resource=resource, fields=None, records=records)
    return {"resource_id": str(resource.public_id), "method": method, "records": records}
