"""The NGSI-LD API under ``/ngsi-ld/v1/`` (ETSI GS CIM 009): HTTP in, services and
selectors, NGSI-LD JSON out. Errors are NGSI-LD's own shape (``application/json``
``{"type": "https://uri.etsi.org/ngsi-ld/errors/…", "title", "detail"}``), never
problem+json: standard NGSI-LD clients read these.

Callers authenticate with an OAuth 2 bearer token of a machine client holding the scope
``smartcity`` (``/oidc/token``, client_credentials); the tenant (``NGSILD-Tenant``) must
be granted to that client.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nentang.smartcity import selectors, services
from nentang.smartcity.ngsild import contexts, geo
from nentang.smartcity.ngsild.contexts import CORE_CONTEXT_URL, TermMap
from nentang.smartcity.ngsild.entities import entity_out, json_loads
from nentang.smartcity.ngsild.errors import NgsiError, bad_data, invalid
from nentang.smartcity.services import Caller
from nentang.smartcity.views import bearer

logger = logging.getLogger("nentang.smartcity")

JSON = "application/json"
JSON_LD = "application/ld+json"
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


class Call:
    """One parsed NGSI-LD request."""

    def __init__(self, request: HttpRequest, caller: Caller) -> None:
        self.request = request
        self.caller = caller
        self.tenant = request.headers.get("NGSILD-Tenant", "").strip()
        self.link_context = _link_context(request)
        self.body_context: Any = None
        self.accept = _accept(request)
        self._terms: TermMap | None = None

    def json(self) -> Any:
        content_type = self.request.content_type or ""
        if content_type not in (JSON, JSON_LD):
            raise NgsiError("UnsupportedMediaType", "Send application/json or application/ld+json.")
        try:
            body = json_loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise invalid("The body is not valid JSON.") from None
        contexts_found = _body_contexts(body)
        if content_type == JSON and contexts_found:
            raise bad_data(
                "With application/json the @context goes in a Link header, not the body."
            )
        if content_type == JSON_LD:
            if self.link_context is not None:
                raise bad_data(
                    "With application/ld+json the @context goes in the body, not a Link header."
                )
            if not contexts_found:
                raise bad_data("An application/ld+json body needs an @context.")
            self.body_context = contexts_found[0]
        return body

    @property
    def context(self) -> Any:
        return self.body_context if self.body_context is not None else self.link_context

    @property
    def terms(self) -> TermMap:
        if self._terms is None:
            self._terms = contexts.term_map(self.context)
        return self._terms

    def param(self, name: str) -> str | None:
        value = self.request.GET.get(name)
        return value if value not in (None, "") else None

    def options(self) -> set[str]:
        raw = ",".join(
            v for v in (self.request.GET.get("options"), self.request.GET.get("format")) if v
        )
        return {o.strip() for o in raw.split(",") if o.strip()}

    def render(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        context = self.context if self.context is not None else CORE_CONTEXT_URL
        if self.accept == JSON_LD:
            if isinstance(data, dict):
                data = {"@context": context, **data}
            elif isinstance(data, list):
                data = [{"@context": context, **item} for item in data]
            response = JsonResponse(
                data,
                status=status,
                safe=False,
                content_type=JSON_LD,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            response = JsonResponse(
                data,
                status=status,
                safe=False,
                content_type=JSON,
                json_dumps_params={"ensure_ascii": False},
            )
            link_url = context if isinstance(context, str) else CORE_CONTEXT_URL
            response["Link"] = f'<{link_url}>; rel="{CONTEXT_REL}"; type="{JSON_LD}"'
        for key, value in (headers or {}).items():
            response[key] = value
        return response


def _body_contexts(body: Any) -> list[Any]:
    items = body if isinstance(body, list) else [body]
    return [item["@context"] for item in items if isinstance(item, dict) and "@context" in item]


def _link_context(request: HttpRequest) -> str | None:
    header = request.headers.get("Link")
    if not header:
        return None
    for match in LINK.finditer(header):
        url, params = match.group(1), match.group(2)
        if CONTEXT_REL in params:
            if not re.match(r"^https?://", url):
                raise bad_data("The Link header's @context must be an http(s) URL.")
            return url
    return None


def _accept(request: HttpRequest) -> str:
    header = request.headers.get("Accept", "")
    if not header:
        return JSON
    offered = [part.split(";")[0].strip() for part in header.split(",")]
    for kind in offered:
        if kind == JSON_LD:
            return JSON_LD
        if kind in (JSON, "*/*", "application/*"):
            return JSON
    raise NgsiError("NotAcceptable", "This broker answers application/json or application/ld+json.")


def error_response(error: NgsiError) -> HttpResponse:
    return JsonResponse(
        error.body(), status=error.status, json_dumps_params={"ensure_ascii": False}
    )


Handler = Callable[..., HttpResponse]


def endpoint(**methods: Handler) -> Callable[..., HttpResponse]:
    """A view answering ``methods`` (GET=…, POST=…) with NGSI-LD errors throughout."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        handler = methods.get(request.method or "")
        try:
            if handler is None:
                response = error_response(
                    NgsiError(
                        "InvalidRequest", f"{request.method} is not allowed here.", status=405
                    )
                )
                response["Allow"] = ", ".join(sorted(methods))
                return response
            call = Call(request, bearer.caller_of(request))
            return handler(call, **kwargs)
        except NgsiError as error:
            response = error_response(error)
            if error.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="nentang"'
            return response

    return view


def _int(call: Call, name: str, default: int) -> int:
    raw = call.param(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", raw):
        raise bad_data(f"{name} must be a non-negative integer.")
    return int(raw)


def _csv(call: Call, name: str) -> list[str]:
    raw = call.param(name)
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else []


def _render_entity(call: Call, view: selectors.EntityView, attrs: list[str]) -> dict[str, Any]:
    options = call.options()
    return entity_out(
        call.terms,
        view.data,
        attrs={call.terms.expand(a) for a in attrs} if attrs else None,
        key_values=bool({"keyValues", "simplified"} & options),
        sys_attrs="sysAttrs" in options,
        created_at=view.created_at,
        modified_at=view.modified_at,
    )


# Entities ---------------------------------------------------------------------------


def _query(call: Call, params: dict[str, Any]) -> HttpResponse:
    geo_query = geo.parse(params.get("georel"), params.get("geometry"), params.get("coordinates"))
    result = selectors.entity_query(
        caller=call.caller,
        tenant=call.tenant,
        terms=call.terms,
        types=params.get("type") or [],
        ids=params.get("id") or [],
        id_pattern=params.get("idPattern"),
        q=params.get("q"),
        geo_query=geo_query,
        geoproperty=params.get("geoproperty"),
        attrs=params.get("attrs") or [],
        limit=params.get("limit", 20),
        offset=params.get("offset", 0),
        count=params.get("count", False),
    )
    body = [_render_entity(call, view, params.get("attrs") or []) for view in result.entities]
    headers = {}
    if result.count is not None:
        headers["NGSILD-Results-Count"] = str(result.count)
    return call.render(body, headers=headers)


def entities_get(call: Call) -> HttpResponse:
    params = {
        "type": _csv(call, "type"),
        "id": _csv(call, "id"),
        "idPattern": call.param("idPattern"),
        "q": call.param("q"),
        "attrs": _csv(call, "attrs"),
        "georel": call.param("georel"),
        "geometry": call.param("geometry"),
        "coordinates": call.param("coordinates"),
        "geoproperty": call.param("geoproperty"),
        "limit": _int(call, "limit", 20),
        "offset": _int(call, "offset", 0),
        "count": call.param("count") == "true",
    }
    return _query(call, params)


def entities_post(call: Call) -> HttpResponse:
    body = call.json()
    if isinstance(body, dict):
        body.pop("@context", None)
    entity_id = services.entity_create(
        caller=call.caller, tenant=call.tenant, payload=body, terms=call.terms
    )
    response = HttpResponse(status=201)
    response["Location"] = f"/ngsi-ld/v1/entities/{entity_id}"
    return response


def entity_get(call: Call, entity_id: str) -> HttpResponse:
    view = selectors.entity_get(caller=call.caller, tenant=call.tenant, entity_id=entity_id)
    return call.render(_render_entity(call, view, _csv(call, "attrs")))


def entity_put(call: Call, entity_id: str) -> HttpResponse:
    body = call.json()
    if not isinstance(body, dict):
        raise bad_data("An entity is a JSON object.")
    body.pop("@context", None)
    services.entity_replace(
        caller=call.caller, tenant=call.tenant, entity_id=entity_id, payload=body, terms=call.terms
    )
    return HttpResponse(status=204)


def _attrs_answer(result: services.AttrsResult) -> HttpResponse:
    if not result.not_updated:
        return HttpResponse(status=204)
    return JsonResponse({"updated": result.updated, "notUpdated": result.not_updated}, status=207)


def _fragment(call: Call) -> dict[str, Any]:
    body = call.json()
    if not isinstance(body, dict):
        raise bad_data("Give the attributes as a JSON object.")
    body.pop("@context", None)
    return body


def entity_patch(call: Call, entity_id: str) -> HttpResponse:
    result = services.entity_attrs_write(
        caller=call.caller,
        tenant=call.tenant,
        entity_id=entity_id,
        payload=_fragment(call),
        terms=call.terms,
        mode="merge",
    )
    return _attrs_answer(result)


def entity_delete(call: Call, entity_id: str) -> HttpResponse:
    services.entity_delete(caller=call.caller, tenant=call.tenant, entity_id=entity_id)
    return HttpResponse(status=204)


def attrs_post(call: Call, entity_id: str) -> HttpResponse:
    mode = "append_keep" if "noOverwrite" in call.options() else "append"
    result = services.entity_attrs_write(
        caller=call.caller,
        tenant=call.tenant,
        entity_id=entity_id,
        payload=_fragment(call),
        terms=call.terms,
        mode=mode,
    )
    return _attrs_answer(result)


def attrs_patch(call: Call, entity_id: str) -> HttpResponse:
    result = services.entity_attrs_write(
        caller=call.caller,
        tenant=call.tenant,
        entity_id=entity_id,
        payload=_fragment(call),
        terms=call.terms,
        mode="update",
    )
    return _attrs_answer(result)


def attr_patch(call: Call, entity_id: str, attr: str) -> HttpResponse:
    services.entity_attr_patch(
        caller=call.caller,
        tenant=call.tenant,
        entity_id=entity_id,
        attr=attr,
        payload=_fragment(call),
        terms=call.terms,
    )
    return HttpResponse(status=204)


def attr_delete(call: Call, entity_id: str, attr: str) -> HttpResponse:
    services.entity_attr_delete(
        caller=call.caller,
        tenant=call.tenant,
        entity_id=entity_id,
        attr=attr,
        terms=call.terms,
        dataset_id=call.param("datasetId"),
        delete_all=call.param("deleteAll") == "true",
    )
    return HttpResponse(status=204)


# Batch ------------------------------------------------------------------------------


def _batch_answer(result: services.BatchResult, *, created: bool = False) -> HttpResponse:
    if not result.errors:
        if created:
            return JsonResponse(result.success, status=201, safe=False)
        return HttpResponse(status=204)
    return JsonResponse({"success": result.success, "errors": result.errors}, status=207)


def _batch_body(call: Call) -> Any:
    body = call.json()
    if isinstance(body, list):
        for item in body:
            if isinstance(item, dict):
                item.pop("@context", None)
    return body


def batch(call: Call, operation: str) -> HttpResponse:
    if operation == "query":
        body = call.json()
        if not isinstance(body, dict) or body.get("type") != "Query":
            raise bad_data('A query is a JSON object with "type": "Query".')
        entities = body.get("entities") or []
        geo_q = body.get("geoQ") or {}
        params: dict[str, Any] = {
            "type": [e.get("type") for e in entities if isinstance(e, dict) and e.get("type")],
            "id": [e.get("id") for e in entities if isinstance(e, dict) and e.get("id")],
            "idPattern": next(
                (
                    e.get("idPattern")
                    for e in entities
                    if isinstance(e, dict) and e.get("idPattern")
                ),
                None,
            ),
            "q": body.get("q"),
            "attrs": body.get("attrs") or [],
            "georel": geo_q.get("georel"),
            "geometry": geo_q.get("geometry"),
            "coordinates": json.dumps(geo_q["coordinates"]) if "coordinates" in geo_q else None,
            "limit": _int(call, "limit", 20),
            "offset": _int(call, "offset", 0),
            "count": call.param("count") == "true",
        }
        return _query(call, params)
    if operation == "delete":
        result = services.batch_delete(caller=call.caller, tenant=call.tenant, payload=call.json())
        return _batch_answer(result)
    options = call.options()
    mode = {
        "create": "create",
        "upsert": "upsert_update" if "update" in options else "upsert",
        "update": "update_keep" if "noOverwrite" in options else "update",
    }.get(operation)
    if mode is None:
        raise NgsiError("ResourceNotFound", f"There is no entityOperations/{operation}.")
    result = services.batch_write(
        caller=call.caller,
        tenant=call.tenant,
        payload=_batch_body(call),
        terms=call.terms,
        mode=mode,
    )
    return _batch_answer(result, created=operation in ("create",))


# Subscriptions ----------------------------------------------------------------------


def _subscription_out(row: Any, terms: TermMap) -> dict[str, Any]:
    data = row.data
    out: dict[str, Any] = {"id": row.subscription_id, "type": "Subscription"}
    if data["entities"]:
        out["entities"] = [{**e, "type": terms.compact(e["type"])} for e in data["entities"]]
    if data["watched"]:
        out["watchedAttributes"] = [terms.compact(a) for a in data["watched"]]
    if data["q"]:
        out["q"] = data["q"]
    notification = dict(data["notification"])
    notification["attributes"] = [terms.compact(a) for a in notification["attributes"]]
    if not notification["attributes"]:
        del notification["attributes"]
    notification["status"] = "ok"
    notification["timesSent"] = row.times_sent
    if row.last_notification:
        notification["lastNotification"] = row.last_notification.isoformat().replace("+00:00", "Z")
    out["notification"] = notification
    out["isActive"] = row.is_active
    out["status"] = "active" if row.is_active else "paused"
    if row.expires_at:
        out["expiresAt"] = row.expires_at.isoformat().replace("+00:00", "Z")
    return out


def subscriptions_post(call: Call) -> HttpResponse:
    body = call.json()
    if isinstance(body, dict):
        body.pop("@context", None)
    row, secret = services.subscription_create(
        caller=call.caller, tenant=call.tenant, payload=body, terms=call.terms, context=call.context
    )
    response = HttpResponse(status=201)
    response["Location"] = f"/ngsi-ld/v1/subscriptions/{row.subscription_id}"
    # Notifications are signed (Standard Webhooks): the secret is shown once, here.
    response["NGSILD-Webhook-Secret"] = secret
    return response


def subscriptions_get(call: Call) -> HttpResponse:
    rows = selectors.subscription_list(caller=call.caller, tenant=call.tenant)
    return call.render([_subscription_out(row, call.terms) for row in rows])


def subscription_get(call: Call, subscription_id: str) -> HttpResponse:
    row = selectors.subscription_get(
        caller=call.caller, tenant=call.tenant, subscription_id=subscription_id
    )
    return call.render(_subscription_out(row, call.terms))


def subscription_patch(call: Call, subscription_id: str) -> HttpResponse:
    body = call.json()
    if not isinstance(body, dict) or set(body) - {"isActive", "@context", "type", "id"}:
        raise NgsiError(
            "OperationNotSupported", "Only isActive can be changed; delete and create again."
        )
    if not isinstance(body.get("isActive"), bool):
        raise bad_data("isActive is true or false.")
    services.subscription_set_active(
        caller=call.caller,
        tenant=call.tenant,
        subscription_id=subscription_id,
        active=body["isActive"],
    )
    return HttpResponse(status=204)


def subscription_delete(call: Call, subscription_id: str) -> HttpResponse:
    services.subscription_delete(
        caller=call.caller, tenant=call.tenant, subscription_id=subscription_id
    )
    return HttpResponse(status=204)


# Temporal ---------------------------------------------------------------------------


def _temporal_args(call: Call) -> dict[str, Any]:
    options = call.options()
    mode = "normalized"
    how = None
    if "aggregatedValues" in options:
        mode = "aggregated"
        how = selectors.aggregation(call.param("aggrMethods"), call.param("aggrPeriodDuration"))
    elif {"temporalValues", "simplified", "keyValues"} & options:
        mode = "simplified"
    span = selectors.window(
        call.param("timerel"), call.param("timeAt"), call.param("endTimeAt"), call.param("lastN")
    )
    if call.param("timeproperty") not in (None, "observedAt"):
        raise NgsiError("OperationNotSupported", "Only timeproperty=observedAt is supported.")
    return {"attrs": _csv(call, "attrs"), "span": span, "mode": mode, "how": how}


def temporal_entities_get(call: Call) -> HttpResponse:
    args = _temporal_args(call)
    entities, total = selectors.temporal_query(
        caller=call.caller,
        tenant=call.tenant,
        terms=call.terms,
        types=_csv(call, "type"),
        ids=_csv(call, "id"),
        id_pattern=call.param("idPattern"),
        q=call.param("q"),
        limit=_int(call, "limit", 20),
        offset=_int(call, "offset", 0),
        count=call.param("count") == "true",
        **args,
    )
    headers = {"NGSILD-Results-Count": str(total)} if total is not None else {}
    return call.render(entities, headers=headers)


def temporal_entity_get(call: Call, entity_id: str) -> HttpResponse:
    args = _temporal_args(call)
    if args["span"].timerel is None and args["span"].last_n is None:
        args["span"] = selectors.Window()
    entity = selectors.temporal_get(
        caller=call.caller, tenant=call.tenant, entity_id=entity_id, terms=call.terms, **args
    )
    return call.render(entity)


# Public documents ---------------------------------------------------------------------


def core_context(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(contexts.core_document(), content_type=JSON_LD)
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(NgsiError("ResourceNotFound", f"There is no resource {request.path!r}."))
