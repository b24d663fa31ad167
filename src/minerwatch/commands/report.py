"""The monthly note: `minerwatch report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from minerwatch.commands.common import DbOption, FormatOption, MonthOption, emit, store
from minerwatch.output import Format
from minerwatch.report.defaults import DEFAULT_EFFICIENCY_JTH, DEFAULT_POWER_USD_KWH


def written_table(d: dict[str, Any]) -> str:
    """One `wrote PATH` line per file, note files first, then charts."""
    lines = [f"wrote {d[k]}" for k in ("markdown", "html", "facts", "pdf") if d.get(k)]
    for paths in d.get("charts", {}).values():
        lines += [f"wrote {paths['svg']}", f"wrote {paths['png']}"]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        month: MonthOption = None,
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Folder to write to (default: reports/<month>).")
        ] = None,
        efficiency_jth: Annotated[
            float,
            typer.Option("--efficiency-jth", help="Fleet efficiency of the Economics section, J/TH."),
        ] = DEFAULT_EFFICIENCY_JTH,
        power_usd_kwh: Annotated[
            float,
            typer.Option("--power-usd-kwh", help="All-in power price of the Economics section, USD per kWh."),
        ] = DEFAULT_POWER_USD_KWH,
        no_charts: Annotated[bool, typer.Option("--no-charts", help="Skip the SVG/PNG charts.")] = False,
        pdf: Annotated[
            bool, typer.Option("--pdf", help="Also print report.pdf with headless Chromium (chromium on PATH).")
        ] = False,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """Write the month's research note: report.md, report.html, facts.json and the charts (SVG, PNG).

        Example: minerwatch report --month 2025-02 --out reports/2025-02
        """
        from minerwatch import service
        from minerwatch.report import write_report

        with store(db) as s:
            m = month or service.latest_complete_month(s)
            service.parse_month(m)
            data = write_report(
                s,
                m,
                out if out is not None else Path("reports") / m,
                efficiency_jth=efficiency_jth,
                power_usd_kwh=power_usd_kwh,
                charts=not no_charts,
                pdf=pdf,
            )
        emit(data, fmt, written_table)
