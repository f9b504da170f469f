"""`nentang payments reconcile`: recompute every account's totals from the ledger's
entries and compare; exit 1 naming the first account that differs."""

from __future__ import annotations

import click

from nentang.config import cli as base


@click.group()
def payments() -> None:
    """Mobile money and payments: the ledger's operator tools."""


@payments.command("reconcile")
def reconcile() -> None:
    """Balances recomputed from entries must equal stored balances, all balances must sum
    to zero and every transfer must have two legs. Exit status 1 otherwise."""
    base._setup()
    from nentang.payments.selectors import ledger_reconcile

    report = ledger_reconcile()
    click.echo(
        f"accounts {report.accounts}, transfers {report.transfers}, entries {report.entries}; "
        f"posted debits {report.sums.get('debits_posted', 0)} = credits "
        f"{report.sums.get('credits_posted', 0)}"
    )
    if report.differences:
        first = report.differences[0]
        base._fail(
            f"account {first.account_code} differs: {first.total} stored {first.stored}, "
            f"recomputed from entries {first.recomputed} "
            f"({len(report.differences)} difference(s) in all).",
            code=1,
        )
    if report.problems:
        base._fail(report.problems[0], code=1)
    click.echo("ledger reconciled: every balance equals its entries.")
