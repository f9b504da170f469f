"""The API reference page (/api/v1/docs), rendered on the server from the OpenAPI document.

A page of the design system rather than a JavaScript explorer: it has a language, one
main landmark, headings to navigate by, tables a screen reader can read and no nested
controls, and it speaks the reader's language (summaries and descriptions are localised
when the OpenAPI document is built; see ``kernel.api``). The document itself stays at
``/api/v1/openapi.json`` for tools (Postman, code generators, schemathesis).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from nentang.web.components import Link

SchemaProvider = Callable[[], dict[str, Any]]
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Body:
    name: str
    fields: list[Field]


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: SafeString
    auth: str
    parameters: list[Field] = field(default_factory=list)
    body: Body | None = None
    responses: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Group:
    tag: str
    anchor: str
    operations: list[Operation] = field(default_factory=list)


def _code_spans(text: str) -> SafeString:
    """Escape, then show `backticked` words as code (the OpenAPI descriptions' markup)."""
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))
    return mark_safe(html)  # noqa: S308 - escaped above; only <code> is added


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else ""


def _type(schema: dict[str, Any]) -> str:
    if name := _ref_name(schema):
        return name
    if "anyOf" in schema:
        kinds = [_type(option) for option in schema["anyOf"]]
        return " | ".join(kind for kind in kinds if kind)
    kind = str(schema.get("type", ""))
    if kind == "array":
        return f"{_type(schema.get('items', {}))}[]"
    if fmt := schema.get("format"):
        return f"{kind} ({fmt})"
    return kind


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> list[Field]:
    resolved = components.get(_ref_name(schema), schema) if "$ref" in schema else schema
    required = set(resolved.get("required", []))
    return [
        Field(
            name=name,
            type=_type(prop),
            required=name in required,
            description=str(prop.get("description", "")),
        )
        for name, prop in resolved.get("properties", {}).items()
    ]


def _auth(operation: dict[str, Any]) -> str:
    schemes = {name for option in operation.get("security", []) for name in option}
    if not schemes:
        return _("None: public")
    labels = {
        "BearerAuth": _("an access token (Authorization: Bearer …)"),
        "SessionAuth": _("a logged-in browser session"),
    }
    return _(" or ").join(labels.get(name, name) for name in sorted(schemes))


def groups(schema: dict[str, Any]) -> list[Group]:
    """The operations of the document, grouped by their first tag, in document order."""
    components = schema.get("components", {}).get("schemas", {})
    found: dict[str, Group] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["api"])[0]
            group = found.setdefault(tag, Group(tag=tag, anchor=f"tag-{tag}"))
            operation_id = str(operation.get("operationId", f"{method}-{path}"))
            body = None
            content = operation.get("requestBody", {}).get("content", {})
            for media in ("application/json", "multipart/form-data"):
                if media in content:
                    body_schema = content[media].get("schema", {})
                    body = Body(
                        name=_ref_name(body_schema) or media,
                        fields=_fields(body_schema, components),
                    )
                    break
            group.operations.append(
                Operation(
                    anchor=operation_id,
                    method=method.upper(),
                    path=path,
                    summary=str(operation.get("summary", "")),
                    description=_code_spans(str(operation.get("description", ""))),
                    auth=_auth(operation),
                    parameters=[
                        Field(
                            name=f"{p['name']} ({p['in']})",
                            type=_type(p.get("schema", {})),
                            required=bool(p.get("required")),
                            description=str(p.get("description", "")),
                        )
                        for p in operation.get("parameters", [])
                    ],
                    body=body,
                    responses=[
                        (
                            str(status),
                            str(response.get("description", "")),
                            ", ".join(
                                _ref_name(media.get("schema", {})) or name
                                for name, media in response.get("content", {}).items()
                            ),
                        )
                        for status, response in operation.get("responses", {}).items()
                    ],
                )
            )
    return list(found.values())


def api_reference(schema_provider: SchemaProvider) -> Callable[[HttpRequest], HttpResponse]:
    """The view, given what builds the OpenAPI document (config/urls.py wires them)."""

    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        schema = schema_provider()
        return render(
            request,
            "web/api_docs.html",
            {
                "info": schema.get("info", {}),
                "intro": _code_spans(str(schema.get("info", {}).get("description", ""))),
                "groups": groups(schema),
                "openapi_url": reverse("api-v1:openapi-json"),
                "breadcrumbs": [
                    Link(_("Home"), reverse("web:home")),
                    Link(_("For operators and developers"), reverse("web:operators")),
                ],
            },
        )

    return view
