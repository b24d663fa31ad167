"""Properties that must hold for any inputs: breakeven zeroes the profit, the retarget stays within 4x."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minerwatch.metrics import difficulty as df
from minerwatch.metrics import economics as ec

efficiency = st.floats(min_value=5, max_value=150)
revenue = st.floats(min_value=1, max_value=1e6)
opex = st.floats(min_value=0, max_value=0.1)


@given(revenue, efficiency, opex)
def test_breakeven_power_price_zeroes_gross_profit(rev: float, eff: float, ox: float) -> None:
    be = ec.breakeven_power_usd_kwh(rev, eff, ox)
    if be >= 0:
        cost = ec.power_cost_usd_per_ehs_day(eff, be, ox)
        assert ec.gross_profit_usd_per_ehs_day(rev, cost) == pytest.approx(0.0, abs=1e-6 * rev)


@given(st.floats(min_value=1, max_value=1e9), st.integers(min_value=1, max_value=2015))
def test_forecast_ratio_within_the_clamp_and_ranges_ordered(elapsed: float, k: int) -> None:
    f = df.forecast_adjustment(elapsed, k)
    assert 0.25 <= f.ratio <= 4.0
    assert f.low95_pct <= f.low68_pct <= f.pct <= f.high68_pct <= f.high95_pct


@given(st.integers(min_value=0, max_value=6_000_000), st.integers(min_value=1, max_value=300))
def test_scenario_day_subsidy_is_between_the_eras(first: int, n: int) -> None:
    mean = ec.scenario_mean_subsidy_btc(first, first + n - 1)
    from minerwatch.metrics.network import subsidy_btc

    assert subsidy_btc(first + n - 1) - 1e-15 <= mean <= subsidy_btc(first) + 1e-15
