"""Entity ids and attribute names are checked before any database sees them (no
database here)."""

from __future__ import annotations

import pytest

from nentang.smartcity.ngsild.entities import check_name, check_uri
from nentang.smartcity.ngsild.errors import NgsiError


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1f", "\x7f"])
def test_a_control_character_is_bad_data_not_a_server_error(control: str) -> None:
    """GET /ngsi-ld/v1/entities/urn:a%00b (and the temporal one) was a 500 on
    PostgreSQL: the id passed the URI check and the NUL reached the database."""
    with pytest.raises(NgsiError):
        check_uri(f"urn:ngsi-ld:Streetlight:a{control}b", "The entity id")
    with pytest.raises(NgsiError):
        check_name(f"muc{control}nuoc")
    assert check_uri("urn:ngsi-ld:Streetlight:001", "The entity id")
