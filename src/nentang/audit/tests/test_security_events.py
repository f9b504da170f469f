"""Recording security events: one interface, validated, pseudonymous, transaction-aware."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from nentang.audit.models import SecurityEvent, System
from nentang.audit.services import pseudonym
from nentang.audit.services.security import SecurityEventError, security_event_record
from nentang.audit.tests.security_support import ATTACKER, seed
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


def test_an_event_is_stored_with_the_person_as_a_pseudonym() -> None:
    event = security_event_record(
        kind="authz.denied",
        outcome="denied",
        severity="low",
        source_ip=ATTACKER,
        actor=Actor.person("079204000123"),
        subject="dossier:01J0000000000000000000000",
        detail={"permission": "dossier.view"},
    )

    stored = SecurityEvent.objects.get(pk=event.pk)
    assert stored.kind == "authz.denied"
    assert stored.actor_type == "person"
    assert stored.actor == pseudonym("079204000123")
    assert "079204000123" not in str(SecurityEvent.objects.values().get(pk=event.pk))
    assert stored.source_ip == ATTACKER
    assert stored.system.code == "nentang"
    assert stored.detail == {"permission": "dossier.view"}


def test_clients_and_systems_keep_their_public_ids() -> None:
    event = security_event_record(kind="token.misuse", actor=Actor.client("cli_dichvucong"))

    assert (event.actor_type, event.actor) == ("client", "cli_dichvucong")


def test_the_kernel_hook_reaches_the_same_service() -> None:
    event = auditing.security_event(kind="ratelimit.hit", source_ip=ATTACKER)

    assert SecurityEvent.objects.get(pk=event.pk).kind == "ratelimit.hit"


def test_an_ipv4_mapped_address_is_the_same_source() -> None:
    event = security_event_record(kind="auth.failure", source_ip=f"::ffff:{ATTACKER}")

    assert event.source_ip == ATTACKER


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "login failed"}, "dotted name"),
        ({"kind": "Auth.Failure"}, "dotted name"),
        ({"kind": "auth"}, "dotted name"),
        ({"kind": "auth." + "x" * 40}, "dotted name"),
        ({"kind": "auth.failure", "severity": "urgent"}, "severity"),
        ({"kind": "auth.failure", "outcome": "Failed!"}, "outcome"),
        ({"kind": "auth.failure", "source_ip": "203.0.113.999"}, "not an IP"),
        ({"kind": "auth.failure", "detail": {"score": 0.5}}, "floats"),
        ({"kind": "auth.failure", "detail": {"blob": "x" * 3000}}, "larger than 2048"),
        ({"kind": "auth.failure", "detail": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "deeply"),
        ({"kind": "auth.failure", "subject": "s" * 129}, "subject"),
        ({"kind": "auth.failure", "system": "khong-co"}, "unknown system 'khong-co'"),
        ({"kind": "auth.failure", "actor": Actor("robot", "r1")}, "actor type"),
        ({"kind": "auth.failure", "detail": {"login": "an\x00"}}, "detail.login: contains a NUL"),
        ({"kind": "auth.failure", "detail": {"login": "\ud83d"}}, "detail.login: not valid"),
        ({"kind": "auth.failure", "subject": "x\x00"}, "subject: contains a NUL"),
        ({"kind": "auth.failure", "actor": Actor.client("\ud800")}, "actor: not valid"),
    ],
)
def test_bad_calls_are_refused_and_write_nothing(
    arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(SecurityEventError, match=message):
        security_event_record(**arguments)  # type: ignore[arg-type]

    assert SecurityEvent.objects.count() == 0


def test_the_platform_system_is_recreated_when_missing() -> None:
    SecurityEvent.objects.all().delete()
    System.objects.filter(code="nentang").delete()

    event = security_event_record(kind="auth.failure", source_ip=ATTACKER)

    assert event.system.code == "nentang"
    assert event.system.security_level == 3


def test_inside_a_callers_transaction_the_event_shares_its_fate() -> None:
    def a_change_that_fails() -> None:
        with transaction.atomic():
            security_event_record(kind="admin.action", actor=Actor.officer("quantri.cuong"))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        a_change_that_fails()

    assert SecurityEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_event_commits_on_its_own() -> None:
    seed()
    assert not connection.in_atomic_block

    event = security_event_record(kind="auth.failure", source_ip=ATTACKER)

    assert not connection.in_atomic_block
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
