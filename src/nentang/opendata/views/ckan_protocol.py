"""The protocol of CKAN's Action API shared by its actions: the registry of actions,
CKAN's envelope and error shapes, parameter parsing and the caller (API token or a
read-only browser session). The actions are in :mod:`.ckan` and :mod:`.ckan_datastore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

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


def help_url(name: str) -> str:
    return f"{settings.BASE_URL}/api/3/action/help_show?name={name}"


def ok_response(name: str, result: Any) -> JsonResponse:
    return JsonResponse(
        {"help": help_url(name), "success": True, "result": result},
        json_dumps_params={"ensure_ascii": False},
    )


def error_response(name: str, status: int, error: dict[str, Any]) -> JsonResponse:
    return JsonResponse(
        {"help": help_url(name), "success": False, "error": error},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def validation_error(errors: tuple[FieldError, ...], detail: str | None) -> dict[str, Any]:
    """CKAN's Validation Error: one list of messages per field."""
    error: dict[str, Any] = {"__type": "Validation Error"}
    for item in errors:
        error.setdefault(item.field, []).append(str(item.message))
    if not errors:
        error["message"] = detail or _("Some fields are invalid.")
    return error


def translate(name: str, exception: ProblemError) -> JsonResponse:
    detail = exception.detail or ""
    if isinstance(exception, NotFound):
        return error_response(
            name, 404, {"__type": "Not Found Error", "message": detail or _("Not found")}
        )
    if isinstance(exception, Forbidden | Unauthorized):
        return error_response(
            name, 403, {"__type": "Authorization Error", "message": f"Access denied: {detail}"}
        )
    if isinstance(exception, ValidationFailed):
        return error_response(name, 409, validation_error(exception.errors, detail))
    if isinstance(exception, Conflict):
        error = validation_error(exception.errors, detail)
        if exception.code == "dataset_name_taken":
            error = {"__type": "Validation Error", "name": [detail]}
        return error_response(name, 409, error)
    if exception.code in ("invalid_fq", "invalid_sort", "invalid_paging"):
        return error_response(
            name,
            409,
            {"__type": "Search Query Error", "message": f"Search Query is invalid: {detail}"},
        )
    if exception.code == "sql_refused":
        return error_response(
            name,
            409,
            {"__type": "Validation Error", "sql": [detail], "info": {"code": exception.code}},
        )
    return error_response(name, exception.status, {"__type": "Bad Request", "message": detail})


# --- parameters and the caller ----------------------------------------------------


def params(request: HttpRequest) -> dict[str, Any]:
    """The action's parameters; a NUL character anywhere in them is refused here, for
    every action (PostgreSQL cannot take one in text, and no parameter needs one)."""
    data = _params(request)
    services.refuse_nul(data)
    return data


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
    except RecursionError:
        raise BadRequest(_("Bad request - JSON Error: the body is nested too deeply.")) from None
    if not isinstance(parsed, dict):
        raise BadRequest(_("Bad request - JSON Error: the body must be a JSON object."))
    return parsed


def token_of(request: HttpRequest) -> str:
    value = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key") or ""
    value = value.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return value


def caller(request: HttpRequest, *, write: bool) -> Any:
    token = token_of(request)
    if token:
        account = selectors.account_for_token(token=token)
        if account is None:
            raise Unauthorized(_("The API token is unknown or revoked."), code=INVALID_API_TOKEN)
        return account
    user = getattr(request, "user", None)
    if not write and user is not None and user.is_authenticated and user.is_active:
        return user
    return None


# --- helpers ----------------------------------------------------------------------


def int_param(
    data: dict[str, Any], key: str, default: int, *, low: int = 0, high: int = 1000
) -> int:
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


def bool_param(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


def list_param(value: Any) -> list[str]:
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


def require(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value in (None, ""):
        raise ValidationFailed(errors=[FieldError(key, _("Missing value"), "required")])
    return str(value)


def show_package(account: Any, ref: str) -> dict[str, Any]:
    dataset = selectors.dataset_get(account=account, ref=ref)
    return shapes.package_dict(dataset)


def editable(account: Any, ref: str) -> Any:
    return selectors.dataset_get(account=account, ref=ref)
