"""Fixtures of the smartcity tests: a city tenant, a machine client with the scope
``smartcity`` and its bearer token from our own OAuth token endpoint."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from nentang.identity import services as identity
from nentang.kernel.auditing import Actor
from nentang.smartcity import services

OPERATOR = Actor.system("smartcity-tests")
SECRET = "smartcity-secret-for-tests-2026"


def register_client(client_id: str, scopes: tuple[str, ...] = ("smartcity",)) -> None:
    identity.client_register(
        actor=OPERATOR,
        name=f"API {client_id}",
        grant="client_credentials",
        client_id=client_id,
        client_secret=SECRET,
        scopes=list(scopes),
        purpose="Gửi dữ liệu cảm biến đô thị",
    )


def token_for(client: Client, client_id: str, scope: str = "smartcity") -> str:
    basic = base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()
    answer = client.post(
        "/oidc/token",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert answer.status_code == 200, answer.content
    return str(answer.json()["access_token"])


class Ngsi:
    """A thin NGSI-LD caller over Django's test client (the whole middleware stack)."""

    def __init__(self, client: Client, token: str, tenant: str = "hue") -> None:
        self.client = client
        self.token = token
        self.tenant = tenant

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.tenant:
            headers["NGSILD-Tenant"] = self.tenant
        headers.update(extra or {})
        return headers

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Any:
        import json

        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return (
            getattr(self.client, method.lower())(
                "/ngsi-ld/v1" + path,
                data=data,
                content_type=content_type,
                headers=self.headers(headers),
            )
            if method.upper() != "GET"
            else self.client.get("/ngsi-ld/v1" + path, headers=self.headers(headers))
        )


@pytest.fixture(autouse=True)
def _tokens_forgotten() -> Any:
    """Each test starts with no remembered bearer token (``views.bearer``)."""
    from nentang.smartcity.views import bearer

    bearer.forget_tokens()
    yield
    bearer.forget_tokens()


@pytest.fixture
def city(db: None) -> None:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    services.tenant_create(actor=OPERATOR, name="hue", title="Thành phố Huế")
    services.tenant_create(actor=OPERATOR, name="danang", title="Thành phố Đà Nẵng")
    register_client("hue-ioc")
    services.tenant_grant(actor=OPERATOR, tenant="hue", client_id="hue-ioc", can_write=True)


@pytest.fixture
def ngsi(city: None, client: Client) -> Ngsi:
    return Ngsi(client, token_for(client, "hue-ioc"))
