"""Backtest of the difficulty forecast over the embedded snapshot's epochs, printed as figures.

Usage: python benchmarks/difficulty_backtest.py [--db PATH]
For every complete epoch, the next adjustment is predicted from the blocks so far at 25/50/75/90/100 %
of the epoch (block times interpolated inside UTC days from Coin Metrics' daily block counts) and
compared with the real next difficulty (Electrum's targets). Printed per window (all epochs, since
2016, since 2022): median / mean / p90 absolute error in percentage points, bias, how often the
stated Poisson range held, and two naive baselines measured in the same run: "no change" and "the
previous epoch's change again". Progress 100 % is the block-time proxy's own error (the floor).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from minerwatch import service_economics as se
from minerwatch.metrics import difficulty as df
from minerwatch.store import Store

WINDOWS = {"all epochs": None, "since 2016": date(2016, 1, 1), "since 2022": date(2022, 1, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=None, help="store to use (default: a fresh temporary one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.db or Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        diffs = se._epoch_difficulties(store)
        for label, since in WINDOWS.items():
            d = se.difficulty_backtest(store, since=since)
            print(f"== {label}: epochs {d['first_epoch']}-{d['last_epoch']} ({d['epochs']})")
            print(
                f"   mid-epoch median |error| {d['mid_epoch_median_abs_error_pp']:.2f} pp; "
                f"block-time proxy floor {d['proxy_floor_median_abs_error_pp']:.2f} pp"
            )
            print("   progress  median|e|  mean|e|  p90|e|   bias  in 1sd  in 95%  sign ok")
            for p in d["points"]:
                print(
                    f"   {p['progress']:>7.0%}  {p['median_abs_error_pp']:>8.2f}  {p['mean_abs_error_pp']:>7.2f}  "
                    f"{p['p90_abs_error_pp']:>6.2f}  {p['bias_pp']:>+5.2f}  {p['within_1sd_pct']:>5.1f}%  "
                    f"{p['within_95_pct']:>5.1f}%  {p['direction_right_pct']:>6.1f}%"
                )
            epochs = [e for e in range(d["first_epoch"], d["last_epoch"] + 1) if e + 1 in diffs and e - 1 in diffs]
            actual = [df.adjustment_pct(diffs[e + 1] / diffs[e]) for e in epochs]
            previous = [df.adjustment_pct(diffs[e] / diffs[e - 1]) for e in epochs]
            no_change = statistics.median(abs(a) for a in actual)
            repeat = statistics.median(abs(a - b) for a, b in zip(actual, previous, strict=True))
            print(f"   baselines: 'no change' median |e| {no_change:.2f} pp; 'repeat last change' {repeat:.2f} pp")
        store.close()
        print(f"(backtests computed in {time.perf_counter() - t0:.2f} s)")


if __name__ == "__main__":
    main()
