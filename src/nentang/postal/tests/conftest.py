"""Fixtures of the postal tests: the cast of ``support``, built through the services."""

from __future__ import annotations

import pytest

from nentang.audit.services import security_defaults_install
from nentang.postal.tests import support


@pytest.fixture
def _audit_defaults(db: None) -> None:
    security_defaults_install()


@pytest.fixture
def cast(_audit_defaults: None) -> support.Cast:
    return support.cast()
