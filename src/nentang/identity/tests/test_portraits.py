"""No orphan portrait file after an aborted registration (issue 8, item 16).

Before: the portrait was written before the registration's transaction, so a crash or
a rolled-back outer transaction left a file that no person refers to (personal data
kept with no purpose). Now the sweeper removes such files once they are older than the
grace period, and the worker runs it at every start.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction

from nentang.identity import services
from nentang.identity.models import Person
from nentang.identity.services.portraits import portraits_sweep
from nentang.identity.tests import support
from nentang.kernel import worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    return tmp_path


def portrait_files(media: Path) -> set[str]:
    return {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()}


def test_a_rolled_back_registration_leaves_no_portrait_behind(media: Path) -> None:
    def register_then_fail() -> None:
        with transaction.atomic():
            services.person_register(**support.binh_form())
            raise RuntimeError("the caller's transaction fails after the registration")

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert not Person.objects.exists()
    [orphan] = portrait_files(media)  # what the issue found
    an = services.person_register(**support.an_form())

    assert portraits_sweep() == 0  # too recent: it could be a registration in flight
    assert portraits_sweep(grace=timedelta(0)) == 1

    assert portrait_files(media) == {an.portrait.name}
    assert orphan != an.portrait.name


def test_the_worker_sweeps_at_every_start() -> None:
    assert portraits_sweep in worker._start_hooks
