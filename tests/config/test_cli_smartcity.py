"""`nentang smartcity sweep-photos`, in-process: an orphan report photo older than the
grace period is deleted, and the command says how many of how many files.
(The sweeper itself: src/nentang/smartcity/tests/test_photo_sweep.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from nentang.config.cli import cli
from nentang.smartcity.tests.support_reports import JPEG
from nentang.smartcity.tests.test_photo_sweep import age

pytestmark = pytest.mark.django_db


def test_the_command_sweeps_orphan_photos(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    stray = default_storage.save("city-reports/2026/01/stray.jpg", ContentFile(JPEG))
    young = default_storage.save("city-reports/2026/01/young.jpg", ContentFile(JPEG))
    age(stray, 2)
    result = CliRunner().invoke(cli, ["smartcity", "sweep-photos", "--grace-minutes", "30"])
    assert result.exit_code == 0, result.output
    assert "1 orphan photos deleted of 2 files" in result.output
    assert not default_storage.exists(stray)
    assert default_storage.exists(young)
    refused = CliRunner().invoke(cli, ["smartcity", "sweep-photos", "--grace-minutes", "0"])
    assert refused.exit_code == 2
