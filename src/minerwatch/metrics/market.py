"""BTC market metrics, pure: period change, trailing change, low/high, all-time high, drawdown, volatility.

All functions take the data and the dates; none reads a clock. "As of" means using only rows dated
on or before that day: an all-time high as of 2025-02-28 never sees March 2025.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

import polars as pl

#: BTC trades every calendar day, so daily volatility annualises with sqrt(365).
TRADING_DAYS_PER_YEAR_BTC = 365


def month_bounds(month: str) -> tuple[date, date]:
    """First and last calendar day of `YYYY-MM`; ValueError quoting a malformed month."""
    try:
        year_s, mon_s = month.split("-")
        if len(year_s) != 4 or len(mon_s) != 2:
            raise ValueError
        year, mon = int(year_s), int(mon_s)
        first = date(year, mon, 1)
    except ValueError:
        raise ValueError(f"month must be YYYY-MM (e.g. 2025-02), got {month!r}") from None
    return first, date(year, mon, calendar.monthrange(year, mon)[1])


def previous_month(month: str) -> str:
    """`YYYY-MM` of the month before."""
    first, _ = month_bounds(month)
    prev = first - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


def next_month(month: str) -> str:
    """`YYYY-MM` of the month after."""
    _, last = month_bounds(month)
    nxt = last + timedelta(days=1)
    return f"{nxt.year:04d}-{nxt.month:02d}"


def change_pct(start: float, end: float) -> float:
    """Percent change from start to end (-5.0 means -5%)."""
    if start == 0:
        raise ValueError("start value is zero; change undefined")
    return 100.0 * (end / start - 1.0)


def close_on_or_before(closes: pl.DataFrame, day: date) -> tuple[date, float] | None:
    """The last (date, close_usd) dated on or before `day`."""
    d = closes.filter(pl.col("date") <= day).sort("date").tail(1)
    if d.height == 0:
        return None
    return d["date"][0], float(d["close_usd"][0])


def all_time_high(frame: pl.DataFrame, column: str, as_of: date) -> tuple[float, date] | None:
    """Maximum of `column` over rows dated on or before `as_of`, with its (first) date."""
    d = frame.filter((pl.col("date") <= as_of) & pl.col(column).is_not_null())
    if d.height == 0:
        return None
    top = d.sort([column, "date"], descending=[True, False]).head(1)
    return float(top[column][0]), top["date"][0]


def drawdown_pct(price: float, peak: float) -> float:
    """Percent below the peak (in [-100, 0] when price <= peak): 100 x (price / peak - 1)."""
    if peak <= 0:
        raise ValueError(f"peak must be positive, got {peak!r}")
    return 100.0 * (price / peak - 1.0)


def annualised_volatility_pct(closes: list[float], periods_per_year: int = TRADING_DAYS_PER_YEAR_BTC) -> float | None:
    """Sample standard deviation of daily log returns x sqrt(periods per year), in percent."""
    rets = [math.log(b / a) for a, b in zip(closes, closes[1:], strict=False) if a > 0 and b > 0]
    if len(rets) < 2:
        return None
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    return 100.0 * math.sqrt(var) * math.sqrt(periods_per_year)


def btc_period_stats(closes: pl.DataFrame, ohlc: pl.DataFrame | None, start: date, end: date) -> dict:
    """BTC statistics for the period `start..end` (inclusive).

    `closes`: date, close_usd (the preferred daily close). `ohlc`: date, high_usd, low_usd from an
    intraday venue, or None. The period's open is the close of the day before `start`; its change runs
    from that close to the close on `end` (or the last close before it). The low/high are intraday
    when `ohlc` covers every day of the period, else close-based (`low_high_basis` says which).
    ATHs and the drawdown use only data dated on or before `end`.
    """
    in_period = closes.filter((pl.col("date") >= start) & (pl.col("date") <= end)).sort("date")
    if in_period.height == 0:
        raise ValueError(f"no BTC close between {start} and {end}")
    opening = close_on_or_before(closes, start - timedelta(days=1))
    closing = close_on_or_before(closes, end)
    assert closing is not None
    close_date, close_usd = closing
    back30 = close_on_or_before(closes, close_date - timedelta(days=30))
    low_high_basis = "close"
    low = high = None
    if ohlc is not None:
        o = ohlc.filter((pl.col("date") >= start) & (pl.col("date") <= end))
        o = o.filter(pl.col("high_usd").is_not_null() & pl.col("low_usd").is_not_null())
        if o.height >= in_period.height and o.height > 0:
            low_high_basis = "intraday"
            lo = o.sort(["low_usd", "date"]).head(1)
            hi = o.sort(["high_usd", "date"], descending=[True, False]).head(1)
            low = (float(lo["low_usd"][0]), lo["date"][0])
            high = (float(hi["high_usd"][0]), hi["date"][0])
    if low is None or high is None:
        lo = in_period.sort(["close_usd", "date"]).head(1)
        hi = in_period.sort(["close_usd", "date"], descending=[True, False]).head(1)
        low = (float(lo["close_usd"][0]), lo["date"][0])
        high = (float(hi["close_usd"][0]), hi["date"][0])
    ath_close = all_time_high(closes, "close_usd", end)
    assert ath_close is not None
    # Intraday ATH: the venue's highs where it has them, closes elsewhere (a high is never below a close).
    intraday = closes.select("date", pl.col("close_usd").alias("high_usd"))
    if ohlc is not None:
        intraday = pl.concat([intraday, ohlc.select("date", "high_usd")]).group_by("date").agg(pl.col("high_usd").max())
    ath_intraday = all_time_high(intraday, "high_usd", end)
    assert ath_intraday is not None
    series = ([opening[1]] if opening else []) + in_period["close_usd"].to_list()
    return {
        "open_usd": opening[1] if opening else None,
        "open_date": opening[0] if opening else None,
        "close_usd": close_usd,
        "close_date": close_date,
        "change_pct": change_pct(opening[1], close_usd) if opening else None,
        "change_30d_pct": change_pct(back30[1], close_usd) if back30 else None,
        "low_usd": low[0],
        "low_date": low[1],
        "high_usd": high[0],
        "high_date": high[1],
        "low_high_basis": low_high_basis,
        "ath_close_usd": ath_close[0],
        "ath_close_date": ath_close[1],
        "ath_intraday_usd": ath_intraday[0],
        "ath_intraday_date": ath_intraday[1],
        "drawdown_from_ath_pct": drawdown_pct(close_usd, ath_close[0]),
        "volatility_annualised_pct": annualised_volatility_pct(series),
        "days": in_period.height,
    }
