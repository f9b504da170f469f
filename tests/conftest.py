"""Fixtures for tests that run the real `nentang` command and a real server (their
helpers: tests/support/processes.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import databases


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the suite's: a new SQLite file, or a new
    PostgreSQL database on the suite's server, dropped afterwards."""
    base = databases.postgres_base()
    if base is None:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url = databases.create(base, f"nentang_fresh_{secrets.token_hex(4)}")
    try:
        yield url
    finally:
        databases.remove_copy(url)


@pytest.fixture
def migrated_database_url(tmp_path: Path, _migrated_template: str) -> Iterator[str]:
    """A database of the suite's kind with every migration applied and no data beyond
    the reference data that migrations bring (a copy of the run's template)."""
    with databases.migrated_copy(_migrated_template, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def module_migrated_database_url(
    tmp_path_factory: pytest.TempPathFactory, _migrated_template: str
) -> Iterator[str]:
    """Like ``migrated_database_url``, shared by the tests of one module (a served demo
    that several tests use, loaded once)."""
    with databases.migrated_copy(_migrated_template, tmp_path_factory.mktemp("module-db")) as url:
        yield url
