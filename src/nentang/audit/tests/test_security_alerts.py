"""Alert workflow: open → acknowledged → resolved, with who and why, and refusals."""

from __future__ import annotations

import uuid

import pytest

from nentang.audit.models import Alert, AlertTransition, AuditEntry
from nentang.audit.services import pseudonym
from nentang.audit.services.security import (
    alert_acknowledge,
    alert_resolve,
    security_event_record,
)
from nentang.audit.tests.security_support import ATTACKER, make_user, seed, soc_operator
from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def alert() -> Alert:
    """Given a brute-force alert opened by eight failed logins from the attacker."""
    for _ in range(8):
        security_event_record(kind="auth.failure", outcome="failure", source_ip=ATTACKER)
    return Alert.objects.get(rule__code="auth-brute-force")


def test_acknowledge_then_resolve_keeps_who_and_why(alert: Alert) -> None:
    binh = soc_operator()

    alert_acknowledge(alert_id=alert.pk, by=binh, reason="Đang kiểm tra địa chỉ nguồn.")
    alert_resolve(alert_id=str(alert.pk), by=binh, reason="Đã chặn 203.0.113.7 ở tường lửa.")

    alert.refresh_from_db()
    assert alert.state == "resolved"
    steps = list(AlertTransition.objects.filter(alert=alert).order_by("at", "id"))
    assert [(s.from_state, s.to_state, s.by) for s in steps] == [
        ("open", "acknowledged", "soc.binh"),
        ("acknowledged", "resolved", "soc.binh"),
    ]
    assert steps[1].reason == "Đã chặn 203.0.113.7 ở tường lửa."
    entries = AuditEntry.objects.filter(subject=str(alert.pk)).exclude(action="audit.alert.open")
    assert [(e.action, e.actor_type, e.actor, e.summary) for e in entries.order_by("id")] == [
        (
            "audit.alert.acknowledge",
            "officer",
            pseudonym("soc.binh"),
            {"from": "open", "to": "acknowledged"},
        ),
        (
            "audit.alert.resolve",
            "officer",
            pseudonym("soc.binh"),
            {"from": "acknowledged", "to": "resolved"},
        ),
    ]


def test_an_open_alert_may_be_resolved_directly(alert: Alert) -> None:
    alert_resolve(alert_id=alert.pk, by=soc_operator(), reason="Kiểm thử xâm nhập có kế hoạch.")

    alert.refresh_from_db()
    assert alert.state == "resolved"


@pytest.mark.parametrize(
    ("first", "second"),
    [("resolve", "resolve"), ("resolve", "acknowledge"), ("acknowledge", "acknowledge")],
)
def test_a_step_from_the_wrong_state_is_a_409_and_changes_nothing(
    alert: Alert, first: str, second: str
) -> None:
    binh = soc_operator()
    steps = {"resolve": alert_resolve, "acknowledge": alert_acknowledge}
    steps[first](alert_id=alert.pk, by=binh, reason="Bước đầu.")
    before = (Alert.objects.get(pk=alert.pk).state, AlertTransition.objects.count())
    entries = AuditEntry.objects.count()

    with pytest.raises(Conflict) as refused:
        steps[second](alert_id=alert.pk, by=binh, reason="Bước thứ hai.")

    assert refused.value.code == "alert_transition_not_allowed"
    assert refused.value.status == 409
    assert (Alert.objects.get(pk=alert.pk).state, AlertTransition.objects.count()) == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_a_reason_is_required(alert: Alert, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        alert_acknowledge(alert_id=alert.pk, by=soc_operator(), reason=reason)

    assert [e.field for e in refused.value.errors] == ["reason"]
    assert Alert.objects.get(pk=alert.pk).state == "open"
    assert AlertTransition.objects.count() == 0


def test_an_overlong_reason_is_refused(alert: Alert) -> None:
    with pytest.raises(ValidationFailed):
        alert_resolve(alert_id=alert.pk, by=soc_operator(), reason="x" * 2001)


@pytest.mark.parametrize("alert_id", [uuid.uuid4(), "not-a-uuid", ""])
def test_an_unknown_alert_is_404(alert_id: object) -> None:
    with pytest.raises(NotFound) as refused:
        alert_acknowledge(alert_id=alert_id, by=soc_operator(), reason="?")  # type: ignore[arg-type]

    assert refused.value.code == "alert_not_found"


@pytest.mark.parametrize(
    "who",
    [
        {"username": "an.nguyen", "staff": False, "permissions": ["audit.change_alert"]},
        {"username": "duc.pham", "staff": True, "permissions": ["audit.view_alert"]},
    ],
)
def test_without_the_permission_the_service_refuses(alert: Alert, who: dict[str, object]) -> None:
    user = make_user(**who)  # type: ignore[arg-type]

    with pytest.raises(Forbidden) as refused:
        alert_resolve(alert_id=alert.pk, by=user, reason="Không được phép.")

    assert refused.value.code == "audit_permission_required"
    assert Alert.objects.get(pk=alert.pk).state == "open"


def test_an_inactive_operator_is_refused(alert: Alert) -> None:
    binh = soc_operator()
    binh.is_active = False

    with pytest.raises(Forbidden):
        alert_acknowledge(alert_id=alert.pk, by=binh, reason="Tài khoản đã khóa.")
