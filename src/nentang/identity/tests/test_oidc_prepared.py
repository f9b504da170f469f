"""The fixed statements behind every userinfo answer and code exchange are prepared on
PostgreSQL (kernel.prepared): parsed and planned once per connection, not per request
(issue 8, PostgreSQL's CPU per answer). The answers are the same on both databases."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from nentang.identity import services
from nentang.identity.models import Account, DataUsage, Person
from nentang.identity.oidc.services import client_register, consent_grant
from nentang.identity.oidc.tokens import TokenRefused, person_token
from nentang.identity.oidc.usage import release_record
from nentang.identity.tests import support
from nentang.kernel.auditing import Actor
from nentang.kernel.prepared import fixed_cursor

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def held() -> dict[str, Any]:
    portal = client_register(
        actor=Actor.system("test"),
        client_id="prepared-portal",
        name="Prepared portal",
        public=True,
        redirect_uris=["http://127.0.0.1:9/callback"],
        purpose="Tests",
        scopes=["openid", "profile"],
    ).application
    person: Person = services.person_register(**support.binh_form())
    account = Account.objects.get(pk=str(person.account_id))
    consent_grant(
        account=account, application=portal, scopes=["openid", "profile"], purpose="Tests"
    )
    token = AccessToken(
        user=account,
        application=portal,
        scope="openid profile",
        expires=timezone.now() + timedelta(hours=1),
    )
    set_token_value(token, "prepared-" + secrets.token_urlsafe(24))
    raw = token._raw_token
    token.save()
    return {"raw": raw, "account": account, "portal": portal, "person": person, "token": token}


def _prepared() -> list[str]:
    """The statements prepared on this connection (this session's only)."""
    if not POSTGRES:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_the_token_lookup_and_the_release_entry_are_prepared(held: dict[str, Any]) -> None:
    answers = []
    for _ in range(3):  # the same statements again: prepared once, reused
        found = person_token(held["raw"], required_scope="openid")
        release_record(
            account=found.account,
            application=found.application,
            claims=["name"],
            purpose="Tests of prepared statements",
        )
        answers.append((found.account.pk, found.application.pk, sorted(found.scopes)))
    with pytest.raises(TokenRefused) as refused:
        person_token(held["raw"] + "x", required_scope="openid")  # same statement, no row

    assert refused.value.reason == "unknown"
    assert answers == [(held["account"].pk, held["portal"].pk, ["openid", "profile"])] * 3
    assert DataUsage.objects.filter(person=held["person"]).count() == 3
    prepared = _prepared()
    if POSTGRES:
        lookups = [sql for sql in prepared if "token_checksum" in sql and "SELECT" in sql]
        entries = [sql for sql in prepared if "identity_datausage" in sql]
        assert len(lookups) == 1, prepared  # one statement for four look-ups
        assert len(entries) == 1, prepared  # data usage + audit entry, three times
    else:
        assert prepared == []


def test_a_fixed_cursor_answers_like_djangos(held: dict[str, Any]) -> None:
    sql = "SELECT %s || 'x', COUNT(*) FROM oauth2_provider_accesstoken WHERE id = %s"
    params = ["a", held["token"].pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        expected = cursor.fetchall()
    for _ in range(2):
        with fixed_cursor() as cursor:
            cursor.execute(sql, params)
            assert cursor.fetchall() == expected == [("ax", 1)]
    assert (sql.replace("%s", "$1", 1).replace("%s", "$2") in _prepared()) is POSTGRES
