"""Live-data commands: sync, sources (--conflicts), import."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from minerwatch.commands.common import DbOption, FormatOption, emit, store
from minerwatch.output import Format, frame_table

SYNC_COLUMNS = ["source", "status", "requests", "cache_hits", "retries", "rows_inserted", "rows_updated",
                "rows_unchanged", "conflicts", "first_date", "last_date"]


def _rows_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    import polars as pl

    if not rows:
        return "(none)"
    return frame_table(pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], infer_schema_length=None))


def register(app: typer.Typer) -> None:
    @app.command()
    def sync(
        source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable): mempool, coingecko, yahoo, edgar, bitcoind.")] = None,  # noqa: E501
        start: Annotated[str | None, typer.Option("--from", help="Fetch from this day (YYYY-MM-DD) instead of the store's last day.")] = None,  # noqa: E501
        ticker: Annotated[list[str] | None, typer.Option("--ticker", "-t", help="Equity ticker for yahoo/edgar (repeatable; default: the miner basket).")] = None,  # noqa: E501
        from_height: Annotated[int | None, typer.Option("--from-height", help="bitcoind: first block height to fetch.")] = None,  # noqa: E501
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the on-disk HTTP cache.")] = False,
        reparse: Annotated[bool, typer.Option("--reparse", help="No network: parse the raw payloads kept by past syncs again (after a parser fix).")] = False,  # noqa: E501
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary (errors still print).")] = False,  # noqa: E501
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """Bring the store up to date from the live sources (incremental; one write transaction per source).

        Prints, per source, the HTTP requests made, rows inserted/updated and conflicts found.

        Example: minerwatch sync --source mempool --from 2025-01-01
        """
        from datetime import UTC, datetime

        from minerwatch import service
        from minerwatch.errors import MinerwatchError
        from minerwatch.sync import sync as run_sync

        first = service.parse_date(start, "--from") if start else None
        today = datetime.now(UTC).date()
        options: dict[str, Any] = {"tickers": ticker or None, "from_height": from_height}
        progress = None
        on_step = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            from minerwatch.sources.registry import DEFAULT_SYNC

            progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            chosen = list(source or DEFAULT_SYNC)
            overall = progress.add_task("sources", total=len(chosen))
            current: dict[str, Any] = {}

            def on_step(sid: str, msg: str) -> None:
                if current.get("sid") != sid:
                    if "task" in current:
                        progress.update(current["task"], visible=False)
                        progress.advance(overall)
                    current.update(sid=sid, task=progress.add_task(sid, total=None))
                progress.update(current["task"], description=f"{sid}: {msg}")

        if reparse:
            from minerwatch.sources.registry import DEFAULT_SYNC
            from minerwatch.sync import reparse as run_reparse

            results = [run_reparse(db, sid) for sid in (source or DEFAULT_SYNC)]
        elif progress is not None:
            with progress:
                results = run_sync(db, source or None, today=today, start=first, options=options,
                                   cache=not no_cache, on_step=on_step)
        else:
            results = run_sync(db, source or None, today=today, start=first, options=options, cache=not no_cache)
        data = [r.as_dict() for r in results]
        if not quiet:
            emit(data, fmt, lambda rows: _rows_table(rows, SYNC_COLUMNS)
                 + f"\ntotal requests: {sum(r['requests'] for r in rows)}")
        failed: list[MinerwatchError] = [r.error for r in results if r.error is not None]
        for exc in failed:
            typer.echo(f"error: {exc}", err=True)
        if failed:
            raise typer.Exit(max(e.exit_code for e in failed))

    @app.command()
    def sources(
        conflicts: Annotated[bool, typer.Option("--conflicts", help="Show days where two sources disagree beyond tolerance.")] = False,  # noqa: E501
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """What each source is, its base URL, last successful sync and rows held (or, with --conflicts, disagreements).

        Example: minerwatch sources --conflicts --format json
        """
        from minerwatch import service_live

        with store(db) as s:
            if conflicts:
                data = service_live.conflicts(s)
                cols = ["table", "date", "item", "field", "source_a", "value_a", "source_b", "value_b",
                        "difference", "tolerance", "tolerance_kind"]
            else:
                data = service_live.sources(s)
                cols = ["source", "kind", "base_url", "last_sync", "rows"]
        emit(data, fmt, lambda rows: _rows_table(rows, cols))

    @app.command(name="import")
    def import_(
        file: Annotated[Path, typer.Argument(help="CSV file with a header row (schema: docs/live.md).")],
        kind: Annotated[str, typer.Option("--kind", "-k", help="prices, network, shares or hashrate.")],
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """Import your own CSV data (all rows checked first; a bad row stores nothing and names its line).

        Example: minerwatch import closes.csv --kind prices
        """
        from minerwatch import service_live
        from minerwatch.output import key_value_table

        with store(db) as s:
            data = service_live.import_csv(s, file, kind)
        emit(data, fmt, lambda d: key_value_table(
            [("File", d["file"]), ("Table", d["table"]), ("Rows", str(d["rows"])),
             ("Inserted", str(d["inserted"])), ("Updated", str(d["updated"])), ("Unchanged", str(d["unchanged"])),
             ("Conflicts", f"{d['conflicts']} (minerwatch sources --conflicts)" if d["conflicts"] else "0")],
            f"Imported {d['kind']}"))
