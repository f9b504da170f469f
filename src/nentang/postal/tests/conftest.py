"""Fixtures of the postal tests: the cast of ``support``, built through the services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support.http import Receiver

from nentang.audit.services import security_defaults_install
from nentang.postal.tests import support


@pytest.fixture
def _audit_defaults(db: None) -> None:
    security_defaults_install()


@pytest.fixture
def cast(_audit_defaults: None) -> support.Cast:
    return support.cast()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A merchant's webhook endpoint: a real HTTP server on 127.0.0.1."""
    server = Receiver()
    yield server
    server.close()
