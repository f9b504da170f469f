"""The system register (Decree 85/2016), retention per level, and the shipped defaults."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from nentang.audit.models import AuditEntry, DetectionRule, RetentionPolicy, System
from nentang.audit.services import pseudonym
from nentang.audit.services.security import (
    retention_minimum,
    retention_policy_set,
    security_defaults_install,
    system_create,
    system_update,
)
from nentang.audit.tests.security_support import make_user, seed, soc_operator
from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


def test_the_migration_ships_the_platform_system_policies_and_rules() -> None:
    platform = System.objects.get(code="nentang")
    assert platform.security_level == 3
    assert dict(RetentionPolicy.objects.values_list("security_level", "raw_event_days")) == {
        1: 365,
        2: 365,
        3: 365,
        4: 365,
        5: 730,
    }
    assert all("(verify)" in policy.source for policy in RetentionPolicy.objects.all())
    rules = {rule.code: rule for rule in DetectionRule.objects.all()}
    assert set(rules) == {
        "auth-brute-force",
        "auth-failures-then-success",
        "authz-object-probing",
        "admin-off-hours",
    }
    brute = rules["auth-brute-force"]
    assert (brute.kind, brute.threshold, brute.window_seconds, brute.group_by) == (
        "threshold",
        8,
        120,
        "source_ip",
    )
    assert "Wazuh 5712" in brute.modelled_on
    sequence = rules["auth-failures-then-success"]
    assert (sequence.then_kind, sequence.threshold, sequence.window_seconds) == (
        "auth.success",
        8,
        240,
    )
    assert "40112" in sequence.modelled_on
    probing = rules["authz-object-probing"]
    assert (probing.threshold, probing.window_seconds, probing.group_by) == (14, 90, "actor")
    assert "31151" in probing.modelled_on
    hours = rules["admin-off-hours"]
    assert (f"{hours.office_start:%H:%M}", f"{hours.office_end:%H:%M}") == ("07:30", "17:00")
    assert hours.time_zone == "Asia/Ho_Chi_Minh"
    assert "17101" in hours.modelled_on


def test_installing_the_defaults_again_keeps_an_operators_edits() -> None:
    DetectionRule.objects.filter(code="auth-brute-force").update(threshold=5)

    created = security_defaults_install()

    assert created == {"systems": 0, "retention_policies": 0, "rules": 0}
    assert DetectionRule.objects.get(code="auth-brute-force").threshold == 5


def test_a_system_is_registered_with_its_approval_record() -> None:
    binh = soc_operator()

    system = system_create(
        by=binh,
        code="dichvucong-hcm",
        name="Cổng dịch vụ công TP. Hồ Chí Minh",
        security_level=3,
        approval_reference="123/QĐ-UBND",
        approved_on=date(2025, 7, 1),
        approving_authority="UBND TP. Hồ Chí Minh",
        owner="Sở Khoa học và Công nghệ",
    )

    assert System.objects.get(code="dichvucong-hcm").approval_reference == "123/QĐ-UBND"
    entry = AuditEntry.objects.get(action="audit.system.register")
    assert (entry.subject, entry.actor) == (system.code, pseudonym("soc.binh"))
    assert entry.summary == {"security_level": 3, "approved": True}


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"code": "Cổng DVC"}, ["code"]),
        ({"security_level": 6}, ["security_level"]),
        ({"security_level": 0}, ["security_level"]),
        ({"name": "  "}, ["name"]),
        ({"approval_reference": "123/QĐ-UBND"}, ["approved_on", "approving_authority"]),
        (
            {
                "approval_reference": "1/QĐ",
                "approving_authority": "UBND",
                "approved_on": timezone.localdate() + timedelta(days=1),
            },
            ["approved_on"],
        ),
    ],
)
def test_invalid_systems_are_refused_field_by_field(
    values: dict[str, object], fields: list[str]
) -> None:
    call: dict[str, object] = {"code": "he-thong-moi", "name": "Hệ thống mới", "security_level": 2}
    call.update(values)

    with pytest.raises(ValidationFailed) as refused:
        system_create(by=soc_operator(), **call)  # type: ignore[arg-type]

    assert [error.field for error in refused.value.errors] == fields
    assert not System.objects.filter(code=call["code"]).exists()


def test_a_code_is_used_once() -> None:
    with pytest.raises(Conflict) as refused:
        system_create(by=soc_operator(), code="nentang", name="Trùng", security_level=2)

    assert refused.value.code == "system_code_taken"


def test_a_system_is_updated_and_its_level_change_recorded() -> None:
    binh = soc_operator()

    system_update(
        by=binh,
        code="nentang",
        name="Nền tảng số nentang",
        security_level=4,
        approval_reference="45/QĐ-BKHCN",
        approved_on=date(2026, 3, 2),
        approving_authority="Bộ Khoa học và Công nghệ",
    )

    assert System.objects.get(code="nentang").security_level == 4
    entry = AuditEntry.objects.get(action="audit.system.update")
    assert entry.summary["previous_level"] == 3
    assert entry.summary["security_level"] == 4


def test_updating_an_unknown_system_is_404() -> None:
    with pytest.raises(NotFound) as refused:
        system_update(by=soc_operator(), code="khong-co", name="?", security_level=2)

    assert refused.value.code == "system_not_found"


def test_retention_is_set_within_bounds() -> None:
    binh = soc_operator()

    retention_policy_set(by=binh, security_level=2, raw_event_days=400, source="TCVN 11930:2017")

    assert RetentionPolicy.objects.get(security_level=2).raw_event_days == 400
    for days in (0, 1, 364, 3651):
        with pytest.raises(ValidationFailed):
            retention_policy_set(by=binh, security_level=2, raw_event_days=days)
    assert RetentionPolicy.objects.get(security_level=2).raw_event_days == 400


@pytest.mark.parametrize(
    ("floor", "level", "minimum"),
    [
        (365, 1, 365),  # the platform floor (Decree 53/2022/NĐ-CP, verify) …
        (365, 5, 365),
        (0, 1, 1),  # … configurable; TCVN 11930:2017's per-level minimum remains
        (0, 2, 30),
        (0, 3, 90),
        (0, 4, 180),
        (0, 5, 365),
        (730, 3, 730),
    ],
)
def test_the_legal_minimum_retention(settings: Any, floor: int, level: int, minimum: int) -> None:
    settings.NENTANG_SECURITY_EVENTS_MIN_DAYS = floor
    binh = soc_operator()
    assert retention_minimum(level) == minimum
    with pytest.raises(ValidationFailed) as refused:
        retention_policy_set(by=binh, security_level=level, raw_event_days=minimum - 1)
    assert [(e.field, e.code) for e in refused.value.errors] == [("raw_event_days", "too_short")]
    retention_policy_set(by=binh, security_level=level, raw_event_days=minimum)
    assert RetentionPolicy.objects.get(security_level=level).raw_event_days == minimum


def test_register_changes_need_their_permissions() -> None:
    viewer = make_user("duc.pham", permissions=["audit.view_system"])

    with pytest.raises(Forbidden):
        system_create(by=viewer, code="he-thong", name="Hệ thống", security_level=2)
    with pytest.raises(Forbidden):
        system_update(by=viewer, code="nentang", name="Đổi tên", security_level=1)
    with pytest.raises(Forbidden):
        retention_policy_set(by=viewer, security_level=3, raw_event_days=1)

    assert System.objects.get(code="nentang").security_level == 3
    assert RetentionPolicy.objects.get(security_level=3).raw_event_days == 365
