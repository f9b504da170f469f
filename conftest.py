"""Test-wide set-up shared by every context's tests.

The database comes from NENTANG_DATABASE_URL (SQLite by default, PostgreSQL when the
test script points it there); pytest-django creates and destroys the test database.
"""

from __future__ import annotations

import os
import tempfile

# Before Django reads its settings: never touch a developer's ./var from tests.
os.environ.setdefault("NENTANG_HOME", tempfile.mkdtemp(prefix="nentang-test-home-"))
os.environ.setdefault("NENTANG_LOG_FORMAT", "text")
os.environ.setdefault("NENTANG_LOG_LEVEL", "WARNING")

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres_only are skipped, loudly, when the database is SQLite."""
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (NENTANG_DATABASE_URL=postgresql://…)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
