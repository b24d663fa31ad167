"""Hand-checked goldens of the pure economics functions."""

from __future__ import annotations

from datetime import date

import pytest

from minerwatch.metrics import economics as ec


def test_one_ehs_at_26_jth_draws_26_mw_and_624000_kwh_a_day() -> None:
    # 1 EH/s = 1e6 TH/s; x 26 J/TH = 26e6 W = 26 MW = 26,000 kW; x 24 h = 624,000 kWh.
    assert ec.power_kw_per_ehs(26) == 26_000
    assert ec.kwh_per_ehs_day(26) == 624_000


def test_power_cost_at_4_cents_is_24960_a_day() -> None:
    assert ec.power_cost_usd_per_ehs_day(26, 0.04) == pytest.approx(24_960.0, abs=1e-9)
    # opex is priced per kWh drawn: 624,000 x (0.04 + 0.01) = 31,200
    assert ec.power_cost_usd_per_ehs_day(26, 0.04, 0.01) == pytest.approx(31_200.0, abs=1e-9)


def test_breakeven_is_revenue_over_kwh_per_day() -> None:
    # 54,372.05 / 624,000 = 0.087134695...
    assert ec.breakeven_power_usd_kwh(54_372.05, 26) == pytest.approx(54_372.05 / 624_000, rel=1e-15)
    assert ec.breakeven_power_usd_kwh(62_400.0, 26) == pytest.approx(0.10)
    # with 1 cent of opex the power price that breaks even is 1 cent lower
    assert ec.breakeven_power_usd_kwh(62_400.0, 26, 0.01) == pytest.approx(0.09)
    # at the breakeven price gross profit is zero
    be = ec.breakeven_power_usd_kwh(50_000.0, 17.5, 0.005)
    assert ec.gross_profit_usd_per_ehs_day(50_000.0, ec.power_cost_usd_per_ehs_day(17.5, be, 0.005)) == pytest.approx(
        0.0, abs=1e-9
    )


def test_profit_margin_pool_fee_cost_per_btc_payback() -> None:
    revenue = ec.net_revenue_usd_per_ehs_day(50_000.0, 2.0)  # 2% pool fee -> 49,000
    assert revenue == pytest.approx(49_000.0)
    assert ec.gross_profit_usd_per_ehs_day(revenue, 24_960.0) == pytest.approx(24_040.0)
    assert ec.gross_margin_pct(49_000.0, 24_960.0) == pytest.approx(100 * 24_040 / 49_000)
    assert ec.gross_margin_pct(20_000.0, 24_960.0) == pytest.approx(-24.8)
    assert ec.gross_margin_pct(0.0, 1.0) is None
    # 0.5 BTC per EH/s per day: 24,960 / 0.5 = 49,920 USD per BTC; with a 2% fee 0.49 BTC -> 50,938.78
    assert ec.cost_per_btc_usd(24_960.0, 0.5) == pytest.approx(49_920.0)
    assert ec.cost_per_btc_usd(24_960.0, 0.5, 2.0) == pytest.approx(24_960 / 0.49)
    # 15 USD/TH -> 15,000,000 USD per EH/s; at 30,000 a day: 500 days
    assert ec.payback_days(15.0, 30_000.0) == pytest.approx(500.0)
    assert ec.payback_days(15.0, -1.0) is None


def test_change_against_absolute_base() -> None:
    assert ec.change_pct_abs_base(90.0, 100.0) == pytest.approx(-10.0)
    # a loss that shrinks from -100 to -50 is an improvement: +50%
    assert ec.change_pct_abs_base(-50.0, -100.0) == pytest.approx(50.0)
    assert ec.change_pct_abs_base(1.0, 0.0) is None
    assert ec.change_pct_abs_base(1.0, None) is None


@pytest.mark.parametrize("bad", [0, -26, float("nan")])
def test_bad_efficiency_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="efficiency_jth must be a positive number"):
        ec.kwh_per_ehs_day(bad)


def test_bad_power_hashrate_fee_are_refused() -> None:
    with pytest.raises(ValueError, match="power_usd_kwh"):
        ec.power_cost_usd_per_ehs_day(26, -0.01)
    with pytest.raises(ValueError, match="hashrate_ehs"):
        ec.scenario_btc_per_ehs_day(3.125, 1.0, 0)
    with pytest.raises(ValueError, match="fee_share_pct"):
        ec.reward_btc_per_block(3.125, 100)


def test_scenario_hashprice_halves_exactly_at_height_1050000() -> None:
    # 144 x 3.125 / (1 - 0.02) x 70,000 / 900 = 35,714.2857...; half of it from height 1,050,000 on.
    before = ec.scenario_hashprice_at_height_usd_per_ehs_day(1_049_999, 70_000, 900, 2.0)
    at = ec.scenario_hashprice_at_height_usd_per_ehs_day(1_050_000, 70_000, 900, 2.0)
    assert before == pytest.approx(144 * 3.125 / 0.98 * 70_000 / 900)
    assert before == pytest.approx(35_714.285714285, rel=1e-12)
    assert at == pytest.approx(before / 2, rel=1e-15)
    assert ec.scenario_hashprice_at_height_usd_per_ehs_day(1_259_999, 70_000, 900, 2.0) == at


def test_scenario_day_that_crosses_the_halving_blends_the_two_subsidies() -> None:
    # Height 1,049,900 at the end of 2028-04-01, 144 blocks a day: 2028-04-02 mines 1,049,901..1,050,044,
    # 99 blocks at 3.125 and 45 at 1.5625: (309.375 + 70.3125) / 144 = 2.63671875 BTC per block.
    first, last = ec.scenario_day_heights(1_049_900, date(2028, 4, 1), date(2028, 4, 2), 144.0)
    assert (first, last) == (1_049_901, 1_050_044)
    assert ec.scenario_mean_subsidy_btc(first, last) == 2.63671875
    nxt = ec.scenario_day_heights(1_049_900, date(2028, 4, 1), date(2028, 4, 3), 144.0)
    assert nxt == (1_050_045, 1_050_188)
    assert ec.scenario_mean_subsidy_btc(*nxt) == 1.5625
    assert ec.estimated_date_of_height(1_049_900, date(2028, 4, 1), 1_050_000, 144.0) == date(2028, 4, 2)
    with pytest.raises(ValueError, match="must be after the last day of data"):
        ec.scenario_day_heights(1_049_900, date(2028, 4, 1), date(2028, 4, 1), 144.0)


def test_estimated_height_from_block_rate() -> None:
    # 10 days at 143.5 blocks a day = 1,435 blocks
    assert ec.estimated_height(900_000, date(2025, 1, 1), date(2025, 1, 11), 143.5) == 901_435


def test_market_cap_multiple_of_reward_share() -> None:
    # one era after the 2028 halving pays 210,000 x 1.5625 BTC; a range across it pays both subsidies
    assert ec.future_subsidy_btc(1_050_000 - 1, 210_000) == 210_000 * 1.5625
    assert ec.future_subsidy_btc(1_049_999 - 10, 20) == 10 * 3.125 + 10 * 1.5625
    # 5% of 328,125 BTC at 100,000 USD = 1,640,625,000 USD: a market cap of that size is a 1.0x multiple
    mult = ec.market_cap_to_reward_share_multiple(1_640_625_000.0, 5.0, 328_125.0, 100_000.0)
    assert mult == pytest.approx(1.0)
    assert ec.hashrate_share_pct(81.0, 810.0) == pytest.approx(10.0)
