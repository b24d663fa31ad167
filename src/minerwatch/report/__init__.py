"""The monthly note: facts (every figure with formula and provenance) -> sentences -> Markdown/HTML + charts.

Public API: `build_facts(store, month, ...)` (the facts.json content, also served at
/api/v1/report/{month}) and `write_report(store, month, out_dir, ...)` (writes the note's files).
Both are imported lazily so `minerwatch --help` does not load polars and matplotlib.
"""

from __future__ import annotations

from typing import Any

from minerwatch.report.defaults import CHART_WINDOW_MONTHS, DEFAULT_EFFICIENCY_JTH, DEFAULT_POWER_USD_KWH

__all__ = ["CHART_WINDOW_MONTHS", "DEFAULT_EFFICIENCY_JTH", "DEFAULT_POWER_USD_KWH", "build_facts", "write_report"]


def __getattr__(name: str) -> Any:
    if name == "build_facts":
        from minerwatch.report.facts import build_facts

        return build_facts
    if name == "write_report":
        from minerwatch.report.render import write_report

        return write_report
    raise AttributeError(f"module 'minerwatch.report' has no attribute {name!r}")
