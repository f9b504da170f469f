"""Statistics published from the platform: e-ID registrations by province and month
from the identity context's selector, small cells withheld, a new version each run."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.hashers import make_password

from nentang.identity import services as identity
from nentang.identity.services.bulk import PersonRecord
from nentang.kernel.auditing import Actor
from nentang.opendata import selectors, services
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Khoa", "Long", "Minh", "Nam", "Phúc"]


def _people(
    province: str, commune: str, birth_province: str, count: int, start: int
) -> list[PersonRecord]:
    return [
        PersonRecord(
            id_number=f"{birth_province}090{start + n:06d}",
            full_name=f"Nguyễn Văn {GIVEN[(start + n) % len(GIVEN)]}",
            date_of_birth=datetime.date(1990, 1, 1 + n),
            sex="male",
            phone=f"0912{start + n:06d}",
            province_code=province,
            commune_code=commune,
            street=f"{n + 1} Lê Lợi",
        )
        for n in range(count)
    ]


def test_registrations_by_province_are_published_with_small_cells_withheld(cast: Cast) -> None:
    records = _people("79", "26740", "079", 7, 1) + _people("01", "00004", "001", 2, 100)
    identity.persons_import(
        created_by=Actor.system("tests"), records=records, password_hash=make_password("x")
    )  # fmt: skip
    [dataset] = services.statistics_publish()
    assert dataset.version.endswith("-1")
    resource = dataset.resources.get()
    page = selectors.datastore_search(
        account=None, resource_id=str(resource.public_id), sort="ma_tinh asc"
    )
    by_province = {r["ma_tinh"]: r for r in page.records}
    assert by_province["79"]["so_dang_ky"] == 7
    assert by_province["79"]["so_muc_2"] is None  # 0 people at level 2: withheld, not "0"
    assert by_province["01"]["so_dang_ky"] is None
    assert by_province["01"]["ghi_chu"] == "<5"
    assert "Hà Nội" in by_province["01"]["tinh"]
    [again] = services.statistics_publish()
    assert again.pk == dataset.pk
    assert again.version.endswith("-2")
    found = selectors.dataset_search(account=None, q="dinh danh dien tu")
    assert [d.name for d in found.datasets] == [dataset.name]
