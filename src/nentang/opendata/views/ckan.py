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

from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from nentang.kernel.errors import Forbidden, ProblemError
from nentang.opendata import selectors, services
from nentang.opendata.views import ckan_shapes as shapes
from nentang.opendata.views.ckan_datastore import load_after_upload
from nentang.opendata.views.ckan_protocol import (
    ACTIONS,
    CKAN_VERSION,
    WRITES,
    action,
    bool_param,
    caller,
    editable,
    error_response,
    int_param,
    list_param,
    ok_response,
    params,
    require,
    show_package,
    translate,
)


@csrf_exempt
def dispatch(request: HttpRequest, name: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return error_response(name, 405, {"__type": "Bad Request", "message": "GET or POST"})
    function = ACTIONS.get(name)
    if function is None:
        message = f"Bad request - Action name not known: {name}"
        return error_response(name, 400, {"__type": "Bad Request", "message": message})
    write = name in WRITES
    if write and request.method != "POST":
        return error_response(
            name,
            400,
            {"__type": "Bad Request", "message": "Bad request - use POST for this action"},
        )
    try:
        data = params(request)
        account = caller(request, write=write)
        if write and account is None:
            raise Forbidden(_("Send a publisher's API token in the Authorization header."))
        return ok_response(name, function(request, data, account))
    except ProblemError as problem:
        return translate(name, problem)


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
    limit = int_param(data, "limit", 1000, high=10_000)
    offset = int_param(data, "offset", 0, high=10**9)
    queryset = selectors.visible_datasets(None).order_by("name").values_list("name", flat=True)
    return list(queryset[offset : offset + limit])


@action("current_package_list_with_resources")
def current_package_list_with_resources(
    request: HttpRequest, data: dict[str, Any], account: Any
) -> Any:
    limit = int_param(data, "limit", 10, high=1000)
    offset = int_param(data, "offset", 0, high=10**9)
    result = selectors.dataset_search(
        account=None, sort="metadata_modified desc", rows=limit, start=offset
    )
    return [shapes.package_dict(d) for d in result.datasets]


@action("package_show")
def package_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    return show_package(account, require(data, "id"))


@action("package_search")
def package_search(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    rows = int_param(data, "rows", 10, high=1000)
    start = int_param(data, "start", 0, high=10**9)
    facet_fields = tuple(list_param(data.get("facet.field")))
    facet_limit = int_param(data, "facet.limit", 50, low=-1, high=1000)
    include_private = bool_param(data.get("include_private")) and account is not None
    include_drafts = bool_param(data.get("include_drafts")) and account is not None
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
    resource = selectors.resource_get(account=account, ref=require(data, "id"))
    return shapes.resource_dict(resource)


def _counts(field: str) -> dict[int, int]:
    visible = selectors.visible_datasets(None)
    return dict(
        visible.values_list(field).annotate(n=Count("pk")).filter(**{f"{field}__isnull": False})
    )


@action("organization_list")
def organization_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    organisations = list(selectors.organisation_list())
    if bool_param(data.get("all_fields")):
        counts = _counts("organisation")
        return [shapes.organization_dict(o, count=counts.get(o.pk, 0)) for o in organisations]
    return [o.name for o in organisations]


@action("organization_show")
def organization_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    organisation = selectors.organisation_get(ref=require(data, "id"))
    visible = selectors.visible_datasets(account, include_private=True, include_drafts=False)
    datasets = visible.filter(organisation=organisation)
    result = shapes.organization_dict(organisation, count=datasets.count())
    if bool_param(data.get("include_datasets")):
        rows = selectors.dataset_search(
            account=account, filters={"organization": [organisation.name]}, rows=1000,
            sort="name asc", include_private=True,
        )  # fmt: skip
        result["packages"] = [shapes.package_dict(d) for d in rows.datasets]
    return result


@action("group_list")
def group_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    groups = list(selectors.group_list())
    if bool_param(data.get("all_fields")):
        counts = _counts("groups")
        return [shapes.group_dict(g, count=counts.get(g.pk, 0)) for g in groups]
    return [g.name for g in groups]


@action("group_show")
def group_show(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    group = selectors.group_get(ref=require(data, "id"))
    visible = selectors.visible_datasets(None)
    result = shapes.group_dict(group, count=visible.filter(groups=group).count())
    if bool_param(data.get("include_datasets")):
        rows = selectors.dataset_search(
            account=None, filters={"groups": [group.name]}, rows=1000, sort="name asc"
        )
        result["packages"] = [shapes.package_dict(d) for d in rows.datasets]
    return result


@action("tag_list")
def tag_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    tags = selectors.tag_list(query=str(data.get("query") or ""))
    if bool_param(data.get("all_fields")):
        return [shapes.tag_dict(t) for t in tags]
    return [t.name for t in tags]


@action("license_list")
def license_list(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    return [shapes.licence_dict(licence) for licence in selectors.licence_list()]


# --- publishers' writes -----------------------------------------------------------


@action("package_create", write=True)
def package_create(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = services.dataset_create(account=account, data=data)
    return show_package(account, str(dataset.public_id))


@action("package_update", write=True)
def package_update(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = editable(account, require(data, "id"))
    services.dataset_update(account=account, dataset=dataset, data=data, partial=False)
    return show_package(account, str(dataset.public_id))


@action("package_patch", write=True)
def package_patch(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = editable(account, require(data, "id"))
    services.dataset_update(account=account, dataset=dataset, data=data, partial=True)
    return show_package(account, str(dataset.public_id))


@action("package_delete", write=True)
def package_delete(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = editable(account, require(data, "id"))
    services.dataset_transition(account=account, dataset=dataset, to="deleted")
    return None


@action("package_deprecate", write=True)
def package_deprecate(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    """Not CKAN's: the Decree 47 lifecycle (a dataset kept, marked as superseded)."""
    dataset = editable(account, require(data, "id"))
    services.dataset_transition(account=account, dataset=dataset, to="deprecated")
    return show_package(account, str(dataset.public_id))


@action("resource_create", write=True)
def resource_create(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    dataset = editable(account, require(data, "package_id"))
    upload = request.FILES.get("upload")
    resource = services.resource_create(account=account, dataset=dataset, data=data)
    if upload is not None:
        resource = services.resource_upload(account=account, resource=resource, upload=upload)
        load_after_upload(account, resource)
    return shapes.resource_dict(
        selectors.resource_get(account=account, ref=str(resource.public_id))
    )


def _resource_change(
    request: HttpRequest, data: dict[str, Any], account: Any, *, partial: bool
) -> Any:
    resource = selectors.resource_get(account=account, ref=require(data, "id"))
    fields = {k: v for k, v in data.items() if k != "id"}
    services.resource_update(account=account, resource=resource, data=fields, partial=partial)
    upload = request.FILES.get("upload")
    if upload is not None:
        services.resource_upload(account=account, resource=resource, upload=upload)
        load_after_upload(account, resource)
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
    resource = selectors.resource_get(account=account, ref=require(data, "id"))
    services.resource_delete(account=account, resource=resource)
    return None
