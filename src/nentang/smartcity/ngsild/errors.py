"""NGSI-LD's error shapes (ETSI GS CIM 009 §5.5.2): ``{"type", "title", "detail"}`` with a
type under ``https://uri.etsi.org/ngsi-ld/errors/`` and a fixed HTTP status per type."""

from __future__ import annotations

from typing import Any

ERRORS_BASE = "https://uri.etsi.org/ngsi-ld/errors/"

STATUS = {
    "InvalidRequest": 400,
    "BadRequestData": 400,
    "AlreadyExists": 409,
    "OperationNotSupported": 422,
    "ResourceNotFound": 404,
    "InternalError": 500,
    "TooComplexQuery": 403,
    "TooManyResults": 403,
    "LdContextNotAvailable": 503,
    "NoMultiTenantSupport": 501,
    "NonexistentTenant": 404,
    "NotAcceptable": 406,
    "UnsupportedMediaType": 415,
    "Unauthorized": 401,
    "Forbidden": 403,
    "PayloadTooLarge": 413,
}

TITLES = {
    "InvalidRequest": "Invalid request",
    "BadRequestData": "Bad request data",
    "AlreadyExists": "Already exists",
    "OperationNotSupported": "Operation not supported",
    "ResourceNotFound": "Resource not found",
    "InternalError": "Internal error",
    "TooComplexQuery": "Too complex query",
    "TooManyResults": "Too many results",
    "LdContextNotAvailable": "@context not available",
    "NoMultiTenantSupport": "No multi-tenant support",
    "NonexistentTenant": "Nonexistent tenant",
    "NotAcceptable": "Not acceptable",
    "UnsupportedMediaType": "Unsupported media type",
    "Unauthorized": "Unauthorized",
    "Forbidden": "Forbidden",
    "PayloadTooLarge": "Payload too large",
}


class NgsiError(Exception):
    """An NGSI-LD error: ``kind`` is the last segment of the error type URI."""

    def __init__(self, kind: str, detail: str, *, status: int | None = None) -> None:
        if kind not in STATUS:
            raise ValueError(f"unknown NGSI-LD error type {kind!r}")
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status or STATUS[kind]

    @property
    def type_uri(self) -> str:
        return ERRORS_BASE + self.kind

    def body(self) -> dict[str, Any]:
        return {"type": self.type_uri, "title": TITLES[self.kind], "detail": self.detail}


def bad_data(detail: str) -> NgsiError:
    return NgsiError("BadRequestData", detail)


def invalid(detail: str) -> NgsiError:
    return NgsiError("InvalidRequest", detail)


def not_found(detail: str) -> NgsiError:
    return NgsiError("ResourceNotFound", detail)
