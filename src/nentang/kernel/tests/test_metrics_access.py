"""/metrics is the operator's, not the public's: loopback (direct) or a bearer token."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN = "prometheus-scrape-token-0123456789abcdef"


@pytest.fixture
def configured(settings: Any) -> None:
    settings.NENTANG_METRICS_TOKEN = TOKEN
    settings.NENTANG_METRICS_ALLOW_NETWORKS = (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.20.0.0/16"),  # the monitoring network
    )


@pytest.mark.parametrize(
    ("remote", "headers", "status"),
    [
        ("127.0.0.1", {}, 200),
        ("::1", {}, 200),
        ("10.20.3.4", {}, 200),
        ("::ffff:10.20.3.4", {}, 200),
        ("203.0.113.7", {}, 403),  # the public
        ("203.0.113.7", {"Authorization": f"Bearer {TOKEN}"}, 200),
        ("203.0.113.7", {"Authorization": f"Bearer {TOKEN}x"}, 403),
        ("203.0.113.7", {"Authorization": TOKEN}, 403),
        # Relayed by a reverse proxy on this machine: loopback, but not local.
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, 403),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}, 403),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7", "Authorization": f"Bearer {TOKEN}"}, 200),
    ],
)
def test_who_may_read_the_metrics(
    configured: None, remote: str, headers: dict[str, str], status: int
) -> None:
    response = Client(REMOTE_ADDR=remote).get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert b"nentang_outbox_backlog" in response.content
    else:
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"nentang_" not in response.content


def test_the_public_gets_403_by_default() -> None:
    assert Client(REMOTE_ADDR="198.51.100.20").get("/metrics").status_code == 403
