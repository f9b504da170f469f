"""Idempotency-Key for unsafe requests (draft-ietf-httpapi-idempotency-key-header).

Wrap an operation that creates money movements, dossiers or shipments::

    @router.post("/transfers", openapi_extra=IDEMPOTENCY_OPENAPI)
    @decorate_view(idempotent)
    def transfer_create(request, payload: TransferIn): ...

* same key, same request → the stored response, with ``Idempotent-Replayed: true``;
* same key, another body → 409 ``idempotency_key_reused``, nothing written;
* keys are scoped to the caller (user, client, or anonymous address) and expire
  after ``NENTANG_IDEMPOTENCY_TTL_HOURS``.

``decorate_view`` wraps ninja's ``Operation.run``, which authenticates the caller inside:
the wrapper authenticates first (with the operation's own authenticators), so a key
belongs to the token's or session's principal, never to the address that many callers
behind one carrier-grade NAT share. A request carrying credentials whose principal
cannot be known gets a key space of its own: it is never answered with another caller's
stored response.

The record is inserted *before* the operation runs, in the operation's transaction.
A concurrent request with the same key blocks on the unique index until the first
commits, then replays its response; if the first fails, nothing was stored and the
second runs normally. Only responses below 400 are stored; errors roll back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja.security import HttpBearer

from nentang.kernel.errors import BadRequest, Conflict, ProblemError, response_for
from nentang.kernel.problems import IDEMPOTENCY_KEY_REUSED, INVALID_IDEMPOTENCY_KEY
from nentang.kernel.security import client_address

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_STORED_HEADERS = ("Location", "ETag", "Content-Location")

IDEMPOTENCY_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "description": (
                "Unique key of this request (e.g. a UUID). Retrying with the same key and "
                "body returns the first response; another body with the same key is a 409."
            ),
            "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
        }
    ]
}


def parse_key(raw: str) -> str:
    """Accept ``abc`` or the structured-field string form ``"abc"``."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise BadRequest(
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            code=INVALID_IDEMPOTENCY_KEY,
        )
    return key


def default_scope(request: HttpRequest) -> str:
    """Who owns the key: the API principal, the signed-in user, or the client address."""
    auth = getattr(request, "auth", None)
    if auth is not None:
        scope = getattr(auth, "idempotency_scope", None)
        if isinstance(scope, str) and scope:
            return scope
        account = getattr(auth, "account", None)
        if account is not None and getattr(account, "pk", None) is not None:
            return f"user:{account.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if auth is not None or "Authorization" in request.headers:
        # Credentials whose owner we cannot name: a key space no other request shares.
        return f"unresolved:{uuid.uuid4().hex}"
    return f"anonymous:{client_address(request) or '-'}"


def authenticate_first(view: Callable[..., Any], request: HttpRequest) -> HttpResponseBase | None:
    """Run the wrapped ninja operation's authenticators now, so ``request.auth`` names the
    caller before the key's owner is chosen. Returns ninja's refusal (401/403) when they
    refuse; nothing is stored then. (The operation authenticates again when it runs; a
    bearer authenticator built on :class:`OncePerRequestBearer` answers that from the
    first look-up.)"""
    operation = getattr(view, "__self__", None)
    callbacks = getattr(operation, "auth_callbacks", None)
    if getattr(request, "auth", None) is not None or not callbacks:
        return None
    if getattr(operation, "csrf_exempt", False):
        request._ninja_csrf_exempt = True  # type: ignore[attr-defined]
    refusal: HttpResponseBase | None = operation._run_authentication(request)  # type: ignore[union-attr]
    return refusal


class OncePerRequestBearer(HttpBearer):
    """ninja's ``HttpBearer`` that looks its token up once per request: a request with an
    Idempotency-Key is authenticated by :func:`authenticate_first`, then again by the
    operation; the second time gets the principal the first one found (the same header
    of the same request, a moment later). Refusals are not remembered: a refused
    request never reaches the operation."""

    def __call__(self, request: HttpRequest) -> Any | None:
        found = request.__dict__.get("_nentang_bearer")
        if found is not None and found[0] is self:
            return found[1]
        result = super().__call__(request)
        if result:
            request.__dict__["_nentang_bearer"] = (self, result)
        return result


def fingerprint(request: HttpRequest) -> str:
    body = request.body
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    digest.update((request.method or "").encode())
    digest.update(b"\n")
    digest.update(request.get_full_path().encode())
    digest.update(b"\n")
    digest.update(canonical)
    return digest.hexdigest()


def _replay(record: Any, expected: str) -> HttpResponse:
    if record.fingerprint != expected:
        raise Conflict(
            "This Idempotency-Key was already used with a different request.",
            code=IDEMPOTENCY_KEY_REUSED,
        )
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type
    )
    for name, value in record.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(
    view: Callable[..., HttpResponseBase],
    *,
    scope: Callable[[HttpRequest], str] = default_scope,
) -> Callable[..., HttpResponseBase]:
    from nentang.kernel.models import IdempotencyRecord

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        raw = request.headers.get(HEADER)
        if raw is None:
            return view(request, *args, **kwargs)
        try:
            key = parse_key(raw)
        except ProblemError as error:
            return response_for(error, instance=request.path)
        refused = authenticate_first(view, request)
        if refused is not None:
            return refused
        owner = scope(request)
        expected = fingerprint(request)
        now = timezone.now()
        ttl = timedelta(hours=settings.NENTANG_IDEMPOTENCY_TTL_HOURS)

        try:
            with transaction.atomic():
                IdempotencyRecord.objects.filter(scope=owner, key=key, expires_at__lte=now).delete()
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            scope=owner,
                            key=key,
                            fingerprint=expected,
                            method=request.method or "",
                            path=request.path[:2000],
                            status_code=0,
                            content_type="",
                            body=b"",
                            created_at=now,
                            expires_at=now + ttl,
                        )
                except IntegrityError:
                    existing = IdempotencyRecord.objects.get(scope=owner, key=key)
                    return _replay(existing, expected)

                response = view(request, *args, **kwargs)
                if response.status_code >= 400 or not isinstance(response, HttpResponse):
                    transaction.set_rollback(True)
                    return response
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "application/json")
                record.body = response.content
                record.headers = {h: response[h] for h in _STORED_HEADERS if h in response}
                record.save(update_fields=["status_code", "content_type", "body", "headers"])
                return response
        except ProblemError as error:
            return response_for(error, instance=request.path)

    return wrapper


def purge_expired(*, now: Any = None) -> int:
    """Delete expired records; returns how many. Run periodically by a task."""
    from nentang.kernel.models import IdempotencyRecord

    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
