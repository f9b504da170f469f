"""The demo loader: dossiers in several states through the services, An's newborn
waiting for approval, and nothing more on a second run."""

from __future__ import annotations

import pytest

from nentang.kernel import demodata
from nentang.publicservices.models import Dossier

pytestmark = pytest.mark.django_db


class Quiet:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


def test_the_demo_loads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from nentang.audit.services import security_defaults_install
    from nentang.publicservices import demo

    monkeypatch.setattr("nentang.publicservices.demo.DEFAULT_DOSSIERS", 12)
    # identity's loader (found through the registry: its module is not ours to import)
    # makes the citizens and the Sài Gòn officer; a few generated people are enough.
    monkeypatch.setattr("nentang.identity.demo.GENERATED", 20)
    security_defaults_install()
    demodata.discover()
    [identity_loader] = [x for x in demodata.registered([]) if x.context == "identity"]
    identity_loader.load(Quiet())
    demo.load(Quiet())

    assert Dossier.objects.count() == 13
    assert Dossier.objects.filter(state="approval", procedure_slug="dang-ky-khai-sinh").exists()
    assert len(set(Dossier.objects.values_list("state", flat=True))) >= 3
    demo.load(Quiet())
    assert Dossier.objects.count() == 13
