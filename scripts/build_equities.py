"""Build the embedded miner-equities data (Parquet + manifest) from ../shared/data/miners_*.csv.

Run from the repo root:  python scripts/build_equities.py [--shared ../shared/data]

Every input is a third-party snapshot with known glitches (see ../shared/data/SOURCES.md). This
script keeps the raw values, applies only the repairs listed below, and writes every repair to
`equities_corrections.parquet` so `minerwatch basket --explain` and the tests can show them.

Outputs in src/minerwatch/data/:
  equities_prices.parquet            ticker, date, source_id, open/high/low/close/adj_close (USD),
                                     volume, price_basis ('nominal' or 'split-adjusted as of D')
  equities_shares.parquet            shares facts: ticker, as_of_date, source_id, concept,
                                     shares_outstanding, accession, form, note
  equities_corporate_actions.parquet splits / ADS-ratio changes (ratio = new units per old unit)
  equities_market_caps.parquet       market caps as published (screener daily, month-end facts,
                                     third-party snapshots), kept for cross-checks only
  equities_corrections.parquet       every repair: what, raw value, value used, why
  equities_manifest.json             origin, licence, commit, range and sha256 of inputs/outputs

Decisions (per member, documented in docs/basket.md):
  prices  NASDAQ screener last sale (nominal, as traded) first; then the Yahoo-based feeds
          un-adjusted with the detected corporate actions (dsturdy, dieperdev); the Alpaca/IEX
          feed (spooky) last. A screener close that both other feeds contradict by > 2% while
          agreeing with each other within 1% is excluded (a mis-dated snapshot).
  shares  SEC facts (cover counts dei:EntityCommonStockSharesOutstanding and balance-sheet
          counts, each dated by its own as-of date) where read; the screener's implied share
          count (market cap / last sale) dated by the first day it appeared, for everyone.
          Repairs: MARA rows that carry the period end instead of the cover date are re-dated
          to the first day NASDAQ showed that exact count (never earlier: no look-ahead);
          CLSK "issued" counts (incl. treasury shares) are dropped; screener share-count jumps
          that revert (stale pre-split counts after GREE/SDIG/HIVE reverse splits, one-day
          glitches) are dropped, except ARBK's flips to the ordinary-share count, which are
          converted to ADSs (10 ordinary shares per ADS) when they carry a new count; a pre-split
          count shown within POST_SPLIT_DAYS after a split is converted with the split ratio (SDIG
          2023-05-26); the cancelled old equity's count shown after a relisting is replaced by the
          new equity's first count, dated from the relisting day (CORZ 2024-01-24, RELISTED).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
from datetime import date, timedelta
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "minerwatch" / "data"

INPUTS = {
    "screener": {
        "file": "miners_marketcap_daily_nasdaq_screener_2021-01_to_2026-08.csv",
        "origin": "github.com/rreichel3/US-Stock-Symbols {nasdaq,nyse}/*_full_tickers.json (api.nasdaq.com screener, "
        "nightly commits 2021-01-30 to 2026-08-22; price_date re-dated against MARA/RIOT closes)",
        "commit": "per row (column `commit`)",
        "licence": "repo has no licence; data are NASDAQ's",
    },
    "changepoints": {
        "file": "miners_shares_implied_nasdaq_screener_changepoints.csv",
        "origin": "derived from the screener file above (change points of market cap / last sale)",
        "commit": "per row (column `commit`)",
        "licence": "derived from NASDAQ data (no licence)",
    },
    "sec_shares": {
        "file": "miners_shares_outstanding.csv",
        "origin": "SEC filings read from Sashamine/dat-tracker-next, Jacob-Lisner/edgar_data, SEC R1.htm, StockTitan "
        "(source per row)",
        "commit": "per row (column `source_url_or_repo_path`)",
        "licence": "SEC EDGAR data (US public domain); repositories without licence",
    },
    "market_cap_facts": {
        "file": "miners_market_cap_facts.csv",
        "origin": "month-end NASDAQ screener market caps 2024-09..2025-06 plus 6 third-party snapshots",
        "commit": "per row (column `source_url`)",
        "licence": "NASDAQ data / third-party pages (no licence)",
    },
    "dsturdy": {
        "file": "miners_daily_close_to_2026-07-14_dsturdy.csv",
        "origin": "github.com/dsturdy/Factor_Attribution_5_csvs data/{TICKER}.csv",
        "commit": "a206574f380c69cb147d5900c6115d54c74ce8d0",
        "licence": "repo has no licence (Yahoo-style back-adjusted closes)",
    },
    "spooky": {
        "file": "miners_daily_ohlcv_2020-07_to_2025-04-04_spooky.csv",
        "origin": "github.com/Spooky-Labs/Course-1 data/{TICKER}.csv",
        "commit": "65f5e49d2fb29d451b324035e4c80aa741a33307",
        "licence": "repo has no licence (upstream feed unknown, Alpaca/IEX-like bars)",
    },
    "dieperdev": {
        "file": "miners_daily_ohlcv_yahoo_2018_to_2024-03-08_dieperdev.csv",
        "origin": "github.com/dieperdev/yfinance-stock-data data/{TICKER}.csv",
        "commit": "a342efb774eb9ba994d553f735372ec04e944063",
        "licence": "Unlicense (data: Yahoo Finance)",
    },
}

#: Basis of each adjusted feed: the date as of which later splits were folded into history.
ADJUSTED_AS_OF = {
    "dsturdy": "2026-07-14",
    "spooky": "2025-05-05",
    "dieperdev": "2024-03-09",
}
#: Keep history from here on (the screener starts in 2021; older rows only bloat the package).
FIRST_DAY = date(2020, 7, 1)

#: Corporate actions documented in SOURCES.md / public record; detection below must find each.
#: ratio = new listed units per old unit (1-for-10 reverse split = 0.1).
EXPECTED_ACTIONS = {
    ("HIVE", "split", 0.2): "1-for-5 share consolidation, May 2022",
    ("GREE", "split", 0.1): "1-for-10 reverse split, May 2023",
    ("SDIG", "split", 0.1): "1-for-10 reverse split, May 2023",
    ("HUT", "split", 0.2): "Hut 8 Mining Corp -> Hut 8 Corp: 5 old shares per new share (Nov/Dec 2023)",
    ("ARBK", "ads_ratio", 1 / 216): "ADS ratio change (restructuring), Dec 2025: 216 old ADSs per new ADS",
}

#: Actions no adjusted feed covers (CANG is in none of them), read from the screener itself.
MANUAL_ACTIONS = [
    (
        "CANG",
        date(2025, 11, 17),
        "ads_ratio",
        2.0,
        "ADS programme ended: the screener line changed from 'American Depositary Shares each representing two (2) "
        "Class A Ordinary Shares' (last sale 3.07 on 2025-11-14) to 'Class A Ordinary Shares' (1.63 on 2025-11-17) "
        "while its share count stayed 103,788,114 ADSs: one old listed unit = 2 new units",
    ),
    (
        "CANG",
        date(2026, 7, 21),
        "split",
        0.1,
        "INFERRED, unverified: last sale 0.1785 on 2026-07-20 and 1.76 on 2026-07-21 (x9.9 in a day, same listing), "
        "treated as a 1-for-10 reverse split; no adjusted feed covers CANG to confirm it",
    ),
]

JUMP_BAND = 1.8  # a share count moving more than this factor without a split is suspect
REVERT_BAND = 1.3  # ...and is a glitch if a later count comes back within this factor
REVERT_DAYS = 400
#: Listed ADSs whose screener count sometimes flips to the ordinary-share count: ordinary shares per
#: ADS and the last day that ratio held (ARBK: 10 per ADS until the Dec 2025 ADS-ratio change).
ORDINARY_PER_ADS = {"ARBK": (10, date(2025, 12, 11))}
#: A count that jumps by more than JUMP_BAND within this many days after a split, but sits within
#: JUMP_BAND of the count before and within REVERT_BAND of the next count once multiplied by the
#: split ratio, is a pre-split count shown after the split (SDIG 79,060,350 from 2023-05-26, ten
#: days after its 1-for-10): it is converted to the post-split basis, not taken as issuance.
POST_SPLIT_DAYS = 120
#: Relistings after which NASDAQ kept showing the cancelled old equity's count: ticker ->
#: (relisting day, stale count). The stale runs are dropped and the first new-equity count is dated
#: from the relisting day (an estimate, logged as a correction): CORZ emerged from Chapter 11 on
#: 2024-01-23 (old shares cancelled), relisted 2024-01-24, and NASDAQ showed the pre-bankruptcy
#: 386,021,602 until 2024-03-14; the new equity's count, 177,596,074 from 2024-03-15, moved 0.1%
#: in the next two months (177,783,480 from 2024-05-13).
RELISTED = {"CORZ": (date(2024, 1, 24), 386_021_602.0)}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _day(col: str) -> pl.Expr:
    return pl.col(col).str.slice(0, 10).str.to_date()


def load_inputs(shared: Path) -> dict[str, pl.DataFrame]:
    f = {k: shared / v["file"] for k, v in INPUTS.items()}
    scr = pl.read_csv(f["screener"], infer_schema_length=0).with_columns(
        _day("price_date").alias("date"),
        pl.col("last_sale_usd").cast(pl.Float64),
        pl.col("market_cap_usd").cast(pl.Float64),
        pl.col("implied_shares_derived").cast(pl.Float64),
    )
    ds = pl.read_csv(f["dsturdy"]).select(_day("date").alias("date"), "ticker", pl.col("close").cast(pl.Float64))
    ohlcv = {}
    for key in ("spooky", "dieperdev"):
        ohlcv[key] = pl.read_csv(f[key]).select(
            _day("date").alias("date"),
            "ticker",
            *[pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "adj_close", "volume")],
        )
    sec = pl.read_csv(f["sec_shares"], infer_schema_length=0)
    caps = pl.read_csv(f["market_cap_facts"], infer_schema_length=0)
    return {"screener": scr, "dsturdy": ds, **ohlcv, "sec": sec, "caps": caps}


# -- corporate actions --------------------------------------------------------------------------


def detect_actions(scr: pl.DataFrame, adjusted: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Find splits as lasting steps in (adjusted close / nominal screener close) per ticker."""
    nominal = scr.filter(pl.col("date_check").str.starts_with("verified")).select(
        "date", "ticker", pl.col("last_sale_usd").alias("nominal")
    )
    found: dict[tuple[str, date], tuple[float, str]] = {}
    for src, frame in adjusted.items():
        j = nominal.join(frame.select("date", "ticker", "close"), on=["date", "ticker"]).filter(pl.col("nominal") > 0)
        j = j.with_columns((pl.col("close") / pl.col("nominal")).alias("r")).sort("ticker", "date")
        for (ticker,), g in j.group_by(["ticker"], maintain_order=True):
            rs = g["r"].to_list()
            ds = g["date"].to_list()
            # Median of the 5 days before vs the 5 days from i: a lasting step of > 1.5x.
            for i in range(5, len(rs) - 4):
                before = statistics.median(rs[i - 5 : i])
                after = statistics.median(rs[i : i + 5])
                if before <= 0 or after <= 0:
                    continue
                step = after / before
                if step < 1 / 1.5 and abs(rs[i] / after - 1) < 0.1 and abs(rs[i - 1] / before - 1) < 0.1:
                    ratio = 1 / round(before / after) if before / after > 1.5 else step
                    key = (ticker, ds[i])
                    if key not in found and not any(t == ticker and abs((d - ds[i]).days) < 10 for t, d in found):
                        found[key] = (ratio, src)
    rows = []
    for (ticker, d), (ratio, src) in sorted(found.items()):
        kind = "ads_ratio" if ticker == "ARBK" else "split"
        match = [
            v for (t, k, r), v in EXPECTED_ACTIONS.items() if t == ticker and k == kind and abs(r / ratio - 1) < 1e-6
        ]
        rows.append(
            {
                "ticker": ticker,
                "date": d,
                "kind": kind,
                "ratio": ratio,
                "note": (match[0] if match else "detected") + f"; ex-date = first day the {src} closes step by 1/ratio",
            }
        )
    actions = pl.DataFrame(
        rows, schema={"ticker": pl.Utf8, "date": pl.Date, "kind": pl.Utf8, "ratio": pl.Float64, "note": pl.Utf8}
    )
    for (t, k, r), what in EXPECTED_ACTIONS.items():
        hit = actions.filter((pl.col("ticker") == t) & (pl.col("kind") == k) & ((pl.col("ratio") / r - 1).abs() < 1e-6))
        if hit.height != 1:
            raise SystemExit(f"expected corporate action not detected exactly once: {t} {k} {r} ({what}); got {hit}")
    if actions.height != len(EXPECTED_ACTIONS):
        raise SystemExit(f"unexpected corporate actions detected: {actions}")
    manual = pl.DataFrame(
        [dict(ticker=t, date=d, kind=k, ratio=r, note=n) for t, d, k, r, n in MANUAL_ACTIONS],
        schema=actions.schema,
    )
    return pl.concat([actions, manual]).sort("ticker", "date")


def split_factor(actions: pl.DataFrame, ticker: str, after: date, upto: date) -> float:
    """Product of ratios of actions with after < ex-date <= upto."""
    f = 1.0
    for row in actions.filter(pl.col("ticker") == ticker).iter_rows(named=True):
        if after < row["date"] <= upto:
            f *= row["ratio"]
    return f


# -- prices -------------------------------------------------------------------------------------


def build_prices(inp: dict[str, pl.DataFrame], actions: pl.DataFrame, corrections: list[dict]) -> pl.DataFrame:
    scr = inp["screener"]
    tickers = set(scr["ticker"].unique().to_list())
    frames = []
    empty = pl.lit(None, dtype=pl.Float64)

    # Nominal view of the adjusted feeds, only to vet the screener (the feeds themselves are stored raw).
    def nominal_of(src: str, frame: pl.DataFrame) -> pl.DataFrame:
        basis = date.fromisoformat(ADJUSTED_AS_OF[src])
        fac = []
        for t, d in frame.select("ticker", "date").iter_rows():
            fac.append(split_factor(actions, t, d, basis))
        return frame.select("ticker", "date", (pl.col("close") * pl.Series(fac)).alias(f"nom_{src}"))

    ds_nom = nominal_of("dsturdy", inp["dsturdy"].filter(pl.col("date") >= date(2021, 1, 1)))
    sp_nom = nominal_of("spooky", inp["spooky"].filter(pl.col("date") >= date(2021, 1, 1)))
    v = scr.filter(pl.col("date_check").str.starts_with("verified")).select(
        "ticker", "date", "last_sale_usd", "date_check", "commit"
    )
    chk = v.join(ds_nom, on=["ticker", "date"], how="left").join(sp_nom, on=["ticker", "date"], how="left")
    bad = chk.filter(
        ((pl.col("last_sale_usd") / pl.col("nom_dsturdy") - 1).abs() > 0.02)
        & ((pl.col("last_sale_usd") / pl.col("nom_spooky") - 1).abs() > 0.02)
        & ((pl.col("nom_dsturdy") / pl.col("nom_spooky") - 1).abs() < 0.01)
    )
    for r in bad.iter_rows(named=True):
        corrections.append(
            _correction(
                r["ticker"],
                r["date"],
                raw_value=r["last_sale_usd"],
                used_value=None,
                action="excluded",
                reason=f"screener last sale {r['last_sale_usd']} contradicts both Yahoo (dsturdy, un-adjusted "
                f"{r['nom_dsturdy']:.4f}) and Alpaca (spooky, {r['nom_spooky']:.4f}) closes, which agree: "
                f"mis-dated snapshot (commit {r['commit']})",
                field="close_usd",
            )
        )
    bad_keys = bad.select("ticker", "date")
    good = scr.join(bad_keys, on=["ticker", "date"], how="anti").filter(pl.col("last_sale_usd").is_not_null())
    frames.append(
        good.select(
            "ticker",
            "date",
            pl.when(pl.col("date_check").str.starts_with("verified"))
            .then(pl.lit("nasdaq_screener"))
            .otherwise(pl.lit("nasdaq_screener_unverified"))
            .alias("source_id"),
            empty.alias("open_usd"),
            empty.alias("high_usd"),
            empty.alias("low_usd"),
            pl.col("last_sale_usd").alias("close_usd"),
            empty.alias("adj_close_usd"),
            empty.alias("volume"),
            pl.lit("nominal").alias("price_basis"),
        )
    )
    unver = scr.filter(~pl.col("date_check").str.starts_with("verified"))
    corrections.append(
        _correction(
            "*",
            None,
            raw_value=float(unver.height),
            used_value=None,
            action="deprioritised",
            reason="screener rows whose price_date could not be verified (after 2026-07-14 or ambiguous) are kept "
            "as source nasdaq_screener_unverified, used only when no other feed has that day",
            field="date",
        )
    )
    ds = inp["dsturdy"].filter((pl.col("date") >= FIRST_DAY) & pl.col("ticker").is_in(tickers))
    frames.append(
        ds.select(
            "ticker",
            "date",
            pl.lit("dsturdy").alias("source_id"),
            empty.alias("open_usd"),
            empty.alias("high_usd"),
            empty.alias("low_usd"),
            pl.col("close").alias("close_usd"),
            empty.alias("adj_close_usd"),
            empty.alias("volume"),
            pl.lit(f"split-adjusted as of {ADJUSTED_AS_OF['dsturdy']}").alias("price_basis"),
        )
    )
    for src in ("spooky", "dieperdev"):
        fr = inp[src].filter((pl.col("date") >= FIRST_DAY) & pl.col("ticker").is_in(tickers))
        frames.append(
            fr.select(
                "ticker",
                "date",
                pl.lit(src).alias("source_id"),
                pl.col("open").alias("open_usd"),
                pl.col("high").alias("high_usd"),
                pl.col("low").alias("low_usd"),
                pl.col("close").alias("close_usd"),
                pl.col("adj_close").alias("adj_close_usd"),
                "volume",
                pl.lit(f"split-adjusted as of {ADJUSTED_AS_OF[src]}").alias("price_basis"),
            )
        )
    out = pl.concat(frames).filter(pl.col("close_usd").is_not_null() & (pl.col("close_usd") > 0))
    dup = out.select("ticker", "date", "source_id").is_duplicated()
    if dup.any():
        raise SystemExit(f"duplicate price keys: {out.filter(dup).head()}")
    return out.sort("ticker", "date", "source_id")


# -- shares -------------------------------------------------------------------------------------


def _concept(kind: str) -> str:
    k = kind.lower()
    if "cover" in k or "dei:" in k:
        return "dei:EntityCommonStockSharesOutstanding"
    if "balance sheet" in k:
        return "us-gaap:CommonStockSharesOutstanding"
    if "statement of equity" in k:
        return "us-gaap:SharesOutstanding"
    return "reported"


def build_sec_shares(inp: dict[str, pl.DataFrame], screener_cp: pl.DataFrame, corrections: list[dict]) -> pl.DataFrame:
    sec = inp["sec"]
    rows = []
    for r in sec.iter_rows(named=True):
        t, as_of, n = r["ticker"], date.fromisoformat(r["as_of_date"]), float(r["shares_outstanding"])
        note = r["share_class_note"]
        kind = r["source_kind"]
        src = r["source_url_or_repo_path"]
        if "ISSUED" in note:
            corrections.append(
                _correction(
                    t,
                    as_of,
                    raw_value=n,
                    used_value=None,
                    action="excluded",
                    reason="equity-statement count of shares ISSUED (includes treasury shares from buybacks), "
                    "not outstanding; the balance-sheet/cover count is used",
                    source_id="sec_filings",
                )
            )
            continue
        if "AS_OF_DATE IS THE PERIOD END" in note:
            seen = screener_cp.filter(
                (pl.col("ticker") == t) & ((pl.col("shares") - n).abs() < 0.5) & (pl.col("date") > as_of)
            )
            if seen.height == 0:
                corrections.append(
                    _correction(
                        t,
                        as_of,
                        raw_value=n,
                        used_value=None,
                        action="excluded",
                        reason="cover count dated at the period end (the real cover date is later and unknown) and "
                        "never seen in the screener: using it from the period end would be look-ahead",
                        source_id="sec_filings",
                        field="as_of_date",
                    )
                )
                continue
            new_date = seen["date"].min()
            corrections.append(
                _correction(
                    t,
                    as_of,
                    raw_value=n,
                    used_value=n,
                    action=f"redated to {new_date}",
                    reason="cover count carried the period end as its date; the cover date is later and unknown, so "
                    "the fact is dated by the first day NASDAQ showed this exact count (no look-ahead)",
                    source_id="sec_filings",
                    field="as_of_date",
                )
            )
            note = f"{note.split(';')[0]}; re-dated from period end {as_of} to first NASDAQ sighting"
            as_of = new_date
        accession = None
        if "accession" in src:
            accession = src.split("accession ")[1].rstrip(")")
        form = None
        for f_ in ("10-K/A", "10-Q/A", "10-K", "10-Q", "20-F"):
            if f_ in kind:
                form = f_
                break
        rows.append(
            dict(
                ticker=t,
                as_of_date=as_of,
                source_id="sec_filings",
                share_class="all",
                concept=_concept(kind),
                shares_outstanding=n,
                filed_date=None,
                accession=accession,
                form=form,
                note=f"{note} | {kind} | {src}"[:500],
            )
        )
    df = pl.DataFrame(rows)
    # Same fact read twice (e.g. cover and balance sheet both dated the period end): keep one per concept.
    return df.unique(subset=["ticker", "as_of_date", "source_id", "share_class", "concept"], keep="first")


def screener_changepoints(scr: pl.DataFrame) -> pl.DataFrame:
    """Runs of the screener's implied share count (>0.1% change starts a new run), raw."""
    s = scr.filter(pl.col("implied_shares_derived").is_not_null() & (pl.col("implied_shares_derived") > 0)).sort(
        "ticker", "date"
    )
    rows = []
    for (ticker,), g in s.group_by(["ticker"], maintain_order=True):
        level = None
        for r in g.iter_rows(named=True):
            n = r["implied_shares_derived"]
            if level is None or abs(n / level - 1) > 0.001:
                level = n
                rows.append(
                    dict(
                        ticker=ticker,
                        date=r["date"],
                        shares=n,
                        last_sale=r["last_sale_usd"],
                        market_cap=r["market_cap_usd"],
                        commit=r["commit"],
                        name=r["name"],
                        days=1,
                    )
                )
            else:
                rows[-1]["days"] += 1
    return pl.DataFrame(rows)


def build_screener_shares(cp: pl.DataFrame, actions: pl.DataFrame, corrections: list[dict]) -> pl.DataFrame:
    """Accept each screener share-count run unless it is a jump that later reverts (a glitch)."""
    keep = []
    for (ticker,), g in cp.group_by(["ticker"], maintain_order=True):
        runs = g.sort("date").to_dicts()
        last = runs[-1]["date"]

        def units(r: dict, ticker: str = ticker, last: date = last) -> float:
            """The run's count in today's units (after later splits)."""
            return r["shares"] * split_factor(actions, ticker, r["date"], last)

        # Start from the first count NASDAQ kept for a week or more (one-day listing glitches come first).
        first_steady = next((r for r in runs if r["days"] >= 6), runs[0])
        trusted = units(first_steady)
        relist = RELISTED.get(ticker)
        ticker_splits = [(d, q) for t, d, q in actions.select("ticker", "date", "ratio").iter_rows() if t == ticker]
        for i, r in enumerate(runs):
            u = units(r)
            jump = max(u / trusted, trusted / u)
            reason = None
            if relist and r["date"] >= relist[0] and abs(r["shares"] - relist[1]) < 0.5:
                nxt = next(x for x in runs[i + 1 :] if abs(x["shares"] - relist[1]) >= 0.5)
                corrections.append(
                    _correction(
                        ticker,
                        r["date"],
                        raw_value=r["shares"],
                        used_value=nxt["shares"],
                        action=f"replaced from {relist[0]}",
                        reason=f"screener count {r['shares']:,.0f} is the cancelled pre-bankruptcy equity's, shown "
                        f"after the relisting on {relist[0]} for {r['days']} screener day(s); the new equity's "
                        f"first count {nxt['shares']:,.0f} (first seen {nxt['date']}) is used from the relisting "
                        f"day (an estimate: the count on the relisting day itself is not in the data)",
                    )
                )
                trusted = units(nxt)
                keep.append(
                    _screener_fact(
                        ticker,
                        relist[0],
                        float(nxt["shares"]),
                        f"NASDAQ screener count first seen {nxt['date']} (commit {nxt['commit']}), dated from "
                        f"the relisting {relist[0]}: NASDAQ showed the cancelled old equity's "
                        f"{relist[1]:,.0f} in between; {nxt['name']}",
                    )
                )
                continue
            if r["date"] < first_steady["date"] and jump > JUMP_BAND:
                reason = f"first screener count {r['shares']:,.0f} is {jump:.1f}x off the first steady count"
            elif jump > JUMP_BAND:
                horizon = r["date"] + timedelta(days=REVERT_DAYS)
                later = [x for x in runs[i + 1 :] if x["date"] <= horizon]
                if any(max(units(x) / trusted, trusted / units(x)) < REVERT_BAND for x in later):
                    reason = (
                        f"screener count jumped {jump:.1f}x without a split and later came back "
                        f"(ADS/ordinary basis flip or stale pre-split count)"
                    )
            ads = ORDINARY_PER_ADS.get(ticker)
            recent = [(d, q) for d, q in ticker_splits if timedelta(0) <= r["date"] - d <= timedelta(POST_SPLIT_DAYS)]
            nxt_run = runs[i + 1] if i + 1 < len(runs) else None
            if jump > JUMP_BAND and not reason and recent and nxt_run is not None:
                ex_date, q = recent[-1]
                pre = u * q
                nxt_u = units(nxt_run)
                if max(pre / trusted, trusted / pre) < JUMP_BAND and max(pre / nxt_u, nxt_u / pre) < REVERT_BAND:
                    converted = r["shares"] * q
                    corrections.append(
                        _correction(
                            ticker,
                            r["date"],
                            raw_value=r["shares"],
                            used_value=converted,
                            action="converted to post-split basis",
                            reason=f"screener count {r['shares']:,.0f} appeared {(r['date'] - ex_date).days} days "
                            f"after the split of {ex_date} (ratio {q:g}) and is {jump:.1f}x the count before it; "
                            f"times the ratio ({converted:,.0f}) it sits between the counts before and after "
                            f"({trusted:,.0f}, {nxt_u:,.0f}): a pre-split count; {r['days']} screener day(s)",
                        )
                    )
                    trusted = converted * split_factor(actions, ticker, r["date"], last)
                    keep.append(
                        _screener_fact(
                            ticker,
                            r["date"],
                            converted,
                            f"NASDAQ screener count {r['shares']:,.0f} on the pre-split basis, times the "
                            f"{ex_date} split ratio {q:g}; first seen {r['date']} (commit {r['commit']}); {r['name']}",
                        )
                    )
                    continue
            if reason and ads and r["date"] <= ads[1] and abs(jump / ads[0] - 1) < JUMP_BAND - 1:
                # An ordinary-share count: converted to ADSs (count / ratio) rather than dropped, since
                # it is often newer than the last ADS-basis count (ARBK 636.35M ordinary on 2024-09-09).
                converted = r["shares"] / ads[0]
                same = abs(u / ads[0] / trusted - 1) < 0.001  # both in today's units
                corrections.append(
                    _correction(
                        ticker,
                        r["date"],
                        raw_value=r["shares"],
                        used_value=None if same else converted,
                        action="excluded" if same else "converted to ADS basis",
                        reason=f"screener count {r['shares']:,.0f} is ordinary shares ({jump:.1f}x the ADS count; "
                        f"{ads[0]} ordinary shares per ADS): "
                        + (
                            "the same count as the ADS-basis fact already in force"
                            if same
                            else f"used as {converted:,.1f} ADSs"
                        )
                        + f"; {r['days']} screener day(s) from {r['date']}",
                    )
                )
                if same:
                    continue
                trusted = u / ads[0]
                keep.append(
                    _screener_fact(
                        ticker,
                        r["date"],
                        converted,
                        f"NASDAQ screener count {r['shares']:,.0f} on the ordinary-share basis, divided by "
                        f"{ads[0]} ordinary shares per ADS; first seen {r['date']} (commit {r['commit']}); {r['name']}",
                    )
                )
                continue
            if reason:
                corrections.append(
                    _correction(
                        ticker,
                        r["date"],
                        raw_value=r["shares"],
                        used_value=None,
                        action="excluded",
                        reason=f"{reason}; {r['days']} screener day(s) from {r['date']}",
                    )
                )
                continue
            trusted = u
            keep.append(
                _screener_fact(
                    ticker,
                    r["date"],
                    float(r["shares"]),
                    f"implied by NASDAQ screener market cap / last sale, first seen {r['date']} "
                    f"(commit {r['commit']}); NASDAQ's count lags SEC covers by days; {r['name']}",
                )
            )
    return pl.DataFrame(keep)


def _screener_fact(ticker: str, as_of_date: date, shares: float, note: str) -> dict:
    """A shares fact read from the NASDAQ screener (market cap / last sale), note cut to 500 characters."""
    return dict(
        ticker=ticker,
        as_of_date=as_of_date,
        source_id="nasdaq_screener",
        share_class="listed",
        concept="nasdaq:marketCap/lastSale",
        shares_outstanding=shares,
        filed_date=None,
        accession=None,
        form=None,
        note=note[:500],
    )


def _correction(
    ticker: str,
    day: date | None,
    *,
    raw_value: float,
    used_value: float | None,
    action: str,
    reason: str,
    source_id: str = "nasdaq_screener",
    field: str = "shares_outstanding",
) -> dict:
    """A corrections-log row: what was read, what is used instead (None: excluded), and why."""
    return dict(
        ticker=ticker,
        date=day,
        source_id=source_id,
        field=field,
        raw_value=raw_value,
        used_value=used_value,
        action=action,
        reason=reason,
    )


# -- market caps (cross-check only) -------------------------------------------------------------


def build_market_caps(inp: dict[str, pl.DataFrame]) -> pl.DataFrame:
    scr = inp["screener"].filter(pl.col("market_cap_usd").is_not_null())
    daily = scr.select(
        "ticker",
        "date",
        pl.lit("nasdaq_screener").alias("source_id"),
        "market_cap_usd",
        pl.col("last_sale_usd").alias("price_usd"),
        pl.format("{}; commit {}", pl.col("date_check"), pl.col("commit")).alias("note"),
    )
    caps = inp["caps"].select(
        pl.col("ticker_or_group").alias("ticker"),
        pl.col("date").str.to_date(),
        pl.when(pl.col("note").str.starts_with("NASDAQ screener"))
        .then(pl.lit("screener_month_end"))
        .otherwise(pl.lit("third_party"))
        .alias("source_id"),
        pl.col("market_cap_usd").cast(pl.Float64),
        pl.lit(None, dtype=pl.Float64).alias("price_usd"),
        pl.format("{} ({})", pl.col("note"), pl.col("source_url")).alias("note"),
    )
    return pl.concat([daily, caps]).sort("ticker", "date", "source_id")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    shared: Path = args.shared
    inp = load_inputs(shared)
    corrections: list[dict] = []

    actions = detect_actions(inp["screener"], {"dsturdy": inp["dsturdy"], "dieperdev": inp["dieperdev"]})
    prices = build_prices(inp, actions, corrections)
    cp = screener_changepoints(inp["screener"])
    scr_shares = build_screener_shares(cp, actions, corrections)
    sec_shares = build_sec_shares(inp, cp, corrections)
    shares = (
        pl.concat([sec_shares, scr_shares], how="vertical_relaxed")
        .with_columns(pl.col("filed_date").cast(pl.Date))
        .sort("ticker", "as_of_date", "source_id", "share_class", "concept", "shares_outstanding")
    )
    caps = build_market_caps(inp)
    corr = (
        pl.DataFrame(
            corrections,
            schema={
                "ticker": pl.Utf8,
                "date": pl.Date,
                "source_id": pl.Utf8,
                "field": pl.Utf8,
                "raw_value": pl.Float64,
                "used_value": pl.Float64,
                "action": pl.Utf8,
                "reason": pl.Utf8,
            },
        )
        .with_row_index("correction_id", offset=1)
        .with_columns(pl.col("correction_id").cast(pl.Int64))
    )

    outputs = {
        "equities_prices.parquet": prices,
        "equities_shares.parquet": shares,
        "equities_corporate_actions.parquet": actions,
        "equities_market_caps.parquet": caps,
        "equities_corrections.parquet": corr,
    }
    manifest: dict = {"schema": 1, "inputs": {}, "outputs": {}, "adjusted_as_of": ADJUSTED_AS_OF}
    for key, meta in INPUTS.items():
        path = shared / meta["file"]
        manifest["inputs"][key] = {**meta, "sha256": sha256_file(path), "bytes": path.stat().st_size}
    for name, frame in outputs.items():
        path = OUT / name
        frame.write_parquet(path, compression="zstd", compression_level=19, statistics=False)
        date_col = next((c for c in ("date", "as_of_date") if c in frame.columns), None)
        entry: dict = {"rows": frame.height, "sha256": sha256_file(path)}
        if date_col and frame[date_col].drop_nulls().len():
            entry["date_range"] = [str(frame[date_col].min()), str(frame[date_col].max())]
        manifest["outputs"][name] = entry
    (OUT / "equities_manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for name, entry in manifest["outputs"].items():
        print(f"{name}: {entry['rows']} rows {entry.get('date_range')}")
    print(actions)
    print(corr.group_by("source_id", "field", "action").len().sort("len", descending=True))


if __name__ == "__main__":
    main()
