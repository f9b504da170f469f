"""Fixtures for tests that run the real `nentang` command and a real server (their
helpers: tests/support/processes.py)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.processes import nentang_env, run_nentang


def _postgres_base() -> str | None:
    base = os.environ.get("NENTANG_DATABASE_URL", "")
    return base if base.startswith(("postgres://", "postgresql://")) else None


def _admin_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _drop(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the suite's: a new SQLite file, or a new
    PostgreSQL database on the suite's server, dropped afterwards."""
    base = _postgres_base()
    if base is None:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    import psycopg

    name = f"nentang_fresh_{secrets.token_hex(4)}"
    admin = _admin_url(base)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _database_url(base, name)
    finally:
        _drop(admin, name)


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database per test process with every migration applied by `nentang migrate`,
    copied for each test that needs a migrated database (a migration run costs seconds;
    a copy, milliseconds)."""
    folder = tmp_path_factory.mktemp("migrated-template")
    base = _postgres_base()
    if base is None:
        url = f"sqlite:///{folder / 'template.sqlite3'}"
    else:
        import psycopg

        name = f"nentang_template_{secrets.token_hex(4)}"
        with psycopg.connect(_admin_url(base), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _database_url(base, name)
    try:
        result = run_nentang("migrate", env=nentang_env(folder / "home", url), timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        yield url
    finally:
        if base is not None:
            _drop(_admin_url(base), url.rsplit("/", 1)[1].split("?", 1)[0])


@contextmanager
def migrated_copy(template: str, folder: Path) -> Iterator[str]:
    """A copy of the migrated template: a file copy on SQLite, ``CREATE DATABASE …
    TEMPLATE`` on PostgreSQL (dropped on exit)."""
    base = _postgres_base()
    if base is None:
        source = Path(template.removeprefix("sqlite:///"))
        target = folder / "migrated.sqlite3"
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"
        return
    import psycopg

    template_name = template.rsplit("/", 1)[1].split("?", 1)[0]
    name = f"nentang_migrated_{secrets.token_hex(4)}"
    admin = _admin_url(base)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _database_url(base, name)
    finally:
        _drop(admin, name)


@pytest.fixture
def migrated_database_url(tmp_path: Path, _migrated_template: str) -> Iterator[str]:
    """A database of the suite's kind with every migration applied and no data beyond
    the reference data that migrations bring (a copy of the per-process template)."""
    with migrated_copy(_migrated_template, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def module_migrated_database_url(
    tmp_path_factory: pytest.TempPathFactory, _migrated_template: str
) -> Iterator[str]:
    """Like ``migrated_database_url``, shared by the tests of one module (a served demo
    that several tests use, loaded once)."""
    with migrated_copy(_migrated_template, tmp_path_factory.mktemp("module-db")) as url:
        yield url
