"""Options and helpers shared by every command: --db, --format, printing a result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from minerwatch.output import Format, to_csv, to_json

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store file (default: $MINERWATCH_DB or the user data dir).", envvar="MINERWATCH_DB"),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format: table, json or csv.")]
MonthOption = Annotated[
    str | None, typer.Option("--month", "-m", help="Calendar month YYYY-MM (default: latest complete).")
]


def emit(data: Any, fmt: Format, table: Callable[[Any], str]) -> None:
    """Print `data` as JSON, CSV or the command's own table."""
    if fmt is Format.json:
        typer.echo(to_json(data))
    elif fmt is Format.csv:
        typer.echo(to_csv(data), nl=False)
    else:
        typer.echo(table(data))


def store(db: Path | None):  # -> Store
    """Open the store for a command (imports lazily so --help stays fast)."""
    from minerwatch.service import open_store

    return open_store(db)
