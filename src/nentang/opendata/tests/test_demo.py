"""The open-data demo: datasets, the legacy files previewed in Unicode, statistics, the
documented login; loading twice changes nothing (fewer datasets than ``nentang demo``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from nentang.audit.services import security_defaults_install
from nentang.kernel import demodata
from nentang.opendata import demo, selectors
from nentang.opendata.models import Dataset, DatastoreTable
from nentang.opendata.tests import support

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    security_defaults_install()
    support.administrative_units()
    support.licences()
    monkeypatch.setattr(demo, "DATASETS", 24)
    demo.load(demodata.SilentProgress())
    counts = (Dataset.objects.count(), DatastoreTable.objects.count())
    demo.load(demodata.SilentProgress())
    assert (Dataset.objects.count(), DatastoreTable.objects.count()) == counts
    assert counts[0] >= 24 + 2 + 1
    aqi = Dataset.objects.get(name="chi-so-aqi-thang-3-2026").resources.get()
    page = selectors.datastore_search(account=None, resource_id=str(aqi.public_id), limit=1)
    assert page.records[0]["Trạm quan trắc"] == "Trạm Sài Gòn"
    assert page.total == 120
    notes = [f["info"].get("notes", "") for f in page.fields if f["id"] != "_id"]
    assert notes[2].startswith("Chỉ số chất lượng không khí")  # the data dictionary
    schools = Dataset.objects.get(name="truong-hoc-tieu-bieu").resources.get()
    assert schools.encoding == "cp1258"
    found = selectors.dataset_search(account=None, q="khong khi linh trung")
    assert found.count > 0
    assert authenticate(username=demo.PUBLISHER, password=demo.PASSWORD) is not None
