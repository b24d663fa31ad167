"""Pure BTC market metrics: hand-checked values, no look-ahead, drawdown bounds."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minerwatch.metrics import market as mk


def test_month_bounds_and_neighbours() -> None:
    assert mk.month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert mk.previous_month("2025-01") == "2024-12"
    assert mk.next_month("2024-12") == "2025-01"
    for bad in ["2025-2", "2025-13", "25-02", "2025/02", "feb"]:
        with pytest.raises(ValueError, match="YYYY-MM"):
            mk.month_bounds(bad)


def _closes(start: date, values: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"date": [start + timedelta(days=i) for i in range(len(values))], "close_usd": values})


def test_period_stats_by_hand() -> None:
    # Jan 31 close 100; February closes rise then fall; March data must not leak into February's ATH.
    closes = _closes(date(2025, 1, 1), [50.0] * 30 + [100.0] + [110.0, 120.0, 90.0] + [95.0] * 25 + [500.0] * 10)
    stats = mk.btc_period_stats(closes, None, date(2025, 2, 1), date(2025, 2, 28))
    assert stats["open_usd"] == 100.0 and stats["open_date"] == date(2025, 1, 31)
    assert stats["close_usd"] == 95.0 and stats["close_date"] == date(2025, 2, 28)
    assert stats["change_pct"] == pytest.approx(-5.0)
    # 30 days before 2025-02-28 is 2025-01-29 (close 50): +90%.
    assert stats["change_30d_pct"] == pytest.approx(90.0)
    assert (stats["low_usd"], stats["low_date"]) == (90.0, date(2025, 2, 3))
    assert (stats["high_usd"], stats["high_date"]) == (120.0, date(2025, 2, 2))
    assert stats["low_high_basis"] == "close"
    assert (stats["ath_close_usd"], stats["ath_close_date"]) == (120.0, date(2025, 2, 2))
    assert stats["drawdown_from_ath_pct"] == pytest.approx(100 * (95 / 120 - 1))


def test_intraday_low_high_and_ath_use_ohlc() -> None:
    closes = _closes(date(2025, 1, 30), [100.0, 100.0, 101.0, 102.0])
    ohlc = pl.DataFrame(
        {
            "date": [date(2025, 1, 30) + timedelta(days=i) for i in range(4)],
            "high_usd": [100.0, 130.0, 104.0, 103.0],
            "low_usd": [99.0, 98.0, 97.5, 99.0],
        }
    )
    stats = mk.btc_period_stats(closes, ohlc, date(2025, 2, 1), date(2025, 2, 2))
    assert stats["low_high_basis"] == "intraday"
    assert (stats["low_usd"], stats["low_date"]) == (97.5, date(2025, 2, 1))
    assert (stats["high_usd"], stats["high_date"]) == (104.0, date(2025, 2, 1))
    assert (stats["ath_intraday_usd"], stats["ath_intraday_date"]) == (130.0, date(2025, 1, 31))
    assert stats["ath_close_usd"] == 102.0


def test_volatility_by_hand() -> None:
    closes = [100.0, 110.0, 99.0]
    r = [math.log(1.1), math.log(0.9)]
    m = sum(r) / 2
    sd = math.sqrt(sum((x - m) ** 2 for x in r) / 1)
    assert mk.annualised_volatility_pct(closes) == pytest.approx(100 * sd * math.sqrt(365))
    assert mk.annualised_volatility_pct([1.0, 2.0]) is None


@given(st.lists(st.floats(min_value=1.0, max_value=1e6, allow_nan=False), min_size=1, max_size=50))
def test_drawdown_in_range(prices: list[float]) -> None:
    peak = max(prices)
    for p in prices:
        assert -100.0 <= mk.drawdown_pct(p, peak) <= 0.0


def test_ath_as_of_ignores_later_rows() -> None:
    frame = _closes(date(2024, 1, 1), [1.0, 3.0, 2.0, 9.0])
    assert mk.all_time_high(frame, "close_usd", date(2024, 1, 3)) == (3.0, date(2024, 1, 2))
    assert mk.all_time_high(frame, "close_usd", date(2023, 12, 31)) is None
