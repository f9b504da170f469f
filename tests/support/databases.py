"""Databases for tests: one migrated template per test run, copied for each use.

A migration run costs a core ~10 s (Django renders the model state of ~110 migrations);
a copy costs milliseconds. The template is made once per run by the real `nentang migrate`
and shared by the pytest-xdist workers (the first to need it builds it under a file
lock); pytest-django's test database and every ``migrated_database_url`` are copies of it.
On SQLite a copy is a file copy; on PostgreSQL, ``CREATE DATABASE … TEMPLATE``.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.support.processes import nentang_env, run_nentang

TEMPLATE_URL_FILE = "migrated-template.url"


def postgres_base() -> str | None:
    """The suite's PostgreSQL URL, or None when the suite runs on SQLite."""
    base = os.environ.get("NENTANG_DATABASE_URL", "")
    return base if base.startswith(("postgres://", "postgresql://")) else None


def admin_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def create(base: str, name: str, template: str | None = None) -> str:
    import psycopg

    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin_url(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    return database_url(base, name)


def drop(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def shared_template(run_folder: Path) -> str:
    """The URL of this run's migrated template, built by the first process that asks
    (the others wait on the lock, then read the URL it left)."""
    run_folder.mkdir(parents=True, exist_ok=True)
    recorded = run_folder / TEMPLATE_URL_FILE
    with open(run_folder / "migrated-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if recorded.exists():
            return recorded.read_text()
        folder = run_folder / "migrated-template"
        folder.mkdir(exist_ok=True)
        base = postgres_base()
        if base is None:
            url = f"sqlite:///{folder / 'template.sqlite3'}"
        else:
            url = create(base, f"nentang_template_{secrets.token_hex(4)}")
        result = run_nentang("migrate", env=nentang_env(folder / "home", url), timeout=600)
        if result.returncode != 0:
            raise RuntimeError(
                f"`nentang migrate` failed on the test template:\n{result.stdout}{result.stderr}"
            )
        recorded.write_text(url)
        return url


def drop_shared_template(run_folder: Path) -> None:
    """Called once, by the process that started the run, after every worker is done."""
    recorded = run_folder / TEMPLATE_URL_FILE
    base = postgres_base()
    if base is not None and recorded.exists():
        drop(base, database_name(recorded.read_text()))
    recorded.unlink(missing_ok=True)


def copy_template(template: str, target: Path | str) -> str:
    """A copy of the template: at the path ``target`` on SQLite, as the database named
    ``target`` on PostgreSQL. Returns its URL."""
    base = postgres_base()
    if base is None:
        path = Path(target)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    return create(base, str(target), template=database_name(template))


def remove_copy(url: str) -> None:
    base = postgres_base()
    if base is None:
        path = Path(url.removeprefix("sqlite:///"))
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            file.unlink(missing_ok=True)
    else:
        drop(base, database_name(url))


@contextmanager
def migrated_copy(template: str, folder: Path) -> Iterator[str]:
    """A copy of the migrated template, removed on exit."""
    if postgres_base() is None:
        url = copy_template(template, folder / "migrated.sqlite3")
    else:
        url = copy_template(template, f"nentang_migrated_{secrets.token_hex(4)}")
    try:
        yield url
    finally:
        remove_copy(url)
