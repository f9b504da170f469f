"""The ``nentang`` command: serve, demo, migrate, check, worker, webhooks, audit, keys,
clients and a Django pass-through.

A malformed setting stops every command with one sentence naming the variable.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import uuid
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
    _serve(host=host, port=port, workers=workers, migrate=migrate, task_worker=task_worker)


def _prepare_metrics_dir(home: Path) -> None:
    # prometheus-client reads this before it is imported, in every worker process.
    metrics_dir = home / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
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

    worker_process = None
    if task_worker:
        worker_process = subprocess.Popen(
            [sys.executable, "-m", "nentang", "worker"], env=os.environ.copy()
        )
    console.print(f"nentang: serving on [bold]http://{host}:{port}[/] with {workers} worker(s)")
    try:
        Granian(
            "nentang.config.asgi:application",
            address=host,
            port=port,
            interface=Interfaces.ASGINL,  # Django does not implement the lifespan protocol
            workers=workers,
            log_access=False,  # our middleware writes the access log, with request ids
        ).serve()
    finally:
        if worker_process is not None:
            worker_process.terminate()
            try:
                worker_process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker_process.kill()


@cli.command()
@click.option("--no-serve", is_flag=True, help="Load demo data, print accounts, then exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def demo(no_serve: bool, host: str, port: int, workers: int) -> None:
    """Migrate, load the demo data of every context, print the accounts, then serve."""
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
    console.print(f"\n[bold]nentang[/] demo is ready at [bold]{base_url}/[/]")
    console.print(f"API documentation: {base_url}/api/v1/docs")
    accounts = [account for item in loaders for account in item.accounts]
    if accounts:
        table = Table(title="Demo accounts")
        for column in ("role", "login", "password", "note"):
            table.add_column(column)
        for account in accounts:
            table.add_row(account.role, account.login, account.password, account.note)
        console.print(table)
    for item in loaders:
        if item.summary is not None:
            for line in item.summary():
                console.print(line)
    if not no_serve:
        _serve(host=host, port=port, workers=workers, migrate=False, task_worker=True)


@cli.command()
def migrate() -> None:
    """Apply pending database migrations."""
    _setup()
    _migrate()


@cli.command()
@click.option("--deploy", is_flag=True, help="Also run Django's deployment checks.")
def check(deploy: bool) -> None:
    """System checks: configuration, database reachable, migrations applied, secret key."""
    _setup()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from nentang.kernel.checks import readiness_problems

    try:
        call_command("check", deploy=deploy, fail_level="ERROR")
    except SystemCheckError as error:
        err_console.print(str(error), highlight=False)
        sys.exit(1)
    problems = readiness_problems()
    for problem in problems:
        click.echo(f"nentang: {problem}", err=True)
    if problems:
        sys.exit(1)
    console.print("nentang: all checks passed")


@cli.command()
@click.option("--queue", default="*", show_default=True, help="Queues, comma-separated.")
@click.option("--batch", is_flag=True, help="Run what is due, then exit.")
def worker(queue: str, batch: bool) -> None:
    """Run the background task worker (django-tasks database backend)."""
    _setup()
    from django.core.management import call_command

    call_command("db_worker", queue_name=queue, batch=batch, reload=False, startup_delay=False)


@cli.group()
def webhooks() -> None:
    """Deliver, replay and list outgoing webhooks."""


@webhooks.command("deliver")
def webhooks_deliver() -> None:
    """Attempt the webhook deliveries that are due, once.

    New outbox events are fanned out first; prints how many deliveries were attempted.
    """
    _setup()
    from nentang.kernel.webhooks import webhook_deliver_due

    attempted = webhook_deliver_due()
    noun = "delivery" if attempted == 1 else "deliveries"
    console.print(f"nentang: {attempted} webhook {noun} attempted")


@webhooks.command("replay")
@click.argument("delivery_id")
def webhooks_replay(delivery_id: str) -> None:
    """Send a delivery again, with a fresh attempt budget.

    Only a dead or succeeded delivery can be replayed; the worker then sends it.
    """
    _setup()
    from nentang.kernel.errors import ProblemError
    from nentang.kernel.webhooks import webhook_delivery_replay

    try:
        parsed = uuid.UUID(delivery_id)
    except ValueError:
        _fail(f"{delivery_id!r} is not a webhook delivery id (a UUID).", code=1)
    try:
        webhook_delivery_replay(actor=_cli_actor(), delivery_id=parsed)
    except ProblemError as error:
        _fail(f"cannot replay webhook delivery {parsed}: {error.detail or error}", code=1)
    console.print(
        f"nentang: webhook delivery {parsed} is pending again; "
        "the worker (or `nentang webhooks deliver`) sends it"
    )


@webhooks.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "succeeded", "dead"]),
    help="Only deliveries in this state.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def webhooks_list(status: str | None, limit: int) -> None:
    """Show the most recent webhook deliveries."""
    _setup()
    from django.utils import timezone

    from nentang.kernel.models import WebhookDelivery
    from nentang.kernel.outbound import redact

    deliveries = WebhookDelivery.objects.select_related("event", "subscription")
    if status is not None:
        deliveries = deliveries.filter(status=status)
    recent = list(deliveries.order_by("-created_at", "-id")[:limit])
    if not recent:
        console.print(f"nentang: no {status + ' ' if status else ''}webhook deliveries")
        return
    table = Table(title="Webhook deliveries, most recent first")
    table.add_column("id", no_wrap=True)
    for column in ("topic", "subscription URL", "status"):
        table.add_column(column)
    table.add_column("attempts", justify="right")
    table.add_column("next attempt")
    for delivery in recent:
        pending = delivery.status == WebhookDelivery.Status.PENDING
        table.add_row(
            str(delivery.id),
            delivery.event.topic,
            redact(delivery.subscription.url),  # a query string may carry the receiver's token
            delivery.status,
            str(delivery.attempts),
            timezone.localtime(delivery.next_attempt_at).isoformat(" ", "seconds")
            if pending
            else "—",
        )
    console.print(table)


@cli.group()
def audit() -> None:
    """The tamper-evident audit log: integrate entries, sign checkpoints, verify."""


@audit.command("integrate")
@click.option(
    "--batch-size",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Entries per transaction.",
)
def audit_integrate(batch_size: int) -> None:
    """Integrate the queued audit entries into the Merkle tree now."""
    _setup()
    from nentang.audit.selectors import tlog_tree_head
    from nentang.audit.services import integrate_pending

    integrated = integrate_pending(batch_size=batch_size)
    size = tlog_tree_head().size
    console.print(f"nentang: {integrated:,} audit entries integrated; the log holds {size:,}")


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Integrate the queued entries, sign a checkpoint of the tree now and print it."""
    _setup()
    from nentang.audit.services import checkpoint_sign, integrate_pending

    integrate_pending()
    checkpoint = checkpoint_sign()
    assert checkpoint is not None  # signing is unconditional here
    click.echo(checkpoint.note, nl=False)


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    type=click.File("rb"),
    multiple=True,
    help="Also check this signed checkpoint (a file, or - for standard input).",
)
def audit_verify(checkpoint_files: tuple[Any, ...]) -> None:
    """Recompute the tree from the stored entries and check every leaf, tile and
    checkpoint; exit 1 at the first sign of tampering."""
    _setup()
    from nentang.audit.selectors.tlog_verify import tlog_verify

    notes = [handle.read() for handle in checkpoint_files]
    with _progress_bar() as progress:
        task = progress.add_task("Verifying the audit log", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = tlog_verify(progress=advance, notes=notes)
    if not report.ok:
        click.echo(f"nentang: {report.problems[0]}", err=True)
        for sentence in report.problems[1:]:
            click.echo(f"  also: {sentence}", err=True)
        hidden = report.problem_count - len(report.problems)
        if hidden > 0:
            click.echo(f"  and {hidden} more problems.", err=True)
        sys.exit(1)
    root = base64.b64encode(report.root_hash).decode()
    click.echo(  # one line, never wrapped: scripts grep it
        f"nentang: the audit log verifies: {report.entries_checked:,} entries, "
        f"{report.checkpoints_checked:,} signed checkpoints, root {root}"
        + (f"; {report.pending:,} entries queued" if report.pending else "")
    )


def _moment(value: str, option: str) -> Any:
    """An ISO 8601 date-time; without an offset it is Vietnam time (Asia/Ho_Chi_Minh)."""
    from datetime import datetime

    from django.utils import timezone

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date-time such as 2026-11-28T08:00+07:00.",
            param_hint=option,
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@audit.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "syslog"]), required=True, help="Output format."
)
@click.option("--since", required=True, help="Start, ISO 8601 (no offset: Vietnam time).")
@click.option("--until", default=None, help="End, excluded (default: now).")
@click.option("--kind", default=None, help="Only events of this kind, e.g. auth.failure.")
@click.option("--no-alerts", is_flag=True, help="Export events only.")
@click.option(
    "--enterprise-number",
    type=click.IntRange(1),
    default=32473,
    show_default=True,
    help="IANA Private Enterprise Number in the syslog SD-ID nentang@PEN (32473: examples).",
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
def audit_export(
    fmt: str,
    since: str,
    until: str | None,
    kind: str | None,
    no_alerts: bool,
    enterprise_number: int,
    output: Any,
) -> None:
    """Export security events and alerts for a national monitoring centre, as JSON
    lines or syslog (RFC 5424). The export itself is recorded (security event and
    audit entry)."""
    _setup()
    from nentang.audit.services import security_export_jsonl, security_export_syslog
    from nentang.kernel.errors import ProblemError

    start = _moment(since, "--since")
    end = _moment(until, "--until") if until else None
    try:
        if fmt == "jsonl":
            lines = security_export_jsonl(
                by=None, since=start, until=end, kind=kind, include_alerts=not no_alerts
            )
        else:
            lines = security_export_syslog(
                by=None,
                since=start,
                until=end,
                kind=kind,
                include_alerts=not no_alerts,
                enterprise_number=enterprise_number,
            )
    except ProblemError as error:
        reasons = "; ".join(f"{e.field}: {e.message}" for e in error.errors)
        _fail(f"export refused: {reasons or error.detail}")
    count = 0
    for line in lines:
        output.write(line)
        count += 1
    output.flush()
    err_console.print(f"nentang: {count:,} lines exported ({fmt})", highlight=False)


@audit.command("prune")
def audit_prune() -> None:
    """Delete raw security events past their system's retention (the daily task does
    this too). Audit entries, the tree and alert evidence are never deleted."""
    _setup()
    from nentang.audit.services import security_events_prune

    deleted = security_events_prune()
    console.print(f"nentang: {deleted:,} raw security events past retention deleted")


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
    from django.db.utils import OperationalError

    try:
        entry()
    except ConfigError as error:
        _fail(f"invalid setting {error}")
    except OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        _fail(f"the database is not reachable ({first_line}); check NENTANG_DATABASE_URL.")


# The OpenID provider's commands (`nentang keys`, `nentang clients`) live in their own module.
from nentang.config import cli_identity  # noqa: E402 - needs `cli` and the helpers above

cli.add_command(cli_identity.keys)
cli.add_command(cli_identity.clients)
from nentang.config import cli_addresses  # noqa: E402, F401 - registers `nentang addresses`


def main() -> None:
    _run(lambda: cli(prog_name="nentang"))
