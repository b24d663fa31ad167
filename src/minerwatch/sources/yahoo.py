"""Yahoo Finance chart JSON (`/v8/finance/chart/{ticker}`): daily equity prices and split events.

Yahoo's `close` is split-adjusted as of the fetch date (a later split rescales all earlier closes);
`adjclose` is additionally dividend-adjusted. Rows are stored with
`price_basis = 'split-adjusted as of <fetch date>'`, and the chart's `events.splits` go to
corporate_actions (source 'yahoo', ratio = numerator/denominator new shares per old), so the
basket code can turn adjusted closes back into nominal ones. Dates are the exchange's local
trading day (timestamp + the chart's `meta.gmtoffset`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from minerwatch.config import setting
from minerwatch.errors import InputError
from minerwatch.http import Client, Raw
from minerwatch.sources.registry import NUMBER, field

SOURCE_ID = "yahoo"
KIND = "rest"
DESCRIPTION = "Yahoo Finance chart API: daily OHLC of miner equities (split-adjusted) and split events"
DEFAULT_URL = "https://query2.finance.yahoo.com"
LICENCE = "Yahoo terms of service: personal use; not for redistribution"
KEYS = {
    "equity_prices_daily": ["ticker", "date", "source_id"],
    "corporate_actions": ["ticker", "date", "kind", "source_id"],
}
OVERLAP_DAYS = 5  # a split rescales history: re-fetch a week to notice it through changed closes
FIRST_DAY = date(2018, 1, 1)


@dataclass(frozen=True)
class Query:
    """Per ticker, the first day to fetch; `end` is exclusive (today + 1)."""

    starts: tuple[tuple[str, date], ...]
    end: date


def default_tickers() -> list[str]:
    """The current members of the packaged miner basket (no end date), in file order: what `basket` needs."""
    from minerwatch import basket_file

    return [m.ticker for m in basket_file.load().members if m.end is None]


def tickers(options: dict | None = None) -> list[str]:
    """Tickers to sync: --ticker options, else config `[sources.yahoo] tickers`, else the packaged basket."""
    chosen = (options or {}).get("tickers")
    if chosen:
        return _checked([t.strip().upper() for t in chosen], "--ticker")
    configured = setting("yahoo", "tickers")
    if configured:
        listed = [t.strip().upper() for t in configured.replace(";", ",").split(",") if t.strip()]
        return _checked(listed, "[sources.yahoo] tickers")
    return default_tickers()


_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,14}$")


def _checked(chosen: list[str], where: str) -> list[str]:
    """The tickers, or InputError naming the first one that cannot be a listed symbol."""
    for t in chosen:
        if not _TICKER.match(t):
            raise InputError(
                f"{where}: {t!r} is not a ticker symbol (letters, digits, '.', '-'; e.g. MARA or BRK-B)"
            )
    return list(dict.fromkeys(chosen))


def read_state(store: Any) -> dict[str, Any]:
    """Last Yahoo day per ticker and the last day of any source per ticker."""
    frame = store.query(
        "SELECT ticker, max(date) FILTER (WHERE source_id = 'yahoo') AS own, max(date) AS anyone "
        "FROM equity_prices_daily GROUP BY ticker"
    )
    return {r["ticker"]: (r["own"], r["anyone"]) for r in frame.iter_rows(named=True)}


def plan(state: dict[str, Any], *, today: date, start: date | None = None, options: dict | None = None) -> Query | None:
    """Per ticker: from its last Yahoo day minus overlap, else after any source's last day, else 2018."""
    starts = []
    for t in tickers(options):
        own, anyone = state.get(t, (None, None))
        begin = start or (own - timedelta(days=OVERLAP_DAYS) if own else None) or (
            anyone - timedelta(days=OVERLAP_DAYS) if anyone else FIRST_DAY
        )
        if begin <= today:
            starts.append((t, begin))
    return Query(tuple(starts), today + timedelta(days=1)) if starts else None


def _epoch(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def extract(query: Query, client: Client) -> list[Raw]:
    """One chart request per ticker; a ticker Yahoo does not know (404) is left out, not fatal."""
    raws = []
    for ticker, begin in query.starts:
        raw = client.get_optional(
            f"v8/finance/chart/{ticker}",
            {"interval": "1d", "period1": str(_epoch(begin)), "period2": str(_epoch(query.end)),
             "events": "div|split", "includePrePost": "false"},
            ttl=600, hint=f"ticker={ticker}",
        )
        if raw is not None:
            raws.append(raw)
    return raws


def parse_chart(raw: Raw) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(price rows, split rows) of one chart payload."""
    url = raw.uri.split("#")[0]
    where = f"chart payload {url}"
    chart = field(raw.json(SOURCE_ID), "chart", SOURCE_ID, where, dict)
    err = chart.get("error")
    if err:
        from minerwatch.errors import SourceError

        raise SourceError(f"yahoo: {url} returned error {err.get('code')}: {err.get('description')}")
    results = field(chart, "result", SOURCE_ID, where, list)
    res = field(results, 0, SOURCE_ID, f"{where} chart.result")
    meta = field(res, "meta", SOURCE_ID, f"{where} result", dict)
    ticker = raw.hints.get("ticker") or field(meta, "symbol", SOURCE_ID, f"{where} meta", str)
    offset = int(meta.get("gmtoffset") or 0)
    basis = f"split-adjusted as of {raw.fetched_at.date().isoformat()}"
    stamps = res.get("timestamp") or []  # absent when the range holds no trading day
    prices = []
    if stamps:
        ind = field(res, "indicators", SOURCE_ID, f"{where} result", dict)
        quote = field(field(ind, "quote", SOURCE_ID, f"{where} indicators", list), 0, SOURCE_ID,
                      f"{where} indicators.quote")
        cols = {k: field(quote, k, SOURCE_ID, f"{where} indicators.quote[0]", list)
                for k in ("open", "high", "low", "close", "volume")}
        adj = None
        if ind.get("adjclose"):
            adj = field(ind["adjclose"][0], "adjclose", SOURCE_ID, f"{where} indicators.adjclose[0]", list)
        for i, ts in enumerate(stamps):
            close = cols["close"][i] if i < len(cols["close"]) else None
            if close is None:
                continue  # halted or placeholder row
            day = datetime.fromtimestamp(int(ts) + offset, UTC).date()
            prices.append({
                "ticker": ticker, "date": day, "source_id": SOURCE_ID,
                "open_usd": cols["open"][i], "high_usd": cols["high"][i], "low_usd": cols["low"][i],
                "close_usd": float(close), "adj_close_usd": adj[i] if adj is not None and i < len(adj) else None,
                "volume": cols["volume"][i], "price_basis": basis, "payload_sha256": raw.sha256,
            })
    # The same trading day can appear twice (a live partial row): keep the last.
    dedup = {p["date"]: p for p in prices}
    splits = []
    for key, ev in ((res.get("events") or {}).get("splits") or {}).items():
        w = f"{where} events.splits[{key}]"
        num = field(ev, "numerator", SOURCE_ID, w, NUMBER)
        den = field(ev, "denominator", SOURCE_ID, w, NUMBER)
        ts = field(ev, "date", SOURCE_ID, w, NUMBER)
        if not num or not den:
            continue
        splits.append({
            "ticker": ticker, "date": datetime.fromtimestamp(int(ts) + offset, UTC).date(), "kind": "split",
            "ratio": float(num) / float(den), "source_id": SOURCE_ID,
            "note": f"Yahoo splitRatio {ev.get('splitRatio', f'{num}:{den}')}", "payload_sha256": raw.sha256,
        })
    return [dedup[d] for d in sorted(dedup)], splits


def parse(raws: list[Raw]) -> dict[str, pl.DataFrame]:
    """Rows for equity_prices_daily and corporate_actions."""
    prices, splits = [], []
    for raw in raws:
        p, s = parse_chart(raw)
        prices += p
        splits += s
    out = {}
    if prices:
        out["equity_prices_daily"] = pl.DataFrame(prices, schema=PRICE_SCHEMA)
    if splits:
        out["corporate_actions"] = pl.DataFrame(splits, schema=ACTION_SCHEMA)
    return out


PRICE_SCHEMA: dict[str, Any] = {
    "ticker": pl.Utf8, "date": pl.Date, "source_id": pl.Utf8, "open_usd": pl.Float64, "high_usd": pl.Float64,
    "low_usd": pl.Float64, "close_usd": pl.Float64, "adj_close_usd": pl.Float64, "volume": pl.Float64,
    "price_basis": pl.Utf8, "payload_sha256": pl.Utf8,
}
ACTION_SCHEMA: dict[str, Any] = {
    "ticker": pl.Utf8, "date": pl.Date, "kind": pl.Utf8, "ratio": pl.Float64, "source_id": pl.Utf8,
    "note": pl.Utf8, "payload_sha256": pl.Utf8,
}
