"""Database round trips of the token endpoints' hot paths (issue 8): counted exactly, in
process, through the machine middleware chain's view. What each request must still
write — tokens, the claimed code, the data-usage entry and its audit entry — is checked
with the counts: fewer statements, not less work."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, set_token_value

from nentang.identity import services
from nentang.identity.models import Account, Authorization, DataUsage, Person
from nentang.identity.oidc.claims import ACR_LEVEL1
from nentang.identity.oidc.services import client_register, consent_grant
from nentang.identity.tests import support
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db(transaction=True)

CALLBACK = "http://127.0.0.1:9/callback"
VERIFIER = "round-trips-verifier-0123456789-0123456789-0123456789"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()
CHALLENGE = CHALLENGE.rstrip("=")
SECRET = "round-trips-machine-secret-0123456789abcdef0123456789abcdef"
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def cast() -> dict[str, Any]:
    actor = Actor.system("test")
    client_register(
        actor=actor,
        client_id="rt-machine",
        name="Round trips machine",
        grant="client_credentials",
        client_secret=SECRET,
        purpose="Tests",
        scopes=["introspection"],
    )
    portal = client_register(
        actor=actor,
        client_id="rt-portal",
        name="Round trips portal",
        public=True,
        redirect_uris=[CALLBACK],
        purpose="Tests",
        scopes=["openid", "profile"],
    ).application
    person: Person = services.person_register(**support.binh_form())
    account = Account.objects.get(pk=str(person.account_id))
    consent = consent_grant(
        account=account, application=portal, scopes=["openid", "profile"], purpose="Tests"
    )
    return {"portal": portal, "account": account, "consent": consent, "person": person}


def _rows(table: str) -> int:
    """Rows of one of audit's tables (its models are audit's own: read by name)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return int(cursor.fetchone()[0])


def _count(send: Any) -> tuple[Any, list[str]]:
    send()  # warm: per-process caches (client rows, statements, keys)
    with CaptureQueriesContext(connection) as queries:
        response = send()
    return response, [query["sql"] for query in queries.captured_queries]


def test_token_endpoints_round_trips(cast: dict[str, Any]) -> None:
    """One test (one database flush) for the three hot paths."""
    _userinfo(cast)
    _client_credentials(cast)
    _code_exchange(cast)


def _userinfo(cast: dict[str, Any]) -> None:
    token = AccessToken(
        user=cast["account"],
        application=cast["portal"],
        scope="openid profile",
        expires=timezone.now() + timedelta(hours=1),
    )
    set_token_value(token, "rt-userinfo-" + secrets.token_urlsafe(24))
    raw = token._raw_token
    token.save()
    client = Client()
    before = (DataUsage.objects.count(), _rows("audit_auditentry"), _rows("audit_pendingentry"))

    response, sql = _count(lambda: client.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {raw}"))

    assert response.status_code == 200, response.content
    assert response.json()["name"] == cast["person"].full_name
    after = (DataUsage.objects.count(), _rows("audit_auditentry"), _rows("audit_pendingentry"))
    assert after == (before[0] + 2, before[1] + 2, before[2] + 2)  # two answers, two of each
    # PostgreSQL: the token with its consent; the data-usage row, audit entry, queue row
    # and counter in one statement (its own transaction); the integrator's check.
    assert len(sql) == (3 if POSTGRES else 8), sql


def _client_credentials(cast: dict[str, Any]) -> None:
    client = Client()
    basic = base64.b64encode(f"rt-machine:{SECRET}".encode()).decode()
    before = AccessToken.objects.count()

    response, sql = _count(
        lambda: client.post(
            "/oidc/token",
            {"grant_type": "client_credentials", "scope": "introspection"},
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
    )

    assert response.status_code == 200, response.content
    assert AccessToken.objects.count() == before + 2
    assert [statement.split()[0] for statement in sql] == ["INSERT"], sql


def _code(cast: dict[str, Any]) -> str:
    value = secrets.token_urlsafe(30)
    now = timezone.now()
    Grant.objects.create(
        application=cast["portal"],
        user=cast["account"],
        code=value,
        expires=now + timedelta(minutes=5),
        redirect_uri=CALLBACK,
        scope="openid profile",
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
        nonce="n",
        claims="{}",
    )
    Authorization.objects.create(
        code_checksum=hashlib.sha256(value.encode()).hexdigest(),
        application=cast["portal"],
        account=cast["account"],
        consent=cast["consent"],
        scope="openid profile",
        auth_time=now,
        acr=ACR_LEVEL1,
        created_at=now,
    )
    return value


def _code_exchange(cast: dict[str, Any]) -> None:
    client = Client()
    codes = iter([_code(cast), _code(cast)])
    counts = (IDToken.objects.count(), AccessToken.objects.count(), RefreshToken.objects.count())

    def exchange() -> Any:
        return client.post(
            "/oidc/token",
            {
                "grant_type": "authorization_code",
                "code": next(codes),
                "redirect_uri": CALLBACK,
                "client_id": "rt-portal",
                "code_verifier": VERIFIER,
            },
        )

    response, sql = _count(exchange)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert {"access_token", "refresh_token", "id_token"} <= set(answer)
    access = AccessToken.objects.get(
        token_checksum=hashlib.sha256(answer["access_token"].encode()).hexdigest()
    )
    assert access.id_token is not None
    assert access.id_token.user_id == cast["account"].pk
    assert RefreshToken.objects.get(access_token=access).user_id == cast["account"].pk
    after = (IDToken.objects.count(), AccessToken.objects.count(), RefreshToken.objects.count())
    assert after == tuple(count + 2 for count in counts)
    assert not Grant.objects.filter(application=cast["portal"]).exists()  # both codes gone
    assert Authorization.objects.filter(redeemed_at__isnull=True).count() == 0
    # PostgreSQL: BEGIN, the code, claim + grant deleted, the three tokens, data usage +
    # audit, COMMIT, the integrator's check (11 before issue 8's last pass).
    assert len(sql) == (7 if POSTGRES else 13), sql

    reused = client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": _reuse(cast),
            "redirect_uri": CALLBACK,
            "client_id": "rt-portal",
            "code_verifier": VERIFIER,
        },
    )
    assert reused.status_code == 400


def _reuse(cast: dict[str, Any]) -> str:
    """A code already redeemed: the one the grant of which is gone but whose
    authorization is marked (a replay)."""
    value = _code(cast)
    Authorization.objects.filter(code_checksum=hashlib.sha256(value.encode()).hexdigest()).update(
        redeemed_at=timezone.now()
    )
    return value
