"""Hand-computed goldens and properties of the pure network metrics."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minerwatch.metrics import network as nw


@pytest.mark.parametrize(
    ("height", "btc"),
    [
        (0, 50.0),
        (209_999, 50.0),
        (210_000, 25.0),
        (419_999, 25.0),
        (420_000, 12.5),
        (629_999, 12.5),
        (630_000, 6.25),
        (839_999, 6.25),
        (840_000, 3.125),
        (1_049_999, 3.125),
        (1_050_000, 1.5625),
        (64 * 210_000, 0.0),
    ],
)
def test_subsidy_schedule_goldens(height: int, btc: float) -> None:
    assert nw.subsidy_btc(height) == btc


def test_subsidy_is_integer_satoshi_shift() -> None:
    # 50 BTC >> 33 halvings = 5e9 >> 33 = 0 sat; >> 32 = 1 sat (the last non-zero era).
    assert nw.subsidy_sat(32 * 210_000) == 1
    assert nw.subsidy_sat(33 * 210_000) == 0
    assert nw.subsidy_sat(10 * 210_000) == 5_000_000_000 >> 10 == 4_882_812


def test_subsidy_for_heights_across_a_halving() -> None:
    # 2024-04-19 in Coin Metrics: heights 839,853..840,003 = 147 blocks at 6.25 + 4 at 3.125 = 931.25 BTC.
    assert nw.subsidy_btc_for_heights(839_853, 840_003) == 147 * 6.25 + 4 * 3.125 == 931.25
    assert nw.subsidy_btc_for_heights(10, 9) == 0.0


def test_negative_height_rejected() -> None:
    with pytest.raises(ValueError, match="-1"):
        nw.subsidy_sat(-1)


def test_difficulty_from_bits_goldens() -> None:
    # Genesis bits 0x1d00ffff is the difficulty-1 target.
    assert nw.target_from_bits(0x1D00FFFF) == 0xFFFF << 208
    assert nw.difficulty_from_bits(0x1D00FFFF) == 1.0
    # Block 730,000 (mempool.space /api/v1/blocks/730000): bits 386521239, difficulty 28587155782195.1
    assert nw.difficulty_from_bits(386_521_239) == pytest.approx(28_587_155_782_195.1, rel=1e-12)
    # Block 631,076 (Bitcoin Core getblockheader): bits 171297f6, difficulty 15138043247082.88
    assert nw.difficulty_from_bits(0x171297F6) == pytest.approx(15_138_043_247_082.88, rel=1e-12)
    # Small exponent: 0x03123456 -> mantissa as is.
    assert nw.target_from_bits(0x03123456) == 0x123456
    assert nw.target_from_bits(0x02123456) == 0x1234


def test_difficulty_from_target_rejects_zero() -> None:
    with pytest.raises(ValueError):
        nw.difficulty_from_target(0)


def test_hashrate_estimators_by_hand() -> None:
    d = 1.0e14
    # D x 2^32 / 600 H/s = 1e14 x 4294967296 / 600 = 7.158278826666667e20 H/s = 715.8278826666667 EH/s
    assert nw.hashrate_ehs_from_difficulty(d) == pytest.approx(715.8278826666667, rel=1e-15)
    # 150 blocks in a day: 150/144 of that.
    assert nw.hashrate_ehs_from_blockcount(150, d) == pytest.approx(715.8278826666667 * 150 / 144, rel=1e-15)


def test_one_day_hashprice_worked_by_hand() -> None:
    # A day with 150 blocks at difficulty 1e14, 3.125 BTC subsidy each, 7.5 BTC fees, BTC at $90,000.
    network = pl.DataFrame(
        {
            "date": [date(2025, 1, 1)],
            "block_count": [150],
            "difficulty": [1.0e14],
            "subsidy_btc": [468.75],
            "fees_btc": [7.5],
        }
    )
    prices = pl.DataFrame({"date": [date(2025, 1, 1)], "close_usd": [90_000.0]})
    hr_diff = 1.0e14 * 2**32 / 600 / 1e18  # 715.827... EH/s
    revenue = 468.75 + 7.5  # 476.25 BTC realized
    expected_revenue = 144 * revenue / 150  # 457.2 BTC at the day's difficulty
    cases = {
        ("blockcount", "realized"): revenue / (150 / 144 * hr_diff),
        ("blockcount", "expected"): expected_revenue / (150 / 144 * hr_diff),
        ("difficulty", "realized"): revenue / hr_diff,
        ("difficulty", "expected"): expected_revenue / hr_diff,
    }
    for (estimator, basis), btc_per_ehs in cases.items():
        row = nw.daily_hashprice(network, prices, estimator=estimator, basis=basis).row(0, named=True)
        assert row["btc_per_ehs_day"] == pytest.approx(btc_per_ehs, rel=1e-12)
        assert row["usd_per_ehs_day"] == pytest.approx(btc_per_ehs * 90_000, rel=1e-12)
        assert row["usd_per_phs_day"] == pytest.approx(btc_per_ehs * 90, rel=1e-12)
        assert row["fee_share_pct"] == pytest.approx(100 * 7.5 / 476.25, rel=1e-12)
    # 457.2 BTC / 715.8278826666667 EH/s = 0.638702... BTC per EH/s per day: $57,483.2 at $90k.
    assert cases[("difficulty", "expected")] * 90_000 == pytest.approx(57_483.2, rel=1e-5)
    # The identity behind the default: realized/blockcount == expected/difficulty.
    assert cases[("blockcount", "realized")] == pytest.approx(cases[("difficulty", "expected")], rel=1e-12)


def test_smoothing_needs_a_full_window() -> None:
    days = [date(2025, 1, d) for d in range(1, 9)]
    network = pl.DataFrame(
        {
            "date": days,
            "block_count": [144, 160, 128, 144, 150, 138, 144, 144],
            "difficulty": [1e14] * 8,
            "subsidy_btc": [450.0] * 8,
            "fees_btc": [5.0] * 8,
        }
    )
    prices = pl.DataFrame({"date": days, "close_usd": [1.0] * 8})
    out = nw.daily_hashprice(network, prices, smooth_days=7)
    assert out["hashrate_ehs"].null_count() == 6
    hr = 1e14 * 2**32 / 600 / 1e18
    assert out["hashrate_ehs"][6] == pytest.approx(hr * (144 + 160 + 128 + 144 + 150 + 138 + 144) / 7 / 144)


def test_bad_choices_are_rejected() -> None:
    empty = pl.DataFrame({"date": [], "block_count": [], "difficulty": [], "subsidy_btc": [], "fees_btc": []})
    with pytest.raises(ValueError, match="estimator"):
        nw.daily_hashprice(empty, pl.DataFrame({"date": [], "close_usd": []}), estimator="luck")
    with pytest.raises(ValueError, match="basis"):
        nw.daily_hashprice(empty, pl.DataFrame({"date": [], "close_usd": []}), basis="hoped")


positive = st.floats(min_value=1e-3, max_value=1e7, allow_nan=False, allow_infinity=False)


@given(revenue=positive, price=positive, hashrate=positive, k=st.floats(min_value=0.01, max_value=100))
def test_hashprice_linear_in_price_inverse_in_hashrate(revenue: float, price: float, hashrate: float, k: float) -> None:
    base = nw.hashprice_usd_per_ehs_day(revenue, price, hashrate)
    assert nw.hashprice_usd_per_ehs_day(revenue, price * k, hashrate) == pytest.approx(base * k, rel=1e-9)
    assert nw.hashprice_usd_per_ehs_day(revenue, price, hashrate * k) == pytest.approx(base / k, rel=1e-9)
    assert nw.usd_per_phs_day(base) == pytest.approx(base / 1000)


def test_hashprice_rejects_nonpositive_hashrate() -> None:
    with pytest.raises(ValueError, match="hashrate"):
        nw.hashprice_usd_per_ehs_day(1.0, 1.0, 0.0)


def test_pct_change() -> None:
    assert nw.pct_change(110.0, 100.0) == pytest.approx(10.0)
    assert nw.pct_change(None, 100.0) is None
    assert nw.pct_change(1.0, 0.0) is None
    assert math.isclose(nw.fee_share_pct(1.0, 3.0), 25.0)
