"""Harvesting another catalogue over real HTTP on the loopback: a CKAN-shaped portal
(its Action API's ``package_search``, paged, as CKAN 2.10 answers it) and a saved DCAT
file, served by a small server on 127.0.0.1. Idempotent runs, updates, withdrawals,
provenance, the schedule, and the SSRF rule on the source's address."""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps

from nentang.kernel.errors import Forbidden, ValidationFailed
from nentang.opendata import selectors, services
from nentang.opendata.models import Dataset, HarvestRecord, HarvestRun, HarvestSource
from nentang.opendata.services import harvest_read
from nentang.opendata.tests.support import Cast
from nentang.opendata.views import ckan_shapes

pytestmark = pytest.mark.django_db


def audit_entries() -> Any:
    return apps.get_model("audit", "AuditEntry").objects


DATA = Path(__file__).parent / "data"


def package(number: int, **changes: Any) -> dict[str, Any]:
    """A package as data.gov.vn's CKAN 2.10 returns it."""
    return {
        "id": f"9b1c0000-0000-4000-8000-{number:012d}",
        "name": f"ngan-sach-xa-{number}",
        "title": f"Công khai ngân sách xã số {number} năm 2025",
        "notes": "Dự toán và quyết toán ngân sách theo Thông tư 343/2016/TT-BTC.",
        "license_id": "cc-by",
        "metadata_modified": "2025-10-01T02:00:00.000000",
        "tags": [{"name": "ngân sách", "display_name": "ngân sách"}, {"name": "x"}],
        "maintainer": "Phòng Tài chính - Kế hoạch",
        "maintainer_email": "tckh@example.gov.vn",
        "resources": [
            {"id": "r", "name": "Dự toán 2025", "url": f"https://portal.example.vn/{number}.xlsx",
             "format": "XLSX", "size": 1024},
            {"id": "bad", "name": "Tệp nội bộ", "url": "file:///etc/passwd", "format": "TXT"},
        ],
        **changes,
    }  # fmt: skip


class Portal:
    """What the fake portal serves; tests change it between runs."""

    def __init__(self) -> None:
        self.packages: list[dict[str, Any]] = [package(n) for n in range(1, 6)]
        self.status = 200
        self.requests: list[str] = []


@pytest.fixture
def portal(settings: Any) -> Iterator[tuple[str, Portal]]:
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    state = Portal()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            url = urlparse(self.path)
            state.requests.append(self.path)
            if url.path == "/catalog.ttl":
                self._send(200, DATA.joinpath("harvest-catalogue.ttl").read_bytes(), "text/turtle")
            elif url.path == "/api/3/action/package_search" and state.status == 200:
                query = parse_qs(url.query)
                rows, start = int(query["rows"][0]), int(query["start"][0])
                page = state.packages[start : start + rows]
                body = {"help": "", "success": True,
                        "result": {"count": len(state.packages), "results": page}}  # fmt: skip
                self._send(200, json.dumps(body).encode(), "application/json")
            elif url.path == "/broken/api/3/action/package_search":
                self._send(200, b"<html>maintenance</html>", "text/html")
            else:
                self._send(state.status if state.status != 200 else 404, b"{}", "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a free port the system picks
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def source(cast: Cast, url: str, *, kind: str = "ckan", name: str = "cong-du-lieu-xa") -> Any:
    return services.harvest_source_create(
        account=cast.publisher, name=name, title="Cổng dữ liệu cấp xã", url=url, kind=kind,
        organisation_name="so-tnmt-hcm", frequency="daily",
    )  # fmt: skip


def test_a_ckan_portal_is_harvested_page_by_page_with_provenance(
    cast: Cast, portal: tuple[str, Portal], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = portal
    monkeypatch.setattr(harvest_read, "PAGE", 2)  # five datasets: three pages
    harvested = source(cast, url + "/api/3/action")

    run = services.harvest_run(source_id=str(harvested.public_id))

    assert run is not None
    assert (run.status, run.created, run.updated, run.unchanged, run.failed) == ("done", 5, 0, 0, 0)
    searches = [r for r in state.requests if "package_search" in r]
    assert len(searches) == 3
    assert "start=4" in searches[-1]
    dataset = Dataset.objects.get(name="ngan-sach-xa-3")
    assert dataset.organisation == cast.tnmt
    assert dataset.state == Dataset.State.PUBLISHED
    assert dataset.licence_id == "notspecified"  # "cc-by" is not one of ours
    assert [t.name for t in dataset.tags.all()] == ["ngân sách"]  # the 1-letter tag dropped
    assert [r.url for r in dataset.resources.all()] == ["https://portal.example.vn/3.xlsx"]
    assert dataset.contact_email == "tckh@example.gov.vn"
    record = HarvestRecord.objects.get(dataset=dataset)
    assert record.remote_id == "9b1c0000-0000-4000-8000-000000000003"
    assert record.remote_url == f"{url}/dataset/ngan-sach-xa-3"
    extras = {e["key"]: e["value"] for e in ckan_shapes.package_dict(dataset)["extras"]}
    assert extras["harvest_source"] == "cong-du-lieu-xa"
    assert extras["harvest_url"] == f"{url}/dataset/ngan-sach-xa-3"
    assert (
        audit_entries().filter(action="opendata.dataset.create", actor="opendata-harvest").count()
        == 5
    )
    found = selectors.dataset_search(account=None, q="ngan sach xa")
    assert found.count == 5


def test_a_second_run_changes_nothing_then_updates_and_withdraws(
    cast: Cast, portal: tuple[str, Portal]
) -> None:
    url, state = portal
    harvested = source(cast, url)
    services.harvest_run(source_id=str(harvested.public_id))
    audit_before = audit_entries().count()
    modified_before = Dataset.objects.get(name="ngan-sach-xa-1").modified_at

    again = services.harvest_run(source_id=str(harvested.public_id))

    assert again is not None
    assert (again.created, again.updated, again.unchanged, again.withdrawn) == (0, 0, 5, 0)
    assert Dataset.objects.filter(harvest__source=harvested).count() == 5
    assert Dataset.objects.get(name="ngan-sach-xa-1").modified_at == modified_before
    assert audit_entries().count() == audit_before + 1  # only the run's own entry

    state.packages[0] = package(1, title="Công khai ngân sách xã số 1 (điều chỉnh)")
    del state.packages[4]
    third = services.harvest_run(source_id=str(harvested.public_id))

    assert third is not None
    assert (third.created, third.updated, third.unchanged, third.withdrawn) == (0, 1, 3, 1)
    assert Dataset.objects.get(name="ngan-sach-xa-1").title.endswith("(điều chỉnh)")
    assert Dataset.objects.get(name="ngan-sach-xa-5").state == Dataset.State.DELETED

    state.packages.append(package(5))  # listed again: a new copy, the old one stays deleted
    fourth = services.harvest_run(source_id=str(harvested.public_id))
    assert fourth is not None
    assert fourth.created == 1
    assert Dataset.objects.get(name="ngan-sach-xa-5").state == Dataset.State.PUBLISHED
    assert HarvestRecord.objects.filter(source=harvested).count() == 5


def test_our_own_dataset_keeps_its_name(cast: Cast, portal: tuple[str, Portal]) -> None:
    url, _state = portal
    services.dataset_create(
        account=cast.publisher,
        data={"name": "ngan-sach-xa-2", "title": "Của chúng tôi", "owner_org": "so-tnmt-hcm"},
    )
    harvested = source(cast, url)

    services.harvest_run(source_id=str(harvested.public_id))

    assert Dataset.objects.get(name="ngan-sach-xa-2").title == "Của chúng tôi"
    copy = Dataset.objects.get(name="cong-du-lieu-xa-ngan-sach-xa-2")
    assert HarvestRecord.objects.get(dataset=copy).remote_id.endswith("000000000002")


def test_an_unreadable_source_fails_the_run_and_withdraws_nothing(
    cast: Cast, portal: tuple[str, Portal]
) -> None:
    url, state = portal
    state.packages.append(package(6, maintainer_email="khong-phai-thu-dien-tu"))
    harvested = source(cast, url)
    first = services.harvest_run(source_id=str(harvested.public_id))
    assert first is not None
    assert (first.created, first.failed) == (5, 1)
    assert first.errors == [{  # field by field, in Vietnamese
        "remote_id": "9b1c0000-0000-4000-8000-000000000006", "code": "validation_failed",
        "error": "Thư điện tử liên hệ: Hãy nhập địa chỉ thư điện tử hợp lệ.",
        "fields": [{"field": "maintainer_email", "label": "Thư điện tử liên hệ",
                    "message": "Hãy nhập địa chỉ thư điện tử hợp lệ."}],
    }]  # fmt: skip
    state.status = 503

    failed = services.harvest_run(source_id=str(harvested.public_id))

    assert failed is not None
    assert failed.status == "failed"
    assert failed.errors == [
        {"remote_id": "", "code": "http_status", "error": "Nguồn trả lời mã HTTP 503."}
    ]
    assert Dataset.objects.filter(harvest__source=harvested, state="published").count() == 5
    broken = source(cast, url + "/broken", name="hong")
    run = services.harvest_run(source_id=str(broken.public_id))
    assert run is not None
    assert run.status == "failed"
    assert run.errors == [
        {"remote_id": "", "code": "not_ckan", "error": "Nguồn không phải là Action API của CKAN."}
    ]
    closed = source(cast, "http://127.0.0.1:8129", name="dong")  # nothing listens there
    run = services.harvest_run(source_id=str(closed.public_id))
    assert run is not None
    assert run.errors == [{"remote_id": "", "code": "unreachable",
                           "error": "Không kết nối được tới nguồn (127.0.0.1)."}]  # fmt: skip


def test_a_dcat_file_is_harvested(cast: Cast, portal: tuple[str, Portal]) -> None:
    url, _state = portal
    harvested = source(cast, url + "/catalog.ttl", kind="dcat", name="da-nang")

    run = services.harvest_run(source_id=str(harvested.public_id))

    assert run is not None
    assert (run.status, run.created) == ("done", 2)
    wifi = Dataset.objects.get(harvest__remote_id="dn-wifi-2025")
    assert wifi.title == "Điểm phát wifi công cộng Đà Nẵng"  # the Vietnamese title
    assert wifi.licence_id == "cc-zero"
    assert wifi.frequency == "quarterly"
    assert sorted(t.name for t in wifi.tags.all()) == ["hạ tầng số", "wifi"]
    resource = wifi.resources.get()
    assert (resource.format, resource.size) == ("CSV", 20480)
    assert (
        HarvestRecord.objects.get(dataset=wifi).remote_url
        == "https://dulieu.danang.gov.vn/dataset/diem-wifi"
    )
    parking = Dataset.objects.get(harvest__remote_id="dn-parking")
    assert parking.resources.get().url == "https://dulieu.danang.gov.vn/api/bai-do-xe"
    again = services.harvest_run(source_id=str(harvested.public_id))
    assert again is not None
    assert again.unchanged == 2


def test_sources_are_checked(cast: Cast, portal: tuple[str, Portal], settings: Any) -> None:
    url, _state = portal
    with pytest.raises(Forbidden):
        services.harvest_source_create(
            account=cast.other_publisher, name="x1", title="X", url=url, kind="ckan",
            organisation_name="so-tnmt-hcm",
        )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        services.harvest_source_create(
            account=cast.publisher, name="Sai Ten", title="", url="ftp://x", kind="solr",
            organisation_name="so-tnmt-hcm", frequency="hourly",
        )  # fmt: skip
    assert {e.field for e in refused.value.errors} == {"name", "title", "url", "kind", "frequency"}
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = ()
    with pytest.raises(ValidationFailed) as blocked:
        source(cast, url)
    assert [e.code for e in blocked.value.errors] == ["blocked"]
    assert not HarvestSource.objects.exists()


def test_the_schedule_runs_due_sources_once_at_a_time(
    cast: Cast, portal: tuple[str, Portal]
) -> None:
    url, _state = portal
    due = source(cast, url)
    manual = services.harvest_source_create(
        account=cast.publisher, name="thu-cong", title="Thủ công", url=url, kind="ckan",
        organisation_name="so-tnmt-hcm", frequency="manual",
    )  # fmt: skip

    runs = services.harvest_run_due()

    assert [r.source_id for r in runs] == [due.pk]
    due.refresh_from_db()
    assert due.next_run_at is not None
    assert due.running_since is None
    assert services.harvest_run_due() == []  # next run a day later
    assert not HarvestRun.objects.filter(source=manual).exists()
    HarvestSource.objects.filter(pk=due.pk).update(running_since=due.next_run_at)
    assert services.harvest_run(source_id=str(due.public_id)) is None  # another run holds it


def test_dcat_files_that_would_reach_out_or_are_not_rdf_are_refused() -> None:
    remote = b'{"@context": "http://169.254.169.254/latest/meta-data/", "@id": "x"}'
    nested = b'{"@graph": [{"@context": ["http://10.0.0.1/ctx", {"a": "b"}]}]}'
    for content in (remote, nested):
        with pytest.raises(harvest_read.HarvestReadError, match="@context"):
            harvest_read.parse_dcat(content, content_type="application/ld+json", url="x.jsonld")
    with pytest.raises(harvest_read.HarvestReadError, match="không phải là tệp DCAT"):
        harvest_read.parse_dcat(b"@prefix : <", content_type="text/turtle", url="x.ttl")
    inline = (
        b'{"@context": {"dct": "http://purl.org/dc/terms/"}, "@id": "http://x", "dct:title": "t"}'
    )
    assert len(harvest_read.parse_dcat(inline, content_type="application/ld+json", url="")) == 1
