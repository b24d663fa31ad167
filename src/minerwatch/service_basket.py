"""Miner basket service: pick sources, run the pure basket metrics, shape the JSON answers.

Sources are chosen by a documented priority so live data wins when present:

- prices: PRICE_SOURCE_PRIORITY, first source holding that (ticker, day); every close is converted
  to the nominal (as traded) price with the corporate actions in the store;
- shares: the latest fact dated on or before the day over the member's allowed sources; same-day
  facts ranked by SHARES_SOURCE_PRIORITY, then by concept (SEC cover count first);
- corporate actions: every source's actions, one per (ticker, ex-date, kind), CORPORATE_ACTION_PRIORITY.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from minerwatch import basket_file, service
from minerwatch.errors import DataGap, InputError
from minerwatch.metrics import basket as bk
from minerwatch.metrics import market as mk
from minerwatch.store import Store

#: Live Yahoo closes first, then the NASDAQ screener's nominal last sale, then the embedded feeds.
PRICE_SOURCE_PRIORITY = ("yahoo", "nasdaq_screener", "dsturdy", "dieperdev", "spooky", "nasdaq_screener_unverified")
#: Same-day shares facts: live EDGAR first, then SEC facts read from filings, then the screener.
SHARES_SOURCE_PRIORITY = ("edgar", "sec_filings", "nasdaq_screener")
CORPORATE_ACTION_PRIORITY = ("yahoo", "edgar", "equities_derived")

#: A shares fact older than this on the period's end date is flagged: a US filer's cover count is
#: at most ~4 months old (10-Q/10-K covers, plus NASDAQ's lag of up to two weeks); older means
#: filings were missed, as with foreign filers whose NASDAQ count stays put for months (IREN, BTDR).
STALE_SHARES_DAYS = 120

PERIOD_BASIS = (
    "change from the last trading day's close of the previous month to the last trading day's close of "
    "the month; market cap = nominal close x shares outstanding from the latest fact dated on or before "
    "that day; best/worst and beat-BTC compare share-price returns (split-adjusted), the aggregate and "
    "cohorts compare market caps (which include share issuance); BTC closes are UTC daily closes on the "
    "same two dates"
)


def _rank(priority: tuple[str, ...], column: str = "source_id") -> pl.Expr:
    return pl.col(column).replace_strict(
        {s: i for i, s in enumerate(priority)}, default=len(priority), return_dtype=pl.Int64
    )


def known_tickers(store: Store) -> list[str]:
    """Tickers with at least one price row in the store."""
    return store.query("SELECT DISTINCT ticker FROM equity_prices_daily ORDER BY ticker")["ticker"].to_list()


#: Two sources reporting the same event: same ratio (within 1%) and ex-dates this close (days).
SAME_ACTION_DAYS = 5


def corporate_actions(store: Store, tickers: list[str]) -> dict[str, list[tuple[date, float]]]:
    """(ex-date, ratio) per ticker; one event reported by several sources counts once.

    Sources are taken in CORPORATE_ACTION_PRIORITY order; an action is dropped when a preferred
    source already has one with the same ratio within SAME_ACTION_DAYS (whatever its `kind`: Yahoo
    calls an ADS-ratio change a split), so a live feed never doubles an embedded adjustment.
    """
    if not tickers:
        return {}
    df = store.query(
        "SELECT ticker, date, kind, ratio, source_id FROM corporate_actions WHERE list_contains(?, ticker)",
        [tickers],
    )
    out: dict[str, list[tuple[date, float]]] = {t: [] for t in tickers}
    if df.height == 0:
        return out
    df = df.with_columns(_rank(CORPORATE_ACTION_PRIORITY).alias("rk")).sort("ticker", "rk", "date")
    for t, d, r in df.select("ticker", "date", "ratio").iter_rows():
        ratio = float(r)
        if any(abs((d - d0).days) <= SAME_ACTION_DAYS and abs(ratio / r0 - 1) < 0.01 for d0, r0 in out[t]):
            continue
        out[t].append((d, ratio))
    for t in out:
        out[t].sort()
    return out


def nominal_prices(store: Store, tickers: list[str], start: date, end: date) -> pl.DataFrame:
    """One nominal close per (ticker, day) in [start, end] from the preferred source.

    Columns: ticker, date, close_usd (nominal), raw_close_usd, price_basis, source_id.
    """
    schema = {
        "ticker": pl.Utf8,
        "date": pl.Date,
        "close_usd": pl.Float64,
        "raw_close_usd": pl.Float64,
        "price_basis": pl.Utf8,
        "source_id": pl.Utf8,
    }
    if not tickers:
        return pl.DataFrame(schema=schema)
    raw = store.query(
        "SELECT ticker, date, source_id, close_usd, price_basis FROM equity_prices_daily "
        "WHERE list_contains(?, ticker) AND date BETWEEN ? AND ? AND close_usd > 0",
        [tickers, start, end],
    )
    if raw.height == 0:
        return pl.DataFrame(schema=schema)
    raw = raw.with_columns(_rank(PRICE_SOURCE_PRIORITY).alias("rk")).sort("ticker", "date", "rk")
    raw = raw.unique(subset=["ticker", "date"], keep="first", maintain_order=True)
    actions = corporate_actions(store, tickers)
    rows = []
    for t, d, sid, close, basis in raw.select("ticker", "date", "source_id", "close_usd", "price_basis").iter_rows():
        rows.append((t, d, bk.nominal_close_usd(close, d, basis, actions.get(t, [])), close, basis, sid))
    return pl.DataFrame(rows, schema=schema, orient="row")


def _shares_facts(store: Store, tickers: list[str], upto: date) -> pl.DataFrame:
    """Shares facts dated on or before `upto`, one value per (ticker, as_of, source, concept)."""
    df = store.query(
        "SELECT ticker, as_of_date, source_id, concept, share_class, shares_outstanding FROM shares_facts "
        "WHERE list_contains(?, ticker) AND as_of_date <= ?",
        [tickers, upto],
    )
    if df.height == 0:
        return df.drop("share_class")
    # A total row ('all', or the screener's 'listed') wins; otherwise the classes are summed.
    total = df.filter(pl.col("share_class").is_in(["all", "listed"]))
    keys = ["ticker", "as_of_date", "source_id", "concept"]
    classes = df.join(total.select(keys), on=keys, how="anti").group_by(keys).agg(pl.col("shares_outstanding").sum())
    total = total.unique(subset=keys, keep="first").select(*keys, "shares_outstanding")
    return pl.concat([total, classes.select(*keys, "shares_outstanding")])


def _member_shares(facts: pl.DataFrame, member: basket_file.Member) -> pl.DataFrame:
    f = facts.filter(pl.col("ticker") == member.ticker)
    if member.shares_sources:
        f = f.filter(pl.col("source_id").is_in(list(member.shares_sources)))
    return f


def _priority_for(member: basket_file.Member) -> tuple[str, ...]:
    return tuple(member.shares_sources) if member.shares_sources else SHARES_SOURCE_PRIORITY


def _load_basket(store: Store, basket_path: str | Path | None) -> basket_file.Basket:
    return basket_file.load(basket_path, known_tickers=known_tickers(store))


def period_dates(store: Store, month: str, basket: basket_file.Basket) -> tuple[date, date]:
    """(start, end): the last trading day of the previous month and of the month.

    A trading day is a day on which at least half of the basket's tickers that trade in the
    window have a close (so one feed's stray weekend row does not create a day).
    """
    first, last = service.parse_month(month)
    lead = first - timedelta(days=20)
    px = nominal_prices(store, basket.tickers(), lead, last)
    if px.filter(pl.col("date") >= first).height == 0:
        rng = store.query("SELECT min(date) AS a, max(date) AS b FROM equity_prices_daily")
        a, b = rng["a"][0], rng["b"][0]
        where = f"equity prices cover {a} to {b}" if a else "the store holds no equity prices"
        raise DataGap(f"no equity close in {month} for the basket; {where}")
    active = px["ticker"].n_unique()
    counts = px.group_by("date").agg(pl.col("ticker").n_unique().alias("n"))
    days = counts.filter(pl.col("n") * 2 >= active)["date"]
    before = days.filter(days < first)
    inside = days.filter(days >= first)
    if before.len() == 0:
        raise DataGap(f"no trading day with closes in the 20 days before {month}; the period start is unknown")
    if inside.len() == 0:
        raise DataGap(f"no trading day in {month} with closes for at least half of the basket")
    start, end = before.max(), inside.max()
    assert isinstance(start, date) and isinstance(end, date)
    return start, end


def latest_basket_month(store: Store, *, basket_path: str | Path | None = None) -> str:
    """The latest month whose last weekday has a close for the basket (else the month before)."""
    basket = _load_basket(store, basket_path)
    rng = store.query(
        "SELECT max(date) AS last FROM equity_prices_daily WHERE list_contains(?, ticker)", [basket.tickers()]
    )
    last = rng["last"][0]
    if last is None:
        raise DataGap("the store holds no equity prices for the basket; run `minerwatch sync`")
    _, month_end = mk.month_bounds(f"{last.year:04d}-{last.month:02d}")
    last_weekday = month_end - timedelta(days=max(0, month_end.weekday() - 4))
    if last >= last_weekday:
        return f"{last.year:04d}-{last.month:02d}"
    prev = last.replace(day=1) - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


def _btc_change(store: Store, start: date, end: date) -> tuple[float | None, dict]:
    from minerwatch.service import btc_closes

    px = btc_closes(store, start, end)
    a = px.filter(pl.col("date") == start)
    b = px.filter(pl.col("date") == end)
    if a.height == 0 or b.height == 0:
        return None, {"btc_start_usd": None, "btc_end_usd": None, "btc_source": None}
    s, e = float(a["close_usd"][0]), float(b["close_usd"][0])
    return bk.change_pct(s, e), {
        "btc_start_usd": s,
        "btc_end_usd": e,
        "btc_source": f"{a['venue'][0]} ({a['time_convention'][0]})",
    }


def _evaluate(store: Store, month: str, basket_path: str | Path | None) -> dict:
    """Everything behind a basket month: window, per-member inputs and provenance, missing."""
    basket = _load_basket(store, basket_path)
    start, end = period_dates(store, month, basket)
    counted = [m for m in basket.members if m.start <= end and (m.end is None or m.end >= start)]
    tickers = [m.ticker for m in counted]
    px = nominal_prices(store, tickers, start, end)
    facts = _shares_facts(store, tickers, end)
    actions = corporate_actions(store, tickers)
    inputs, missing = [], []
    for m in counted:
        cohort = m.cohort_on(end)
        if not m.is_member(start):
            missing.append(
                {
                    "ticker": m.ticker,
                    "reason": f"joined the basket on {m.start}, after the period start "
                    f"{start}; counted from the first full period",
                }
            )
            continue
        if not m.is_member(end):
            missing.append(
                {
                    "ticker": m.ticker,
                    "reason": f"left the basket on {m.end}, before the period end {end}; "
                    f"not in the like-for-like aggregate",
                }
            )
            continue
        mine = px.filter(pl.col("ticker") == m.ticker)
        c0 = mine.filter(pl.col("date") == start)
        c1 = mine.filter(pl.col("date") == end)
        if c0.height == 0 or c1.height == 0:
            day = start if c0.height == 0 else end
            missing.append({"ticker": m.ticker, "reason": f"no close on {day} in any price source"})
            continue
        mf = _member_shares(facts, m)
        acts = actions.get(m.ticker, [])
        prio = _priority_for(m)
        s0 = bk.shares_on(mf, start, acts, prio)
        s1 = bk.shares_on(mf, end, acts, prio)
        if s0 is None or s1 is None:
            day = start if s0 is None else end
            allowed = ", ".join(m.shares_sources) if m.shares_sources else "any source"
            missing.append({"ticker": m.ticker, "reason": f"no shares fact dated on or before {day} ({allowed})"})
            continue
        ratio = bk.split_factor(acts, start, end)
        row = bk.member_period(
            m.ticker,
            cohort,
            float(c0["close_usd"][0]),
            float(c1["close_usd"][0]),
            s0["shares_outstanding"],
            s1["shares_outstanding"],
            ratio,
        )
        inputs.append((m, row, c0.row(0, named=True), c1.row(0, named=True), s0, s1, ratio))
    btc_pct, btc_info = _btc_change(store, start, end)
    agg = bk.aggregate([i[1] for i in inputs], btc_pct)
    return {
        "basket": basket,
        "start": start,
        "end": end,
        "counted": counted,
        "inputs": inputs,
        "missing": missing,
        "btc_change_pct": btc_pct,
        "btc": btc_info,
        "aggregate": agg,
    }


def _r(v: float | None, nd: int) -> float | None:
    return None if v is None else round(float(v), nd)


def _perf(m: dict | None) -> dict | None:
    if m is None:
        return None
    return {
        "ticker": m["ticker"],
        "price_change_pct": _r(m["price_change_pct"], 2),
        "market_cap_change_pct": _r(m["change_pct"], 2),
    }


def _stale_shares(ev: dict) -> list[dict]:
    """Priced members whose share count on the start or end date comes from a fact older than STALE_SHARES_DAYS.

    One entry per member, for the date with the older count (`on` = "start" or "end"): a count that is fresh at
    the end but stale at the start still distorts the month's market-cap change.
    """
    out = []
    for m, _row, _c0, _c1, s0, s1, _ratio in ev["inputs"]:
        ages = [
            ((ev["start"] - s0["as_of_date"]).days, "start", s0),
            ((ev["end"] - s1["as_of_date"]).days, "end", s1),
        ]
        age, on, fact = max(ages, key=lambda a: (a[0], a[1] == "end"))
        if age > STALE_SHARES_DAYS:
            out.append(
                {
                    "ticker": m.ticker,
                    "shares_as_of": fact["as_of_date"],
                    "age_days": age,
                    "shares_source": fact["source_id"],
                    "on": on,
                }
            )
    return sorted(out, key=lambda r: (-r["age_days"], r["ticker"]))


#: Price sources whose trading date could not be checked (a close may belong to the previous session).
UNVERIFIED_PRICE_SOURCES = ("nasdaq_screener_unverified",)


def _unverified_closes(ev: dict) -> list[dict]:
    """The start/end closes of priced members that come from a source whose dates are unverified."""
    out = []
    for m, _row, c0, c1, *_ in ev["inputs"]:
        for c in (c0, c1):
            if c["source_id"] in UNVERIFIED_PRICE_SOURCES:
                out.append({"ticker": m.ticker, "date": c["date"], "price_source": c["source_id"]})
    return out


def basket_month(store: Store, month: str, *, basket_path: str | Path | None = None) -> dict:
    """The basket over a month: aggregate market cap and change, members, cohorts, best/worst, vs BTC."""
    ev = _evaluate(store, month, basket_path)
    agg = ev["aggregate"]
    priced = len(ev["inputs"])
    total = len(ev["counted"])
    return {
        "month": month,
        "members_total": total,
        "members_priced": priced,
        "market_cap_start_usd": _r(agg["market_cap_start_usd"], 0) if priced else None,
        "market_cap_end_usd": _r(agg["market_cap_end_usd"], 0) if priced else None,
        "change_usd": _r(agg["change_usd"], 0) if priced else None,
        "change_pct": _r(agg["change_pct"], 2),
        "best": _perf(agg["best"]),
        "worst": _perf(agg["worst"]),
        "beat_btc_count": agg["beat_btc_count"] if ev["btc_change_pct"] is not None else None,
        "btc_change_pct": _r(ev["btc_change_pct"], 2),
        "cohorts": {
            name: {
                "market_cap_start_usd": _r(c["market_cap_start_usd"], 0),
                "market_cap_end_usd": _r(c["market_cap_end_usd"], 0),
                "change_pct": _r(c["change_pct"], 2),
                "members": c["members"],
            }
            for name, c in agg["cohorts"].items()
        },
        "members": [
            {
                "ticker": m["ticker"],
                "cohort": m["cohort"],
                "market_cap_start_usd": _r(m["market_cap_start_usd"], 0),
                "market_cap_end_usd": _r(m["market_cap_end_usd"], 0),
                "change_pct": _r(m["change_pct"], 2),
                "contribution_usd": _r(m["contribution_usd"], 0),
                "beat_btc": m["beat_btc"],
                "price_change_pct": _r(m["price_change_pct"], 2),
                "contribution_pct_points": _r(m["contribution_pct_points"], 2),
            }
            for m in agg["members"]
        ],
        "missing": ev["missing"],
        # Beyond the contract: the window, the comparison with BTC and how the figures were made.
        "start_date": ev["start"],
        "end_date": ev["end"],
        "coverage": f"aggregate covers {priced} of {total} members",
        "stale_shares": _stale_shares(ev),
        "unverified_closes": _unverified_closes(ev),
        "vs_btc_pct_points": _r(agg["vs_btc_pct_points"], 2),
        "basket": ev["basket"].name,
        "basket_file": ev["basket"].path,
        "basis": PERIOD_BASIS,
    }


def basket_explain(store: Store, month: str, *, basket_path: str | Path | None = None) -> dict:
    """Per member: the closes and share counts used at both ends, where each came from, the repairs."""
    ev = _evaluate(store, month, basket_path)
    start, end = ev["start"], ev["end"]
    rows = []
    for m, row, c0, c1, s0, s1, ratio in ev["inputs"]:
        rows.append(
            {
                "ticker": m.ticker,
                "cohort": row["cohort"],
                "start_close_usd": c0["close_usd"],
                "start_price_source": c0["source_id"],
                "start_price_basis": c0["price_basis"],
                "start_raw_close_usd": c0["raw_close_usd"],
                "start_shares": s0["shares_outstanding"],
                "start_shares_as_of": s0["as_of_date"],
                "start_shares_source": f"{s0['source_id']} {s0['concept']}",
                "end_close_usd": c1["close_usd"],
                "end_price_source": c1["source_id"],
                "end_price_basis": c1["price_basis"],
                "end_raw_close_usd": c1["raw_close_usd"],
                "end_shares": s1["shares_outstanding"],
                "end_shares_as_of": s1["as_of_date"],
                "end_shares_source": f"{s1['source_id']} {s1['concept']}",
                "start_shares_age_days": (start - s0["as_of_date"]).days,
                "end_shares_age_days": (end - s1["as_of_date"]).days,
                "shares_split_factor_end": s1["split_factor"],
                "split_ratio_in_period": ratio,
                # The start count in end-of-period units (after the window's splits / ADS-ratio changes):
                # market-cap change = (1 + price change) x (1 + share-count change) - 1.
                "start_shares_in_end_units": s0["shares_outstanding"] * ratio,
                "share_count_change_pct": bk.change_pct(s0["shares_outstanding"] * ratio, s1["shares_outstanding"]),
                "price_change_pct": row["price_change_pct"],
                "market_cap_change_pct": row["change_pct"],
                "market_cap_start_usd": row["market_cap_start_usd"],
                "market_cap_end_usd": row["market_cap_end_usd"],
            }
        )
    tickers = [m.ticker for m in ev["counted"]]
    corr = (
        store.query(
            "SELECT ticker, date, source_id, field, raw_value, used_value, action, reason FROM equity_corrections "
            "WHERE (list_contains(?, ticker) OR ticker = '*') ORDER BY ticker, date NULLS FIRST",
            [tickers],
        )
        if tickers
        else pl.DataFrame()
    )
    return {
        "month": month,
        "start_date": start,
        "end_date": end,
        "basket_file": ev["basket"].path,
        "members": rows,
        "missing": ev["missing"],
        "corrections": corr.to_dicts() if corr.height else [],
        "price_source_priority": list(PRICE_SOURCE_PRIORITY),
        "shares_source_priority": list(SHARES_SOURCE_PRIORITY),
        "basis": PERIOD_BASIS,
    }


def equity_series(store: Store, ticker: str, start: date, end: date) -> pl.DataFrame:
    """Daily nominal close, point-in-time shares and market cap of one ticker, with sources."""
    t = ticker.strip().upper()
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    if store.query("SELECT 1 AS x FROM equity_prices_daily WHERE ticker = ? LIMIT 1", [t]).height == 0:
        known = known_tickers(store)
        raise InputError(f"unknown ticker {ticker!r}; the store has prices for {', '.join(known)}")
    px = nominal_prices(store, [t], start, end)
    if px.height == 0:
        rng = store.query("SELECT min(date) AS a, max(date) AS b FROM equity_prices_daily WHERE ticker = ?", [t])
        raise DataGap(f"no close for {t} between {start} and {end}; its prices cover {rng['a'][0]} to {rng['b'][0]}")
    facts = _shares_facts(store, [t], end).filter(pl.col("ticker") == t)
    acts = corporate_actions(store, [t]).get(t, [])
    # One as-of join for all days (the same rule as bk.shares_on, which looked each day up alone).
    sh = bk.shares_asof(facts, px["date"], acts, SHARES_SOURCE_PRIORITY)
    return pl.DataFrame(
        {
            "date": px["date"],
            "ticker": pl.Series([t] * px.height, dtype=pl.Utf8),
            "close_usd": px["close_usd"],
            "price_source": px["source_id"],
            "price_basis": px["price_basis"],
            "raw_close_usd": px["raw_close_usd"],
            "shares_outstanding": sh["shares_outstanding"],
            "shares_as_of": sh["as_of_date"],
            "shares_source": sh["source_id"],
        }
    ).with_columns(
        pl.Series(
            "market_cap_usd",
            [
                None if n is None else round(bk.market_cap_usd(c, n), 2)
                for c, n in zip(px["close_usd"].to_list(), sh["shares_outstanding"].to_list(), strict=True)
            ],
            dtype=pl.Float64,
        )
    )


# -- data-quality scan ----------------------------------------------------------------------------

#: Feeds quoting closes split-adjusted (back-adjusted) as of a later date: their close ratio between
#: two days is the holder's return, an independent check of ours (nominal closes x our split ratios).
REFERENCE_PRICE_SOURCES = ("dsturdy", "dieperdev", "spooky")
#: Scan thresholds: a monthly price move beyond this (either way) is listed for review.
SCAN_PRICE_MOVE_PCT = 60.0
#: ...a share count (in end-of-month units) that grows by more than this factor or shrinks by more than
#: its inverse is listed: market-cap change and price change then differ by that much.
SCAN_SHARE_FACTOR = 1.2
#: ...and our price return differing from the reference feed's by more than this many points.
SCAN_FEED_GAP_PP = 2.0
#: ...and our market-cap change differing from the one NASDAQ's own screener caps give by more than this.
SCAN_VS_NASDAQ_PP = 10.0


def _month_ends(px: pl.DataFrame, first_month: str, last_month: str) -> list[tuple[str, date, date]]:
    """(month, start, end) per month: the same trading-day rule as `period_dates`, for many months at once."""
    out = []
    first, _ = service.parse_month(first_month)
    _, last = service.parse_month(last_month)
    m = first
    while m <= last:
        month = f"{m.year:04d}-{m.month:02d}"
        m0, m1 = mk.month_bounds(month)
        win = px.filter((pl.col("date") >= m0 - timedelta(days=20)) & (pl.col("date") <= m1))
        active = win["ticker"].n_unique()
        days = win.group_by("date").agg(pl.col("ticker").n_unique().alias("n")).filter(pl.col("n") * 2 >= active)
        before = days.filter(pl.col("date") < m0)["date"]
        inside = days.filter(pl.col("date") >= m0)["date"]
        a, b = (before.max(), inside.max()) if before.len() and inside.len() else (None, None)
        if isinstance(a, date) and isinstance(b, date):
            out.append((month, a, b))
        m = m1 + timedelta(days=1)
    return out


def basket_scan(
    store: Store, first_month: str, last_month: str, *, basket_path: str | Path | None = None
) -> list[dict]:
    """Every basket ticker x month: price change vs market-cap change, share-count change, reference feed.

    Membership dates are ignored (the scan checks the data, not the basket). A month is skipped for a
    ticker without a close at both ends. `flags` lists why a row needs review: `price_move` (|price
    change| > SCAN_PRICE_MOVE_PCT), `share_count` (count in end units x > SCAN_SHARE_FACTOR or <
    1/SCAN_SHARE_FACTOR: market cap and price then part ways), `feed_gap` (our holder's return and the
    first reference feed's differ by > SCAN_FEED_GAP_PP points), `vs_nasdaq` (our market-cap change
    and the one of NASDAQ's published screener caps on the same days differ by > SCAN_VS_NASDAQ_PP
    points: our count is not NASDAQ's at an end), `no_shares` (no fact at an end).
    """
    basket = _load_basket(store, basket_path)
    tickers = basket.tickers()
    m0, _ = service.parse_month(first_month)
    _, m1 = service.parse_month(last_month)
    px = nominal_prices(store, tickers, m0 - timedelta(days=40), m1)
    periods = _month_ends(px, first_month, last_month)
    facts = _shares_facts(store, tickers, m1)
    actions = corporate_actions(store, tickers)
    ref = store.query(
        "SELECT ticker, date, source_id, close_usd FROM equity_prices_daily "
        "WHERE list_contains(?, ticker) AND list_contains(?, source_id) AND date BETWEEN ? AND ? AND close_usd > 0",
        [tickers, list(REFERENCE_PRICE_SOURCES), m0 - timedelta(days=40), m1],
    )
    ref_close = {(t, d, s): c for t, d, s, c in ref.select("ticker", "date", "source_id", "close_usd").iter_rows()}
    close = {(t, d): c for t, d, c in px.select("ticker", "date", "close_usd").iter_rows()}
    published = store.query(
        "SELECT ticker, date, market_cap_usd FROM equity_market_caps_reported WHERE source_id = 'nasdaq_screener' "
        "AND list_contains(?, ticker) AND date BETWEEN ? AND ? AND market_cap_usd > 0",
        [tickers, m0 - timedelta(days=40), m1],
    )
    nasdaq_cap = {(t, d): c for t, d, c in published.iter_rows()}
    days = sorted({d for _, a, b in periods for d in (a, b)})
    rows = []
    for m in basket.members:
        acts = actions.get(m.ticker, [])
        sh = bk.shares_asof(_member_shares(facts, m), days, acts, _priority_for(m))
        on = {
            d: (n, a, s)
            for d, n, a, s in sh.select("date", "shares_outstanding", "as_of_date", "source_id").iter_rows()
        }
        for month, start, end in periods:
            c0, c1 = close.get((m.ticker, start)), close.get((m.ticker, end))
            if c0 is None or c1 is None:
                continue
            ratio = bk.split_factor(acts, start, end)
            price = bk.price_return_pct(c0, c1, ratio)
            (n0, a0, src0), (n1, a1, src1) = on[start], on[end]
            factor = None if n0 is None or n1 is None else n1 / (n0 * ratio)
            cap = None if factor is None else bk.change_pct(c0 * n0, c1 * n1)
            ref_pct, ref_src = None, None
            for src in REFERENCE_PRICE_SOURCES:
                r0, r1 = ref_close.get((m.ticker, start, src)), ref_close.get((m.ticker, end, src))
                if r0 is not None and r1 is not None:
                    ref_pct, ref_src = bk.price_return_pct(r0, r1), src
                    break
            q0, q1 = nasdaq_cap.get((m.ticker, start)), nasdaq_cap.get((m.ticker, end))
            nasdaq_pct = None if q0 is None or q1 is None else bk.change_pct(q0, q1)
            flags = []
            if abs(price) > SCAN_PRICE_MOVE_PCT:
                flags.append("price_move")
            if factor is None:
                flags.append("no_shares")
            elif factor > SCAN_SHARE_FACTOR or factor < 1 / SCAN_SHARE_FACTOR:
                flags.append("share_count")
            if ref_pct is not None and abs(price - ref_pct) > SCAN_FEED_GAP_PP:
                flags.append("feed_gap")
            if cap is not None and nasdaq_pct is not None and abs(cap - nasdaq_pct) > SCAN_VS_NASDAQ_PP:
                flags.append("vs_nasdaq")
            rows.append(
                {
                    "ticker": m.ticker,
                    "month": month,
                    "start_date": start,
                    "end_date": end,
                    "start_close_usd": c0,
                    "end_close_usd": c1,
                    "split_ratio_in_period": ratio,
                    "price_change_pct": price,
                    "market_cap_change_pct": cap,
                    "share_count_change_pct": None if factor is None else 100.0 * (factor - 1.0),
                    "start_shares_as_of": a0,
                    "end_shares_as_of": a1,
                    "start_shares_age_days": None if a0 is None else (start - a0).days,
                    "start_shares_source": src0,
                    "end_shares_source": src1,
                    "nasdaq_market_cap_change_pct": nasdaq_pct,
                    "reference_price_change_pct": ref_pct,
                    "reference_source": ref_src,
                    "flags": flags,
                }
            )
    return rows
