"""The shipped detection rules fire exactly at their thresholds, within their windows.

Time is walked with a stand-in clock (``security_support.freeze``): given events at
chosen moments, when the next one arrives, then an alert opens or not.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nentang.audit.models import Alert, AuditEntry, SecurityEvent
from nentang.audit.services.security import security_event_record
from nentang.audit.tests.security_support import ATTACKER, COLLEAGUE, Clock, freeze, seed, vn
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db

START = vn(2026, 11, 24, 10, 0)  # a Tuesday, working hours


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return freeze(monkeypatch, START)


def fail(source: str = ATTACKER) -> SecurityEvent:
    return security_event_record(kind="auth.failure", outcome="failure", source_ip=source)


def alerts(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule__code=rule).order_by("opened_at"))


class TestBruteForce:
    """≥ 8 auth.failure from one source within 120 s (Wazuh 5712)."""

    def test_seven_failures_open_nothing_and_the_eighth_opens_the_alert(self, clock: Clock) -> None:
        for _ in range(7):
            fail()
            clock.advance(10)
        assert alerts("auth-brute-force") == []

        fail()

        [alert] = alerts("auth-brute-force")
        assert alert.key == ATTACKER
        assert alert.state == "open"
        assert alert.severity == "high"
        assert alert.event_count == 8
        assert alert.evidence.count() == 8
        assert AuditEntry.objects.filter(action="audit.alert.open", subject=str(alert.pk)).exists()

    def test_failures_from_another_address_do_not_count(self, clock: Clock) -> None:
        for _ in range(7):
            fail()
        fail(COLLEAGUE)

        assert alerts("auth-brute-force") == []

    def test_the_window_slides_failures_older_than_120_seconds_do_not_count(
        self, clock: Clock
    ) -> None:
        for _ in range(7):
            fail()
            clock.advance(1)  # failures at 0 … 6 s
        clock.advance(113)  # 120 s after the first failure: it has left the window

        fail()

        assert alerts("auth-brute-force") == []  # 7 in (0 s, 120 s]: 1 … 6 s and 120 s
        fail()  # 8 in the window
        assert len(alerts("auth-brute-force")) == 1

    def test_exactly_at_the_edge_of_the_window_does_not_count(self, clock: Clock) -> None:
        fail()
        clock.advance(1)
        for _ in range(6):
            fail()
        clock.advance(119)  # the first failure is exactly 120 s old

        fail()

        assert alerts("auth-brute-force") == []

    def test_more_failures_become_evidence_of_the_open_alert(self, clock: Clock) -> None:
        for _ in range(8):
            fail()
            clock.advance(1)

        for _ in range(3):
            clock.advance(200)  # far outside the window: still the same attack
            fail()

        [alert] = alerts("auth-brute-force")
        assert alert.event_count == 11
        assert alert.evidence.count() == 11
        assert alert.last_event_at == clock.now

    def test_an_acknowledged_alert_still_collects_evidence(self, clock: Clock) -> None:
        for _ in range(8):
            fail()
        Alert.objects.update(state="acknowledged")

        fail()

        [alert] = alerts("auth-brute-force")
        assert alert.event_count == 9

    def test_after_resolution_the_ongoing_attack_opens_a_new_alert(self, clock: Clock) -> None:
        for _ in range(8):
            fail()
        Alert.objects.update(state="resolved")
        clock.advance(5)

        fail()

        first, second = alerts("auth-brute-force")
        assert (first.state, second.state) == ("resolved", "open")
        assert second.event_count == 9  # all failures still in the window


class TestFailuresThenSuccess:
    """≥ 8 auth.failure then an auth.success from the same source within 240 s (40112)."""

    def succeed(self, source: str = ATTACKER) -> SecurityEvent:
        return security_event_record(
            kind="auth.success",
            outcome="success",
            source_ip=source,
            actor=Actor.officer("quantri.cuong"),
        )

    def test_eight_failures_then_a_success_open_the_alert(self, clock: Clock) -> None:
        for _ in range(8):
            fail()
            clock.advance(20)  # 8 failures over 160 s: brute force fired early on

        success = self.succeed()

        [alert] = alerts("auth-failures-then-success")
        assert alert.severity == "critical"
        assert alert.event_count == 9
        kinds = [e.snapshot["kind"] for e in alert.evidence.order_by("occurred_at", "event_id")]
        assert kinds == ["auth.failure"] * 8 + ["auth.success"]
        assert alert.evidence.last().event_id == success.pk  # type: ignore[union-attr]

    def test_seven_failures_then_a_success_open_nothing(self, clock: Clock) -> None:
        for _ in range(7):
            fail()

        self.succeed()

        assert alerts("auth-failures-then-success") == []

    def test_a_success_from_another_address_opens_nothing(self, clock: Clock) -> None:
        for _ in range(8):
            fail()

        self.succeed(COLLEAGUE)

        assert alerts("auth-failures-then-success") == []

    def test_failures_older_than_240_seconds_do_not_count(self, clock: Clock) -> None:
        for _ in range(8):
            fail()
            clock.advance(1)
        clock.advance(240 - 8 + 4)  # the first 5 failures are more than 240 s old

        self.succeed()

        assert alerts("auth-failures-then-success") == []


class TestObjectIdProbing:
    """≥ 14 authz.denied for one actor within 90 s (Wazuh 31151, keyed on the actor)."""

    def deny(self, who: str = "an.nguyen", source: str = ATTACKER) -> SecurityEvent:
        return security_event_record(
            kind="authz.denied", outcome="denied", source_ip=source, actor=Actor.person(who)
        )

    def test_thirteen_denials_open_nothing_the_fourteenth_opens_the_alert(
        self, clock: Clock
    ) -> None:
        for number in range(13):
            self.deny(source=f"198.51.100.{number + 1}")  # addresses change, the actor not
            clock.advance(6)
        assert alerts("authz-object-probing") == []

        event = self.deny()

        [alert] = alerts("authz-object-probing")
        assert alert.key == event.actor
        assert alert.key.startswith("p_")
        assert alert.event_count == 14

    def test_denials_of_two_actors_are_counted_apart(self, clock: Clock) -> None:
        for _ in range(7):
            self.deny("an.nguyen")
            self.deny("binh.tran")

        assert alerts("authz-object-probing") == []

    def test_denials_older_than_90_seconds_do_not_count(self, clock: Clock) -> None:
        for _ in range(13):
            self.deny()
            clock.advance(7)  # the 14th comes 91 s after the first

        self.deny()

        assert alerts("authz-object-probing") == []


class TestAdministratorOffHours:
    """admin.action outside 07:30–17:00 (Asia/Ho_Chi_Minh) or on a day off (17101/17102)."""

    def act(self, who: str = "quantri.cuong") -> SecurityEvent:
        return security_event_record(kind="admin.action", actor=Actor.officer(who))

    @pytest.mark.parametrize(
        ("moment", "fires"),
        [
            (vn(2026, 11, 24, 10, 0), False),  # Tuesday, mid-morning
            (vn(2026, 11, 24, 7, 30), False),  # office opens
            (vn(2026, 11, 24, 7, 29), True),
            (vn(2026, 11, 24, 16, 59), False),
            (vn(2026, 11, 24, 17, 0), True),  # office closed
            (vn(2026, 11, 24, 23, 30), True),
            (vn(2026, 11, 28, 10, 0), True),  # Saturday
            (vn(2026, 9, 2, 10, 0), True),  # Wednesday, Quốc khánh (from the calendar)
            (vn(2026, 9, 1, 10, 0), True),  # Tuesday, the day next to it
            (vn(2025, 4, 26, 10, 0), False),  # Saturday, make-up working day
        ],
    )
    def test_fires_outside_working_days_and_hours(
        self, monkeypatch: pytest.MonkeyPatch, moment: datetime, fires: bool
    ) -> None:
        freeze(monkeypatch, moment)

        self.act()

        assert len(alerts("admin-off-hours")) == (1 if fires else 0)

    def test_a_night_of_changes_is_one_alert_per_administrator(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        clock = freeze(monkeypatch, vn(2026, 11, 24, 22, 0))
        for _ in range(5):
            self.act()
            clock.advance(60)
        self.act("quantri.hoa")

        by_key = {alert.key: alert.event_count for alert in alerts("admin-off-hours")}
        assert sorted(by_key.values()) == [1, 5]


def test_detection_cost_does_not_grow_with_the_table(clock: Clock) -> None:
    """One indexed COUNT per matching rule: never a scan that reads old events."""
    for number in range(300):
        fail(f"198.51.100.{number % 200 + 1}")
    with CaptureQueriesContext(connection) as small:
        fail()
    for number in range(600):
        fail(f"192.0.2.{number % 200 + 1}")
    with CaptureQueriesContext(connection) as large:
        fail()

    assert len(large) == len(small)
    assert len(small) <= 8
    counts = [q["sql"] for q in large.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_open_exactly_one_alert() -> None:
    """Sixteen failed logins at once from one address: one alert, no duplicate, no error."""
    seed()
    for _ in range(7):
        fail()
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def attempt() -> None:
        try:
            barrier.wait()
            fail()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert SecurityEvent.objects.filter(kind="auth.failure").count() == 23
    [alert] = alerts("auth-brute-force")
    assert alert.evidence.count() == alert.event_count
    assert alert.event_count >= 8
    assert alert.opened_at <= datetime.now(UTC)
