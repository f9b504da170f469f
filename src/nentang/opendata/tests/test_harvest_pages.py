"""The publishers' harvest pages: their sources with the last run and its errors, one
source with its runs, "harvest now"; nobody else sees a source."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from tests.support.staff import log_in_as

from nentang.opendata import services
from nentang.opendata.tests.support import Cast
from nentang.opendata.tests.test_harvest import Portal, portal, source

__all__ = ["portal"]  # the fixture, shared with test_harvest
pytestmark = pytest.mark.django_db


def _account(username: str) -> Any:
    return apps.get_model("identity", "Account").objects.get(username=username)


def test_a_publisher_sees_each_source_with_its_last_run_and_its_errors(
    cast: Cast, client: Client, portal: tuple[str, Portal]
) -> None:
    url, state = portal
    harvested = source(cast, url + "/api/3/action")
    services.harvest_run(source_id=str(harvested.public_id))
    state.status = 503
    services.harvest_run(source_id=str(harvested.public_id))
    never = source(cast, url + "/catalog.ttl", kind="dcat", name="tep-dcat")
    log_in_as(client, _account("dulieu.tnmt"))

    html = client.get("/opendata/harvest").content.decode()

    assert "Cổng dữ liệu cấp xã" in html
    assert "Thất bại" in html  # the last run failed …
    assert "503" in html  # … and says why
    assert "Chưa thu thập lần nào." in html  # the DCAT source never ran
    assert f"/opendata/harvest/{never.name}" in html
    detail = client.get(f"/opendata/harvest/{harvested.name}").content.decode()
    assert detail.count('class="od-item"') == 2  # both runs, newest first
    assert detail.index("Thất bại") < detail.index("Hoàn tất")
    assert "5 mới" in detail


def test_harvest_now_is_queued_and_audited(
    cast: Cast, client: Client, portal: tuple[str, Portal]
) -> None:
    url, _state = portal
    harvested = source(cast, url + "/api/3/action")
    log_in_as(client, _account("dulieu.tnmt"))

    response = client.post(f"/opendata/harvest/{harvested.name}")

    assert response.status_code == 302
    entries = apps.get_model("audit", "AuditEntry").objects.filter(action="opendata.harvest.queue")
    assert entries.count() == 1


def test_another_agency_and_anonymous_visitors_see_no_source(
    cast: Cast, client: Client, portal: tuple[str, Portal]
) -> None:
    url, _state = portal
    harvested = source(cast, url + "/api/3/action")
    assert client.get("/opendata/harvest")["Location"].startswith("/")  # to the login page
    log_in_as(client, _account("dulieu.gddt"))

    assert "Cổng dữ liệu cấp xã" not in client.get("/opendata/harvest").content.decode()
    assert client.get(f"/opendata/harvest/{harvested.name}").status_code == 404
    assert client.post(f"/opendata/harvest/{harvested.name}").status_code == 404
