"""Economics on the embedded snapshot: the JSON contract, cross-checks with the hashprice, scenarios, difficulty."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from minerwatch import service
from minerwatch import service_economics as se
from minerwatch.errors import DataGap, InputError
from minerwatch.store import Store

CONTRACT = [
    "month",
    "efficiency_jth",
    "power_usd_kwh",
    "revenue_usd_per_ehs_day",
    "cost_usd_per_ehs_day",
    "gross_profit_usd_per_ehs_day",
    "gross_margin_pct",
    "breakeven_power_usd_kwh",
    "cost_per_btc_usd",
    "mom_change_pct",
]


def test_economics_month_contract_and_cross_checks(ro_store: Store) -> None:
    d = se.economics_month(ro_store, "2025-02", efficiency_jth=26, power_usd_kwh=0.04)
    assert list(d)[: len(CONTRACT)] == CONTRACT
    hp = service.hashprice_month(ro_store, "2025-02")
    # Revenue is the month's hashprice (default estimator/basis), before any pool fee.
    assert d["revenue_usd_per_ehs_day"] == hp["usd_per_ehs_day"] == 54_372.05
    assert d["cost_usd_per_ehs_day"] == 24_960.0
    assert d["kwh_per_ehs_day"] == 624_000.0
    assert d["gross_profit_usd_per_ehs_day"] == pytest.approx(54_372.05 - 24_960.0, abs=0.01)
    assert d["gross_margin_pct"] == pytest.approx(100 * (54_372.05 - 24_960) / 54_372.05, abs=0.01)
    assert d["breakeven_power_usd_kwh"] == pytest.approx(54_372.05 / 624_000, abs=1e-5)
    assert d["cost_per_btc_usd"] == pytest.approx(24_960 / hp["btc_per_ehs_day"], rel=1e-6)
    jan = se.economics_month(ro_store, "2025-01", efficiency_jth=26, power_usd_kwh=0.04)
    assert d["previous_gross_profit_usd_per_ehs_day"] == jan["gross_profit_usd_per_ehs_day"]
    expected_mom = 100 * (d["gross_profit_usd_per_ehs_day"] / jan["gross_profit_usd_per_ehs_day"] - 1)
    assert d["mom_change_pct"] == pytest.approx(expected_mom, abs=0.01)
    # Month-on-month of the other monthly means, against January's own figures.
    for key, prev_key, change_key in [
        ("revenue_usd_per_ehs_day", "previous_revenue_usd_per_ehs_day", "revenue_mom_change_pct"),
        ("breakeven_power_usd_kwh", "previous_breakeven_power_usd_kwh", "breakeven_mom_change_pct"),
        ("cost_per_btc_usd", "previous_cost_per_btc_usd", "cost_per_btc_mom_change_pct"),
    ]:
        assert d[prev_key] == jan[key]
        assert d[change_key] == pytest.approx(100 * (d[key] / jan[key] - 1), abs=0.02)
    assert d["previous_revenue_usd_per_ehs_day"] == 58_096.18  # January's mean hashprice
    assert d["previous_gross_margin_pct"] == jan["gross_margin_pct"]
    assert d["gross_margin_mom_change_pp"] == pytest.approx(d["gross_margin_pct"] - jan["gross_margin_pct"], abs=0.01)
    # The first month of data has no previous month: every change is null, not an error.
    first = se.economics_month(ro_store, "2010-07", efficiency_jth=26, power_usd_kwh=0.04)
    assert first["mom_change_pct"] is first["revenue_mom_change_pct"] is first["gross_margin_mom_change_pp"] is None
    assert (d["days"], d["days_in_month"]) == (28, 28)


def test_pool_fee_opex_and_payback(ro_store: Store) -> None:
    base = se.economics_month(ro_store, "2025-02", efficiency_jth=26, power_usd_kwh=0.04)
    d = se.economics_month(
        ro_store,
        "2025-02",
        efficiency_jth=26,
        power_usd_kwh=0.04,
        opex_usd_kwh=0.01,
        pool_fee_pct=2,
        machine_usd_per_th=15,
    )
    assert d["revenue_usd_per_ehs_day"] == pytest.approx(base["revenue_usd_per_ehs_day"] * 0.98, abs=0.01)
    assert d["cost_usd_per_ehs_day"] == 31_200.0
    assert d["breakeven_power_usd_kwh"] == pytest.approx(d["revenue_usd_per_ehs_day"] / 624_000 - 0.01, abs=1e-5)
    assert d["payback_days"] == pytest.approx(15_000_000 / d["gross_profit_usd_per_ehs_day"], abs=0.1)


def test_breakeven_on_a_day(ro_store: Store) -> None:
    d = se.breakeven(ro_store, date(2025, 2, 28), efficiency_jth=17.5)
    day = service.network_daily(ro_store, date(2025, 2, 28), date(2025, 2, 28)).row(0, named=True)
    # 17.5 J/TH: 17,500 kW x 24 h = 420,000 kWh per EH/s per day
    assert d["kwh_per_ehs_day"] == 420_000.0
    assert d["breakeven_power_usd_kwh"] == pytest.approx(day["usd_per_ehs_day"] / 420_000, abs=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(efficiency_jth=0, power_usd_kwh=0.04), "--efficiency-jth must be a positive number"),
        (dict(efficiency_jth=-26, power_usd_kwh=0.04), "--efficiency-jth must be a positive number"),
        (dict(efficiency_jth=26, power_usd_kwh=0), "--power-usd-kwh must be a positive number"),
        (dict(efficiency_jth=26, power_usd_kwh=-0.04), "--power-usd-kwh must be a positive number"),
        (dict(efficiency_jth=26, power_usd_kwh=0.04, pool_fee_pct=100), "--pool-fee-pct must be a percent"),
        (dict(efficiency_jth=26, power_usd_kwh=0.04, opex_usd_kwh=-1), "--opex-usd-kwh must be zero or a positive"),
    ],
)
def test_bad_fleet_inputs(ro_store: Store, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        se.economics_month(ro_store, "2025-02", **kwargs)


def test_month_outside_the_data_is_a_gap(ro_store: Store) -> None:
    with pytest.raises(DataGap, match="no network data between 2030-01-01 and 2030-01-31"):
        se.economics_month(ro_store, "2030-01", efficiency_jth=26, power_usd_kwh=0.04)
    with pytest.raises(InputError, match="month must be YYYY-MM"):
        se.economics_month(ro_store, "2025-13", efficiency_jth=26, power_usd_kwh=0.04)


def _tip(store: Store) -> tuple[date, int, float]:
    rows = store.query(
        "SELECT date, block_count, last_height FROM network_daily WHERE block_count > 0 ORDER BY date DESC LIMIT 28"
    )
    last, first = rows["date"][0], rows["date"][-1]
    return last, int(rows["last_height"][0]), rows["block_count"].sum() / ((last - first).days + 1)


def test_scenario_subsidy_drops_at_height_1050000(ro_store: Store) -> None:
    last_date, last_height, rate = _tip(ro_store)
    assert (last_date, last_height) == (date(2025, 12, 29), 930_093)
    args = dict(price_usd=70_000, hashrate_ehs=900, fee_share_pct=2.0)
    s = se.scenario(ro_store, **args, on=date(2028, 5, 1))
    assert s["next_halving_height"] == 1_050_000
    # Day on which the extrapolated height first reaches 1,050,000, by hand from the 28-day block rate.
    days = -(-(1_050_000 - last_height) // rate)
    halving_day = last_date + timedelta(days=int(days))
    assert s["next_halving_estimated_date"] == halving_day
    before = se.scenario(ro_store, **args, on=halving_day - timedelta(days=1))
    on = se.scenario(ro_store, **args, on=halving_day)
    after = se.scenario(ro_store, **args, on=halving_day + timedelta(days=1))
    assert before["subsidy_btc"] == 3.125 and before["estimated_height"] < 1_050_000
    assert on["halving_that_day"] and on["day_first_height"] <= 1_050_000 <= on["estimated_height"]
    assert not before["halving_that_day"] and not after["halving_that_day"]
    # The day's mean subsidy counts its blocks below 1,050,000 at 3.125 and the rest at 1.5625.
    n = on["estimated_height"] - on["day_first_height"] + 1
    n_old = 1_050_000 - on["day_first_height"]
    assert on["subsidy_btc"] == pytest.approx((n_old * 3.125 + (n - n_old) * 1.5625) / n)
    assert after["subsidy_btc"] == 1.5625 and after["halvings_before_date"] == 1
    assert after["hashprice_usd_per_ehs_day"] == pytest.approx(144 * 1.5625 / 0.98 * 70_000 / 900, abs=0.01)
    assert before["hashprice_usd_per_ehs_day"] == pytest.approx(2 * after["hashprice_usd_per_ehs_day"], abs=0.02)


def test_scenario_bad_inputs(ro_store: Store) -> None:
    ok = dict(price_usd=70_000, hashrate_ehs=900, fee_share_pct=2.0, on=date(2027, 1, 1))
    with pytest.raises(InputError, match="--hashrate-ehs must be a positive number"):
        se.scenario(ro_store, **{**ok, "hashrate_ehs": 0})
    with pytest.raises(InputError, match="--hashrate-ehs must be a positive number"):
        se.scenario(ro_store, **{**ok, "hashrate_ehs": -900})
    with pytest.raises(InputError, match="--price must be a positive number"):
        se.scenario(ro_store, **{**ok, "price_usd": 0})
    with pytest.raises(InputError, match=r"scenario date 2020-01-01 is not after the last day of data \(2025-12-29\)"):
        se.scenario(ro_store, **{**ok, "on": date(2020, 1, 1)})
    with pytest.raises(InputError, match="--power-usd-kwh needs --efficiency-jth"):
        se.scenario(ro_store, **ok, power_usd_kwh=0.04)


def test_scenario_with_fleet_and_grid(ro_store: Store) -> None:
    args = dict(price_usd=70_000, hashrate_ehs=900, fee_share_pct=0.0, on=date(2026, 6, 1))
    s = se.scenario(ro_store, **args, efficiency_jth=20, power_usd_kwh=0.05)
    # 144 x 3.125 x 70,000 / 900 = 35,000 USD; 20 J/TH -> 480,000 kWh x 0.05 = 24,000 USD
    assert s["hashprice_usd_per_ehs_day"] == 35_000.0
    assert s["cost_usd_per_ehs_day"] == 24_000.0
    assert s["gross_margin_pct"] == pytest.approx(100 * 11_000 / 35_000, abs=0.01)
    assert s["breakeven_power_usd_kwh"] == pytest.approx(35_000 / 480_000, abs=1e-5)
    # $15/TH = $15M per EH/s, repaid by 11,000 a day in 1,363.6 days
    paid = se.scenario(ro_store, **args, efficiency_jth=20, power_usd_kwh=0.05, machine_usd_per_th=15)
    assert paid["payback_days"] == pytest.approx(15_000_000 / 11_000, abs=0.05)
    with pytest.raises(InputError, match="--machine-usd-per-th needs --efficiency-jth and --power-usd-kwh"):
        se.scenario(ro_store, **args, machine_usd_per_th=15)
    g = se.scenario_grid(ro_store, **args, efficiency_jth=20, prices_usd=[35_000, 70_000], power_prices_usd_kwh=[0.05])
    assert [c["gross_margin_pct"] for c in g["cells"]] == [
        pytest.approx(100 * (17_500 - 24_000) / 17_500, abs=0.01),
        pytest.approx(100 * 11_000 / 35_000, abs=0.01),
    ]
    with pytest.raises(InputError, match="--power-prices must be a positive number"):
        se.scenario_grid(ro_store, **args, efficiency_jth=20, power_prices_usd_kwh=[0.0])


def test_difficulty_forecast_mid_epoch_by_hand(ro_store: Store) -> None:
    f = se.difficulty_forecast(ro_store, date(2025, 2, 20))
    day = ro_store.query("SELECT last_height FROM network_daily WHERE date = DATE '2025-02-20'")
    h = int(day["last_height"][0])
    assert f["height"] == h == 884_651
    assert f["epoch"] == 438 and f["epoch_first_height"] == 438 * 2016
    assert f["next_retarget_height"] == 439 * 2016 == 885_024
    assert f["blocks_remaining"] == 885_024 - h
    k = h - 438 * 2016
    expected_ratio = 1_209_600 / (f["mean_block_interval_seconds"] * 2015)
    assert f["expected_change_pct"] == pytest.approx(100 * (expected_ratio - 1), abs=0.02)
    assert f["intervals_so_far"] == k
    lo, hi = f["change_range95_pct"]
    assert lo < f["expected_change_pct"] < hi
    # The realised change was -3.15% (Electrum targets of epochs 438 and 439): inside the stated 95% range.
    diffs = se._epoch_difficulties(ro_store)
    actual = 100 * (diffs[439] / diffs[438] - 1)
    assert actual == pytest.approx(-3.15, abs=0.01)
    assert lo <= actual <= hi
    # The backtest error shown next to a past forecast only uses epochs that had ended by then.
    full = se.difficulty_backtest(ro_store, since=date(2016, 1, 1))["epochs"]
    ended = ro_store.query(
        "SELECT count(*) AS n FROM difficulty_epochs "
        "WHERE last_date >= DATE '2016-01-01' AND last_date < DATE '2025-02-20'"
    )["n"][0]
    assert f["backtest_epochs"] == ended < full


def test_difficulty_forecast_bad_dates(ro_store: Store) -> None:
    with pytest.raises(InputError, match="--as-of 2030-01-01 is outside the network data"):
        se.difficulty_forecast(ro_store, date(2030, 1, 1))


def test_difficulty_backtest_figures(ro_store: Store) -> None:
    d = se.difficulty_backtest(ro_store, since=date(2016, 1, 1))
    mid = d["mid_epoch_median_abs_error_pp"]
    floor = d["proxy_floor_median_abs_error_pp"]
    print(f"\nbacktest since 2016: {d['epochs']} epochs, mid-epoch median |error| {mid} pp, proxy floor {floor} pp")
    assert d["epochs"] > 250
    # Errors shrink as the epoch fills up, and the mid-epoch forecast is within a few points.
    meds = [p["median_abs_error_pp"] for p in d["points"]]
    assert meds == sorted(meds, reverse=True)
    assert 0 < floor < mid < 3.0
    with pytest.raises(InputError, match="progress points"):
        se.difficulty_backtest(ro_store, progress=(0.0,))
