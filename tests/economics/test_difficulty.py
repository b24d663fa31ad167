"""Difficulty retarget rules, the forecast's arithmetic, the block-time proxy and the backtest."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from minerwatch.metrics import difficulty as df


def test_next_retarget_height() -> None:
    # 462 x 2016 = 931,392
    assert df.next_retarget_height(930_093) == 931_392
    assert df.next_retarget_height(931_391) == 931_392
    assert df.next_retarget_height(931_392) == 933_408
    assert df.epoch_of_height(931_391) == 461


def test_2015_interval_rule_at_exactly_ten_minutes_raises_difficulty() -> None:
    # 2015 intervals of 600 s are 1,209,000 s, measured against 1,209,600 s: ratio 2016/2015 (+0.0496%).
    assert df.difficulty_ratio(2015 * 600) == pytest.approx(2016 / 2015, rel=1e-15)
    assert df.adjustment_pct(df.difficulty_ratio(2015 * 600)) == pytest.approx(0.04962779, abs=1e-8)
    # Halfway through, 1,007 intervals in 1,007 x 600 s project the same span.
    f = df.forecast_adjustment(1007 * 600.0, 1007)
    assert f.ratio == pytest.approx(2016 / 2015, rel=1e-15)
    assert f.mean_interval_seconds == 600.0
    assert f.projected_timespan_seconds == pytest.approx(2015 * 600.0)


def test_four_x_clamp_and_pow_limit() -> None:
    assert df.difficulty_ratio(1.0) == 4.0  # absurdly fast epoch: at most x4
    assert df.difficulty_ratio(1e9) == 0.25  # absurdly slow: at most /4
    assert df.difficulty_ratio(1_209_600 * 2) == 0.5
    f = df.forecast_adjustment(100.0, 1000)
    assert f.clamped and f.ratio == 4.0 and f.pct == 300.0
    # At difficulty 1 the target cannot rise above the limit, so the difficulty cannot fall.
    assert df.difficulty_ratio(1_209_600 * 3, difficulty=1.0) == 1.0
    assert df.difficulty_ratio(1_209_600 * 3, difficulty=2.0) == 0.5
    with pytest.raises(ValueError, match="at least one block interval"):
        df.forecast_adjustment(100.0, 0)


def test_stated_uncertainty_from_poisson_arrivals() -> None:
    # k = 403 seen, m = 1,612 to come: sqrt(1612 / (2015 x 403)) = sqrt(1612 / 812,045) = 0.0445546...
    assert df.projected_timespan_rel_sd(403) == pytest.approx(math.sqrt(1612 / 812_045), rel=1e-15)
    assert df.projected_timespan_rel_sd(403) == pytest.approx(0.0445546, abs=1e-7)
    assert df.projected_timespan_rel_sd(2015) == 0.0
    f = df.forecast_adjustment(1007 * 600.0, 1007)
    assert f.low95_pct < f.low68_pct < f.pct < f.high68_pct < f.high95_pct
    # 100 blocks to go at 600 s after 1,000 seen: 600 x sqrt(100 + 100^2 / 1000) = 600 x sqrt(110)
    assert df.remaining_time_sd_seconds(600.0, 1000, 100) == pytest.approx(600 * math.sqrt(110))


def test_block_clock_interpolates_inside_the_day() -> None:
    d1, d2 = date(2025, 1, 1), date(2025, 1, 2)
    clock = df.BlockClock([d1, date(2025, 1, 3), d2], [0, None, 2], [2, 0, 4])
    base = (d1 - date(1970, 1, 1)).days * 86_400
    assert clock.seconds(0) == base + 0.25 * 86_400  # block 1 of 2: (0 + 0.5) / 2 of the day
    assert clock.seconds(3) == base + 86_400 + 1.5 / 4 * 86_400  # block 2 of 4 on day 2
    assert clock.date_of(5) == d2
    assert (clock.first_height, clock.last_height) == (0, 5)
    with pytest.raises(ValueError, match="outside the data"):
        clock.seconds(6)


def test_block_clock_refuses_heights_in_a_gap_of_missing_days() -> None:
    # Days 1 and 2 hold heights 0..9 and 10..19; day 5 holds 40..49: heights 20..39 were mined on days not held.
    d = [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 5)]
    clock = df.BlockClock(d, [0, 10, 40], [10, 10, 10])
    assert clock.covers(19) and clock.covers(40)
    assert not clock.covers(20) and not clock.covers(39)
    with pytest.raises(ValueError, match="between 2025-01-02 and 2025-01-05"):
        clock.seconds(25)
    assert clock.gap_around(25) == (date(2025, 1, 2), date(2025, 1, 5))


def test_block_clock_places_a_source_boundary_mismatch_at_midnight() -> None:
    # Two consecutive days whose heights skip 2 blocks (two sources disagree by a block or two).
    clock = df.BlockClock([date(2025, 1, 1), date(2025, 1, 2)], [0, 12], [10, 10])
    midnight = (date(2025, 1, 2) - date(1970, 1, 1)).days * 86_400
    assert clock.seconds(10) == clock.seconds(11) == midnight
    assert clock.date_of(11) == date(2025, 1, 1)


def test_backtest_skips_a_point_in_a_gap() -> None:
    # Epoch 0 covered by days 1-7 and 10-14 (days 8 and 9 missing): the mid-epoch point (height 1,008) is on
    # day 8, so only the 25% and 100% points are evaluated.
    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(14) if i not in (7, 8)]
    firsts = [144 * (d - date(2020, 1, 1)).days for d in days]
    clock = df.BlockClock(days, firsts, [144] * len(days))
    rows = df.backtest_epochs(clock, {0: 100.0, 1: 100.0 * 2016 / 2015}, [0.25, 0.5, 1.0])
    assert [r.progress for r in rows] == [0.25, 1.0]


def _synthetic(blocks_per_day: list[int]) -> df.BlockClock:
    dates, firsts, counts, h = [], [], [], 0
    for i, n in enumerate(blocks_per_day):
        dates.append(date(2020, 1, 1) + timedelta(days=i))
        firsts.append(h)
        counts.append(n)
        h += n
    return df.BlockClock(dates, firsts, counts)


def test_backtest_on_a_steady_chain_has_no_error() -> None:
    # 144 blocks a day for 14 days = epoch 0 exactly at 600 s; 288 a day for the next 7 = epoch 1 twice as fast.
    clock = _synthetic([144] * 14 + [288] * 7)
    diffs = {0: 100.0, 1: 100.0 * 2016 / 2015, 2: 100.0 * 2016 / 2015 * 2016 / 2015 * 2}
    rows = df.backtest_epochs(clock, diffs, [0.5, 1.0])
    assert [(r.epoch, r.progress) for r in rows] == [(0, 0.5), (0, 1.0), (1, 0.5), (1, 1.0)]
    for r in rows:
        assert r.error_pct == pytest.approx(0.0, abs=1e-9)
    assert rows[2].predicted_pct == pytest.approx(100 * (2 * 2016 / 2015 - 1))
    stats = df.error_stats([r for r in rows if r.progress == 0.5])
    assert stats["epochs"] == 2
    assert stats["median_abs_error_pp"] == pytest.approx(0.0, abs=1e-9)


def test_backtest_skips_epochs_without_full_coverage_or_next_difficulty() -> None:
    clock = _synthetic([144] * 14 + [144] * 3)
    rows = df.backtest_epochs(clock, {0: 10.0, 1: 10.0}, [0.5])
    assert [r.epoch for r in rows] == [0]
    assert df.backtest_epochs(clock, {0: 10.0}, [0.5]) == []
    assert df.error_stats([]) == {"epochs": 0}
