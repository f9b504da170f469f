"""`nentang audit`: the tamper-evident audit log (integrate, sign, verify) and the
security events (export for a national monitoring centre, prune past retention)."""

from __future__ import annotations

import base64
import sys
from typing import Any

import click

from nentang.config import cli as base


@click.group()
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
    base._setup()
    from nentang.audit.selectors import tlog_tree_head
    from nentang.audit.services import integrate_pending

    integrated = integrate_pending(batch_size=batch_size)
    size = tlog_tree_head().size
    base.console.print(f"nentang: {integrated:,} audit entries integrated; the log holds {size:,}")


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Integrate the queued entries, sign a checkpoint of the tree now and print it."""
    base._setup()
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
    base._setup()
    from nentang.audit.selectors.tlog_verify import tlog_verify

    notes = [handle.read() for handle in checkpoint_files]
    with base._progress_bar() as progress:
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
        + (
            f"; signed under {len(report.origins)} origins ({', '.join(sorted(report.origins))})"
            if len(report.origins) > 1
            else ""
        )
        + (f"; {report.witness}" if report.witness else "")
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
    base._setup()
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
        base._fail(f"export refused: {reasons or error.detail}")
    count = 0
    for line in lines:
        output.write(line)
        count += 1
    output.flush()
    base.err_console.print(f"nentang: {count:,} lines exported ({fmt})", highlight=False)


@audit.command("prune")
def audit_prune() -> None:
    """Delete raw security events past their system's retention (the daily task does
    this too). Audit entries, the tree and alert evidence are never deleted."""
    base._setup()
    from nentang.audit.services import security_events_prune

    deleted = security_events_prune()
    base.console.print(f"nentang: {deleted:,} raw security events past retention deleted")
