"""`nentang addresses normalize FILE.csv`: normalise a file of addresses, with progress."""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import cast

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nentang.config import cli as base

OUT_FIELDS = (
    "status",
    "reason",
    "line",
    "ward_code",
    "ward_name",
    "province_code",
    "province_name",
    "postal_code",
    "confidence",
    "regime",
    "candidates",
)


@click.group()
def addresses() -> None:
    """Addresses: normalise files of addresses written in any form."""


@addresses.command("normalize")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--column", default="", help="Column holding the address (default: 'address', else the first)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: standard output).",
)
def normalize(source: Path, column: str, output: Path | None) -> None:
    """Add today's ward and province (with the pre-reform conversion and every candidate
    of a split ward), postal code and confidence to each row of a UTF-8 CSV file."""
    base._setup()
    from nentang.addresses.selectors import address_normalize

    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        base._fail(f"{source} is not UTF-8 text.")
    if "\x00" in text:
        base._fail(f"{source} contains NUL characters: is it a CSV file?")
    try:
        reader = csv.DictReader(io.StringIO(text))
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    except csv.Error as error:
        base._fail(f"{source} is not a valid CSV file ({error}).")
    if not fields:
        base._fail(f"{source} has no header row.")
    name = column or ("address" if "address" in fields else fields[0])
    if name not in fields:
        base._fail(f"no column {name!r} in {source}; columns: {', '.join(fields)}.")

    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=[*fields, *(f for f in OUT_FIELDS if f not in fields)],
        lineterminator="\n",
    )
    writer.writeheader()
    counts = {"resolved": 0, "ambiguous": 0, "unresolved": 0}
    progress_console = base.console if output else Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=progress_console,
    ) as progress:
        task = progress.add_task("Normalising addresses", total=len(rows))
        for row in rows:
            result = address_normalize(text=row.get(name) or "")
            counts[result.status] += 1
            row.update(
                {
                    "status": result.status,
                    "reason": result.reason,
                    "line": result.line,
                    "ward_code": result.ward_code,
                    "ward_name": result.ward_name,
                    "province_code": result.province_code,
                    "province_name": result.province_name,
                    "postal_code": result.postal_code,
                    "confidence": f"{result.confidence:.2f}",
                    "regime": result.regime,
                    "candidates": "|".join(
                        f"{c.ward_code}:{c.ward_name}" for c in result.candidates
                    )
                    if result.status == "ambiguous"
                    else "",
                }
            )
            writer.writerow(row)
            progress.advance(task)
    if output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        # Atomically: a reader never sees half a file, a crash leaves the old one.
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(buffer.getvalue())
        os.replace(temporary, output)
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    click.echo(f"nentang: {len(rows)} addresses: {summary}", err=output is None)


# Through the module's namespace: this module is imported at the end of cli.py, where
# `cli` exists at run time but the import cycle hides its type from mypy.
cast(click.Group, vars(base)["cli"]).add_command(addresses)
