"""Fixtures of the open-data tests: the cast of ``support``, built through the services."""

from __future__ import annotations

import pytest

from nentang.audit.services import security_defaults_install
from nentang.opendata.tests import support


@pytest.fixture
def cast(db: None) -> support.Cast:
    security_defaults_install()
    return support.cast()
