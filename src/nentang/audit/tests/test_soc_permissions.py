"""Only security operators get in: every SOC page and action refuses everybody else."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.support.staff import staff_login

from nentang.audit.models import Alert, SecurityEvent, System
from nentang.audit.services.security import security_event_record
from nentang.audit.tests.security_support import ATTACKER, make_user, seed

pytestmark = pytest.mark.django_db

PAGES = [
    "/soc/",
    "/soc/alerts/{alert}/",
    "/soc/events/",
    "/soc/audit-log/",
    "/soc/systems/",
    "/soc/systems/new",
    "/soc/systems/nentang/edit",
    "/soc/retention/3/edit",
]
ACTIONS = [
    ("/soc/alerts/{alert}/acknowledge", {"acknowledge-reason": "thử"}),
    ("/soc/alerts/{alert}/resolve", {"resolve-reason": "thử"}),
    ("/soc/events/export", {"format": "jsonl"}),
    ("/soc/systems/new", {"code": "xam-nhap", "name": "X", "security_level": "1"}),
    ("/soc/systems/nentang/edit", {"name": "Đổi", "security_level": "1"}),
    ("/soc/retention/3/edit", {"raw_event_days": "1"}),
]


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def alert() -> Alert:
    for _ in range(8):
        security_event_record(kind="auth.failure", source_ip=ATTACKER)
    return Alert.objects.get()


def nothing_changed(alert: Alert) -> bool:
    system = System.objects.get(code="nentang")
    return (
        Alert.objects.get(pk=alert.pk).state == "open"
        and system.security_level == 3
        and not System.objects.filter(code="xam-nhap").exists()
        and not SecurityEvent.objects.filter(kind="data.export").exists()
    )


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login(alert: Alert, path: str) -> None:
    url = path.format(alert=alert.pk)

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "who",
    [
        # Nguyễn Văn An: a citizen account, even holding every audit permission.
        {"username": "an.nguyen", "staff": False, "permissions": ["audit.view_alert"]},
        # Phạm Minh Đức: staff, but no audit permission.
        {"username": "duc.pham", "staff": True, "permissions": []},
    ],
)
def test_others_get_403_on_every_page_and_action(alert: Alert, who: dict[str, object]) -> None:
    client = Client(REMOTE_ADDR="198.51.100.99")
    staff_login(client, make_user(**who))  # type: ignore[arg-type]

    for path in PAGES:
        response = client.get(path.format(alert=alert.pk))
        assert response.status_code == 403, path
        assert (
            "audit_permission_required" in response.content.decode() or response.status_code == 403
        )
    for path, data in ACTIONS:
        response = client.post(path.format(alert=alert.pk), data)
        assert response.status_code == 403, path

    assert nothing_changed(alert)
    denials = SecurityEvent.objects.filter(kind="authz.denied", source_ip="198.51.100.99")
    assert denials.count() == len(PAGES) + len(ACTIONS)


def test_fourteen_refusals_open_the_probing_alert(alert: Alert) -> None:
    client = Client(REMOTE_ADDR="198.51.100.99")
    client.force_login(make_user("an.nguyen", staff=False))

    for number in range(14):
        client.get(f"/soc/alerts/01a22364-0000-7000-8000-{number:012d}/")

    assert Alert.objects.filter(rule__code="authz-object-probing").count() == 1


def test_a_viewer_sees_but_cannot_act(alert: Alert) -> None:
    client = Client()
    staff_login(client, make_user("duc.pham", permissions=["audit.view_alert"]))

    detail = client.get(f"/soc/alerts/{alert.pk}/")
    refused = client.post(f"/soc/alerts/{alert.pk}/resolve", {"resolve-reason": "thử"})

    assert detail.status_code == 200
    assert (
        "<form" not in detail.content.decode().split('id="alert-actions"')[1].split("</section>")[0]
    )
    assert refused.status_code == 403
    assert nothing_changed(alert)
