"""Test-wide set-up shared by every context's tests.

The database comes from NENTANG_DATABASE_URL (SQLite by default, PostgreSQL when the
test script points it there); pytest-django creates and destroys the test database.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# Before Django reads its settings: never touch a developer's ./var from tests, and give
# each pytest-xdist worker a home of its own (keys, uploads, metrics are per process).
os.environ.setdefault("NENTANG_HOME", tempfile.mkdtemp(prefix="nentang-test-home-"))
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["NENTANG_HOME"] = os.path.join(os.environ["NENTANG_HOME"], worker)
    os.makedirs(os.environ["NENTANG_HOME"], exist_ok=True)
os.environ.setdefault("NENTANG_LOG_FORMAT", "text")
os.environ.setdefault("NENTANG_LOG_LEVEL", "WARNING")

import pytest
from hypothesis import settings as hypothesis_settings

POSTGRES_SKIP = "needs PostgreSQL"

# Property tests explore new random examples on a developer's machine; the gate
# (scripts/test sets NENTANG_HYPOTHESIS_PROFILE=gate) runs the same examples every time,
# so a commit lands or not on its own merits, never on the draw.
hypothesis_settings.register_profile("gate", derandomize=True)
hypothesis_settings.load_profile(os.environ.get("NENTANG_HYPOTHESIS_PROFILE", "default"))

# Argon2id costs ~50 ms of a core per hash by design; the suite hashes thousands of
# passwords. Tests hash with a counting MD5 hasher instead, except those marked
# ``argon2`` (the ones about the production hasher itself). Servers a test starts in
# another process (``nentang serve``/``demo``) keep the production settings.
FAST_HASHERS = ["tests.support.hashers.CountingHasher"]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher() -> Iterator[None]:
    from django.test.utils import override_settings

    # The audit integrator and the outbox dispatch are asked for inline after each commit
    # (a test's rows are in the test's own transaction, which another thread's
    # connection would not see).
    with override_settings(
        PASSWORD_HASHERS=FAST_HASHERS,
        NENTANG_AUDIT_SCHEDULE_SECONDS=0,
        NENTANG_OUTBOX_SCHEDULE_SECONDS=0,
    ):
        yield


@pytest.fixture(autouse=True)
def _argon2_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("argon2") is None:
        yield
        return
    from django.conf import settings
    from django.test.utils import override_settings

    from nentang.config import settings as production

    assert settings.PASSWORD_HASHERS == FAST_HASHERS
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        yield


# Reference data that migrations load (administrative units, the holiday calendar): the
# flush that empties the database after each transactional test keeps these tables, so
# a test that runs after a transactional one on the same pytest-xdist worker still finds
# them. A context whose migrations load reference data adds its tables here.
# Rows the migrations install and no test changes: the flush keeps them, so a test that
# runs after a transactional one finds them as a new database has them.
REFERENCE_TABLES = frozenset(
    {
        "addresses_datasource",
        "addresses_province",
        "addresses_commune",
        "kernel_calendarday",
        "opendata_licence",
        "smartcity_reportcategory",
    }
)


@pytest.fixture(scope="session", autouse=True)
def _flush_keeps_reference_data_and_lifts_the_audit_guards() -> Iterator[None]:
    """The audit tables refuse UPDATE, DELETE and TRUNCATE (audit migration 0002); the
    flush that empties the database after each transactional test may pass them, and it
    leaves the reference tables alone."""
    from django.core.management.commands import flush
    from django.db.backends.base.operations import BaseDatabaseOperations

    from nentang.audit.tests.guards import guards_lifted

    original_execute = BaseDatabaseOperations.execute_sql_flush
    original_sql_flush = getattr(flush, "sql_flush")  # noqa: B009 - not in the stubs

    def execute_sql_flush(self: BaseDatabaseOperations, sql_list: Iterable[str]) -> None:
        with guards_lifted(self.connection):
            original_execute(self, sql_list)

    def sql_flush(style: Any, connection: Any, **kwargs: Any) -> list[str]:
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        kept = [table for table in tables if table not in REFERENCE_TABLES]
        if connection.vendor == "postgresql" and not kwargs.get("reset_sequences"):
            # TRUNCATE gives every table (and index) a new file: ~3 s for the hundred
            # tables of the schema, after each of ~200 transactional tests. DELETE of
            # the few rows a test left costs milliseconds. The flush runs with the
            # triggers off (guards_lifted: session_replication_role = replica), so the
            # order of the tables does not matter to the foreign keys.
            quote = connection.ops.quote_name
            return [f"DELETE FROM {quote(table)}" for table in kept]  # noqa: S608 - our table names
        return list(connection.ops.sql_flush(style, kept, **kwargs))

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    setattr(flush, "sql_flush", sql_flush)  # noqa: B010
    try:
        yield
    finally:
        BaseDatabaseOperations.execute_sql_flush = original_execute  # type: ignore[method-assign]
        setattr(flush, "sql_flush", original_sql_flush)  # noqa: B010


def _run_folder(factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run: shared by the pytest-xdist workers (each
    has its own folder inside it), the run's own folder without xdist."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database per test run with every migration applied by `nentang migrate`,
    copied for each database a test needs (tests/support/databases.py)."""
    from tests.support.databases import shared_template

    return shared_template(_run_folder(tmp_path_factory))


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
    _migrated_template: str,
) -> Iterator[None]:
    """pytest-django's test database, as a copy of the run's migrated template instead
    of a migration run of its own in every worker (same migrations, same reference data,
    a core's ~10 s saved per worker). Named as pytest-django names it (``test_…_gw0``)."""
    from django.conf import settings
    from django.db import connections
    from tests.support.databases import copy_template, remove_copy

    with django_db_blocker.unblock():
        connection = connections["default"]
        original = connection.settings_dict["NAME"]
        test_name = connection.creation._get_test_db_name()  # type: ignore[attr-defined]
        connection.close()
        url = copy_template(_migrated_template, test_name)
        settings.DATABASES["default"]["NAME"] = test_name
        connection.settings_dict["NAME"] = test_name
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            for each in connections.all():
                each.close()
            remove_copy(url)
            settings.DATABASES["default"]["NAME"] = original
            connection.settings_dict["NAME"] = original


_prebuild: threading.Thread | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """In the gate (scripts/test sets NENTANG_TEST_PREBUILD_TEMPLATE=1), the process that
    starts the run builds the migrated template while the pytest-xdist workers import
    and collect the tests, rather than the first worker building it while the other
    waits (a `nentang migrate` is ~10 s of a core). Workers that ask for it first wait
    on the same file lock, so it is still built once."""
    global _prebuild
    factory = getattr(session.config, "_tmp_path_factory", None)
    if (
        hasattr(session.config, "workerinput")
        or factory is None
        or os.environ.get("NENTANG_TEST_PREBUILD_TEMPLATE") != "1"
        or not (session.config.rootpath / "tests" / "support").is_dir()  # a scaffold's copy
    ):
        return
    from tests.support.databases import shared_template

    run_folder = factory.getbasetemp()
    _prebuild = threading.Thread(target=shared_template, args=(run_folder,), daemon=True)
    _prebuild.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The process that started the run drops the shared template once every worker is
    done (a worker cannot know it is the last)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if hasattr(session.config, "workerinput") or factory is None:
        return
    if _prebuild is not None:
        _prebuild.join()
    run_folder = factory.getbasetemp()
    if not (run_folder / "migrated-template.url").exists():
        return  # no test asked for a migrated database (or tests/ is not here: a scaffold)
    from tests.support.databases import drop_shared_template

    drop_shared_template(run_folder)


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where tests put what a person should look at: screenshots (test-artifacts/)."""
    directory = request.config.rootpath / "test-artifacts"
    directory.mkdir(exist_ok=True)
    return directory


# What makes a test use the database: pytest-django's fixtures and marker, and the
# fixtures that hand a database URL to a `nentang` process (tests/conftest.py).
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "migrated_database_url",
        "module_migrated_database_url",
        "fresh_database_url",
    }
)


def uses_the_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(fixtures & DATABASE_FIXTURES) or any(
        item.get_closest_marker(name) is not None for name in ("django_db", "postgres_only")
    )


# Fixtures whose tests start other processes (`nentang` commands and servers).
PROCESS_FIXTURES = frozenset(
    {"migrated_database_url", "module_migrated_database_url", "fresh_database_url"}
)


def _cost_class(item: pytest.Item) -> int:
    """0 for a browser test, 1 for one that starts processes or a live server, 2 else."""
    if item.get_closest_marker("browser") is not None:
        return 0
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & PROCESS_FIXTURES or "live_server" in fixtures:
        return 1
    return 2 if "tests/config/" not in item.nodeid else 1


def _heaviest_files_first(items: list[pytest.Item]) -> None:
    """Order the files so that the costly ones (browser journeys, then those that start
    processes) come first, the rest by number of tests. pytest-xdist (``--dist loadfile
    --no-loadscope-reorder``) hands files out in this order, two pending per worker, so
    the run does not end with one worker on a long browser file while the other idles.
    Tests keep their order inside a file."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ordered = sorted(
        files.values(), key=lambda tests: (min(_cost_class(t) for t in tests), -len(tests))
    )
    items[:] = [item for tests in ordered for item in tests]


def _runs_once(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None and (
        item.get_closest_marker("flagship") is None
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres_only are skipped, loudly, when the database is SQLite.

    Under NENTANG_TEST_DATABASE_TESTS_ONLY=1 (the gate's second pass, on PostgreSQL) the
    tests that use no database are deselected: they ran in the first pass and their
    result cannot depend on the database (check digits, catalogues, import contracts).
    Under NENTANG_TEST_BROWSER=flagship the browser journeys other than the flagship
    one are deselected: the gate runs them all in its first pass and only the flagship
    again on PostgreSQL (docs/architecture.md, "The gate")."""
    from django.conf import settings

    if os.environ.get("NENTANG_TEST_DATABASE_TESTS_ONLY") == "1":
        independent = [item for item in items if not uses_the_database(item)]
        if independent:
            config.hook.pytest_deselected(items=independent)
            items[:] = [item for item in items if uses_the_database(item)]
    if os.environ.get("NENTANG_TEST_BROWSER") == "flagship":
        once = [item for item in items if _runs_once(item)]
        if once:
            config.hook.pytest_deselected(items=once)
            items[:] = [item for item in items if not _runs_once(item)]
    _heaviest_files_first(items)
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"{POSTGRES_SKIP} (NENTANG_DATABASE_URL=postgresql://…)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """The browser tests of a process share one Chromium (tests/support/browser.py),
    closed after the last of those that run in a row: before a test that is not a
    browser test, and at the end."""
    browser = sys.modules.get("tests.support.browser")
    if browser is None:
        return
    if nextitem is None or nextitem.get_closest_marker("browser") is None:
        browser.close_shared_chromium()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Under NENTANG_TEST_STRICT_SKIPS=1 (the gate), a skip is a failure unless it is a
    PostgreSQL-only test in the SQLite run: a missing browser or tool must not pass."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("NENTANG_TEST_STRICT_SKIPS") != "1" or not report.skipped:
        return
    if hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
    if POSTGRES_SKIP in reason:
        return
    report.outcome = "failed"
    report.longrepr = f"skipped in the gate, which allows no skips: {reason}"


@pytest.fixture
def admin_client(db: None, admin_user: Any) -> Any:
    """pytest-django's ``admin_client``, logged in as the e-ID login would leave it:
    staff sessions carry their second factor (issue 8), or every page sends them to
    set one up."""
    from django.test import Client
    from tests.support.staff import staff_login

    client = Client()
    staff_login(client, admin_user)
    return client
