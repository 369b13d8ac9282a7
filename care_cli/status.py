"""`care status`: each part of CARE, healthy or not; exit 1 when something is wrong."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from adapters.health import as_json, checks, healthy

console = Console()
MARKS = {"ok": "[green]ok[/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]FAIL[/red]"}


def status(
    as_json_: bool = typer.Option(False, "--json", help="one JSON object, for a monitor"),
) -> None:
    """Show whether each part of CARE is healthy; exit 1 if one fails (for monitoring).

    The parts: the record, Prefect, the workers, the hosts, the time-keeper, the
    deadlines, the flow runs and the outbox."""
    found = checks()
    if as_json_:
        print(json.dumps(as_json(found)))
    else:
        table = Table("part", "", "detail", box=None)
        for check in found:
            table.add_row(check.part, MARKS[check.status], check.detail)
        console.print(table)
    if not healthy(found):
        raise typer.Exit(1)
