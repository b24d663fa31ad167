"""The facts of the monthly note: every figure with value, unit, text, formula, inputs and provenance.

`gather` calls the service functions once; `facts_from` turns their answers into the facts dict
(the content of facts.json and of /api/v1/report/{month}). A figure looks like

    {"value": 54372.05, "unit": "USD per EH/s per day", "text": "$54,372",
     "formula": "...", "inputs": {...}, "sources": [{"table", "source_id", "payload_sha256",
     "first_date", "last_date", "rows"}]}

`text` is exactly how the note prints the number (see `report.fmt`); `sources` are the store rows
the figure was computed from, by source and payload hash.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl

from minerwatch import service
from minerwatch.errors import DataGap
from minerwatch.metrics import market as mk
from minerwatch.metrics import network as nw
from minerwatch.report import fmt
from minerwatch.report.defaults import CHART_WINDOW_MONTHS, DEFAULT_EFFICIENCY_JTH, DEFAULT_POWER_USD_KWH
from minerwatch.store import Store

__all__ = ["CHART_WINDOW_MONTHS", "DEFAULT_EFFICIENCY_JTH", "DEFAULT_POWER_USD_KWH", "build_facts", "figure", "gather"]
FACTS_VERSION = 1


@dataclass
class Inputs:
    """The service answers one note is made from (None + a reason when a section has no data)."""

    month: str
    hp: dict[str, Any]
    hp_prev: dict[str, Any] | None
    btc: dict[str, Any]
    basket: dict[str, Any] | None
    econ: dict[str, Any] | None
    efficiency_jth: float
    power_usd_kwh: float
    default_fleet: bool
    missing: dict[str, str] = field(default_factory=dict)
    basket_explain: dict[str, Any] | None = None
    halving: dict[str, Any] | None = None


#: The block subsidy of the first era, BTC per block; it halves every HALVING_INTERVAL blocks.
INITIAL_SUBSIDY_BTC = 50.0
HALVING_INTERVAL = 210_000
#: A day whose issuance per block is within this fraction of an era's subsidy is wholly in that era
#: (Coin Metrics' 19 April 2024 is 1.3% low: 151 blocks counted, 149 blocks' issuance); further off,
#: the day mixes two eras (28 Nov 2012 -19%, 9 Jul 2016 -18%, 11 May 2020 -9%).
ERA_TOLERANCE = 0.02


def subsidy_era(subsidy_btc: float | None, block_count: int | None) -> tuple[int, bool] | None:
    """(era, mixed) of a day from its issuance per block: era k pays 50 / 2^k BTC; mixed = k to k+1 that day."""
    if subsidy_btc is None or not block_count or subsidy_btc <= 0:
        return None
    per_block = subsidy_btc / block_count
    e = math.log2(INITIAL_SUBSIDY_BTC / per_block)
    k = round(e)
    if abs(per_block / (INITIAL_SUBSIDY_BTC / 2**k) - 1) <= ERA_TOLERANCE:
        return k, False
    return math.floor(e), True


def subsidy_halving(
    dates: list[date],
    subsidy_btc: list[float | None],
    block_count: list[int | None],
    usd_per_ehs_day: list[float | None],
) -> dict[str, Any] | None:
    """The subsidy halving inside these days (day, height, subsidy and mean hashprice before/after), or None.

    The halving day is the first day that mixes two eras, or else the first day of a later era than
    the days before it. The height is the protocol's (era x 210,000), not a count of blocks. The
    means are over the days before the halving day and the days after it (that day is in neither).
    """
    found = None
    era_before = None
    for d, sub, blocks in zip(dates, subsidy_btc, block_count, strict=True):
        got = subsidy_era(sub, blocks)
        if got is None:
            continue
        era, mixed = got
        if mixed:
            found = (d, era + 1)
            break
        if era_before is not None and era > era_before:
            found = (d, era)
            break
        era_before = era
    if found is None:
        return None
    day, k = found
    before = [hp for d, hp in zip(dates, usd_per_ehs_day, strict=True) if d < day and hp is not None]
    after = [hp for d, hp in zip(dates, usd_per_ehs_day, strict=True) if d > day and hp is not None]
    return {
        "date": day,
        "height": k * HALVING_INTERVAL,
        "subsidy_before_btc": INITIAL_SUBSIDY_BTC / 2 ** (k - 1),
        "subsidy_after_btc": INITIAL_SUBSIDY_BTC / 2**k,
        "days_before": len(before),
        "days_after": len(after),
        "usd_per_ehs_day_before": round(sum(before) / len(before), 2) if before else None,
        "usd_per_ehs_day_after": round(sum(after) / len(after), 2) if after else None,
    }


def _optional_service(module: str, func: str) -> Any:
    """A service function from a module that may not be installed in this build, or None."""
    try:
        mod = importlib.import_module(f"minerwatch.{module}")
    except ImportError:
        return None
    return getattr(mod, func, None)


def gather(
    store: Store,
    month: str,
    *,
    efficiency_jth: float = DEFAULT_EFFICIENCY_JTH,
    power_usd_kwh: float = DEFAULT_POWER_USD_KWH,
) -> Inputs:
    """Call every service the note needs; network and BTC are required, equities and economics optional."""
    service.parse_month(month)
    _check_positive(efficiency_jth, "--efficiency-jth", "J/TH, e.g. 20")
    _check_positive(power_usd_kwh, "--power-usd-kwh", "USD per kWh, e.g. 0.05")
    hp = service.hashprice_month(store, month)  # DataGap here: the month is outside the data
    btc = service.btc_month(store, month)
    try:
        hp_prev: dict[str, Any] | None = service.hashprice_month(store, mk.previous_month(month))
    except DataGap:
        hp_prev = None
    missing: dict[str, str] = {}

    basket = None
    basket_month = _optional_service("service_basket", "basket_month")
    if basket_month is None:
        missing["equities"] = "this build of minerwatch has no miner-equities service"
    else:
        try:
            basket = basket_month(store, month)
        except DataGap as exc:
            missing["equities"] = str(exc)
        if basket is not None and not basket.get("members_priced"):
            missing["equities"] = _no_priced_members(basket, month)
            basket = None
    explain_fn = _optional_service("service_basket", "basket_explain") if basket is not None else None
    explain = None
    if explain_fn is not None:
        try:
            explain = explain_fn(store, month)
        except DataGap:
            explain = None

    econ = None
    economics_month = _optional_service("service_economics", "economics_month")
    if economics_month is None:
        missing["economics"] = "this build of minerwatch has no mining-economics service"
    else:
        try:
            econ = economics_month(store, month, efficiency_jth=efficiency_jth, power_usd_kwh=power_usd_kwh)
        except DataGap as exc:
            missing["economics"] = str(exc)
    default_fleet = efficiency_jth == DEFAULT_EFFICIENCY_JTH and power_usd_kwh == DEFAULT_POWER_USD_KWH
    first, last = service.parse_month(month)
    halving = halving_in(store, first, last, estimator=hp["estimator"], basis=hp["basis"])
    return Inputs(
        month, hp, hp_prev, btc, basket, econ, efficiency_jth, power_usd_kwh, default_fleet, missing, explain, halving
    )


def halving_in(store: Store, first: date, last: date, **network_options: Any) -> dict[str, Any] | None:
    """`subsidy_halving` in the store's days from `first` to `last` (the day before is read to know the era)."""
    daily = service.network_daily(store, first, last, **network_options).select("date", "usd_per_ehs_day")
    net = service.network_facts(store, first - timedelta(days=1), last).select("date", "block_count", "subsidy_btc")
    rows = net.join(daily, on="date", how="left").sort("date")
    found = subsidy_halving(
        rows["date"].to_list(),
        rows["subsidy_btc"].to_list(),
        rows["block_count"].to_list(),
        rows["usd_per_ehs_day"].to_list(),  # null on the day before the month: daily starts at `first`
    )
    return found if found is not None and found["date"] >= first else None


def _no_priced_members(basket: dict[str, Any], month: str) -> str:
    """Why a basket month has no aggregate: no members that month, or none with both market caps."""
    total = basket.get("members_total") or 0
    if not total:
        return f"the basket has no members in {month}"
    reasons = "; ".join(f"{m.get('ticker')}: {m.get('reason')}" for m in basket.get("missing") or [])
    return f"none of the {total} members has a market cap at both ends of the month" + (
        f" ({reasons})" if reasons else ""
    )


def _check_positive(value: float, flag: str, what: str) -> None:
    from minerwatch.errors import InputError

    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{flag} must be a positive number ({what}); got {value!r}")


# -- provenance --------------------------------------------------------------------------------------


def _provenance(frame: pl.DataFrame, table: str, date_col: str = "date") -> list[dict[str, Any]]:
    """Rows of a frame grouped by (source_id, payload_sha256) with their date range and count."""
    if frame.height == 0:
        return []
    g = (
        frame.group_by("source_id", "payload_sha256")
        .agg(pl.col(date_col).min().alias("first"), pl.col(date_col).max().alias("last"), pl.len().alias("rows"))
        .sort("source_id", "first")
    )
    return [
        {
            "table": table,
            "source_id": r["source_id"],
            "payload_sha256": r["payload_sha256"],
            "first_date": _iso(r["first"]),
            "last_date": _iso(r["last"]),
            "rows": int(r["rows"]),
        }
        for r in g.iter_rows(named=True)
    ]


def _round(value: float | None, ndigits: int) -> float | None:
    return None if value is None else round(value, ndigits)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _table_provenance(store: Store, table: str, where: str, params: list[Any], date_col: str = "date") -> list[dict]:
    frame = store.query(f"SELECT source_id, payload_sha256, {date_col} FROM {table} WHERE {where}", params)
    return _provenance(frame, table, date_col)


@dataclass
class _Prov:
    network: list[dict]
    prices: list[dict]
    network_prev: list[dict]
    prices_prev: list[dict]
    closes_history: list[dict]
    ohlc: list[dict]
    equities: list[dict]
    equities_by_ticker: dict[str, list[dict]]


def _rows_matching(store: Store, table: str, cols: tuple[str, ...], keys: list[tuple], date_col: str) -> pl.DataFrame:
    """Rows of `table` whose `cols` equal one of `keys` (ticker, date, source_id[, concept])."""
    if not keys:
        return pl.DataFrame()
    one = "(" + " AND ".join(f"{c} = ?" for c in cols) + ")"
    where = " OR ".join(one for _ in keys)
    params = [v for k in keys for v in k]
    return store.query(f"SELECT ticker, source_id, payload_sha256, {date_col} FROM {table} WHERE {where}", params)


def _equities_provenance(store: Store, inp: Inputs) -> tuple[list[dict], dict[str, list[dict]]]:
    """The exact equity price and shares rows behind each member's market caps (from basket_explain).

    Returns (all rows, by key) where the key is `TICKER@start`, `TICKER@end` or `TICKER` (both ends).
    """
    if inp.basket is None:
        return [], {}
    explain = inp.basket_explain or {}
    dates = {"start": explain.get("start_date"), "end": explain.get("end_date")}
    by_key: dict[str, list[dict]] = {}
    everything: list[dict] = []
    for side, day in dates.items():
        price_keys: list[tuple] = []
        share_keys: list[tuple] = []
        for m in explain.get("members", []):
            t = m["ticker"]
            price_keys.append((t, day, m[f"{side}_price_source"]))
            source, _, concept = str(m[f"{side}_shares_source"]).partition(" ")
            share_keys.append((t, m[f"{side}_shares_as_of"], source, concept))
        prices = _rows_matching(store, "equity_prices_daily", ("ticker", "date", "source_id"), price_keys, "date")
        shares = _rows_matching(
            store, "shares_facts", ("ticker", "as_of_date", "source_id", "concept"), share_keys, "as_of_date"
        )
        for frame, table, col in ((prices, "equity_prices_daily", "date"), (shares, "shares_facts", "as_of_date")):
            if frame.height == 0:
                continue
            everything += _provenance(frame, table, col)
            for t in sorted(set(frame["ticker"].to_list())):
                rows = _provenance(frame.filter(pl.col("ticker") == t), table, col)
                by_key.setdefault(f"{t}@{side}", []).extend(rows)
                by_key.setdefault(t, []).extend(rows)
    return _merge(everything), {k: _merge(v) for k, v in by_key.items()}


def _merge(prov: list[dict]) -> list[dict]:
    """Join provenance entries of the same (table, source, payload): widest date range, summed rows."""
    out: dict[tuple, dict] = {}
    for p in prov:
        key = (p["table"], p["source_id"], p["payload_sha256"])
        if key not in out:
            out[key] = dict(p)
            continue
        cur = out[key]
        cur["first_date"] = min(cur["first_date"], p["first_date"])
        cur["last_date"] = max(cur["last_date"], p["last_date"])
        cur["rows"] += p["rows"]
    return sorted(out.values(), key=lambda p: (p["table"], p["source_id"], p["first_date"], p["payload_sha256"]))


def _gather_provenance(store: Store, inp: Inputs) -> _Prov:
    first, last = service.parse_month(inp.month)
    pfirst, plast = service.parse_month(mk.previous_month(inp.month))
    ohlc: list[dict] = []
    if inp.btc.get("low_high_basis") == "intraday":
        o = service.btc_ohlc(store, first, last)
        for sid in sorted(set(o["source_id"].to_list())):
            ohlc += _table_provenance(
                store,
                "btc_prices_daily",
                "source_id = ? AND date BETWEEN ? AND ? AND high_usd IS NOT NULL",
                [sid, first, last],
            )
    equities, by_ticker = _equities_provenance(store, inp)
    return _Prov(
        network=_provenance(service.network_facts(store, first, last), "network_daily"),
        prices=_provenance(service.btc_closes(store, first, last), "btc_prices_daily"),
        network_prev=_provenance(service.network_facts(store, pfirst, plast), "network_daily") if inp.hp_prev else [],
        prices_prev=_provenance(service.btc_closes(store, pfirst, plast), "btc_prices_daily") if inp.hp_prev else [],
        closes_history=_provenance(service.btc_closes(store, None, last), "btc_prices_daily"),
        ohlc=ohlc,
        equities=equities,
        equities_by_ticker=by_ticker,
    )


# -- figures -----------------------------------------------------------------------------------------


def figure(
    value: Any,
    unit: str,
    text: str,
    formula: str,
    inputs: dict[str, Any] | None = None,
    sources: list[dict] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One figure of the note: its value, unit, printed text, formula, inputs and provenance."""
    out = {"value": _iso(value), "unit": unit, "text": text, "formula": formula, "inputs": inputs or {}}
    out.update(extra)
    out["sources"] = sources or []
    return out


def _pct_fig(value: float | None, formula: str, inputs: dict, sources: list[dict]) -> dict:
    return figure(value, "percent", fmt.pct(value), formula, inputs, sources, signed=fmt.signed_pct(value))


def _network_section(inp: Inputs, prov: _Prov) -> dict:
    hp, prev = inp.hp, inp.hp_prev
    month_src = prov.network + prov.prices
    prev_src = prov.network_prev + prov.prices_prev
    basis = {"estimator": hp["estimator"], "basis": hp["basis"], "days": hp["days"]}
    daily = "mean over the month's days of daily "
    figs = {
        "hashprice_usd_per_ehs_day": figure(
            hp["usd_per_ehs_day"],
            "USD per EH/s per day",
            fmt.usd(hp["usd_per_ehs_day"]),
            daily + "metrics.network.hashprice_usd_per_ehs_day = revenue_btc x close_usd / hashrate_ehs",
            {**basis, "blocks": hp["blocks"], "subsidy_btc": hp["subsidy_btc"], "fees_btc": hp["fees_btc"]},
            month_src,
        ),
        "hashprice_btc_per_ehs_day": figure(
            hp["btc_per_ehs_day"],
            "BTC per EH/s per day",
            fmt.btc(hp["btc_per_ehs_day"]),
            daily + "metrics.network.hashprice_btc_per_ehs_day = revenue_btc / hashrate_ehs",
            basis,
            prov.network,
        ),
        "hashprice_usd_per_phs_day": figure(
            hp["usd_per_phs_day"],
            "USD per PH/s per day",
            fmt.usd(hp["usd_per_phs_day"]),
            daily + "metrics.network.usd_per_phs_day = usd_per_ehs_day / 1000",
            basis,
            month_src,
        ),
        "hashprice_mom_change_pct": _pct_fig(
            hp["mom_change_pct"],
            "metrics.network.pct_change(usd_per_ehs_day, previous_usd_per_ehs_day)",
            {
                "usd_per_ehs_day": hp["usd_per_ehs_day"],
                "previous_usd_per_ehs_day": hp["previous_usd_per_ehs_day"],
                "previous_month": hp["previous_month"],
            },
            month_src + prev_src,
        ),
        "previous_hashprice_usd_per_ehs_day": figure(
            hp["previous_usd_per_ehs_day"],
            "USD per EH/s per day",
            fmt.usd(hp["previous_usd_per_ehs_day"]),
            daily + "metrics.network.hashprice_usd_per_ehs_day",
            {"month": hp["previous_month"]},
            prev_src,
        ),
        "hashrate_ehs": figure(
            hp["hashrate_ehs"],
            "EH/s",
            fmt.ehs(hp["hashrate_ehs"]),
            daily + "metrics.network.hashrate_ehs_from_blockcount = blocks / 144 x difficulty x 2^32 / 600 / 1e18"
            if hp["estimator"].startswith("blockcount")
            else daily + "metrics.network.hashrate_ehs_from_difficulty = difficulty x 2^32 / 600 / 1e18",
            basis,
            prov.network,
        ),
        "hashrate_mom_change_pct": _pct_fig(
            hp["hashrate_mom_change_pct"],
            "metrics.network.pct_change(hashrate_ehs, previous_hashrate_ehs)",
            {"hashrate_ehs": hp["hashrate_ehs"], "previous_hashrate_ehs": hp["previous_hashrate_ehs"]},
            prov.network + prov.network_prev,
        ),
        "previous_hashrate_ehs": figure(
            hp["previous_hashrate_ehs"],
            "EH/s",
            fmt.ehs(hp["previous_hashrate_ehs"]),
            daily + "hashrate_ehs",
            {"month": hp["previous_month"]},
            prov.network_prev,
        ),
        "difficulty_mean": figure(
            hp["difficulty_mean"],
            "difficulty (T = 10^12)",
            fmt.difficulty(hp["difficulty_mean"]),
            "mean over the month's days of the day's block-weighted mean difficulty",
            {"days": hp["days"]},
            prov.network,
        ),
        "previous_difficulty_mean": figure(
            prev["difficulty_mean"] if prev else None,
            "difficulty (T = 10^12)",
            fmt.difficulty(prev["difficulty_mean"] if prev else None),
            "mean over the previous month's days of the day's block-weighted mean difficulty",
            {"month": hp["previous_month"]},
            prov.network_prev,
        ),
        "difficulty_mom_change_pct": _pct_fig(
            _round(nw.pct_change(hp["difficulty_mean"], prev["difficulty_mean"] if prev else None), 2),
            "metrics.network.pct_change(difficulty_mean, previous_difficulty_mean)",
            {
                "difficulty_mean": hp["difficulty_mean"],
                "previous_difficulty_mean": prev["difficulty_mean"] if prev else None,
            },
            prov.network + prov.network_prev,
        ),
        "previous_hashprice_btc_per_ehs_day": figure(
            prev["btc_per_ehs_day"] if prev else None,
            "BTC per EH/s per day",
            fmt.btc(prev["btc_per_ehs_day"] if prev else None),
            daily + "metrics.network.hashprice_btc_per_ehs_day, previous month",
            {"month": hp["previous_month"]},
            prov.network_prev,
        ),
        "hashprice_btc_mom_change_pct": _pct_fig(
            _round(nw.pct_change(hp["btc_per_ehs_day"], prev["btc_per_ehs_day"] if prev else None), 2),
            "metrics.network.pct_change(btc_per_ehs_day, previous_btc_per_ehs_day)",
            {
                "btc_per_ehs_day": hp["btc_per_ehs_day"],
                "previous_btc_per_ehs_day": prev["btc_per_ehs_day"] if prev else None,
            },
            prov.network + prov.network_prev,
        ),
        "fee_share_pct": _pct_fig(
            hp["fee_share_pct"],
            "metrics.network.fee_share_pct = 100 x fees_btc / (subsidy_btc + fees_btc), month totals",
            {"fees_btc": hp["fees_btc"], "subsidy_btc": hp["subsidy_btc"]},
            prov.network,
        ),
        "previous_fee_share_pct": _pct_fig(
            prev["fee_share_pct"] if prev else None,
            "metrics.network.fee_share_pct, previous month totals",
            {"month": hp["previous_month"]},
            prov.network_prev,
        ),
        "fee_share_change_pct_points": figure(
            _round(hp["fee_share_pct"] - prev["fee_share_pct"], 2)
            if prev and hp["fee_share_pct"] is not None and prev["fee_share_pct"] is not None
            else None,
            "percentage points",
            fmt.pct_points(
                hp["fee_share_pct"] - prev["fee_share_pct"]
                if prev and hp["fee_share_pct"] is not None and prev["fee_share_pct"] is not None
                else None
            ),
            "fee_share_pct - previous_fee_share_pct",
            {"fee_share_pct": hp["fee_share_pct"], "previous_fee_share_pct": prev["fee_share_pct"] if prev else None},
            prov.network + prov.network_prev,
        ),
        "blocks": figure(hp["blocks"], "blocks", fmt.count(hp["blocks"]), "sum of block_count", {}, prov.network),
        "subsidy_btc": figure(
            hp["subsidy_btc"], "BTC", fmt.btc(hp["subsidy_btc"], 2), "sum of subsidy_btc", {}, prov.network
        ),
        "fees_btc": figure(hp["fees_btc"], "BTC", fmt.btc(hp["fees_btc"], 2), "sum of fees_btc", {}, prov.network),
        "days": figure(
            hp["days"], "days", fmt.count(hp["days"]), "days with network facts and a BTC close", {}, month_src
        ),
        "days_in_month": figure(hp["days_in_month"], "days", fmt.count(hp["days_in_month"]), "calendar", {}, []),
    }
    figs.update(_halving_figures(inp.halving or {}, basis, month_src, prov.network))
    return {"status": "ok", "reason": None, "figures": figs}


def _halving_figures(h: dict[str, Any], basis: dict[str, Any], month_src: list[dict], net_src: list[dict]) -> dict:
    """The subsidy halving of the month, if any (values None otherwise): date, subsidy and hashprice around it."""
    era = (
        "first day mixing two subsidy eras (or of a later era) by issuance per block, subsidy_btc / block_count, "
        "era k paying 50 / 2^k BTC"
    )
    mean = "mean of daily metrics.network.hashprice_usd_per_ehs_day over the month's days "
    day = _iso(h.get("date"))
    return {
        "halving_date": figure(
            day,
            "date",
            fmt.day_label(day, day[:7]) if day else "n/a",
            era,
            {},
            net_src,
        ),
        "halving_height": figure(
            h.get("height"),
            "block height",
            fmt.count(h.get("height")),
            "the first block with the halved subsidy: era x 210,000",
            {},
            net_src,
        ),
        "halving_subsidy_before_btc": figure(
            h.get("subsidy_before_btc"),
            "BTC per block",
            fmt.subsidy(h.get("subsidy_before_btc")),
            "50 / 2^(halving height / 210,000 - 1)",
            {},
            net_src,
        ),
        "halving_subsidy_after_btc": figure(
            h.get("subsidy_after_btc"),
            "BTC per block",
            fmt.subsidy(h.get("subsidy_after_btc")),
            "50 / 2^(halving height / 210,000)",
            {},
            net_src,
        ),
        "halving_days_before": figure(
            h.get("days_before"),
            "days",
            fmt.count(h.get("days_before")),
            "days of the month before halving_date with a hashprice",
            {},
            month_src,
        ),
        "halving_days_after": figure(
            h.get("days_after"),
            "days",
            fmt.count(h.get("days_after")),
            "days of the month after halving_date with a hashprice",
            {},
            month_src,
        ),
        "hashprice_before_halving_usd_per_ehs_day": figure(
            h.get("usd_per_ehs_day_before"),
            "USD per EH/s per day",
            fmt.usd(h.get("usd_per_ehs_day_before")),
            mean + "before halving_date",
            basis,
            month_src,
        ),
        "hashprice_halving_change_pct": _pct_fig(
            _round(nw.pct_change(h.get("usd_per_ehs_day_after"), h.get("usd_per_ehs_day_before")), 2),
            "metrics.network.pct_change(hashprice_after_halving, hashprice_before_halving)",
            {"before": h.get("usd_per_ehs_day_before"), "after": h.get("usd_per_ehs_day_after")},
            month_src,
        ),
        "hashprice_after_halving_usd_per_ehs_day": figure(
            h.get("usd_per_ehs_day_after"),
            "USD per EH/s per day",
            fmt.usd(h.get("usd_per_ehs_day_after")),
            mean + "after halving_date",
            basis,
            month_src,
        ),
    }


def _btc_section(inp: Inputs, prov: _Prov) -> dict:
    b, month = inp.btc, inp.month
    month_src = prov.prices
    lh_src = prov.ohlc if b.get("low_high_basis") == "intraday" else prov.prices
    usd = "USD per BTC"
    figs = {
        "close_usd": figure(
            b["close_usd"],
            usd,
            fmt.usd(b["close_usd"]),
            "close on the month's last day",
            {"date": _iso(b["close_date"])},
            month_src,
        ),
        "close_date": figure(
            b["close_date"], "date", fmt.day_label(b["close_date"], month), "last day with a close", {}, month_src
        ),
        "open_usd": figure(
            b["open_usd"],
            usd,
            fmt.usd(b["open_usd"]),
            "close on the day before the month",
            {"date": _iso(b["open_date"])},
            prov.closes_history,
        ),
        "change_pct": _pct_fig(
            b["change_pct"],
            "metrics.market.change_pct(open_usd, close_usd)",
            {"open_usd": b["open_usd"], "close_usd": b["close_usd"]},
            prov.closes_history,
        ),
        "change_30d_pct": _pct_fig(
            b["change_30d_pct"],
            "metrics.market.change_pct(close 30 days earlier, close_usd)",
            {"close_usd": b["close_usd"], "window_days": 30},
            prov.closes_history,
        ),
        "change_30d_window_days": figure(30, "days", "30", "trailing window of change_30d_pct", {}, []),
        "low_usd": figure(
            b["low_usd"],
            usd,
            fmt.usd(b["low_usd"]),
            f"minimum {b['low_high_basis']} low in the month",
            {"basis": b["low_high_basis"]},
            lh_src,
        ),
        "low_date": figure(b["low_date"], "date", fmt.day_label(b["low_date"], month), "date of low_usd", {}, lh_src),
        "high_usd": figure(
            b["high_usd"],
            usd,
            fmt.usd(b["high_usd"]),
            f"maximum {b['low_high_basis']} high in the month",
            {"basis": b["low_high_basis"]},
            lh_src,
        ),
        "high_date": figure(
            b["high_date"], "date", fmt.day_label(b["high_date"], month), "date of high_usd", {}, lh_src
        ),
        "ath_close_usd": figure(
            b["ath_close_usd"],
            usd,
            fmt.usd(b["ath_close_usd"]),
            "metrics.market.all_time_high(closes, as_of=month end)",
            {},
            prov.closes_history,
        ),
        "ath_close_date": figure(
            b["ath_close_date"],
            "date",
            fmt.day_label(b["ath_close_date"], month),
            "date of ath_close_usd",
            {},
            prov.closes_history,
        ),
        "ath_intraday_usd": figure(
            b["ath_intraday_usd"],
            usd,
            fmt.usd(b["ath_intraday_usd"]),
            "metrics.market.all_time_high(intraday highs and closes, as_of=month end)",
            {},
            prov.closes_history,
        ),
        "ath_intraday_date": figure(
            b["ath_intraday_date"],
            "date",
            fmt.day_label(b["ath_intraday_date"], month),
            "date of ath_intraday_usd",
            {},
            prov.closes_history,
        ),
        "drawdown_from_ath_pct": _pct_fig(
            b["drawdown_from_ath_pct"],
            "metrics.market.drawdown_pct(close_usd, ath_close_usd)",
            {"close_usd": b["close_usd"], "ath_close_usd": b["ath_close_usd"]},
            prov.closes_history,
        ),
        "volatility_annualised_pct": _pct_fig(
            b["volatility_annualised_pct"], "metrics.market.annualised_volatility_pct(daily closes, 365)", {}, month_src
        ),
    }
    return {"status": "ok", "reason": None, "figures": figs, "price_basis": b["price_basis"]}


def _equities_section(inp: Inputs, prov: _Prov) -> dict:
    from minerwatch.report.sentences import member_change, member_return_pct

    k = inp.basket
    if k is None:
        return {
            "status": "missing",
            "reason": inp.missing.get("equities"),
            "figures": {},
            "members": [],
            "cohorts": {},
            "missing": [],
        }
    src = prov.equities
    btc_src = prov.closes_history
    cap = "metrics.basket market cap = nominal close x shares outstanding from the latest fact on or before that day"
    ends = {"start_date": _iso(k.get("start_date")), "end_date": _iso(k.get("end_date"))}
    ret = "share-price change (split-adjusted) from start_date to end_date"
    figs = {
        "start_date": figure(
            ends["start_date"],
            "date",
            fmt.day_label(ends["start_date"], inp.month),
            "last trading day with closes before the month (the basket's start)",
            {},
            src,
        ),
        "end_date": figure(
            ends["end_date"],
            "date",
            fmt.day_label(ends["end_date"], inp.month),
            "last trading day with closes in the month (the basket's end)",
            {},
            src,
        ),
        "members_total": figure(
            k.get("members_total"),
            "companies",
            fmt.count(k.get("members_total")),
            "basket members in the month (dated membership)",
            {"basket": k.get("basket")},
            [],
        ),
        "members_priced": figure(
            k.get("members_priced"),
            "companies",
            fmt.count(k.get("members_priced")),
            "members with a market cap on both dates",
            ends,
            src,
        ),
        "market_cap_start_usd": figure(
            k.get("market_cap_start_usd"),
            "USD",
            fmt.usd(k.get("market_cap_start_usd")),
            f"sum over members of {cap}, on start_date",
            ends,
            src,
        ),
        "market_cap_end_usd": figure(
            k.get("market_cap_end_usd"),
            "USD",
            fmt.usd(k.get("market_cap_end_usd")),
            f"sum over members of {cap}, on end_date",
            ends,
            src,
        ),
        "change_usd": figure(
            k.get("change_usd"),
            "USD",
            fmt.usd_abs(k.get("change_usd")),
            "market_cap_end_usd - market_cap_start_usd",
            ends,
            src,
            signed=fmt.usd(k.get("change_usd")),
        ),
        "change_pct": _pct_fig(
            k.get("change_pct"),
            "100 x (market_cap_end_usd / market_cap_start_usd - 1)",
            {"market_cap_start_usd": k.get("market_cap_start_usd"), "market_cap_end_usd": k.get("market_cap_end_usd")},
            src,
        ),
        "beat_btc_count": figure(
            k.get("beat_btc_count"),
            "companies",
            fmt.count(k.get("beat_btc_count")),
            f"members whose {ret} > btc_change_pct",
            {"btc_change_pct": k.get("btc_change_pct")},
            src + btc_src,
        ),
        "btc_change_pct": _pct_fig(
            k.get("btc_change_pct"), "BTC close-to-close change from start_date to end_date", ends, btc_src
        ),
    }
    for which in ("best", "worst"):
        m = member_change(k, which)
        if m is not None:
            t_src = prov.equities_by_ticker.get(m[0], src)
            figs[f"{which}_ticker"] = figure(m[0], "ticker", m[0], f"member with the {which} {ret}", ends, t_src)
            figs[f"{which}_change_pct"] = _pct_fig(m[1], f"{ret} of the {which} member", {"ticker": m[0]}, t_src)
    cohorts = {}
    for name, c in (k.get("cohorts") or {}).items():
        c_in = {"cohort": name, "members": c.get("members"), **ends}
        cohorts[name] = {
            "market_cap_start_usd": figure(
                c.get("market_cap_start_usd"),
                "USD",
                fmt.usd(c.get("market_cap_start_usd")),
                f"sum over the cohort's members of {cap}, on start_date",
                c_in,
                src,
            ),
            "market_cap_end_usd": figure(
                c.get("market_cap_end_usd"),
                "USD",
                fmt.usd(c.get("market_cap_end_usd")),
                f"sum over the cohort's members of {cap}, on end_date",
                c_in,
                src,
            ),
            "change_pct": _pct_fig(c.get("change_pct"), "change of the cohort's market cap", c_in, src),
        }
    members = []
    for m in k.get("members") or []:
        t = m.get("ticker")
        t_src = prov.equities_by_ticker.get(t, src)
        t_start = prov.equities_by_ticker.get(f"{t}@start", t_src)
        t_end = prov.equities_by_ticker.get(f"{t}@end", t_src)
        t_in = {"ticker": t, **ends}
        members.append(
            {
                "ticker": t,
                "cohort": m.get("cohort"),
                "beat_btc": m.get("beat_btc"),
                "market_cap_start_usd": figure(
                    m.get("market_cap_start_usd"),
                    "USD",
                    fmt.usd(m.get("market_cap_start_usd")),
                    f"{cap}, on start_date",
                    t_in,
                    t_start,
                ),
                "market_cap_end_usd": figure(
                    m.get("market_cap_end_usd"),
                    "USD",
                    fmt.usd(m.get("market_cap_end_usd")),
                    f"{cap}, on end_date",
                    t_in,
                    t_end,
                ),
                "change_pct": _pct_fig(m.get("change_pct"), "change of the member's market cap", t_in, t_src),
                "price_change_pct": _pct_fig(
                    member_return_pct({"price_change_pct": m.get("price_change_pct")}), ret, t_in, t_src
                ),
                "contribution_usd": figure(
                    m.get("contribution_usd"),
                    "USD",
                    fmt.usd(m.get("contribution_usd")),
                    "market_cap_end_usd - market_cap_start_usd",
                    t_in,
                    t_src,
                    signed=fmt.signed_usd(m.get("contribution_usd")),
                ),
            }
        )
    return {
        "status": "ok",
        "reason": None,
        "figures": figs,
        "cohorts": cohorts,
        "members": members,
        "missing": [{"ticker": m.get("ticker"), "reason": m.get("reason")} for m in k.get("missing") or []],
        "stale_shares": [
            {
                "ticker": m.get("ticker"),
                "shares_as_of": figure(
                    _iso(m.get("shares_as_of")),
                    "date",
                    fmt.day_label(_iso(m.get("shares_as_of")), inp.month),
                    f"date of the share count used on {m.get('on', 'end')}_date",
                    {"ticker": m.get("ticker"), "source": m.get("shares_source")},
                    prov.equities_by_ticker.get(f"{m.get('ticker')}@{m.get('on', 'end')}", src),
                ),
                "age_days": figure(
                    m.get("age_days"),
                    "days",
                    fmt.count(m.get("age_days")),
                    f"{m.get('on', 'end')}_date - shares_as_of",
                    {"ticker": m.get("ticker")},
                    prov.equities_by_ticker.get(f"{m.get('ticker')}@{m.get('on', 'end')}", src),
                ),
            }
            for m in k.get("stale_shares") or []
        ],
        "stale_shares_threshold_days": figure(
            _stale_days(),
            "days",
            fmt.count(_stale_days()),
            "service_basket.STALE_SHARES_DAYS: a share count older than this on end_date is named",
            {},
            [],
        ),
        "unverified_closes": [
            {
                "ticker": m.get("ticker"),
                "price_source": m.get("price_source"),
                "date": figure(
                    _iso(m.get("date")),
                    "date",
                    fmt.day_label(_iso(m.get("date")), inp.month),
                    "a start or end close from a source whose trading dates are unverified",
                    {"ticker": m.get("ticker"), "source": m.get("price_source")},
                    prov.equities_by_ticker.get(m.get("ticker"), src),
                ),
            }
            for m in k.get("unverified_closes") or []
        ],
        "basis": k.get("basis"),
    }


def _stale_days() -> int | None:
    """The basket's threshold for naming an old share count, if this build has the basket service."""
    value = _optional_service("service_basket", "STALE_SHARES_DAYS")
    return value if isinstance(value, int) else None


def _economics_section(inp: Inputs, prov: _Prov) -> dict:
    e = inp.econ
    if e is None:
        return {"status": "missing", "reason": inp.missing.get("economics"), "figures": {}}
    src = prov.network + prov.prices
    fleet = {"efficiency_jth": e.get("efficiency_jth"), "power_usd_kwh": e.get("power_usd_kwh")}
    per = "USD per EH/s per day"
    profit = e.get("gross_profit_usd_per_ehs_day")
    margin = e.get("gross_margin_pct")
    figs = {
        "revenue_usd_per_ehs_day": figure(
            e.get("revenue_usd_per_ehs_day"),
            per,
            fmt.usd(e.get("revenue_usd_per_ehs_day")),
            "the month's hashprice (after pool fee)",
            {},
            src,
        ),
        "cost_usd_per_ehs_day": figure(
            e.get("cost_usd_per_ehs_day"),
            per,
            fmt.usd(e.get("cost_usd_per_ehs_day")),
            "metrics.economics.power_cost_usd_per_ehs_day = efficiency_jth x 24,000 kWh x power_usd_kwh",
            fleet,
            [],
        ),
        "gross_profit_usd_per_ehs_day": figure(
            profit,
            per,
            fmt.usd_abs(profit),
            "metrics.economics.gross_profit_usd_per_ehs_day = revenue - cost",
            fleet,
            src,
            signed=fmt.usd(profit),
        ),
        "gross_margin_pct": figure(
            margin,
            "percent",
            fmt.signed_pct(margin) if margin is not None and margin < 0 else fmt.pct(margin),
            "metrics.economics.gross_margin_pct = 100 x gross profit / revenue",
            fleet,
            src,
            signed=fmt.signed_pct(margin),
        ),
        "breakeven_power_usd_kwh": figure(
            e.get("breakeven_power_usd_kwh"),
            "USD per kWh",
            fmt.usd_price(e.get("breakeven_power_usd_kwh")),
            "metrics.economics.breakeven_power_usd_kwh = revenue / kWh per EH/s per day",
            fleet,
            src,
        ),
        "cost_per_btc_usd": figure(
            e.get("cost_per_btc_usd"),
            "USD per BTC",
            fmt.usd(e.get("cost_per_btc_usd")),
            "metrics.economics.cost_per_btc_usd = cost per EH/s per day / BTC per EH/s per day",
            fleet,
            src,
        ),
        "mom_change_pct": _pct_fig(
            e.get("mom_change_pct"),
            "change of gross profit per EH/s vs the previous month",
            fleet,
            src + prov.network_prev + prov.prices_prev,
        ),
    }
    # The previous month for the same fleet, and the changes, where the economics service gives them.
    prev_src = prov.network_prev + prov.prices_prev
    both = src + prev_src
    prev_fleet = {**fleet, "month": e.get("previous_month")}
    prev_profit = e.get("previous_gross_profit_usd_per_ehs_day")
    prev_margin = e.get("previous_gross_margin_pct")
    margin_pp = e.get("gross_margin_mom_change_pp")
    figs.update(
        {
            "previous_revenue_usd_per_ehs_day": figure(
                e.get("previous_revenue_usd_per_ehs_day"),
                per,
                fmt.usd(e.get("previous_revenue_usd_per_ehs_day")),
                "the previous month's hashprice (after pool fee)",
                prev_fleet,
                prev_src,
            ),
            "revenue_mom_change_pct": _pct_fig(
                e.get("revenue_mom_change_pct"), "change of revenue vs the previous month", fleet, both
            ),
            "previous_gross_profit_usd_per_ehs_day": figure(
                prev_profit,
                per,
                fmt.usd_abs(prev_profit),
                "the previous month's gross profit, same fleet",
                prev_fleet,
                prev_src,
                signed=fmt.usd(prev_profit),
            ),
            "previous_gross_margin_pct": figure(
                prev_margin,
                "percent",
                fmt.signed_pct(prev_margin) if prev_margin is not None and prev_margin < 0 else fmt.pct(prev_margin),
                "the previous month's gross margin, same fleet",
                prev_fleet,
                prev_src,
                signed=fmt.signed_pct(prev_margin),
            ),
            "gross_margin_mom_change_pp": figure(
                margin_pp,
                "percentage points",
                fmt.pct_points(margin_pp),
                "gross_margin_pct - previous_gross_margin_pct",
                fleet,
                both,
            ),
            "previous_breakeven_power_usd_kwh": figure(
                e.get("previous_breakeven_power_usd_kwh"),
                "USD per kWh",
                fmt.usd_price(e.get("previous_breakeven_power_usd_kwh")),
                "the previous month's breakeven power price, same fleet",
                prev_fleet,
                prev_src,
            ),
            "breakeven_mom_change_pct": _pct_fig(
                e.get("breakeven_mom_change_pct"),
                "change of the breakeven power price vs the previous month",
                fleet,
                both,
            ),
            "previous_cost_per_btc_usd": figure(
                e.get("previous_cost_per_btc_usd"),
                "USD per BTC",
                fmt.usd(e.get("previous_cost_per_btc_usd")),
                "the previous month's power cost per BTC mined, same fleet",
                prev_fleet,
                prev_src,
            ),
            "cost_per_btc_mom_change_pct": _pct_fig(
                e.get("cost_per_btc_mom_change_pct"),
                "change of the power cost per BTC vs the previous month",
                fleet,
                both,
            ),
        }
    )
    return {"status": "ok", "reason": None, "figures": figs}


# -- sources and method --------------------------------------------------------------------------------


def _manifest_inputs() -> dict[str, dict]:
    """Origin entries of every embedded-data manifest, keyed by source id."""
    out: dict[str, dict] = {}
    folder = resources.files("minerwatch.data")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith("manifest.json"):
            continue
        try:
            man = json.loads(entry.read_text())
        except (ValueError, OSError):
            continue
        inputs = man.get("inputs") if isinstance(man, dict) else None
        if isinstance(inputs, dict):
            for key, value in inputs.items():
                if isinstance(value, dict):
                    out.setdefault(key, {**value, "manifest": entry.name})
    return out


#: Query parameters whose values are credentials in some API's URL scheme; their values are never published.
_SECRET_PARAM = re.compile(r"key|token|secret|pass|auth|sig|credential|session", re.IGNORECASE)


def public_url(url: str | None) -> str | None:
    """A URL as facts.json may publish it: no user:password@, credential-like query values replaced by ***.

    A configured base URL (and so each payload's URI) may carry a credential; facts.json is served by
    the API, so it must not repeat one.
    """
    if not url or "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    if "@" not in parts.netloc:
        netloc = parts.netloc
    query = "&".join(
        f"{k}=***" if _SECRET_PARAM.search(k) else (f"{k}={v}" if v or "=" in pair else k)
        for pair in parts.query.split("&")
        if pair
        for k, _, v in [pair.partition("=")]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _sources(store: Store, sections: dict) -> list[dict]:
    """Each source the note's figures came from: description, licence, payloads and the dates used."""
    used: dict[str, dict[str, dict]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for p in node.get("sources", []) if isinstance(node.get("sources"), list) else []:
                if isinstance(p, dict) and "payload_sha256" in p:
                    key = p["payload_sha256"]
                    cur = used.setdefault(p["source_id"], {}).setdefault(key, {**p, "tables": set()})
                    cur["tables"].add(p["table"])
                    cur["first_date"] = min(cur["first_date"], p["first_date"])
                    cur["last_date"] = max(cur["last_date"], p["last_date"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(sections)
    meta = {r["source_id"]: r for r in store.query("SELECT * FROM sources").iter_rows(named=True)}
    payloads = {
        r["sha256"]: r for r in store.query("SELECT sha256, uri, fetched_at FROM payloads").iter_rows(named=True)
    }
    manifests = _manifest_inputs()
    out = []
    for sid in sorted(used):
        m = meta.get(sid, {})
        man = manifests.get(sid, {})
        out.append(
            {
                "source_id": sid,
                "description": m.get("description"),
                "licence": m.get("licence"),
                "base_url": public_url(m.get("base_url")),
                "kind": m.get("kind"),
                "origin": man.get("origin"),
                "commit": man.get("commit"),
                "payloads": [
                    {
                        "payload_sha256": sha,
                        "uri": public_url(payloads.get(sha, {}).get("uri")),
                        "tables": sorted(p["tables"]),
                        "first_date": p["first_date"],
                        "last_date": p["last_date"],
                    }
                    for sha, p in sorted(used[sid].items(), key=lambda kv: (kv[1]["first_date"], kv[0]))
                ],
                "first_date": min(p["first_date"] for p in used[sid].values()),
                "last_date": max(p["last_date"] for p in used[sid].values()),
            }
        )
    return out


def _method(inp: Inputs) -> dict[str, str]:
    hp, b = inp.hp, inp.btc
    est = hp["estimator"]
    estimator = (
        f"{est}: hashrate = blocks found that day / 144 x difficulty x 2^32 / 600 (the day's mean hashrate "
        "implied by the blocks found; Coin Metrics' HashRate)"
        if est.startswith("blockcount")
        else f"{est}: hashrate = difficulty x 2^32 / 600"
    )
    out = {
        "estimator": estimator,
        "revenue_basis": f"{hp['basis']}: subsidy + fees the day's blocks paid",
        "hashprice": "hashprice = (subsidy + fees earned that day, BTC) x BTC close (USD) / hashrate (EH/s); "
        "the month's figure is the mean of its daily values",
        "price_basis": b["price_basis"],
        "drawdown": "drawdown = close / all-time closing high as of month end - 1",
        "equities": "market cap = close x shares outstanding as of that date (latest filing on or before it); "
        "change from the last trading day before the month to the last trading day of the month",
        "economics": "cost per EH/s per day = J/TH x 24,000 kWh x USD per kWh; gross profit = hashprice - cost; "
        "breakeven power price = hashprice / (J/TH x 24,000 kWh)",
    }
    return out


def facts_from(store: Store, inp: Inputs) -> dict[str, Any]:
    """The facts dict of a note from its gathered inputs."""
    prov = _gather_provenance(store, inp)
    sections = {
        "network": _network_section(inp, prov),
        "btc": _btc_section(inp, prov),
        "equities": _equities_section(inp, prov),
        "economics": _economics_section(inp, prov),
    }
    prev = mk.previous_month(inp.month)
    first, _ = service.parse_month(inp.month)
    chart_first = first
    for _ in range(CHART_WINDOW_MONTHS - 1):
        chart_first = (chart_first - timedelta(days=1)).replace(day=1)
    return {
        "facts_version": FACTS_VERSION,
        "month": inp.month,
        "month_label": fmt.month_label(inp.month),
        "previous_month": prev,
        "previous_month_label": fmt.month_label(prev),
        "assumptions": {
            "efficiency_jth": figure(
                inp.efficiency_jth,
                "J/TH",
                fmt.efficiency(inp.efficiency_jth),
                "fleet efficiency assumed (--efficiency-jth)",
                {"default": DEFAULT_EFFICIENCY_JTH},
                [],
            ),
            "power_usd_kwh": figure(
                inp.power_usd_kwh,
                "USD per kWh",
                fmt.usd_price(inp.power_usd_kwh),
                "all-in power price assumed (--power-usd-kwh)",
                {"default": DEFAULT_POWER_USD_KWH},
                [],
            ),
            "default_fleet": inp.default_fleet,
        },
        "sections": sections,
        "charts_window": {
            "months": CHART_WINDOW_MONTHS,
            "first_month": f"{chart_first.year:04d}-{chart_first.month:02d}",
            "last_month": inp.month,
        },
        "method": _method(inp),
        "sources": _sources(store, sections),
    }


def build_facts(
    store: Store,
    month: str,
    *,
    efficiency_jth: float = DEFAULT_EFFICIENCY_JTH,
    power_usd_kwh: float = DEFAULT_POWER_USD_KWH,
) -> dict[str, Any]:
    """facts.json of the month's note: every figure with value, unit, text, formula, inputs, provenance."""
    inp = gather(store, month, efficiency_jth=efficiency_jth, power_usd_kwh=power_usd_kwh)
    return facts_from(store, inp)
