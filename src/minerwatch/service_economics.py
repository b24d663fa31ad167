"""Mining economics for the front ends: month economics, breakeven, scenarios and grids, difficulty forecast/backtest.

Revenue per EH/s per day is the hashprice of `minerwatch.service.network_daily` with the default
estimator and basis (block-count hashrate, realized revenue: the luck-neutral "expected value of a
unit of hashrate at the day's difficulty"); monthly figures are means over the month's days, as in
`minerwatch.service.hashprice_month`. Every answer is a plain dict (JSON contract in docs/economics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from minerwatch import service
from minerwatch.errors import DataGap, InputError
from minerwatch.metrics import difficulty as df
from minerwatch.metrics import economics as ec
from minerwatch.metrics import market as mk
from minerwatch.metrics import network as nw
from minerwatch.store import Store

#: Days of block counts behind "the current block rate" used to date future heights.
DEFAULT_BLOCK_RATE_DAYS = 28
#: Progress points (share of an epoch's 2015 intervals) the backtest evaluates; 0.5 is the headline.
BACKTEST_PROGRESS = (0.25, 0.5, 0.75, 0.9, 1.0)
#: Default price multiples and power prices of the scenario grid.
GRID_PRICE_MULTIPLES = (0.5, 0.75, 1.0, 1.25, 1.5)
GRID_POWER_USD_KWH = (0.03, 0.04, 0.05, 0.06, 0.07, 0.08)
REVENUE_BASIS = (
    "hashprice: mean over the month's days of realized revenue (subsidy + fees) x BTC close / "
    "block-count hashrate (estimator blockcount, basis realized), after the pool fee"
)


def _r(value: float | int | None, ndigits: int) -> float | None:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    return round(float(value), ndigits)


# -- input checks -----------------------------------------------------------------------------------


def _positive(value: float, flag: str, example: str) -> float:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{flag} must be a positive number ({example}), got {value!r}")
    return float(value)


def _non_negative(value: float, flag: str, example: str) -> float:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError(f"{flag} must be zero or a positive number ({example}), got {value!r}")
    return float(value)


def _percent(value: float, flag: str) -> float:
    if value is None or not isinstance(value, int | float) or math.isnan(value) or not 0 <= value < 100:
        raise InputError(f"{flag} must be a percent from 0 to below 100 (e.g. 2 for 2%), got {value!r}")
    return float(value)


def _check_fleet(efficiency_jth: float, power_usd_kwh: float | None, opex_usd_kwh: float, pool_fee_pct: float) -> None:
    _positive(efficiency_jth, "--efficiency-jth", "the fleet's joules per terahash, e.g. 26")
    if power_usd_kwh is not None:
        _positive(power_usd_kwh, "--power-usd-kwh", "USD per kWh, e.g. 0.04")
    _non_negative(opex_usd_kwh, "--opex-usd-kwh", "hosting/maintenance in USD per kWh, e.g. 0.01")
    _percent(pool_fee_pct, "--pool-fee-pct")


# -- month economics --------------------------------------------------------------------------------


def _complete_days(r: dict) -> str:
    """Which days have both network facts and a BTC close, for an error message."""
    if None in (r["network_first"], r["network_last"], r["prices_first"], r["prices_last"]):
        return "the store lacks network facts or BTC prices; run `minerwatch sync`"
    first, last = max(r["network_first"], r["prices_first"]), min(r["network_last"], r["prices_last"])
    return f"days with both cover {first} to {last}" if first <= last else "no day has both"


def _month_summary(store: Store, month: str) -> dict:
    first, last = service.parse_month(month)
    daily = service.network_daily(store, first, last)
    summary: dict[str, Any] = dict(nw.period_summary(daily))
    if not summary["days"]:
        r = service.data_range(store)
        raise DataGap(f"no day in {month} has both network facts and a BTC price; {_complete_days(r)}")
    summary["daily"] = daily.filter(pl.col("usd_per_ehs_day").is_not_null())
    return summary


def _fleet_figures(
    hashprice_usd: float,
    btc_per_ehs_day: float,
    *,
    efficiency_jth: float,
    power_usd_kwh: float,
    opex_usd_kwh: float,
    pool_fee_pct: float,
) -> dict[str, float | None]:
    revenue = ec.net_revenue_usd_per_ehs_day(hashprice_usd, pool_fee_pct)
    cost = ec.power_cost_usd_per_ehs_day(efficiency_jth, power_usd_kwh, opex_usd_kwh)
    return {
        "revenue": revenue,
        "cost": cost,
        "profit": ec.gross_profit_usd_per_ehs_day(revenue, cost),
        "margin": ec.gross_margin_pct(revenue, cost),
        "breakeven": ec.breakeven_power_usd_kwh(revenue, efficiency_jth, opex_usd_kwh),
        "cost_per_btc": ec.cost_per_btc_usd(cost, btc_per_ehs_day, pool_fee_pct) if btc_per_ehs_day > 0 else None,
    }


def economics_month(
    store: Store,
    month: str,
    *,
    efficiency_jth: float,
    power_usd_kwh: float,
    opex_usd_kwh: float = 0.0,
    pool_fee_pct: float = 0.0,
    machine_usd_per_th: float | None = None,
) -> dict:
    """Gross profit per EH/s per day of a fleet in a month, its margin, breakeven power, cost per BTC, MoM change."""
    _check_fleet(efficiency_jth, power_usd_kwh, opex_usd_kwh, pool_fee_pct)
    if machine_usd_per_th is not None:
        _positive(machine_usd_per_th, "--machine-usd-per-th", "machine price in USD per TH/s, e.g. 15")
    fleet = dict(
        efficiency_jth=efficiency_jth, power_usd_kwh=power_usd_kwh, opex_usd_kwh=opex_usd_kwh, pool_fee_pct=pool_fee_pct
    )
    cur = _month_summary(store, month)
    f = _fleet_figures(cur["usd_per_ehs_day"], cur["btc_per_ehs_day"], **fleet)
    prev_month = mk.previous_month(month)
    try:
        prev = _month_summary(store, prev_month)
        pf: dict[str, float | None] = _fleet_figures(prev["usd_per_ehs_day"], prev["btc_per_ehs_day"], **fleet)
    except DataGap:
        pf = {k: None for k in ("revenue", "cost", "profit", "margin", "breakeven", "cost_per_btc")}
    daily_revenue = cur["daily"]["usd_per_ehs_day"] * (1.0 - pool_fee_pct / 100.0)
    first, last = service.parse_month(month)
    out = {
        "month": month,
        "efficiency_jth": efficiency_jth,
        "power_usd_kwh": power_usd_kwh,
        "revenue_usd_per_ehs_day": _r(f["revenue"], 2),
        "cost_usd_per_ehs_day": _r(f["cost"], 2),
        "gross_profit_usd_per_ehs_day": _r(f["profit"], 2),
        "gross_margin_pct": _r(f["margin"], 2),
        "breakeven_power_usd_kwh": _r(f["breakeven"], 5),
        "cost_per_btc_usd": _r(f["cost_per_btc"], 2),
        "mom_change_pct": _r(ec.change_pct_abs_base(f["profit"], pf["profit"]), 2),
        # Beyond the contract: the inputs and intermediate figures a reader needs to check the result.
        "opex_usd_kwh": opex_usd_kwh,
        "pool_fee_pct": pool_fee_pct,
        "hashprice_usd_per_ehs_day": _r(cur["usd_per_ehs_day"], 2),
        "btc_per_ehs_day": _r(cur["btc_per_ehs_day"], 8),
        "power_kw_per_ehs": _r(ec.power_kw_per_ehs(efficiency_jth), 3),
        "kwh_per_ehs_day": _r(ec.kwh_per_ehs_day(efficiency_jth), 3),
        "gross_profit_usd_per_phs_day": _r(f["profit"] / 1000.0 if f["profit"] is not None else None, 4),
        "days": cur["days"],
        "days_in_month": (last - first).days + 1,
        "days_profitable": int((daily_revenue > f["cost"]).sum()),
        "previous_month": prev_month,
        "previous_gross_profit_usd_per_ehs_day": _r(pf["profit"], 2),
        # Month-on-month of the other monthly figures (cost per EH/s per day is fixed by the inputs).
        "previous_revenue_usd_per_ehs_day": _r(pf["revenue"], 2),
        "revenue_mom_change_pct": _r(ec.change_pct_abs_base(f["revenue"], pf["revenue"]), 2),
        "previous_gross_margin_pct": _r(pf["margin"], 2),
        "gross_margin_mom_change_pp": _r(ec.change_pp(f["margin"], pf["margin"]), 2),
        "previous_breakeven_power_usd_kwh": _r(pf["breakeven"], 5),
        "breakeven_mom_change_pct": _r(ec.change_pct_abs_base(f["breakeven"], pf["breakeven"]), 2),
        "previous_cost_per_btc_usd": _r(pf["cost_per_btc"], 2),
        "cost_per_btc_mom_change_pct": _r(ec.change_pct_abs_base(f["cost_per_btc"], pf["cost_per_btc"]), 2),
        "payback_days": None,
        "machine_usd_per_th": machine_usd_per_th,
        "revenue_basis": REVENUE_BASIS,
        "mom_change_basis": "percent change of gross profit against |previous month|",
    }
    if machine_usd_per_th is not None:
        out["payback_days"] = _r(ec.payback_days(machine_usd_per_th, f["profit"]), 1)  # type: ignore[arg-type]
    return out


# -- breakeven on a day -----------------------------------------------------------------------------


def breakeven(
    store: Store,
    day: date | None = None,
    *,
    efficiency_jth: float,
    opex_usd_kwh: float = 0.0,
    pool_fee_pct: float = 0.0,
) -> dict:
    """Power price at which a fleet of `efficiency_jth` stops paying on `day` (default: the latest day)."""
    _check_fleet(efficiency_jth, None, opex_usd_kwh, pool_fee_pct)
    if day is None:
        r = service.data_range(store)
        if r["network_last"] is None or r["prices_last"] is None:
            raise DataGap("the store holds no network data or prices; run `minerwatch sync`")
        day = min(r["network_last"], r["prices_last"])
    daily = service.network_daily(store, day, day).filter(pl.col("usd_per_ehs_day").is_not_null())
    if daily.height == 0:
        r = service.data_range(store)
        raise DataGap(f"no hashprice on {day} (needs network facts and a BTC close); {_complete_days(r)}")
    row = daily.row(0, named=True)
    revenue = ec.net_revenue_usd_per_ehs_day(row["usd_per_ehs_day"], pool_fee_pct)
    kwh = ec.kwh_per_ehs_day(efficiency_jth)
    return {
        "date": day,
        "efficiency_jth": efficiency_jth,
        "breakeven_power_usd_kwh": _r(ec.breakeven_power_usd_kwh(revenue, efficiency_jth, opex_usd_kwh), 5),
        "revenue_usd_per_ehs_day": _r(revenue, 2),
        "hashprice_usd_per_ehs_day": _r(row["usd_per_ehs_day"], 2),
        "kwh_per_ehs_day": _r(kwh, 3),
        "opex_usd_kwh": opex_usd_kwh,
        "pool_fee_pct": pool_fee_pct,
        "close_usd": _r(row["close_usd"], 2),
        "hashrate_ehs": _r(row["hashrate_ehs"], 2),
        "formula": "revenue after pool fee / kWh per EH/s per day - opex per kWh",
        "revenue_basis": "the day's hashprice (estimator blockcount, basis realized)",
    }


# -- scenarios ----------------------------------------------------------------------------------------


def _chain_tip(store: Store, rate_days: int) -> dict:
    """Last day with blocks, its last height, and the mean blocks per day over the `rate_days` days with blocks to it.

    The rate is measured on heights (blocks mined from the first of those days to the tip over the days
    between), so a day missing from the store does not pass for a day without blocks.
    """
    net = store.query(
        "SELECT date, last_height, coalesce(first_height, last_height - block_count + 1) AS first_height "
        "FROM network_daily WHERE block_count > 0 AND last_height IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY date ORDER BY "
        + service._priority_case(service.NETWORK_SOURCE_PRIORITY)
        + ") = 1 ORDER BY date DESC LIMIT ?",
        [rate_days],
    )
    if net.height == 0:
        raise DataGap("the store holds no block heights; run `minerwatch sync` or re-create the store")
    last_date = net["date"][0]
    first_date = net["date"][-1]
    span_days = (last_date - first_date).days + 1
    blocks = int(net["last_height"][0]) - int(net["first_height"][-1]) + 1
    return {
        "last_date": last_date,
        "last_height": int(net["last_height"][0]),
        "blocks_per_day": blocks / span_days,
        "rate_first_date": first_date,
    }


def _scenario_core(
    store: Store, *, price_usd: float, hashrate_ehs: float, fee_share_pct: float, on: date, block_rate_days: int
) -> dict[str, Any]:
    _positive(price_usd, "--price", "BTC price in USD, e.g. 70000")
    _positive(hashrate_ehs, "--hashrate-ehs", "network hashrate in EH/s, e.g. 900")
    _percent(fee_share_pct, "--fee-share-pct")
    if not 1 <= block_rate_days <= 365:
        raise InputError(f"--block-rate-days must be between 1 and 365, got {block_rate_days}")
    tip = _chain_tip(store, block_rate_days)
    if on <= tip["last_date"]:
        raise InputError(
            f"scenario date {on} is not after the last day of data ({tip['last_date']}); scenarios project "
            f"forward: give a later --date, or use `minerwatch breakeven --date` / `minerwatch economics` for past days"
        )
    rate = tip["blocks_per_day"]
    first_h, last_h = ec.scenario_day_heights(tip["last_height"], tip["last_date"], on, rate)
    subsidy = ec.scenario_mean_subsidy_btc(first_h, last_h)
    btc = ec.scenario_btc_per_ehs_day(subsidy, fee_share_pct, hashrate_ehs)
    usd = ec.scenario_hashprice_usd_per_ehs_day(price_usd, hashrate_ehs, fee_share_pct, subsidy)
    halving = nw.next_halving_height(tip["last_height"])
    halving_date = ec.estimated_date_of_height(tip["last_height"], tip["last_date"], halving, rate)
    return {
        "date": on,
        "price_usd": price_usd,
        "hashrate_ehs": hashrate_ehs,
        "fee_share_pct": fee_share_pct,
        "hashprice_usd_per_ehs_day": _r(usd, 2),
        "hashprice_usd_per_phs_day": _r(usd / 1000.0, 4),
        "btc_per_ehs_day": _r(btc, 8),
        "estimated_height": last_h,
        "day_first_height": first_h,
        "subsidy_btc": _r(subsidy, 8),
        "reward_btc_per_block": _r(ec.reward_btc_per_block(subsidy, fee_share_pct), 8),
        "halving_that_day": last_h // nw.HALVING_INTERVAL_BLOCKS > (first_h - 1) // nw.HALVING_INTERVAL_BLOCKS,
        "halvings_before_date": (last_h // nw.HALVING_INTERVAL_BLOCKS)
        - (tip["last_height"] // nw.HALVING_INTERVAL_BLOCKS),
        "next_halving_height": halving,
        "next_halving_estimated_date": halving_date,
        "data_last_date": tip["last_date"],
        "data_last_height": tip["last_height"],
        "block_rate_per_day": _r(rate, 3),
        "block_rate_basis": f"mean blocks per day {tip['rate_first_date']} to {tip['last_date']}",
        "formula": "144 blocks x subsidy(height) / (1 - fee share) x price / hashrate",
        "_usd": usd,
        "_btc": btc,
    }


def scenario(
    store: Store,
    *,
    price_usd: float,
    hashrate_ehs: float,
    fee_share_pct: float,
    on: date,
    efficiency_jth: float | None = None,
    power_usd_kwh: float | None = None,
    opex_usd_kwh: float = 0.0,
    pool_fee_pct: float = 0.0,
    block_rate_days: int = DEFAULT_BLOCK_RATE_DAYS,
    machine_usd_per_th: float | None = None,
) -> dict:
    """Hashprice on a future day given price, network hashrate and fee share; subsidy from the estimated height."""
    core = _scenario_core(
        store,
        price_usd=price_usd,
        hashrate_ehs=hashrate_ehs,
        fee_share_pct=fee_share_pct,
        on=on,
        block_rate_days=block_rate_days,
    )
    usd, btc = core.pop("_usd"), core.pop("_btc")
    if power_usd_kwh is not None and efficiency_jth is None:
        raise InputError("--power-usd-kwh needs --efficiency-jth (the fleet's J/TH, e.g. 26)")
    if machine_usd_per_th is not None:
        _positive(machine_usd_per_th, "--machine-usd-per-th", "machine price in USD per TH/s, e.g. 15")
        if power_usd_kwh is None:
            raise InputError("--machine-usd-per-th needs --efficiency-jth and --power-usd-kwh (payback needs a profit)")
    if efficiency_jth is not None:
        _check_fleet(efficiency_jth, power_usd_kwh, opex_usd_kwh, pool_fee_pct)
        revenue = ec.net_revenue_usd_per_ehs_day(usd, pool_fee_pct)
        core["efficiency_jth"] = efficiency_jth
        core["pool_fee_pct"] = pool_fee_pct
        core["opex_usd_kwh"] = opex_usd_kwh
        core["breakeven_power_usd_kwh"] = _r(ec.breakeven_power_usd_kwh(revenue, efficiency_jth, opex_usd_kwh), 5)
        if power_usd_kwh is not None:
            f = _fleet_figures(
                usd,
                btc,
                efficiency_jth=efficiency_jth,
                power_usd_kwh=power_usd_kwh,
                opex_usd_kwh=opex_usd_kwh,
                pool_fee_pct=pool_fee_pct,
            )
            core["power_usd_kwh"] = power_usd_kwh
            core["revenue_usd_per_ehs_day"] = _r(f["revenue"], 2)
            core["cost_usd_per_ehs_day"] = _r(f["cost"], 2)
            core["gross_profit_usd_per_ehs_day"] = _r(f["profit"], 2)
            core["gross_margin_pct"] = _r(f["margin"], 2)
            core["cost_per_btc_usd"] = _r(f["cost_per_btc"], 2)
            if machine_usd_per_th is not None:
                core["machine_usd_per_th"] = machine_usd_per_th
                core["payback_days"] = _r(ec.payback_days(machine_usd_per_th, f["profit"]), 1)  # type: ignore[arg-type]
    return core


def scenario_grid(
    store: Store,
    *,
    price_usd: float,
    hashrate_ehs: float,
    fee_share_pct: float,
    on: date,
    efficiency_jth: float,
    prices_usd: Sequence[float] | None = None,
    power_prices_usd_kwh: Sequence[float] | None = None,
    opex_usd_kwh: float = 0.0,
    pool_fee_pct: float = 0.0,
    block_rate_days: int = DEFAULT_BLOCK_RATE_DAYS,
) -> dict:
    """Gross margin (%) of a fleet over BTC price x power price, on a scenario day (hashrate, fee share fixed)."""
    _check_fleet(efficiency_jth, None, opex_usd_kwh, pool_fee_pct)
    prices = list(prices_usd) if prices_usd is not None else [round(price_usd * m, 2) for m in GRID_PRICE_MULTIPLES]
    powers = list(power_prices_usd_kwh) if power_prices_usd_kwh is not None else list(GRID_POWER_USD_KWH)
    if not prices or not powers:
        flag = "--prices" if not prices else "--power-prices"
        raise InputError(f"{flag} is empty; give at least one number (e.g. 50000,70000 or 0.03,0.05)")
    if len(prices) > 50 or len(powers) > 50:
        raise InputError(f"a grid has at most 50 prices and 50 power prices; got {len(prices)} x {len(powers)}")
    for p in prices:
        _positive(p, "--prices", "BTC prices in USD, comma-separated, e.g. 50000,70000")
    for w in powers:
        _positive(w, "--power-prices", "USD per kWh, comma-separated, e.g. 0.03,0.05")
    core = _scenario_core(
        store,
        price_usd=price_usd,
        hashrate_ehs=hashrate_ehs,
        fee_share_pct=fee_share_pct,
        on=on,
        block_rate_days=block_rate_days,
    )
    btc = core.pop("_btc")
    core.pop("_usd")
    cells = []
    for p in prices:
        revenue = ec.net_revenue_usd_per_ehs_day(btc * p, pool_fee_pct)
        for w in powers:
            cost = ec.power_cost_usd_per_ehs_day(efficiency_jth, w, opex_usd_kwh)
            cells.append(
                {
                    "price_usd": p,
                    "power_usd_kwh": w,
                    "gross_margin_pct": _r(ec.gross_margin_pct(revenue, cost), 2),
                    "gross_profit_usd_per_ehs_day": _r(revenue - cost, 2),
                }
            )
    core.update(
        efficiency_jth=efficiency_jth,
        opex_usd_kwh=opex_usd_kwh,
        pool_fee_pct=pool_fee_pct,
        prices_usd=prices,
        power_prices_usd_kwh=powers,
        cells=cells,
    )
    return core


# -- difficulty ---------------------------------------------------------------------------------------


def _clock(store: Store, until: date | None = None) -> df.BlockClock:
    net = service.network_facts(store, None, until)
    return df.BlockClock(net["date"].to_list(), net["first_height"].to_list(), net["block_count"].to_list())


#: How a difficulty_epochs row's source is named in outputs.
EPOCH_SOURCE_LABELS = {
    "electrum": "Electrum checkpoints",
    "bitcoind": "bitcoind's header bits for the epoch",
    "mempool": "mempool's retargets",
}


def _epoch_difficulties_sourced(store: Store) -> dict[int, tuple[float, str]]:
    """Each epoch's difficulty and where it came from, best first: Electrum checkpoints (difficulty_epochs), the
    header of a bitcoind block of the epoch, else the mean difficulty of the latest day whose blocks all lie in
    the epoch (any network source, e.g. mempool's difficulty adjustments); live epochs past the checkpoints."""
    n = nw.RETARGET_INTERVAL_BLOCKS
    out: dict[int, tuple[float, str]] = {}
    days = service.network_facts(store).filter(
        pl.col("difficulty").is_not_null()
        & pl.col("first_height").is_not_null()
        & (pl.col("first_height") // n == pl.col("last_height") // n)
    )
    for d, fh, diff, src in days.select("date", "first_height", "difficulty", "source_id").iter_rows():
        out[fh // n] = (float(diff), f"{src}'s mean of {d}, a day wholly in the epoch")  # latest day wins
    heads = store.query(
        "SELECT height // ? AS epoch, arg_max(difficulty, height) AS difficulty FROM blocks "
        "WHERE source_id = 'bitcoind' AND difficulty IS NOT NULL GROUP BY 1",
        [n],
    )
    out.update({int(e): (float(v), "a bitcoind block header") for e, v in heads.rows()})
    rank = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(EPOCH_SOURCE_LABELS))
    ep = store.query(
        "SELECT epoch, difficulty, source_id FROM difficulty_epochs QUALIFY row_number() OVER (PARTITION BY epoch "
        f"ORDER BY CASE source_id {rank} ELSE {len(EPOCH_SOURCE_LABELS)} END, source_id) = 1 ORDER BY epoch"
    )
    out.update({int(e): (float(v), EPOCH_SOURCE_LABELS.get(s, f"difficulty_epochs ({s})")) for e, v, s in ep.rows()})
    return out


def _epoch_difficulties(store: Store) -> dict[int, float]:
    """Each epoch's difficulty (see `_epoch_difficulties_sourced`)."""
    return {e: v for e, (v, _) in sorted(_epoch_difficulties_sourced(store).items())}


def _backtest_rows(
    store: Store, progress: Sequence[float], since: date | None, until: date | None = None
) -> list[df.BacktestRow]:
    # `until`: only epochs that had ended by then (a forecast as of a past day must not see later epochs).
    rows = df.backtest_epochs(_clock(store, until), _epoch_difficulties(store), progress)
    return [r for r in rows if (since is None or r.end_date >= since) and (until is None or r.end_date < until)]


def _bitcoind_blocks(store: Store, heights: Sequence[int], until: date) -> dict[int, tuple[float, float | None]]:
    """Exact header time (seconds since 1970) and difficulty of the given heights held by the bitcoind blocks table."""
    rows = store.query(
        "SELECT height, time, difficulty FROM blocks WHERE source_id = 'bitcoind' AND height IN ("
        + ", ".join("?" for _ in heights)
        + ") AND time < ?",
        [*heights, until + timedelta(days=1)],
    )
    return {
        int(h): ((t - _UNIX0).total_seconds(), d)
        for h, t, d in zip(rows["height"], rows["time"], rows["difficulty"], strict=True)
    }


_UNIX0 = datetime(1970, 1, 1)


def _current_difficulty(
    store: Store, epoch: int, tip: tuple[float, float | None] | None
) -> tuple[float | None, str | None]:
    """The epoch's difficulty and where it came from, best first: its difficulty_epochs row from the Electrum
    checkpoints, then from bitcoind's headers (or the tip's bitcoind header), then from mempool's retargets (or any
    other source), else another bitcoind header of the epoch or the mean of a day wholly in the epoch."""
    labels = EPOCH_SOURCE_LABELS
    rank = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(labels))
    row = store.query(
        f"SELECT source_id, difficulty FROM difficulty_epochs WHERE epoch = ? "
        f"ORDER BY CASE source_id {rank} ELSE {len(labels)} END, source_id LIMIT 1",
        [epoch],
    )
    held = (
        (float(row["difficulty"][0]), labels.get(row["source_id"][0], f"difficulty_epochs ({row['source_id'][0]})"))
        if row.height
        else None
    )
    if held is not None and row["source_id"][0] in ("electrum", "bitcoind"):
        return held
    if tip is not None and tip[1]:
        return float(tip[1]), "a bitcoind block header"
    if held is not None:
        return held
    known = _epoch_difficulties_sourced(store).get(epoch)
    return known if known is not None else (None, None)


def difficulty_forecast(
    store: Store, as_of: date | None = None, *, backtest_since: date | None = date(2016, 1, 1)
) -> dict:
    """The next retarget: height, estimated date, expected change (4x clamp, 2015 intervals) and its uncertainty.

    Block times are the exact header times of the bitcoind `blocks` table where it holds the block, else
    interpolated inside UTC days from the daily block counts (any source in network_daily).
    """
    r = service.data_range(store)
    blocks = store.query(
        "SELECT min(time) AS first, max(time) AS last, max(height) AS h FROM blocks WHERE source_id = 'bitcoind'"
    ).row(0, named=True)
    firsts = [d for d in (r["network_first"], blocks["first"] and blocks["first"].date()) if d]
    lasts = [d for d in (r["network_last"], blocks["last"] and blocks["last"].date()) if d]
    if not lasts:
        raise DataGap("the store holds no network data; run `minerwatch sync` or re-create the store")
    first_day, last_day = min(firsts), max(lasts)
    if as_of is None:
        as_of = last_day
    if as_of < first_day or as_of > last_day:
        raise InputError(f"--as-of {as_of} is outside the network data ({first_day} to {last_day})")
    clock = _clock(store, as_of)
    exact_tip = store.query(
        "SELECT max(height) AS h FROM blocks WHERE source_id = 'bitcoind' AND time < ?", [as_of + timedelta(days=1)]
    )["h"][0]
    candidates = [h for h in (clock.last_height, exact_tip) if h is not None]
    if not candidates:
        raise DataGap(f"no blocks on or before {as_of}")
    height = int(max(candidates))
    epoch = df.epoch_of_height(height)
    start = epoch * nw.RETARGET_INTERVAL_BLOCKS
    k = height - start
    nxt = df.next_retarget_height(height)
    if k < 1:
        raise DataGap(
            f"block {height} (end of {as_of}) is the first of epoch {epoch}: no interval to extrapolate from yet; "
            f"use --as-of a day later"
        )
    exact = _bitcoind_blocks(store, [start, height], as_of)

    def seconds(h: int, what: str) -> float:
        if h in exact:
            return exact[h][0]
        try:
            return clock.seconds(h)
        except ValueError:
            before, after = clock.gap_around(h)
            held = (
                f"days with blocks end {before} and resume {after}"
                if before and after
                else (f"days with blocks cover heights {clock.first_height} to {clock.last_height}")
            )
            raise DataGap(
                f"the store does not hold block {h:,} ({what} of epoch {epoch}) on any day ({held}); "
                f"fill the gap with `minerwatch sync` or give --as-of a day whose epoch is covered"
            ) from None

    t_start = seconds(start, "the first block")
    t_now = seconds(height, "the last block")
    if t_now <= t_start:
        raise DataGap(f"block {height:,} is not later than block {start:,}; no elapsed time to extrapolate from")
    elapsed = t_now - t_start
    cur_d, d_source = _current_difficulty(store, epoch, exact.get(height))
    block_times = {
        (True, True): "exact header times (bitcoind blocks table)",
        (False, False): "interpolated within UTC days from daily block counts",
        (True, False): "first block of the epoch exact (bitcoind), last block interpolated from daily counts",
        (False, True): "first block of the epoch interpolated from daily counts, last block exact (bitcoind)",
    }[(start in exact, height in exact)]
    f = df.forecast_adjustment(elapsed, k, cur_d)
    remaining = nxt - height
    eta = t_now + remaining * f.mean_interval_seconds
    eta_sd = df.remaining_time_sd_seconds(f.mean_interval_seconds, k, remaining)
    progress = k / df.MEASURED_INTERVALS
    bt = df.error_stats(_backtest_rows(store, [progress], backtest_since, as_of))
    return {
        "as_of": as_of,
        "height": height,
        "epoch": epoch,
        "epoch_first_height": start,
        "blocks_into_epoch": k + 1,
        "intervals_so_far": k,
        "next_retarget_height": nxt,
        "blocks_remaining": remaining,
        "estimated_retarget_date": df.seconds_to_datetime(eta).date(),
        "estimated_retarget_utc": df.seconds_to_datetime(round(eta)),
        "retarget_date_sd_hours": _r(eta_sd / 3600.0, 1),
        "retarget_date_range95": [
            df.seconds_to_datetime(eta - 1.96 * eta_sd).date(),
            df.seconds_to_datetime(eta + 1.96 * eta_sd).date(),
        ],
        "retarget_utc_range95": [
            df.seconds_to_datetime(round(eta - 1.96 * eta_sd)),
            df.seconds_to_datetime(round(eta + 1.96 * eta_sd)),
        ],
        "current_difficulty": _r(cur_d, 0),
        "difficulty_source": d_source,
        "expected_change_pct": _r(f.pct, 2),
        "expected_difficulty": _r(cur_d * f.ratio, 0) if cur_d else None,
        "change_sd_pct": _r(f.sd_pct, 2),
        "change_range68_pct": [_r(f.low68_pct, 2), _r(f.high68_pct, 2)],
        "change_range95_pct": [_r(f.low95_pct, 2), _r(f.high95_pct, 2)],
        "mean_block_interval_seconds": _r(f.mean_interval_seconds, 1),
        "projected_timespan_days": _r(f.projected_timespan_seconds / df.SECONDS_PER_DAY, 3),
        "clamped": f.clamped,
        "block_times": block_times,
        "backtest_epochs": bt.get("epochs"),
        "backtest_median_abs_error_pp": _r(bt.get("median_abs_error_pp"), 2),  # type: ignore[arg-type]
        "backtest_p90_abs_error_pp": _r(bt.get("p90_abs_error_pp"), 2),  # type: ignore[arg-type]
        "backtest_since": backtest_since,
        "method": (
            "ratio = 1,209,600 s / (elapsed x 2015 / intervals so far), timespan clamped to [1/4, 4] x two weeks; "
            "block times: see block_times; uncertainty: Poisson block arrivals "
            "at constant hashrate (sd of the span = sqrt(m / (2015 k)) with k intervals seen, m to come); "
            "backtest error: the same forecast at the same epoch progress over past epochs"
        ),
    }


def difficulty_backtest(
    store: Store, *, since: date | None = None, progress: Sequence[float] = BACKTEST_PROGRESS
) -> dict:
    """Error statistics of the forecast over the snapshot's epochs at several points of epoch progress."""
    for p in progress:
        if not 0 < p <= 1:
            raise InputError(f"progress points must be in (0, 1], got {p!r}")
    rows = _backtest_rows(store, progress, since)
    if not rows:
        raise DataGap(f"no complete epoch with a known next difficulty{' since ' + str(since) if since else ''}")
    points = []
    for p in progress:
        stats = df.error_stats([r for r in rows if r.progress == p])
        points.append({"progress": p, **{k: (_r(v, 3) if isinstance(v, float) else v) for k, v in stats.items()}})
    epochs = sorted({r.epoch for r in rows})
    mid = next((pt for pt in points if pt["progress"] == 0.5), None)
    floor = next((pt for pt in points if pt["progress"] == 1.0), None)
    return {
        "since": since,
        "first_epoch": epochs[0],
        "last_epoch": epochs[-1],
        "epochs": len(epochs),
        "mid_epoch_median_abs_error_pp": mid["median_abs_error_pp"] if mid else None,
        "proxy_floor_median_abs_error_pp": floor["median_abs_error_pp"] if floor else None,
        "points": points,
        "method": (
            "for each complete epoch, predict the adjustment after progress x 2015 intervals from interpolated block "
            "times and compare with the next epoch's real difficulty (Electrum targets); error in percentage points; "
            "progress 1.0 measures the block-time proxy itself"
        ),
    }


def epoch_rows(store: Store, *, since: date | None = None, progress: float = 0.5) -> pl.DataFrame:
    """Per-epoch backtest rows at one progress point (for charts and CSV)."""
    rows = _backtest_rows(store, [progress], since)
    return pl.DataFrame(
        [
            {
                "epoch": r.epoch,
                "end_date": r.end_date,
                "progress": r.progress,
                "predicted_pct": r.predicted_pct,
                "actual_pct": r.actual_pct,
                "error_pp": r.error_pct,
                "stated_sd_pp": r.sd_pct,
            }
            for r in rows
        ]
    )


# -- miners' reported hashrate and the basket's share of future rewards --------------------------------

#: Which reported metric stands for a company's hashrate in a month, best match for a monthly mean first.
HASHRATE_METRIC_PREFERENCE = ("average_operating", "realized", "operating", "energized", "deployed")
#: A user's imported CSV (`minerwatch import --kind hashrate`) wins over the embedded company reports.
HASHRATE_SOURCE_PRIORITY = ("csv", "company_reports")


def reported_hashrate(store: Store, month: str, tickers: Sequence[str] | None = None) -> pl.DataFrame:
    """One self-reported hashrate per ticker in a month (ticker, metric, hashrate_ehs, source_id, source_url)."""
    service.parse_month(month)
    metric_rank = " ".join(f"WHEN '{m}' THEN {i}" for i, m in enumerate(HASHRATE_METRIC_PREFERENCE))
    frame = store.query(
        f"""
        SELECT ticker, metric, hashrate_ehs, source_id, source_url
        FROM miner_hashrate_reported
        WHERE month = ? AND hashrate_ehs IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY ticker
            ORDER BY {service._priority_case(HASHRATE_SOURCE_PRIORITY)},
                     CASE metric {metric_rank} ELSE {len(HASHRATE_METRIC_PREFERENCE)} END) = 1
        ORDER BY ticker
        """,
        [month],
    )
    if tickers is not None:
        frame = frame.filter(pl.col("ticker").is_in(list(tickers)))
    return frame


def latest_reported_month(store: Store) -> str:
    """The latest complete month in which some company reported its hashrate (the default of hashrate-share)."""
    complete = service.latest_complete_month(store)
    got = store.query(
        "SELECT max(month) AS m FROM miner_hashrate_reported WHERE hashrate_ehs IS NOT NULL AND month <= ?",
        [complete],
    )["m"][0]
    return str(got) if got else complete


def basket_hashrate_share(store: Store, month: str) -> dict:
    """The basket's self-reported hashrate as a share of network hashrate, and its market cap as a multiple of
    its share of the next four years of block rewards (members that report both)."""
    from minerwatch import service_basket

    basket = service_basket.basket_month(store, month)
    members = {m["ticker"]: m for m in basket["members"]}
    tickers = sorted(members) + sorted(t for t in _missing_tickers(basket) if t not in members)
    net = _month_summary(store, month)
    network_ehs = float(net["hashrate_ehs"])
    reported = reported_hashrate(store, month, tickers)
    first, last = service.parse_month(month)
    tip = store.query(
        "SELECT max(last_height) AS h FROM network_daily WHERE date <= ? AND last_height IS NOT NULL", [last]
    )["h"][0]
    close = service.btc_closes(store, None, last).tail(1)
    if tip is None or close.height == 0:
        raise DataGap(f"no block height or BTC close on or before {last}")
    price = float(close["close_usd"][0])
    fee_share = float(net["fee_share_pct"] or 0.0)
    rewards_btc = ec.future_subsidy_btc(int(tip), ec.BLOCKS_PER_FOUR_YEARS) / (1.0 - fee_share / 100.0)
    # Cross-check: the BTC each member reports producing that month as a share of all the BTC mined (subsidy +
    # fees) in the month, when the store holds every day of it. Independent of the hashrate metric used.
    days = service.network_facts(store, first, last)
    month_reward_btc = (
        float(days["subsidy_btc"].sum()) + float(days["fees_btc"].sum())
        if days.height == (last - first).days + 1
        else None
    )
    produced = {
        t: b
        for t, b in store.query(
            f"""
            SELECT ticker, btc_produced FROM miner_hashrate_reported WHERE month = ? AND btc_produced IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY ticker ORDER BY {service._priority_case(HASHRATE_SOURCE_PRIORITY)},
                                       btc_produced DESC) = 1
            """,
            [month],
        ).rows()
    }
    rows = []
    for r in reported.iter_rows(named=True):
        cap = members.get(r["ticker"], {}).get("market_cap_end_usd")
        share = ec.hashrate_share_pct(r["hashrate_ehs"], network_ehs)
        btc = produced.get(r["ticker"])
        made = 100.0 * btc / month_reward_btc if btc is not None and month_reward_btc else None
        rows.append(
            {
                "ticker": r["ticker"],
                "hashrate_ehs": r["hashrate_ehs"],
                "metric": r["metric"] or "unspecified",
                "hashrate_share_pct": _r(share, 3),
                "btc_produced": btc,
                "produced_reward_share_pct": _r(made, 3),
                "market_cap_end_usd": cap,
                "market_cap_to_reward_share_multiple": _r(
                    ec.market_cap_to_reward_share_multiple(cap, share, rewards_btc, price) if cap else None, 2
                ),
                "market_cap_to_produced_share_multiple": _r(
                    ec.market_cap_to_reward_share_multiple(cap, made, rewards_btc, price) if cap and made else None, 2
                ),
                "source_id": r["source_id"],
                "source_url": r["source_url"],
            }
        )
    if not rows:
        rng = store.query(
            "SELECT min(month) AS first, max(month) AS last FROM miner_hashrate_reported WHERE hashrate_ehs IS NOT NULL"
        )
        raise DataGap(
            f"no basket member has a reported hashrate for {month} (reports cover {rng['first'][0]} to "
            f"{rng['last'][0]}, sparsely); add your own with `minerwatch import FILE --kind hashrate`"
        )
    both = [r for r in rows if r["market_cap_end_usd"]]
    with_btc = [r for r in rows if r["produced_reward_share_pct"] is not None]
    btc_total = sum(r["btc_produced"] for r in with_btc)
    with_btc_cap = [r for r in with_btc if r["market_cap_end_usd"]]
    total_ehs = sum(r["hashrate_ehs"] for r in rows)
    both_ehs = sum(r["hashrate_ehs"] for r in both)
    both_cap = sum(r["market_cap_end_usd"] for r in both)
    both_share = ec.hashrate_share_pct(both_ehs, network_ehs)
    return {
        "month": month,
        "network_hashrate_ehs": _r(network_ehs, 2),
        "reporting_members": len(rows),
        "basket_members": len(tickers),
        "reported_hashrate_ehs": _r(total_ehs, 2),
        "hashrate_share_pct": _r(ec.hashrate_share_pct(total_ehs, network_ehs), 2),
        "market_cap_end_usd": _r(both_cap, 0) if both else None,
        "hashrate_share_pct_with_market_cap": _r(both_share, 2) if both else None,
        "rewards_next_four_years_btc": _r(rewards_btc, 2),
        "btc_close_usd": _r(price, 2),
        "market_cap_to_reward_share_multiple": _r(
            ec.market_cap_to_reward_share_multiple(both_cap, both_share, rewards_btc, price), 2
        )
        if both
        else None,
        "reward_share_value_usd": _r(both_share / 100.0 * rewards_btc * price, 0) if both else None,
        "month_reward_btc": _r(month_reward_btc, 2),
        "members_with_btc_produced": len(with_btc),
        "btc_produced": _r(btc_total, 2) if with_btc else None,
        "produced_reward_share_pct": _r(100.0 * btc_total / month_reward_btc, 2)
        if with_btc and month_reward_btc
        else None,
        "market_cap_to_produced_share_multiple": _r(
            ec.market_cap_to_reward_share_multiple(
                sum(r["market_cap_end_usd"] for r in with_btc_cap),
                100.0 * sum(r["btc_produced"] for r in with_btc_cap) / month_reward_btc,
                rewards_btc,
                price,
            ),
            2,
        )
        if with_btc_cap and month_reward_btc
        else None,
        "hashrate_share_pct_same_members": _r(
            ec.hashrate_share_pct(sum(r["hashrate_ehs"] for r in with_btc), network_ehs), 2
        )
        if with_btc
        else None,
        "members": rows,
        "not_reporting": [t for t in tickers if t not in {r["ticker"] for r in rows}],
        "height_end_of_month": int(tip),
        "fee_share_pct": _r(fee_share, 3),
        "basis": (
            "self-reported hashrate per member (preferred metric: average_operating > realized > operating > "
            "energized > deployed; companies' metrics are not like for like: energized/deployed run ~10-25% above "
            "operating) over the month's mean block-count network hashrate; rewards = subsidy of the 210,000 "
            "blocks after the month's last height / (1 - the month's fee share), valued at the month-end BTC close; "
            "multiple = members' month-end market cap / (their hashrate share x that value), members reporting both; "
            "that is, as if each kept its share of network hashrate for the next 210,000 blocks at today's price; "
            "cross-check: BTC each member reports producing / all BTC mined in the month (subsidy + fees), and the "
            "multiple on that produced share (like for like across companies)"
        ),
    }


def _missing_tickers(basket: dict) -> list[str]:
    out = []
    for m in basket.get("missing") or []:
        t = m.get("ticker") if isinstance(m, dict) else m
        if isinstance(t, str):
            out.append(t)
    return out
