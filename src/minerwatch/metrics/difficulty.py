"""Difficulty retargets, pure: next retarget height, expected adjustment with Bitcoin's rules, uncertainty, backtest.

Bitcoin's rule (pow.cpp CalculateNextWorkRequired): at the end of each 2016-block epoch the
timespan from the epoch's first block to its last block (2015 intervals, not 2016: the historical
off-by-one) is clamped to [two weeks / 4, two weeks x 4] and the new target is old target x
timespan / two weeks, never above the proof-of-work limit (difficulty 1). So the difficulty ratio is
1,209,600 s / clamped timespan, and a chain running at exactly 600 s per block still rises by
2016/2015 - 1 = +0.0496 % each epoch.

Block times: the snapshot has daily block counts and heights, not block timestamps, so a block's
time is interpolated inside its UTC day (block i of c on a day is at (i + 0.5) / c of the day).
That proxy has its own error; the backtest measures it by "predicting" each epoch from its own full
span (the floor any forecast on daily data carries).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from minerwatch.metrics.network import RETARGET_INTERVAL_BLOCKS, TARGET_SPACING_SECONDS

#: Intervals Bitcoin measures per epoch (first block to last block of a 2016-block epoch).
MEASURED_INTERVALS = RETARGET_INTERVAL_BLOCKS - 1
#: Two weeks in seconds: the timespan an epoch is meant to take.
TARGET_TIMESPAN_SECONDS = RETARGET_INTERVAL_BLOCKS * TARGET_SPACING_SECONDS
MAX_ADJUSTMENT_FACTOR = 4.0
SECONDS_PER_DAY = 86_400
_EPOCH0 = date(1970, 1, 1)


def epoch_of_height(height: int) -> int:
    """Retarget epoch (0-based) that contains `height`."""
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height!r}")
    return height // RETARGET_INTERVAL_BLOCKS


def next_retarget_height(height: int) -> int:
    """Height of the first block mined at the next difficulty after block `height`."""
    return (epoch_of_height(height) + 1) * RETARGET_INTERVAL_BLOCKS


def clamp_timespan_seconds(timespan_seconds: float) -> float:
    """Bitcoin's clamp of the measured epoch timespan to [two weeks / 4, two weeks x 4]."""
    lo = TARGET_TIMESPAN_SECONDS / MAX_ADJUSTMENT_FACTOR
    hi = TARGET_TIMESPAN_SECONDS * MAX_ADJUSTMENT_FACTOR
    return min(max(timespan_seconds, lo), hi)


def difficulty_ratio(timespan_seconds: float, difficulty: float | None = None) -> float:
    """New / old difficulty for an epoch whose 2015 intervals took `timespan_seconds` (clamped; floor D=1)."""
    if timespan_seconds <= 0:
        raise ValueError(f"timespan_seconds must be positive, got {timespan_seconds!r}")
    ratio = TARGET_TIMESPAN_SECONDS / clamp_timespan_seconds(timespan_seconds)
    if difficulty is not None and difficulty > 0:
        # The proof-of-work limit: the target never exceeds the difficulty-1 target.
        ratio = max(ratio, 1.0 / difficulty)
    return ratio


def adjustment_pct(ratio: float) -> float:
    """Difficulty change in percent from a new/old ratio."""
    return 100.0 * (ratio - 1.0)


def projected_timespan_seconds(elapsed_seconds: float, intervals_so_far: int) -> float:
    """Epoch timespan if the rest of its 2015 intervals come at the mean spacing seen so far."""
    if intervals_so_far <= 0:
        raise ValueError(f"need at least one block interval in the epoch, got {intervals_so_far!r}")
    if elapsed_seconds <= 0:
        raise ValueError(f"elapsed_seconds must be positive, got {elapsed_seconds!r}")
    return elapsed_seconds * MEASURED_INTERVALS / intervals_so_far


def projected_timespan_rel_sd(intervals_so_far: int) -> float:
    """Relative standard deviation of the projected timespan from Poisson block arrivals at constant hashrate.

    With k intervals seen and m = 2015 - k to come, the remaining time R has variance m / rate^2 and
    the rate estimate adds m^2 / (k rate^2); relative to the 2015-interval span: sqrt(m / (2015 k)).
    """
    if intervals_so_far <= 0:
        raise ValueError(f"need at least one block interval in the epoch, got {intervals_so_far!r}")
    m = max(MEASURED_INTERVALS - intervals_so_far, 0)
    return math.sqrt(m / (MEASURED_INTERVALS * intervals_so_far))


def remaining_time_sd_seconds(mean_interval_seconds: float, intervals_so_far: int, blocks_remaining: int) -> float:
    """Standard deviation of the time until `blocks_remaining` more blocks (Poisson + rate-estimate error)."""
    if intervals_so_far <= 0:
        raise ValueError(f"need at least one block interval in the epoch, got {intervals_so_far!r}")
    m = max(blocks_remaining, 0)
    return mean_interval_seconds * math.sqrt(m + m * m / intervals_so_far)


@dataclass(frozen=True)
class AdjustmentForecast:
    """Expected next adjustment from the blocks so far in an epoch, with a 1-sigma and 95 % range."""

    ratio: float
    pct: float
    sd_pct: float
    low68_pct: float
    high68_pct: float
    low95_pct: float
    high95_pct: float
    projected_timespan_seconds: float
    mean_interval_seconds: float
    clamped: bool


def forecast_adjustment(
    elapsed_seconds: float, intervals_so_far: int, difficulty: float | None = None
) -> AdjustmentForecast:
    """Expected difficulty change after `intervals_so_far` of 2015 intervals took `elapsed_seconds`."""
    span = projected_timespan_seconds(elapsed_seconds, intervals_so_far)
    ratio = difficulty_ratio(span, difficulty)
    rel = projected_timespan_rel_sd(intervals_so_far)

    def at(z: float) -> float:
        # A slower epoch (longer span) lowers difficulty: the span's +z sigma is the ratio's low end.
        return adjustment_pct(difficulty_ratio(span * math.exp(z * rel), difficulty))

    return AdjustmentForecast(
        ratio=ratio,
        pct=adjustment_pct(ratio),
        sd_pct=100.0 * ratio * rel,
        low68_pct=at(1.0),
        high68_pct=at(-1.0),
        low95_pct=at(1.96),
        high95_pct=at(-1.96),
        projected_timespan_seconds=span,
        mean_interval_seconds=elapsed_seconds / intervals_so_far,
        clamped=clamp_timespan_seconds(span) != span,
    )


# -- block times from daily counts ----------------------------------------------------------------


def _day_seconds(d: date) -> int:
    return (d - _EPOCH0).days * SECONDS_PER_DAY


def seconds_to_datetime(seconds: float) -> datetime:
    """UTC datetime (naive) of seconds since 1970-01-01."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)).replace(tzinfo=None)


class BlockClock:
    """Interpolated block times from daily rows (date, first_height, block_count); days without blocks skipped.

    A height must fall on a day of the data. The only heights between days that are accepted are those
    between two consecutive dates (a source boundary whose heights differ by a block or two): they are placed
    at midnight between the two days. A height in a gap of missing days is outside the data.
    """

    def __init__(
        self, dates: Sequence[date], first_heights: Sequence[int | None], block_counts: Sequence[int | None]
    ) -> None:
        rows = sorted(
            (fh, c, d) for d, fh, c in zip(dates, first_heights, block_counts, strict=True) if fh is not None and c
        )
        self._first = [r[0] for r in rows]
        self._count = [r[1] for r in rows]
        self._date = [r[2] for r in rows]

    @property
    def first_height(self) -> int | None:
        """Lowest height covered."""
        return self._first[0] if self._first else None

    @property
    def last_height(self) -> int | None:
        """Highest height covered."""
        return self._first[-1] + self._count[-1] - 1 if self._first else None

    def covers(self, height: int) -> bool:
        """True if `height` falls on a day of the data (or between two consecutive days)."""
        return self._locate(height) is not None

    def date_of(self, height: int) -> date:
        """UTC day on which block `height` was mined."""
        return self._date[self._index(height)[0]]

    def seconds(self, height: int) -> float:
        """Interpolated time of block `height` in seconds since 1970 (block i of c at (i + 0.5) / c of its day)."""
        i, inside = self._index(height)
        if not inside:
            return _day_seconds(self._date[i]) + SECONDS_PER_DAY
        frac = (height - self._first[i] + 0.5) / self._count[i]
        return _day_seconds(self._date[i]) + frac * SECONDS_PER_DAY

    def gap_around(self, height: int) -> tuple[date | None, date | None]:
        """Last day of data before `height` and first day after it (None at either end)."""
        i = bisect.bisect_right(self._first, height) - 1
        return (self._date[i] if i >= 0 else None, self._date[i + 1] if i + 1 < len(self._date) else None)

    def _locate(self, height: int) -> tuple[int, bool] | None:
        i = bisect.bisect_right(self._first, height) - 1
        if i < 0:
            return None
        if height < self._first[i] + self._count[i]:
            return i, True
        if i + 1 < len(self._date) and (self._date[i + 1] - self._date[i]).days == 1:
            return i, False
        return None

    def _index(self, height: int) -> tuple[int, bool]:
        found = self._locate(height)
        if found is None:
            before, after = self.gap_around(height)
            where = (
                f"between {before} and {after} (days missing)"
                if before and after
                else f"outside the data ({self.first_height}..{self.last_height})"
            )
            raise ValueError(f"height {height} is not on a day of the data: {where}")
        return found


# -- backtest -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestRow:
    """One epoch predicted at one point of progress, against the difficulty that followed."""

    epoch: int
    progress: float
    intervals_so_far: int
    predicted_pct: float
    actual_pct: float
    error_pct: float
    sd_pct: float
    end_date: date


def backtest_epochs(
    clock: BlockClock,
    difficulties: dict[int, float],
    progress_points: Sequence[float],
) -> list[BacktestRow]:
    """Predict each fully covered epoch's adjustment at each progress point; compare with the real next difficulty.

    Progress 1.0 uses the whole epoch: its error is the block-time proxy's own error (the floor).
    """
    out: list[BacktestRow] = []
    for epoch in sorted(difficulties):
        nxt = difficulties.get(epoch + 1)
        d = difficulties[epoch]
        start = epoch * RETARGET_INTERVAL_BLOCKS
        end = start + MEASURED_INTERVALS
        if nxt is None or not (clock.covers(start) and clock.covers(end)):
            continue
        actual = adjustment_pct(nxt / d)
        t0 = clock.seconds(start)
        for p in progress_points:
            k = max(1, min(MEASURED_INTERVALS, round(p * MEASURED_INTERVALS)))
            if not clock.covers(start + k):
                continue
            elapsed = clock.seconds(start + k) - t0
            if elapsed <= 0:
                continue
            f = forecast_adjustment(elapsed, k, d)
            out.append(
                BacktestRow(
                    epoch=epoch,
                    progress=p,
                    intervals_so_far=k,
                    predicted_pct=f.pct,
                    actual_pct=actual,
                    error_pct=f.pct - actual,
                    sd_pct=f.sd_pct,
                    end_date=clock.date_of(end),
                )
            )
    return out


def error_stats(rows: Sequence[BacktestRow]) -> dict[str, float | int | None]:
    """Error statistics (percentage points) of backtest rows: median/mean absolute, p90, RMSE, bias, coverage."""
    if not rows:
        return {"epochs": 0}
    errs = [r.error_pct for r in rows]
    abs_errs = sorted(abs(e) for e in errs)
    p90 = abs_errs[min(len(abs_errs) - 1, math.ceil(0.9 * len(abs_errs)) - 1)]
    within68 = sum(1 for r in rows if abs(r.error_pct) <= r.sd_pct)
    within95 = sum(1 for r in rows if abs(r.error_pct) <= 1.96 * r.sd_pct)
    return {
        "epochs": len(rows),
        "median_abs_error_pp": statistics.median(abs_errs),
        "mean_abs_error_pp": statistics.fmean(abs_errs),
        "p90_abs_error_pp": p90,
        "rmse_pp": math.sqrt(statistics.fmean(e * e for e in errs)),
        "bias_pp": statistics.fmean(errs),
        "median_stated_sd_pp": statistics.median(r.sd_pct for r in rows),
        "within_1sd_pct": 100.0 * within68 / len(rows),
        "within_95_pct": 100.0 * within95 / len(rows),
        "direction_right_pct": 100.0
        * sum(1 for r in rows if (r.predicted_pct >= 0) == (r.actual_pct >= 0))
        / len(rows),
    }
