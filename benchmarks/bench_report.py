"""Wall time of `minerwatch report` against the import floor of its own stack, as a ratio.

Each figure is the median of N fresh processes, measured in the same run on the same store:

  python       `python -c pass`: the interpreter alone
  floor        `python -c "import duckdb, polars, jinja2, matplotlib.figure, backend_agg"` plus the
               minerwatch modules the report imports: what any run of the command pays before work
  report       `python -m minerwatch report --month M --out DIR` (all files: md, html, facts, 4 charts)
  no-charts    the same with --no-charts (facts + sentences + Markdown/HTML only)

The store is built once from the embedded snapshot in a temporary folder (not timed) and reused.
Usage: .venv/bin/python benchmarks/bench_report.py [--runs 5] [--month 2025-02] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_IMPORTS = (
    "import duckdb, polars, jinja2, matplotlib, matplotlib.figure; "
    "import matplotlib.backends.backend_agg; "
    "import minerwatch.cli, minerwatch.service, minerwatch.store"
)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds one process takes, start to exit; fails loudly on a non-zero exit."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def median_of(runs: int, cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(median, min, max) seconds over `runs` processes."""
    times = [timed(cmd, env) for _ in range(runs)]
    return statistics.median(times), min(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--month", default="2025-02")
    ap.add_argument("--db", type=Path, default=None, help="store to use (default: a fresh one in a temp folder)")
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        db = args.db or Path(tmp) / "store.duckdb"
        env = {**os.environ, "MINERWATCH_DB": str(db), "MINERWATCH_CONFIG": str(Path(tmp) / "none.toml")}
        # Build the store (migrations + snapshot load) once, untimed.
        timed([py, "-m", "minerwatch", "hashprice", "--month", args.month], env)
        out = Path(tmp) / "out"
        cases = {
            "python": [py, "-c", "pass"],
            "floor": [py, "-c", FLOOR_IMPORTS],
            "report": [py, "-m", "minerwatch", "report", "--month", args.month, "--out", str(out)],
            "no-charts": [
                py,
                "-m",
                "minerwatch",
                "report",
                "--month",
                args.month,
                "--out",
                str(out / "nc"),
                "--no-charts",
            ],
        }
        timed(cases["report"], env)  # warm the OS file cache and matplotlib's font cache
        results = {name: median_of(args.runs, cmd, env) for name, cmd in cases.items()}
        files = sorted(p.name for p in out.iterdir() if p.is_file())
    print(f"minerwatch report --month {args.month}: median of {args.runs} processes each")
    for name, (med, lo, hi) in results.items():
        print(f"  {name:10s} {med * 1000:8.0f} ms   (min {lo * 1000:.0f}, max {hi * 1000:.0f})")
    floor = results["floor"][0]
    print(f"  report / import floor     = {results['report'][0] / floor:.2f}x")
    print(f"  no-charts / import floor  = {results['no-charts'][0] / floor:.2f}x")
    print(f"  report work above floor   = {(results['report'][0] - floor) * 1000:.0f} ms")
    print(f"  files written: {', '.join(files)}")


if __name__ == "__main__":
    main()
