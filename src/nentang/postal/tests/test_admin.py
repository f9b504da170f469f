"""The operators' read-only admin lists, flagged events included."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.support.staff import log_in_as

from nentang.identity import services as identity
from nentang.postal import services
from nentang.postal.tests import support
from nentang.postal.tests.support import OPERATOR, PASSWORD, Cast, parcel

pytestmark = pytest.mark.django_db


def test_every_list_opens_and_nothing_can_be_changed(cast: Cast, client: Client) -> None:
    shipment = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    support.scan(shipment, "EMI", minutes=60, facility="bc-kim-lien")
    support.scan(shipment, "EDG", minutes=90, facility="bc-kim-lien")  # flagged
    admin = identity.administrator_create(
        created_by=OPERATOR, username="quantri.buudien", password=PASSWORD
    )
    log_in_as(client, admin)
    for model in (
        "facility",
        "postalworker",
        "merchant",
        "shipment",
        "trackingevent",
        "codremittance",
    ):
        assert client.get(f"/admin/postal/{model}/").status_code == 200, model
        assert client.get(f"/admin/postal/{model}/add/").status_code == 403, model
    flagged = client.get("/admin/postal/trackingevent/?flag=after_final")
    assert shipment.s10 in flagged.content.decode()
    assert client.get(f"/admin/postal/shipment/?q={shipment.s10}").status_code == 200
