"""DCAT-AP output parsed back from every serialisation and validated against SHACL
shapes (pyshacl); the citizens' and publishers' pages."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import DCAT, RDF
from tests.support.staff import log_in_as

from nentang.opendata import encodings, services
from nentang.opendata.tests import support
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db
SHAPES = Path(__file__).parent / "data" / "dcat-ap-3-core.shacl.ttl"


@pytest.mark.parametrize(
    ("fmt", "parser"), [("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "xml")]
)
def test_the_catalogue_validates_in_every_serialisation(
    cast: Cast, client: Client, fmt: str, parser: str
) -> None:
    dataset = support.air_quality(cast)
    support.air_quality(cast, name="nhap", state="draft")
    response = client.get(f"/catalog.{fmt}")
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format=parser)
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 1  # the draft is not published
    assert str(next(iter(datasets))).endswith(f"/dataset/{dataset.name}")
    conforms, _graph, report = validate(graph, shacl_graph=Graph().parse(SHAPES), inference="none")
    assert conforms, report


def test_a_dataset_without_its_description_would_not_validate(cast: Cast, client: Client) -> None:
    """The shapes can fail: drop a mandatory property and validation reports it."""
    support.air_quality(cast)
    graph = Graph().parse(
        data=client.get("/dataset/chat-luong-khong-khi-hcm-2025.ttl").content, format="turtle"
    )
    from rdflib.namespace import DCTERMS

    graph.remove((None, DCTERMS.description, None))
    conforms, _graph, _report = validate(graph, shacl_graph=Graph().parse(SHAPES))
    assert not conforms


def test_search_page_finds_without_diacritics(cast: Cast, client: Client) -> None:
    support.air_quality(cast)
    page = client.get("/dataset", {"q": "khong khi"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Chất lượng không khí TP. Hồ Chí Minh năm 2025" in html
    assert "Sở Tài nguyên và Môi trường TP. Hồ Chí Minh" in html


def test_a_publisher_uploads_tcvn3_and_sees_the_preview(cast: Cast, client: Client) -> None:
    support.air_quality(cast, resources=[])
    log_in_as(client, apps.get_model("identity", "Account").objects.get(username="dulieu.tnmt"))
    legacy = encodings.encode_tcvn3(
        "Trạm;Chỉ số AQI;Ngày đo\nThủ Đức;156;02/03/2025\nQuận 1;87;01/03/2025\n"
    )
    response = client.post(
        "/dataset/chat-luong-khong-khi-hcm-2025/upload",
        {"name": "AQI tháng 3", "encoding": "", "upload": SimpleUploadedFile("aqi.csv", legacy)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Thủ Đức" in html
    assert "Chỉ số AQI" in html
    assert "tcvn3" in html


def test_another_agency_cannot_upload(cast: Cast, client: Client) -> None:
    support.air_quality(cast)
    log_in_as(client, apps.get_model("identity", "Account").objects.get(username="dulieu.gddt"))
    response = client.get("/dataset/chat-luong-khong-khi-hcm-2025/upload")
    assert response.status_code == 404
    assert services.can_publish(account=cast.other_publisher, organisation=cast.tnmt) is False


def test_exported_csv_neutralises_formulas(cast: Cast, client: Client) -> None:
    dataset = support.air_quality(cast, resources=[])
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "x", "format": "CSV"}
    )
    services.datastore_create(
        account=cast.publisher,
        resource=resource,
        fields=None,
        records=[{"ten": '=HYPERLINK("http://x")', "so": "1"}],
    )
    body = b"".join(client.get(f"/datastore/dump/{resource.public_id}").streaming_content).decode()  # type: ignore[attr-defined]
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body


def test_exports_neutralise_formulas_in_headings_and_xlsx(cast: Cast, client: Client) -> None:
    dataset = support.air_quality(cast, resources=[])
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "x", "format": "CSV"}
    )
    cells = ['=HYPERLINK("http://x")', "+1+1", "@SUM(A1)", "-2+3", "bình thường"]
    services.datastore_create(
        account=cast.publisher, resource=resource, fields=None,
        records=[{"=cmd|' /C calc'!A0": value, "so": n} for n, value in enumerate(cells)],
    )  # fmt: skip
    url = f"/datastore/dump/{resource.public_id}"
    body = b"".join(client.get(url).streaming_content).decode()  # type: ignore[attr-defined]
    heading = next(csv.reader([body.lstrip("\ufeff").splitlines()[0]]))
    assert set(heading) == {"'=cmd|' /C calc'!A0", "so"}  # headings neutralised too

    response = client.get(f"{url}?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere
    assert "<f " not in sheet
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    column = rows[0].index("=cmd|' /C calc'!A0")
    assert [r[column] for r in rows[1:]] == cells  # the text itself, kept as text
    assert client.get(f"{url}?format=ods").status_code == 400


def test_a_table_too_large_for_xlsx_is_offered_as_csv(
    cast: Cast, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nentang.opendata.views import pages

    dataset = support.air_quality(cast, resources=[])
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "x", "format": "CSV"}
    )
    services.datastore_create(
        account=cast.publisher, resource=resource, fields=None,
        records=[{"so": n} for n in range(3)],
    )  # fmt: skip
    monkeypatch.setattr(pages, "XLSX_ROWS", 2)
    response = client.get(f"/datastore/dump/{resource.public_id}?format=xlsx")
    assert response.status_code == 400
    assert "CSV" in response.content.decode()
