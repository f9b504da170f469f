"""The postal demo: every status present, the documented logins, loading twice changes
nothing (with fewer parcels than ``nentang demo`` makes, to keep the suite quick)."""

from __future__ import annotations

import pytest
from django.db.models import Count

from nentang.kernel import demodata
from nentang.postal import demo
from nentang.postal.models import CodRemittance, PostalWorker, Shipment, TrackingEvent
from nentang.postal.tests import support

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return (
        Shipment.objects.count(),
        TrackingEvent.objects.count(),
        CodRemittance.objects.count(),
        PostalWorker.objects.count(),
    )


def test_the_demo_loads_once_with_every_status(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from nentang.audit.services import security_defaults_install

    # The identity demo (its administrator makes the postmen's accounts), found the way
    # `nentang demo` finds it: by name, not by an import of another context's module.
    identity_demo = importlib.import_module("nentang.identity.demo")

    security_defaults_install()
    support.administrative_units()
    monkeypatch.setattr(identity_demo, "GENERATED", 0)
    monkeypatch.setattr(demo, "PARCELS", 400)
    identity_demo.load(demodata.SilentProgress())
    demo.load(demodata.SilentProgress())
    first = counts()
    demo.load(demodata.SilentProgress())

    assert counts() == first
    statuses = dict(Shipment.objects.values_list("status").annotate(n=Count("id")))
    assert {"delivered", "return_to_sender", "cancelled", "in_transit"} <= set(statuses)
    assert first[2] > 0  # COD remitted
    result = Shipment.objects.get(dossier_reference=demo.RESULT_DOSSIER)
    assert (result.status, result.s10[:2]) == ("out_for_delivery", "RR")
    assert set(PostalWorker.objects.values_list("account__username", flat=True)) == {
        "buuta.tam",
        "buuta.lan",
    }
