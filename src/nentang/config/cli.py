"""The ``nentang`` command: serve, demo, migrate, check, worker and a Django pass-through
here; each context's commands (webhooks, audit, keys, clients …) in ``cli_<context>.py``.

A malformed setting stops every command with one sentence naming the variable.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nentang.config.env import ConfigError

console = Console(stderr=False)
err_console = Console(stderr=True)


def _setup() -> None:
    """Configure Django; raise ConfigError for a malformed environment."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nentang.config.settings")
    import django

    django.setup()


def _default_base_url(host: str, port: int) -> None:
    from nentang.config import env

    env.base_url_default_to_served(host, port)


def _cli_actor() -> Any:
    """Who acts from the command line: the operating-system account, as a system actor."""
    import getpass

    from nentang.kernel.auditing import Actor

    return Actor.system(f"cli:{getpass.getuser()}")


def _fail(message: str, code: int = 2) -> NoReturn:
    # Plain echo, never wrapped: the message stays one line a script can grep.
    click.echo(f"nentang: {message}", err=True)
    sys.exit(code)


def _migrate(verbosity: int = 1) -> None:
    """Apply pending migrations with a progress bar (reference data loads with them)."""
    from django.core.management import call_command
    from django.core.management.commands.migrate import Command as MigrateCommand

    from nentang.kernel.health import unapplied_migrations

    pending = unapplied_migrations()
    if not pending:
        if verbosity:
            console.print("nentang: no migrations to apply")
        return
    command = MigrateCommand()
    with _progress_bar() as progress:
        task = progress.add_task("Applying migrations", total=len(pending))

        def advance(action: str, migration: Any = None, fake: bool = False) -> None:
            if action == "apply_start" and migration is not None:
                label = f"Applying {migration.app_label}.{migration.name}"
                progress.update(task, description=label)
            elif action == "apply_success":
                progress.advance(task)

        command.migration_progress_callback = advance  # type: ignore[method-assign]
        call_command(command, interactive=False, verbosity=0)
        progress.update(task, description=f"Applied {len(pending)} migrations")


class _RichProgress:
    """Adapts rich's progress bar to the loaders' small Progress protocol."""

    def __init__(self, progress: Progress, context: str) -> None:
        self._progress = progress
        self._context = context
        self._task: Any = None

    def start(self, description: str, total: int) -> None:
        label = f"{self._context}: {description}"
        self._task = self._progress.add_task(label, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)


@contextmanager
def _progress_bar() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        yield progress


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nentang")
def cli() -> None:
    """nentang — nền tảng số: the national digital platform."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.option("--migrate/--no-migrate", default=True, help="Apply pending migrations first.")
@click.option(
    "--task-worker/--no-task-worker",
    default=True,
    help="Also run one background task worker (webhooks, outbox).",
)
def serve(host: str, port: int, workers: int, migrate: bool, task_worker: bool) -> None:
    """Serve the web UI and the API with the Granian ASGI server."""
    _default_base_url(host, port)
    _serve(host=host, port=port, workers=workers, migrate=migrate, task_worker=task_worker)


def _prepare_metrics_dir(home: Path) -> None:
    # prometheus-client reads this before it is imported, in every worker process.
    from nentang.kernel.privatefiles import private_directory

    metrics_dir = home / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    private_directory(metrics_dir)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


def _close_database_connections() -> None:
    """Close this process's connections and connection pools before Granian forks its
    workers: a pooled PostgreSQL connection opened here (by the migrations) would
    otherwise be inherited by every worker, which would then share one socket."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()


def _serve(*, host: str, port: int, workers: int, migrate: bool, task_worker: bool) -> None:
    from nentang.config import env

    config = env.read()
    _prepare_metrics_dir(config.home)
    _setup()
    if migrate:
        _migrate(verbosity=0)
    _close_database_connections()
    from granian import Granian
    from granian.constants import Interfaces

    supervisor = None
    if task_worker:
        from nentang.config.supervisor import WorkerSupervisor

        supervisor = WorkerSupervisor()
        supervisor.start()
    bridges = _smartcity_bridges()
    console.print(f"nentang: serving on [bold]http://{host}:{port}[/] with {workers} worker(s)")
    try:
        Granian(
            "nentang.config.asgi:application",
            address=host,
            port=port,
            interface=Interfaces.ASGINL,  # Django does not implement the lifespan protocol
            workers=workers,
            respawn_failed_workers=True,  # a web worker that dies is started again
            log_access=False,  # our middleware writes the access log, with request ids
        ).serve()
    finally:
        if supervisor is not None:
            supervisor.stop()
        for bridge in bridges:
            bridge.stop()


def _smartcity_bridges() -> list[Any]:
    """The MQTT ingestion bridges, when NENTANG_SMARTCITY_MQTT_BROKER names a broker."""
    from django.conf import settings

    broker = settings.NENTANG_SMARTCITY_MQTT_BROKER
    if broker is None:
        return []
    from nentang.config.cli_smartcity import bridge_supervisors

    workers = settings.NENTANG_SMARTCITY_MQTT_WORKERS
    console.print(
        f"nentang: {workers} MQTT ingestion bridge(s) from mqtt://{broker[0]}:{broker[1]}"
    )
    return bridge_supervisors(broker[0], broker[1], 1000, workers)


@cli.command()
@click.option("--no-serve", is_flag=True, help="Load demo data, print accounts, then exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--task-worker/--no-task-worker",
    default=True,
    show_default=True,
    help="Also run one background task worker (webhooks, outbox).",
)
@click.option(
    "--large",
    is_flag=True,
    help="Also load the open-data table of 1,000,000 rows (NENTANG_DEMO_LARGE).",
)
def demo(
    no_serve: bool, host: str, port: int, workers: int, task_worker: bool, large: bool
) -> None:
    """Migrate, load the demo data of every context, print the accounts, then serve."""
    if large:
        from nentang.config import env

        env.demo_large_requested()
    _default_base_url(host, port)
    _setup()
    _migrate(verbosity=0)
    from django.conf import settings

    from nentang.kernel import demodata

    demodata.discover()
    loaders = demodata.registered([name.rsplit(".", 1)[-1] for name in settings.NENTANG_APPS])
    with _progress_bar() as progress:
        for item in loaders:
            item.load(_RichProgress(progress, item.context))

    base_url = settings.BASE_URL
    accounts = [account for item in loaders for account in item.accounts]
    if accounts:
        # Three columns and the note under the role: readable in an 80-column terminal.
        table = Table(title="Demo accounts", show_lines=True)
        for column in ("role", "login", "password"):
            table.add_column(column, overflow="fold")
        for account in accounts:
            role = f"{account.role}\n[dim]{account.note}[/]" if account.note else account.role
            table.add_row(role, account.login, account.password)
        console.print(table)
    for item in loaders:
        if item.summary is not None:
            for line in item.summary():
                console.print(line)
    if no_serve:
        console.print(
            "\n[bold]nentang[/]: demo data loaded. Nothing is served yet: run "
            f"[bold]nentang serve --port {port}[/] (or ./scripts/demo) and open "
            f"[bold]{base_url}/[/]"
        )
        return
    console.print(f"\n[bold]nentang[/] demo: open [bold]{base_url}/[/] once the server is up")
    console.print(f"API documentation: {base_url}/api/v1/docs")
    _serve(host=host, port=port, workers=workers, migrate=False, task_worker=task_worker)


@cli.command()
def migrate() -> None:
    """Apply pending database migrations."""
    _setup()
    _migrate()


@cli.command()
@click.option(
    "--deploy", is_flag=True, help="Also run the deployment checks; any warning then fails."
)
def check(deploy: bool) -> None:
    """System checks: configuration, database reachable, migrations applied, secret key;
    with --deploy, what a production deployment needs (https, secure cookies, HSTS …)."""
    _setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from nentang.kernel.checks import readiness_problems

    try:
        call_command("check", deploy=deploy, fail_level="WARNING" if deploy else "ERROR")
    except SystemCheckError as error:
        click.echo(str(error), err=True)  # never wrapped: one finding per line
        sys.exit(1)
    problems = readiness_problems()
    for problem in problems:
        click.echo(f"nentang: {problem}", err=True)
    if problems:
        sys.exit(1)
    if deploy and settings.SILENCED_SYSTEM_CHECKS:
        console.print(
            f"nentang: silenced {', '.join(settings.SILENCED_SYSTEM_CHECKS)} (the reasons "
            "are in config/settings.py: Django's security checks ran on nentang's middleware "
            "instead; HSTS preloading is the domain owner's decision)",
            highlight=False,
        )
    console.print("nentang: all checks passed")


@cli.command()
@click.option("--queue", default="*", show_default=True, help="Queues, comma-separated.")
@click.option("--batch", is_flag=True, help="Run what is due, then exit.")
@click.option(
    "--worker-id",
    default=None,
    help="Stable id of this worker (given by `nentang serve` across restarts).",
)
def worker(queue: str, batch: bool, worker_id: str | None) -> None:
    """Run the background task worker (django-tasks database backend). It rides out a
    lost database connection: it waits, reconnects and goes on (kernel.worker)."""
    _setup()
    from django.utils.crypto import get_random_string

    from nentang.kernel.worker import run_worker

    run_worker(queues=queue, batch=batch, worker_id=worker_id or get_random_string(32))


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run any Django management command: nentang manage <command> [options]."""
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["nentang manage", *args])


def _run(entry: Callable[[], Any]) -> None:
    from django.db.utils import DatabaseError

    try:
        entry()
    except ConfigError as error:
        _fail(f"invalid setting {error}")
    except DatabaseError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        if _database_answers():
            # Reachable, yet a statement failed (a table or column changed behind us):
            # say so, instead of sending the operator to check the connection.
            _fail(f"the database refused a statement ({first_line}).", code=1)
        _fail(f"the database is not reachable ({first_line}); check NENTANG_DATABASE_URL.")


def _database_answers() -> bool:
    """Does the database answer a new connection? (The failed one may be unusable: on
    PostgreSQL a failed statement aborts the transaction it ran in.)"""
    try:
        from django.db import connections

        probe = connections.create_connection("default")
        try:
            with probe.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        finally:
            probe.close()
    except Exception:  # not configured, or anything else: it does not answer
        return False


# Each context's commands live in their own module, config/cli_<context>.py, registered
# here with one import and one add_command line per group.
from nentang.config import cli_audit, cli_webhooks  # noqa: E402 - they need `cli`'s helpers

cli.add_command(cli_webhooks.webhooks)
cli.add_command(cli_audit.audit)

# The OpenID provider's commands (`nentang keys`, `nentang clients`) live in their own module.
from nentang.config import cli_identity  # noqa: E402 - needs `cli` and the helpers above

cli.add_command(cli_identity.keys)
cli.add_command(cli_identity.clients)
from nentang.config import (  # noqa: E402 - they register `nentang addresses`, `nentang smartcity`
    cli_addresses,  # noqa: F401
    cli_payments,
    cli_smartcity,  # noqa: F401
)

cli.add_command(cli_payments.payments)


def main() -> None:
    _run(lambda: cli(prog_name="nentang"))
