"""The SOC pages through Django's test client: content, forms, htmx, downloads."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from tests.support.html import Page, assert_well_formed, read
from tests.support.staff import staff_login

from nentang.audit.models import Alert, AlertTransition, SecurityEvent, System
from nentang.audit.services import checkpoint_sign, integrate_pending
from nentang.audit.services.security import SOC_PERMISSIONS, alert_resolve, security_event_record
from nentang.audit.tests.security_support import ATTACKER, COLLEAGUE, make_user, seed, soc_operator

User = get_user_model()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def binh() -> Any:
    return soc_operator()


@pytest.fixture
def soc(binh: Any) -> Client:
    client = Client(REMOTE_ADDR=COLLEAGUE)
    staff_login(client, binh)
    return client


@pytest.fixture
def alert() -> Alert:
    for _ in range(8):
        security_event_record(kind="auth.failure", outcome="failure", source_ip=ATTACKER)
    return Alert.objects.get(rule__code="auth-brute-force")


def page(client: Client, path: str, status: int = 200) -> tuple[Page, str]:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    html = response.content.decode()
    assert unicodedata.is_normalized("NFC", html)
    parsed = read(response.content)
    assert_well_formed(parsed)
    return parsed, html


@pytest.mark.parametrize(
    "path",
    [
        "/soc/",
        "/soc/?state=resolved",
        "/soc/?state=bogus",
        "/soc/events/",
        "/soc/events/?kind=auth.failure&source_ip=203.0.113.7",
        "/soc/audit-log/",
        "/soc/audit-log/?action=audit.alert",
        "/soc/systems/",
        "/soc/systems/new",
        "/soc/systems/nentang/edit",
        "/soc/retention/3/edit",
    ],
)
def test_every_page_is_well_formed_and_vietnamese(soc: Client, alert: Alert, path: str) -> None:
    parsed, _html = page(soc, path)

    assert parsed.all("html")[0].attrs["lang"] == "vi"


def test_the_alert_list_counts_and_lists_the_open_alert(soc: Client, alert: Alert) -> None:
    parsed, html = page(soc, "/soc/")

    assert parsed.texts("h1") == ["Cảnh báo an ninh"]
    assert f"/soc/alerts/{alert.pk}/" in parsed.hrefs()
    assert "1 cảnh báo chờ xử lý" in html
    assert "Cao" in html  # the severity says itself in words


def test_the_alert_detail_shows_facts_timeline_and_forms(soc: Client, alert: Alert) -> None:
    parsed, html = page(soc, f"/soc/alerts/{alert.pk}/")

    assert "Wazuh 5712" in html
    forms = [form for form in parsed.all("form") if "hx-post" in form.attrs]
    assert [form.attrs["action"].split("#")[0] for form in forms] == [
        f"/soc/alerts/{alert.pk}/assign",
        f"/soc/alerts/{alert.pk}/acknowledge",
        f"/soc/alerts/{alert.pk}/resolve",
    ]
    assert html.count('class="timeline__item') == 8 + 1  # eight failures, then "opened"


def test_acknowledge_without_a_reason_shows_the_error_in_place_with_htmx(
    soc: Client, alert: Alert
) -> None:
    response = soc.post(
        f"/soc/alerts/{alert.pk}/acknowledge",
        {"acknowledge-reason": "  "},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="section" id="alert-actions"')
    assert "Hãy nhập lý do của bước này." in fragment
    assert Alert.objects.get(pk=alert.pk).state == "open"


def test_acknowledge_with_htmx_redirects_to_the_refreshed_page(soc: Client, alert: Alert) -> None:
    response = soc.post(
        f"/soc/alerts/{alert.pk}/acknowledge",
        {"acknowledge-reason": "Đang xác minh với bộ phận mạng."},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/soc/alerts/{alert.pk}/"
    assert Alert.objects.get(pk=alert.pk).state == "acknowledged"
    _parsed, html = page(soc, f"/soc/alerts/{alert.pk}/")
    assert "Đang xác minh với bộ phận mạng." in html


def test_resolve_without_javascript_posts_and_redirects(soc: Client, alert: Alert) -> None:
    response = soc.post(f"/soc/alerts/{alert.pk}/resolve", {"resolve-reason": "Đã chặn."})

    assert response.status_code == 302
    assert AlertTransition.objects.get(alert=alert).to_state == "resolved"


def test_a_step_from_the_wrong_state_is_a_409_page(soc: Client, binh: Any, alert: Alert) -> None:
    alert_resolve(alert_id=alert.pk, by=binh, reason="Xong.")

    response = soc.post(f"/soc/alerts/{alert.pk}/resolve", {"resolve-reason": "Lần nữa."})

    assert response.status_code == 409
    assert "đã được xử lý" in response.content.decode()


def test_an_unknown_alert_is_a_404_page(soc: Client) -> None:
    page(soc, "/soc/alerts/01a22364-0000-7000-8000-000000000000/", status=404)


def test_the_event_browser_filters_and_pages(soc: Client) -> None:
    for number in range(60):
        security_event_record(kind="auth.failure", source_ip=f"198.51.100.{number + 1}")
    security_event_record(kind="authz.denied", source_ip=ATTACKER)

    parsed, _html = page(soc, "/soc/events/?kind=auth.failure")
    rows = parsed.all("tr")
    older = [href for href in parsed.hrefs() if "cursor=" in href]

    assert len(rows) == 1 + 50
    assert len(older) == 1
    second, _html = page(soc, "/soc/events/" + older[0])
    assert len(second.all("tr")) == 1 + 10

    only, html = page(soc, f"/soc/events/?source_ip={ATTACKER}")
    assert len(only.all("tr")) == 2
    assert "authz.denied" in html


def test_bad_filters_are_explained(soc: Client) -> None:
    _parsed, html = page(
        soc, "/soc/events/?source_ip=999.1.1.1&since=2026-11-28T10:00&until=2026-11-28T09:00"
    )

    assert "Hãy nhập địa chỉ nguồn dạng IPv4 hoặc IPv6." in html
    assert "Thời điểm kết thúc phải sau thời điểm bắt đầu." in html


def test_the_export_downloads_and_is_recorded(soc: Client, alert: Alert) -> None:
    response = soc.post("/soc/events/export", {"format": "jsonl", "kind": "auth.failure"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="nentang-security-')
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert [json.loads(line)["type"] for line in lines] == ["security_event"] * 8 + ["alert"]
    assert {json.loads(line).get("kind") for line in lines[:8]} == {"auth.failure"}
    assert SecurityEvent.objects.filter(kind="data.export").count() == 1


def test_the_syslog_download(soc: Client, alert: Alert) -> None:
    response = soc.post("/soc/events/export", {"format": "syslog", "kind": "auth.failure"})

    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"<110>1 ")  # facility 13 (log audit), severity info (6)
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_the_audit_log_shows_leaf_indices_and_checkpoint_coverage(
    soc: Client, binh: Any, alert: Alert
) -> None:
    _parsed, html = page(soc, "/soc/audit-log/")
    assert "Chưa có điểm kiểm tra" in html
    assert "Chờ đưa vào cây" in html

    integrate_pending()
    checkpoint = checkpoint_sign()
    assert checkpoint is not None
    alert_resolve(alert_id=alert.pk, by=binh, reason="Đã chặn.")  # an entry after it

    parsed, html = page(soc, "/soc/audit-log/")
    rows = [" ".join(row.text.split()) for row in parsed.all("tr")[1:]]
    assert checkpoint.size == len(rows) - 1 == 1  # the alert's opening, signed
    assert "audit.alert.resolve" in rows[0]
    assert rows[0].endswith("— Chờ đưa vào cây")  # the resolution: no leaf index yet
    assert "audit.alert.open" in rows[1]
    assert rows[1].endswith("0 Đã nằm trong điểm kiểm tra đã ký")  # leaf index 0
    assert f"bao gồm {checkpoint.size} mục đầu tiên" in html
    assert "/audit/checkpoint" in parsed.hrefs()
    filtered, _html = page(soc, "/soc/audit-log/?action=audit.alert.resolve")
    assert len(filtered.all("tr")) == 2


def test_a_system_is_added_through_the_form(soc: Client) -> None:
    response = soc.post(
        "/soc/systems/new",
        {
            "code": "dichvucong-hcm",
            "name": "Cổng dịch vụ công TP. Hồ Chí Minh",
            "security_level": "3",
            "approval_reference": "123/QĐ-UBND",
            "approved_on": "2025-07-01",
            "approving_authority": "UBND TP. Hồ Chí Minh",
        },
    )

    assert response.status_code == 302
    assert System.objects.get(code="dichvucong-hcm").security_level == 3


def test_the_system_form_explains_each_mistake(soc: Client) -> None:
    response = soc.post(
        "/soc/systems/new",
        {"code": "nentang", "name": "", "approval_reference": "123/QĐ-UBND"},
    )

    assert response.status_code == 422
    html = response.content.decode()
    parsed = read(response.content)
    assert_well_formed(parsed)
    assert "Hãy nhập tên của hệ thống." in html
    assert "Hãy chọn cấp độ an toàn của hệ thống." in html
    assert not System.objects.filter(name="").exists()


def test_a_taken_code_is_shown_on_the_field(soc: Client) -> None:
    response = soc.post(
        "/soc/systems/new", {"code": "nentang", "name": "Trùng mã", "security_level": "2"}
    )

    assert response.status_code == 422
    assert "Đã có một hệ thống với mã này." in response.content.decode()


def test_the_retention_form_saves_and_refuses(soc: Client) -> None:
    refused = soc.post("/soc/retention/3/edit", {"raw_event_days": "1"})
    too_short = soc.post("/soc/retention/3/edit", {"raw_event_days": "364"})
    saved = soc.post(
        "/soc/retention/3/edit", {"raw_event_days": "400", "source": "TCVN 11930:2017"}
    )

    assert refused.status_code == too_short.status_code == 422
    assert (
        "Lưu sự kiện gốc ít nhất 365 ngày: mức tối thiểu theo quy định "
        "(Nghị định 53/2022/NĐ-CP và TCVN 11930:2017)." in too_short.content.decode()
    )
    assert 'min="365"' in refused.content.decode()
    assert saved.status_code == 302
    _parsed, html = page(soc, "/soc/systems/")
    assert "TCVN 11930:2017" in html


def test_the_alert_list_charts_events_and_alerts_per_day(soc: Client, alert: Alert) -> None:
    parsed, html = page(soc, "/soc/")

    assert "Hoạt động trong 14 ngày qua" in html
    table = [t for t in parsed.all("table") if "chart" in t.attrs.get("class", "")]
    assert len(table) == 1
    # 8 failed logins and the one alert they opened, today; 13 quiet days before.
    assert "8 sự kiện an ninh và 1 cảnh báo được mở." in html
    assert html.count('class="chart__bar chart__bar--events"') == 14
    assert 'style="width: 100%"' in html


def test_an_operator_takes_an_alert_and_gives_it_to_a_colleague(
    soc: Client, binh: Any, alert: Alert
) -> None:
    colleague = make_user("soc.chi", permissions=SOC_PERMISSIONS)
    taken = soc.post(f"/soc/alerts/{alert.pk}/assign", {"take": "1"})
    assert taken.status_code == 302
    alert.refresh_from_db()
    assert alert.assigned_to == binh.get_username()

    given = soc.post(
        f"/soc/alerts/{alert.pk}/assign",
        {"assign-assignee": colleague.get_username(), "assign-reason": "Ca đêm"},
    )
    assert given.status_code == 302
    alert.refresh_from_db()
    assert alert.assigned_to == "soc.chi"
    steps = list(AlertTransition.objects.filter(alert=alert).values_list("assigned_to", "by"))
    assert steps == [(binh.get_username(), binh.get_username()), ("soc.chi", binh.get_username())]
    _parsed, html = page(soc, f"/soc/alerts/{alert.pk}/")
    assert f"Đã giao cho soc.chi bởi {binh.get_username()}" in html

    from nentang.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="audit.alert.assign").count() == 2


def test_an_alert_goes_only_to_an_operator(soc: Client, alert: Alert) -> None:
    outsider = User.objects.create_user(username="ke.la", password="x" * 12, is_staff=True)
    response = soc.post(
        f"/soc/alerts/{alert.pk}/assign", {"assign-assignee": outsider.get_username()}
    )
    assert response.status_code == 400
    assert "Hãy chọn một cán bộ được phép xử lý cảnh báo." in response.content.decode()
    alert.refresh_from_db()
    assert alert.assigned_to == ""


def test_a_resolved_alert_cannot_be_assigned(soc: Client, binh: Any, alert: Alert) -> None:
    alert_resolve(alert_id=alert.pk, by=binh, reason="Dương tính giả")
    response = soc.post(f"/soc/alerts/{alert.pk}/assign", {"take": "1"})
    assert response.status_code == 409
    alert.refresh_from_db()
    assert alert.assigned_to == ""
