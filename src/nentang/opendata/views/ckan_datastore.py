"""CKAN's datastore actions: search (filters, full text, facets, paging), safe SQL,
info, create and insert; and the load of an uploaded table (CKAN's XLoader)."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.opendata import selectors, services
from nentang.opendata.views.ckan_protocol import (
    action,
    bool_param,
    editable,
    int_param,
    list_param,
    require,
)

logger = logging.getLogger("nentang.opendata.ckan")

LOADABLE = ("CSV", "XLSX", "JSON", "TSV")


def load_after_upload(account: Any, resource: Any) -> None:
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
            f.strip() for f in (list_param(fields) if fields.startswith("[") else fields.split(","))
        ]
    resource_id = require(data, "resource_id")
    limit = int_param(data, "limit", 100, high=32_000)
    offset = int_param(data, "offset", 0, high=10**9)
    page = selectors.datastore_search(
        account=account, resource_id=resource_id, filters=filters,
        q=str(data.get("q") or ""), fields=fields or None, sort=str(data.get("sort") or ""),
        limit=limit, offset=offset,
        include_total=bool_param(data.get("include_total"), True),
        distinct=bool_param(data.get("distinct")),
        facets=list_param(data.get("facets")) or None,
        facet_limit=int_param(data, "facet_limit", 50, high=1000),
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
    page = selectors.datastore_search_sql(account=account, sql=require(data, "sql"))
    return {"sql": data["sql"], "fields": page.fields, "records": page.records}


@action("datastore_info")
def datastore_info(request: HttpRequest, data: dict[str, Any], account: Any) -> Any:
    _resource, store = selectors.datastore_get(account=account, resource_id=require(data, "id"))
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
        dataset = editable(account, require(data["resource"], "package_id"))
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
    resource = selectors.resource_get(account=account, ref=require(data, "resource_id"))
    selectors.datastore_get(account=account, resource_id=str(resource.public_id))
    records = _records(data)
    services.datastore_create(account=account, resource=resource, fields=None, records=records)
    return {"resource_id": str(resource.public_id), "method": method, "records": records}
