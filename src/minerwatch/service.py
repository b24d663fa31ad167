"""What the front ends call: read the store, pick sources, run the pure metrics, shape the answers.

The CLI, the JSON API and the dashboard all call these functions; a command or a route holds no
logic of its own. Every month-level answer is a plain dict matching the documented JSON contract.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from minerwatch.errors import DataGap, InputError
from minerwatch.metrics import market as mk
from minerwatch.metrics import network as nw
from minerwatch.store import Store

#: Which source wins when several hold the same day (first wins). Exact per-block data first.
NETWORK_SOURCE_PRIORITY = ("bitcoind", "coinmetrics", "mempool", "csv")
#: Preferred daily BTC close: a USD reference rate first, exchange quotes (USDT) last.
CLOSE_SOURCE_PRIORITY = ("coinmetrics", "coingecko", "mempool", "yahoo", "csv", "binance")
#: Intraday high/low come from venues that publish them.
OHLC_SOURCE_PRIORITY = ("binance", "yahoo", "csv")


def open_store(db: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Open the store (default path from $MINERWATCH_DB / user data dir), loading the snapshot if new."""
    return Store.open(db, read_only=read_only)


def _priority_case(priority: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(priority))
    return f"CASE source_id {whens} ELSE {len(priority)} END"


def parse_month(month: str) -> tuple[date, date]:
    """Validate `YYYY-MM`; InputError quoting the bad value."""
    try:
        return mk.month_bounds(month)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def parse_date(value: str, name: str = "date") -> date:
    """Validate an ISO date; InputError naming the parameter and the value."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an ISO date YYYY-MM-DD, got {value!r}") from None


# -- reading --------------------------------------------------------------------------------------


def network_facts(store: Store, start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """Daily network facts, one row per day from the highest-priority source holding that day."""
    where, params = _date_filter(start, end)
    return store.query(
        f"""
        SELECT date, block_count, first_height, last_height, difficulty, hashrate_ehs_published,
               subsidy_btc, fees_btc, source_id, payload_sha256
        FROM network_daily {where}
        QUALIFY row_number() OVER (PARTITION BY date ORDER BY {_priority_case(NETWORK_SOURCE_PRIORITY)}) = 1
        ORDER BY date
        """,
        params,
    )


def btc_closes(store: Store, start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """Daily BTC closes (date, close_usd, source_id), the preferred source per day."""
    where, params = _date_filter(start, end)
    return store.query(
        f"""
        SELECT date, close_usd, source_id, venue, quote_currency, time_convention, payload_sha256
        FROM btc_prices_daily {where}
        QUALIFY row_number() OVER (PARTITION BY date ORDER BY {_priority_case(CLOSE_SOURCE_PRIORITY)}) = 1
        ORDER BY date
        """,
        params,
    )


def btc_ohlc(store: Store, start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """Daily intraday OHLC from venues that publish high/low (date, open/high/low/close, source)."""
    where, params = _date_filter(start, end, extra="high_usd IS NOT NULL AND low_usd IS NOT NULL")
    return store.query(
        f"""
        SELECT date, open_usd, high_usd, low_usd, close_usd, source_id, venue
        FROM btc_prices_daily {where}
        QUALIFY row_number() OVER (PARTITION BY date ORDER BY {_priority_case(OHLC_SOURCE_PRIORITY)}) = 1
        ORDER BY date
        """,
        params,
    )


def _date_filter(start: date | None, end: date | None, extra: str | None = None) -> tuple[str, list]:
    conds, params = [], []
    if start is not None:
        conds.append("date >= ?")
        params.append(start)
    if end is not None:
        conds.append("date <= ?")
        params.append(end)
    if extra:
        conds.append(extra)
    return ("WHERE " + " AND ".join(conds)) if conds else "", params


def data_range(store: Store) -> dict:
    """First and last day of network facts and of BTC closes in the store."""
    net = store.query("SELECT min(date) AS first, max(date) AS last FROM network_daily WHERE block_count > 0")
    px = store.query("SELECT min(date) AS first, max(date) AS last FROM btc_prices_daily")
    return {
        "network_first": net["first"][0],
        "network_last": net["last"][0],
        "prices_first": px["first"][0],
        "prices_last": px["last"][0],
    }


def _both(pick, a: date | None, b: date | None) -> date | None:  # type: ignore[no-untyped-def]
    """max/min of two optional dates; None if either is missing (no overlap to speak of)."""
    return None if a is None or b is None else pick(a, b)


def _range_text(first: date | None, last: date | None, what: str) -> str:
    if first is None:
        return f"the store holds no {what}; run `minerwatch sync` or re-create the store"
    return f"{what} cover {first} to {last}"


def latest_complete_month(store: Store) -> str:
    """The latest calendar month with network facts and a BTC close on every day."""
    r = data_range(store)
    if r["network_last"] is None or r["prices_last"] is None:
        raise DataGap("the store holds no network data or prices; run `minerwatch sync`")
    last = min(r["network_last"], r["prices_last"])
    first_of_next = last + timedelta(days=1)
    if first_of_next.day == 1:
        return f"{last.year:04d}-{last.month:02d}"
    prev = last.replace(day=1) - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


# -- network ----------------------------------------------------------------------------------------


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def network_daily(
    store: Store,
    start: date,
    end: date,
    *,
    estimator: str = nw.DEFAULT_ESTIMATOR,
    basis: str = nw.DEFAULT_BASIS,
    smooth_days: int = 1,
) -> pl.DataFrame:
    """The daily series behind the hashprice: blocks, difficulty, hashrate, revenue, price, hashprice."""
    _check_choice(estimator, nw.ESTIMATORS, "estimator")
    _check_choice(basis, nw.BASES, "basis")
    if smooth_days < 1 or smooth_days > 90:
        raise InputError(f"smooth days must be between 1 and 90, got {smooth_days}")
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    lead = timedelta(days=smooth_days - 1)
    net = network_facts(store, start - lead, end)
    if net.filter(pl.col("date") >= start).height == 0:
        r = data_range(store)
        raise DataGap(
            f"no network data between {start} and {end}; "
            + _range_text(r["network_first"], r["network_last"], "network facts")
        )
    px = btc_closes(store, start - lead, end)
    daily = nw.daily_hashprice(net, px, estimator=estimator, basis=basis, smooth_days=smooth_days)
    daily = daily.join(net.select("date", pl.col("source_id").alias("network_source")), on="date", how="left")
    daily = daily.join(px.select("date", pl.col("source_id").alias("price_source")), on="date", how="left")
    return daily.filter(pl.col("date") >= start).with_columns(
        pl.lit(estimator).alias("estimator"), pl.lit(basis).alias("basis")
    )


def _month_network(store: Store, month: str, estimator: str, basis: str, smooth_days: int) -> tuple[dict, pl.DataFrame]:
    first, last = parse_month(month)
    daily = network_daily(store, first, last, estimator=estimator, basis=basis, smooth_days=smooth_days)
    summary = nw.period_summary(daily)
    if not summary["days"]:
        r = data_range(store)
        raise DataGap(
            f"no day in {month} has both network facts and a BTC price; "
            + _range_text(
                _both(max, r["network_first"], r["prices_first"]),
                _both(min, r["network_last"], r["prices_last"]),
                "days with both",
            )
        )
    return summary, daily


def hashprice_month(
    store: Store,
    month: str,
    *,
    estimator: str = nw.DEFAULT_ESTIMATOR,
    basis: str = nw.DEFAULT_BASIS,
    smooth_days: int = 1,
) -> dict:
    """Monthly mean hashprice (USD, BTC per EH/s and USD per PH/s per day), hashrate, fee share, MoM."""
    cur, daily = _month_network(store, month, estimator, basis, smooth_days)
    prev_month = mk.previous_month(month)
    try:
        prev, _ = _month_network(store, prev_month, estimator, basis, smooth_days)
    except DataGap:
        prev = {"days": 0}
    first, last = parse_month(month)
    expected_days = (last - first).days + 1
    return {
        "month": month,
        "estimator": estimator if smooth_days == 1 else f"{estimator} ({smooth_days}-day mean)",
        "basis": basis,
        "usd_per_ehs_day": _r(cur["usd_per_ehs_day"], 2),
        "btc_per_ehs_day": _r(cur["btc_per_ehs_day"], 8),
        "usd_per_phs_day": _r(cur["usd_per_phs_day"], 4),
        "mom_change_pct": _r(nw.pct_change(cur["usd_per_ehs_day"], prev.get("usd_per_ehs_day")), 2),
        "hashrate_ehs": _r(cur["hashrate_ehs"], 2),
        "hashrate_mom_change_pct": _r(nw.pct_change(cur["hashrate_ehs"], prev.get("hashrate_ehs")), 2),
        "fee_share_pct": _r(cur["fee_share_pct"], 3),
        "days": cur["days"],
        # Beyond the contract: what a careful reader needs to trace and judge the figure.
        "days_in_month": expected_days,
        "previous_month": prev_month,
        "previous_usd_per_ehs_day": _r(prev.get("usd_per_ehs_day"), 2),
        "previous_hashrate_ehs": _r(prev.get("hashrate_ehs"), 2),
        "difficulty_mean": _r(cur["difficulty"], 0),
        "blocks": cur["blocks"],
        "subsidy_btc": _r(cur["subsidy_btc"], 8),
        "fees_btc": _r(cur["fees_btc"], 8),
        "network_sources": sorted(set(daily["network_source"].drop_nulls().to_list())),
        "price_sources": sorted(set(daily["price_source"].drop_nulls().to_list())),
        "formula": "mean over days of (revenue_btc x close_usd / hashrate_ehs)",
    }


def _r(value: float | int | None, ndigits: int) -> float | None:
    if value is None:
        return None
    return round(float(value), ndigits) if ndigits else float(round(float(value)))


# -- BTC market -------------------------------------------------------------------------------------


def btc_month(store: Store, month: str) -> dict:
    """BTC over a month: open/close and change, 30-day change, low/high, ATHs as of month end, drawdown."""
    first, last = parse_month(month)
    closes = btc_closes(store, None, last)
    if closes.filter(pl.col("date") >= first).height == 0:
        r = data_range(store)
        raise DataGap(f"no BTC price in {month}; " + _range_text(r["prices_first"], r["prices_last"], "BTC prices"))
    ohlc = btc_ohlc(store, None, last)
    stats = mk.btc_period_stats(closes, ohlc if ohlc.height else None, first, last)
    month_rows = closes.filter(pl.col("date") >= first)
    close_sources = sorted(set(month_rows["source_id"].to_list()))
    venues = sorted(set(month_rows["venue"].to_list()))
    if stats["low_high_basis"] == "intraday":
        o = ohlc.filter(pl.col("date") >= first)
        lh = "intraday low/high from " + ", ".join(sorted(set(o["venue"].to_list())))
    else:
        lh = "low/high from daily closes (no intraday data for every day of the month)"
    basis = f"closes: {', '.join(venues)} (UTC days); {lh}; ATH drawdown is close-to-close"
    # The intraday ATH from highs and closes is only as good as the highs held. A source's published all-time
    # high (btc_ath_reported) reached on or before the month end is a price BTC did trade at by then: it wins when
    # higher. One reached after the month end is never used (it says nothing of the highs before it).
    ath_usd, ath_date = stats["ath_intraday_usd"], stats["ath_intraday_date"]
    reported = store.query(
        "SELECT source_id, ath_usd, CAST(ath_at AS DATE) AS ath_date, as_of_date FROM btc_ath_reported "
        "WHERE ath_at IS NOT NULL AND CAST(ath_at AS DATE) <= ? "
        "ORDER BY ath_usd DESC, ath_date, as_of_date DESC, source_id LIMIT 1",
        [last],
    ) if store._scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'btc_ath_reported'"
    ) else pl.DataFrame()  # a store from before the live tables (opened read-only, not migrated)
    last_high: date | None = ohlc["date"].to_list()[-1] if ohlc.height else None  # rows are in date order
    if reported.height and float(reported["ath_usd"][0]) > ath_usd:
        ath_usd, ath_date = float(reported["ath_usd"][0]), reported["ath_date"][0]
        name = {"coingecko": "CoinGecko"}.get(reported["source_id"][0], reported["source_id"][0])
        basis += (
            f"; intraday ATH as published by {name} (read {reported['as_of_date'][0]}), above every high and "
            f"close held"
        )
    elif last_high is None or ath_date > last_high:
        basis += (
            "; intraday ATH is a daily close (no intraday high held"
            + (f" after {last_high}" if last_high is not None else "")
            + ", no higher published ATH)"
        )
    return {
        "month": month,
        "open_usd": _r(stats["open_usd"], 2),
        "close_usd": _r(stats["close_usd"], 2),
        "change_pct": _r(stats["change_pct"], 2),
        "change_30d_pct": _r(stats["change_30d_pct"], 2),
        "low_usd": _r(stats["low_usd"], 2),
        "low_date": stats["low_date"],
        "high_usd": _r(stats["high_usd"], 2),
        "high_date": stats["high_date"],
        "ath_close_usd": _r(stats["ath_close_usd"], 2),
        "ath_close_date": stats["ath_close_date"],
        "ath_intraday_usd": _r(ath_usd, 2),
        "ath_intraday_date": ath_date,
        "drawdown_from_ath_pct": _r(stats["drawdown_from_ath_pct"], 2),
        "volatility_annualised_pct": _r(stats["volatility_annualised_pct"], 2),
        "price_basis": basis,
        # Beyond the contract:
        "open_date": stats["open_date"],
        "close_date": stats["close_date"],
        "low_high_basis": stats["low_high_basis"],
        "days": stats["days"],
        "price_sources": close_sources,
    }


def summary(store: Store, month: str | None = None) -> dict:
    """The headline figures of one month (default: the latest complete month)."""
    month = month or latest_complete_month(store)
    return {"month": month, "hashprice": hashprice_month(store, month), "btc": btc_month(store, month)}


# -- export -----------------------------------------------------------------------------------------

EXPORT_TABLES = {"network": "network_daily", "prices": "btc_prices_daily"}
EXPORT_FORMATS = ("csv", "parquet", "json")


def export_table(store: Store, table: str, out: Path, fmt: str, start: date | None, end: date | None) -> int:
    """Write every source's rows of a table (with provenance) to `out`; returns the row count."""
    if table not in EXPORT_TABLES:
        raise InputError(f"--table must be one of {', '.join(EXPORT_TABLES)}; got {table!r}")
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"--format must be one of {', '.join(EXPORT_FORMATS)}; got {fmt!r}")
    where, params = _date_filter(start, end)
    frame = store.query(f"SELECT * FROM {EXPORT_TABLES[table]} {where} ORDER BY date, source_id", params)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            frame.write_csv(out)
        elif fmt == "parquet":
            frame.write_parquet(out)
        else:
            frame.write_json(out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}; choose another --out") from None
    return frame.height
