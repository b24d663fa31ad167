"""Presenting results: one dict or frame -> table, JSON or CSV text, the same for every command."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import polars as pl


class Format(StrEnum):
    """Output format of every command."""

    table = "table"
    json = "json"
    csv = "csv"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(data: Any) -> str:
    """Stable JSON: keys in the order the service built them, ISO dates, NaN as null."""
    if isinstance(data, pl.DataFrame):
        data = data.to_dicts()
    return json.dumps(_jsonable(data), indent=2, ensure_ascii=False)


def to_csv(data: Any) -> str:
    """CSV of a frame, a list of flat dicts, or one flat dict (one row)."""
    if isinstance(data, pl.DataFrame):
        return data.write_csv()
    rows: Sequence[Mapping[str, Any]] = [data] if isinstance(data, Mapping) else data
    if not rows:
        return ""
    buf = io.StringIO()
    fields = list(rows[0].keys())
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(row.get(k)) for k in fields})
    return buf.getvalue()


def _csv_cell(value: Any) -> Any:
    value = _jsonable(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def fmt_num(value: float | int | None, decimals: int = 2, *, sign: bool = False, suffix: str = "") -> str:
    """Human number with thousands separators; None/NaN shows as 'n/a'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    return text + suffix


def key_value_table(rows: Sequence[tuple[str, str]], title: str | None = None) -> str:
    """A plain two-column table (label, value), deterministic and width-independent for golden tests."""
    width = max((len(label) for label, _ in rows), default=0)
    lines = [title, "-" * len(title)] if title else []
    lines += [f"{label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(lines)


def frame_table(frame: pl.DataFrame, *, max_rows: int = 400) -> str:
    """A plain fixed-width table of a frame (all rows up to max_rows)."""
    head = frame.head(max_rows)
    cols = head.columns
    cells = [[_cell(v) for v in row] for row in head.iter_rows()]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    out = ["  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    if frame.height > max_rows:
        out.append(f"... {frame.height - max_rows} more rows (use --format csv for all)")
    return "\n".join(out)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.6g}" if abs(v) < 1e-3 or abs(v) >= 1e15 else f"{v:,.4f}".rstrip("0").rstrip(".")
    return str(v)
