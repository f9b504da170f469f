"""The admin browses the units read-only and searches them by folded name."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("term", ["sai gon", "Sài Gòn", "SÀI GÒN", "26740"])
def test_commune_search_is_folded(admin_client: Client, term: str) -> None:
    response = admin_client.get("/admin/addresses/commune/", {"q": term})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Phường Sài Gòn" in content
    assert "Phường Bến Thành" not in content


def test_province_search_is_folded(admin_client: Client) -> None:
    response = admin_client.get("/admin/addresses/province/", {"q": "da nang"})
    assert response.status_code == 200
    assert "Thành phố Đà Nẵng" in response.content.decode()


@pytest.mark.parametrize("model", ["province", "commune", "datasource"])
def test_units_cannot_be_added_changed_or_deleted(admin_client: Client, model: str) -> None:
    assert admin_client.get(f"/admin/addresses/{model}/add/").status_code == 403
    listing = admin_client.get(f"/admin/addresses/{model}/")
    assert listing.status_code == 200


def test_a_commune_page_is_viewable_but_not_editable(admin_client: Client) -> None:
    response = admin_client.get("/admin/addresses/commune/26740/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Phường Sài Gòn" in content
    assert 'name="_save"' not in content
    assert admin_client.post("/admin/addresses/commune/26740/delete/").status_code == 403
