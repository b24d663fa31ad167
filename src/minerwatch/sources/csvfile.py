"""CSV import (`minerwatch import FILE --kind ...`): the user's own data into the standard tables.

Schemas (header row required; column order free; extra columns are an error so typos do not pass):

- prices:   date, close_usd [, open_usd, high_usd, low_usd]      -> btc_prices_daily (source 'csv')
            with a `ticker` column: ticker, date, close_usd, price_basis [, open_usd, high_usd, low_usd,
            adj_close_usd, volume]                               -> equity_prices_daily
- network:  date, block_count, subsidy_btc, fees_btc [, difficulty, hashrate_ehs_published,
            first_height, last_height]                           -> network_daily
- shares:   ticker, as_of_date, shares_outstanding [, filed_date, accession, form, note]
                                                                 -> shares_facts
- hashrate: ticker, month, hashrate_ehs [, metric, btc_produced, source_url, quote]
                                                                 -> miner_hashrate_reported

Dates are ISO `YYYY-MM-DD`, months `YYYY-MM`, numbers plain (`1234.5`, no thousands separators).
Every row is checked before anything is stored: the first bad row raises `InputError` naming the
file, its line number, the column and the value, and nothing from the file is written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from minerwatch.errors import InputError

SOURCE_ID = "csv"
KIND = "file"
DESCRIPTION = "CSV files imported with `minerwatch import` (user-supplied)"
KINDS = ("prices", "network", "shares", "hashrate")


def _date(v: str) -> date:
    return date.fromisoformat(v)


def _month(v: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v):
        raise ValueError("expected YYYY-MM")
    return v


def _pos_float(v: str) -> float:
    x = float(v)
    if not x > 0 or x != x or x == float("inf"):
        raise ValueError("must be a positive number")
    return x


def _share_count(v: str) -> float:
    from minerwatch.sources.edgar import MAX_SHARES, MIN_SHARES

    x = _pos_float(v)
    if not MIN_SHARES <= x <= MAX_SHARES:
        raise ValueError(f"must be a share count between {MIN_SHARES:,} and {MAX_SHARES:,}, as EDGAR data is checked")
    return x


def _nonneg_float(v: str) -> float:
    x = float(v)
    if not x >= 0 or x == float("inf"):
        raise ValueError("must be a number >= 0")
    return x


def _nonneg_int(v: str) -> int:
    x = int(v)
    if x < 0:
        raise ValueError("must be an integer >= 0")
    return x


def _text(v: str) -> str:
    return v


def _basis(v: str) -> str:
    if v != "nominal" and not re.fullmatch(r"split-adjusted as of \d{4}-\d{2}-\d{2}", v):
        raise ValueError("must be 'nominal' or 'split-adjusted as of YYYY-MM-DD'")
    return v


def _ticker(v: str) -> str:
    if not re.fullmatch(r"[A-Z][A-Z0-9.\-]{0,9}", v.upper()):
        raise ValueError("not a ticker symbol")
    return v.upper()


Spec = dict[str, tuple[Callable[[str], Any], bool]]  # column -> (converter, required)

SPECS: dict[str, tuple[str, Spec, list[str]]] = {
    "prices": ("btc_prices_daily", {
        "date": (_date, True), "close_usd": (_pos_float, True), "open_usd": (_pos_float, False),
        "high_usd": (_pos_float, False), "low_usd": (_pos_float, False),
    }, ["date", "source_id"]),
    "equity_prices": ("equity_prices_daily", {
        "ticker": (_ticker, True), "date": (_date, True), "close_usd": (_pos_float, True),
        "price_basis": (_basis, True), "open_usd": (_pos_float, False), "high_usd": (_pos_float, False),
        "low_usd": (_pos_float, False), "adj_close_usd": (_pos_float, False), "volume": (_nonneg_float, False),
    }, ["ticker", "date", "source_id"]),
    "network": ("network_daily", {
        "date": (_date, True), "block_count": (_nonneg_int, True), "subsidy_btc": (_nonneg_float, True),
        "fees_btc": (_nonneg_float, True), "difficulty": (_pos_float, False),
        "hashrate_ehs_published": (_pos_float, False), "first_height": (_nonneg_int, False),
        "last_height": (_nonneg_int, False),
    }, ["date", "source_id"]),
    "shares": ("shares_facts", {
        "ticker": (_ticker, True), "as_of_date": (_date, True), "shares_outstanding": (_share_count, True),
        "filed_date": (_date, False), "accession": (_text, False), "form": (_text, False), "note": (_text, False),
    }, ["ticker", "as_of_date", "source_id", "share_class", "concept"]),
    "hashrate": ("miner_hashrate_reported", {
        "ticker": (_ticker, True), "month": (_month, True), "hashrate_ehs": (_pos_float, True),
        "metric": (_text, False), "btc_produced": (_nonneg_float, False), "source_url": (_text, False),
        "quote": (_text, False),
    }, ["ticker", "month", "metric", "source_id"]),
}


def parse(content: bytes, kind: str, *, name: str, sha: str) -> tuple[str, pl.DataFrame, list[str]]:
    """(table, rows, upsert keys) from a CSV file's bytes; InputError at the first bad line."""
    if kind not in KINDS:
        raise InputError(f"--kind must be one of {', '.join(KINDS)}; got {kind!r}")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{name}: the file is empty; expected a header row") from None
    spec_name = "equity_prices" if kind == "prices" and "ticker" in header else kind
    table, spec, keys = SPECS[spec_name]
    unknown = [h for h in header if h not in spec]
    missing = [c for c, (_, req) in spec.items() if req and c not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if len(set(header)) != len(header):
            problems.append("a column appears twice")
        raise InputError(
            f"{name} line 1: {'; '.join(problems)}; --kind {kind} expects {', '.join(spec)} "
            f"(required: {', '.join(c for c, (_, r) in spec.items() if r)})"
        )
    rows = []
    row_keys = [k for k in keys if k in spec]
    seen: dict[tuple, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise InputError(
                f"{name} line {line}: {len(values)} fields, the header has {len(header)}; nothing was imported"
            )
        row: dict[str, Any] = {c: None for c in spec}
        for col, raw in zip(header, values, strict=True):
            conv, required = spec[col]
            raw = raw.strip()
            if raw == "":
                if required:
                    raise InputError(f"{name} line {line}: column {col!r} is empty; nothing was imported")
                continue
            try:
                row[col] = conv(raw)
            except ValueError as exc:
                raise InputError(
                    f"{name} line {line}: column {col!r} has {raw!r} ({exc}); nothing was imported"
                ) from None
        key = tuple(row[k] if row[k] is not None else "" for k in row_keys)
        if key in seen:
            raise InputError(
                f"{name} line {line}: {', '.join(f'{k}={v}' for k, v in zip(row_keys, key, strict=True))} "
                f"already appears on line {seen[key]}; nothing was imported"
            )
        seen[key] = line
        rows.append(row)
    if not rows:
        raise InputError(f"{name}: no data rows under the header; nothing was imported")
    frame = pl.DataFrame(rows, infer_schema_length=None)
    frame = frame.with_columns(pl.lit(SOURCE_ID).alias("source_id"), pl.lit(sha).alias("payload_sha256"))
    if table == "btc_prices_daily":
        frame = frame.with_columns(
            pl.lit(f"CSV import ({Path(name).name})").alias("venue"), pl.lit("USD").alias("quote_currency"),
            pl.lit("as given in the imported file").alias("time_convention"),
        )
    elif table == "shares_facts":
        frame = frame.with_columns(
            pl.lit("all").alias("share_class"), pl.lit("csv:shares_outstanding").alias("concept")
        )
    elif table == "miner_hashrate_reported":
        frame = frame.with_columns(pl.col("metric").fill_null(""))
    return table, frame, keys
