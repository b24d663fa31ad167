"""Miner-basket metrics, pure: nominal prices, point-in-time shares, market caps, aggregates, cohorts.

No function here reads a clock or the store. Dates are arguments. "Point in time" means a value
dated on or before the day it is used for, never a later one:

- market cap on a day = that day's nominal close x shares outstanding from the latest shares fact
  dated on or before that day (adjusted by any split between the fact's date and the day);
- a split (or ADS-ratio change) has `ratio` = new units per old unit (a 1-for-10 reverse split is 0.1)
  and an ex-date, the first day trading on the new basis;
- a price "split-adjusted as of D" is converted back to the nominal (as traded) price by multiplying
  by the ratios of the splits with day < ex-date <= D.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import polars as pl

_ADJ = re.compile(r"split-adjusted as of (\d{4}-\d{2}-\d{2})")

#: Same-day shares facts: which concept wins (the SEC cover count is the reference count).
CONCEPT_PRIORITY = (
    "dei:EntityCommonStockSharesOutstanding",
    "us-gaap:CommonStockSharesOutstanding",
    "nasdaq:marketCap/lastSale",
    "us-gaap:SharesOutstanding",
)


def split_factor(actions: Sequence[tuple[date, float]], after: date, upto: date) -> float:
    """Product of the ratios of actions with `after` < ex-date <= `upto` (1.0 when none)."""
    f = 1.0
    for ex_date, ratio in actions:
        if after < ex_date <= upto:
            f *= ratio
    return f


def basis_date(price_basis: str) -> date | None:
    """The 'as of' date of a 'split-adjusted as of YYYY-MM-DD' basis; None for 'nominal'."""
    if price_basis == "nominal":
        return None
    m = _ADJ.search(price_basis)
    if not m:
        raise ValueError(
            f"unknown price_basis {price_basis!r}: expected 'nominal' or 'split-adjusted as of YYYY-MM-DD'"
        )
    return date.fromisoformat(m.group(1))


def nominal_close_usd(close_usd: float, day: date, price_basis: str, actions: Sequence[tuple[date, float]]) -> float:
    """The as-traded close of `day` from a close quoted on `price_basis`."""
    as_of = basis_date(price_basis)
    if as_of is None:
        return close_usd
    return close_usd * split_factor(actions, day, as_of)


def price_return_pct(start_close_usd: float, end_close_usd: float, ratio_between: float = 1.0) -> float:
    """Holder's return in percent from one nominal close to a later one, through splits.

    One old share becomes `ratio_between` new shares, so the holding is worth ratio x end close.
    """
    if start_close_usd <= 0:
        raise ValueError(f"start close must be positive, got {start_close_usd!r}")
    return 100.0 * (ratio_between * end_close_usd / start_close_usd - 1.0)


def market_cap_usd(close_usd: float, shares_outstanding: float) -> float:
    """Market capitalisation in USD: close x shares outstanding."""
    return close_usd * shares_outstanding


def change_pct(start: float, end: float) -> float | None:
    """Percent change from start to end; None when start is zero."""
    return None if start == 0 else 100.0 * (end / start - 1.0)


def shares_on(
    facts: pl.DataFrame,
    day: date,
    actions: Sequence[tuple[date, float]],
    source_priority: Sequence[str],
) -> dict | None:
    """The shares outstanding on `day` from the latest fact dated on or before it (never later).

    `facts`: as_of_date, source_id, concept, shares_outstanding (one ticker, one value per
    (as_of_date, source_id, concept)). Same-date facts are ranked by source, then concept. The
    count is adjusted for splits after the fact's date up to `day`. None when no fact qualifies.
    """
    eligible = facts.filter(pl.col("as_of_date") <= day)
    if eligible.height == 0:
        return None
    latest = eligible["as_of_date"].max()
    same = eligible.filter(pl.col("as_of_date") == latest).to_dicts()

    def rank(row: dict) -> tuple[int, int]:
        s = row["source_id"]
        c = row["concept"]
        return (
            source_priority.index(s) if s in source_priority else len(source_priority),
            CONCEPT_PRIORITY.index(c) if c in CONCEPT_PRIORITY else len(CONCEPT_PRIORITY),
        )

    best = min(same, key=lambda row: (*rank(row), row["source_id"], row["concept"]))
    factor = split_factor(actions, best["as_of_date"], day)
    return {
        "shares_outstanding": best["shares_outstanding"] * factor,
        "as_of_date": best["as_of_date"],
        "source_id": best["source_id"],
        "concept": best["concept"],
        "raw_shares": best["shares_outstanding"],
        "split_factor": factor,
    }


SHARES_ASOF_SCHEMA = {
    "date": pl.Date,
    "shares_outstanding": pl.Float64,
    "as_of_date": pl.Date,
    "source_id": pl.Utf8,
    "concept": pl.Utf8,
    "raw_shares": pl.Float64,
    "split_factor": pl.Float64,
}


def shares_asof(
    facts: pl.DataFrame,
    days: Sequence[date] | pl.Series,
    actions: Sequence[tuple[date, float]],
    source_priority: Sequence[str],
) -> pl.DataFrame:
    """`shares_on` for many days at once (one as-of join): one row per day, in the order given.

    Same rule and same numbers as `shares_on`: each day gets the latest fact dated on or before
    it (same-date facts ranked by source, then concept, then name), times the split ratios
    between the fact's date and the day. Days with no eligible fact get nulls.
    """
    left = pl.DataFrame({"date": pl.Series(list(days), dtype=pl.Date)}).with_row_index("_pos")
    if facts.height == 0 or left.height == 0:
        return left.drop("_pos").with_columns(
            *[pl.lit(None, dtype=t).alias(c) for c, t in SHARES_ASOF_SCHEMA.items() if c != "date"]
        )
    src_rank = {s: i for i, s in enumerate(source_priority)}
    concept_rank = {c: i for i, c in enumerate(CONCEPT_PRIORITY)}
    best = (
        facts.select("as_of_date", "source_id", "concept", "shares_outstanding")
        .with_columns(
            pl.col("source_id")
            .replace_strict(src_rank, default=len(source_priority), return_dtype=pl.Int64)
            .alias("_rs"),
            pl.col("concept")
            .replace_strict(concept_rank, default=len(CONCEPT_PRIORITY), return_dtype=pl.Int64)
            .alias("_rc"),
        )
        .sort("as_of_date", "_rs", "_rc", "source_id", "concept")
        .unique(subset=["as_of_date"], keep="first", maintain_order=True)
        .drop("_rs", "_rc")
        .rename({"shares_outstanding": "raw_shares"})
    )
    joined = left.sort("date").join_asof(best, left_on="date", right_on="as_of_date", strategy="backward")
    factors = [
        None if a is None else split_factor(actions, a, d)
        for d, a in zip(joined["date"].to_list(), joined["as_of_date"].to_list(), strict=True)
    ]
    joined = joined.with_columns(pl.Series("split_factor", factors, dtype=pl.Float64))
    return (
        joined.with_columns((pl.col("raw_shares") * pl.col("split_factor")).alias("shares_outstanding"))
        .sort("_pos")
        .select(list(SHARES_ASOF_SCHEMA))
    )


def member_period(
    ticker: str,
    cohort: str | None,
    start_close_usd: float,
    end_close_usd: float,
    start_shares: float,
    end_shares: float,
    ratio_between: float = 1.0,
) -> dict:
    """One member over a period: caps at both ends, market-cap change, holder's price return."""
    cap0 = market_cap_usd(start_close_usd, start_shares)
    cap1 = market_cap_usd(end_close_usd, end_shares)
    return {
        "ticker": ticker,
        "cohort": cohort,
        "market_cap_start_usd": cap0,
        "market_cap_end_usd": cap1,
        "change_pct": change_pct(cap0, cap1),
        "price_change_pct": price_return_pct(start_close_usd, end_close_usd, ratio_between),
        "contribution_usd": cap1 - cap0,
    }


def aggregate(members: Sequence[dict], btc_change_pct: float | None) -> dict:
    """Aggregate of member periods: caps, change, contributions, best/worst, beat-BTC, cohorts.

    Best/worst and beat-BTC compare holders' price returns (`price_change_pct`); the aggregate
    and cohort changes are market-cap changes (they include share issuance).
    """
    start = sum(m["market_cap_start_usd"] for m in members)
    end = sum(m["market_cap_end_usd"] for m in members)
    out_members = []
    for m in members:
        row = dict(m)
        row["contribution_pct_points"] = 100.0 * m["contribution_usd"] / start if start else None
        row["beat_btc"] = None if btc_change_pct is None else m["price_change_pct"] > btc_change_pct
        out_members.append(row)
    ranked = sorted(out_members, key=lambda m: (-m["price_change_pct"], m["ticker"]))
    cohorts: dict[str, dict] = {}
    for m in out_members:
        c = cohorts.setdefault(m["cohort"], {"market_cap_start_usd": 0.0, "market_cap_end_usd": 0.0, "members": 0})
        c["market_cap_start_usd"] += m["market_cap_start_usd"]
        c["market_cap_end_usd"] += m["market_cap_end_usd"]
        c["members"] += 1
    for c in cohorts.values():
        c["change_pct"] = change_pct(c["market_cap_start_usd"], c["market_cap_end_usd"])
        c["change_usd"] = c["market_cap_end_usd"] - c["market_cap_start_usd"]
    agg_change = change_pct(start, end) if members else None
    return {
        "market_cap_start_usd": start,
        "market_cap_end_usd": end,
        "change_usd": end - start,
        "change_pct": agg_change,
        "best": ranked[0] if ranked else None,
        "worst": ranked[-1] if ranked else None,
        "beat_btc_count": sum(1 for m in out_members if m["beat_btc"]),
        "vs_btc_pct_points": None if agg_change is None or btc_change_pct is None else agg_change - btc_change_pct,
        "cohorts": dict(sorted(cohorts.items())),
        "members": sorted(out_members, key=lambda m: (-m["market_cap_end_usd"], m["ticker"])),
    }
