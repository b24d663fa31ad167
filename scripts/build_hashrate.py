"""Build the embedded miner self-reported hashrate (Parquet + manifest) from ../shared/data.

Run from the repo root:  python scripts/build_hashrate.py [--shared ../shared/data]

Input:  miners_reported_hashrate.csv  company-reported hashrate (EH/s) and BTC produced by ticker and
        month, read from press releases and their reposts/write-ups; every row cites its URL and a
        short quote. `metric` keeps the company's own concept (energized, deployed, operating,
        average_operating, realized; blank = the row has BTC produced only).
Output: src/minerwatch/data/hashrate_reported.parquet   ticker, month, metric, hashrate_ehs,
                                                        btc_produced, source_url, quote
        src/minerwatch/data/hashrate_manifest.json      origin, licence, sha256 and ranges

The product never reads ../shared at run time: only these committed files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import polars as pl

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "minerwatch" / "data"
PARQUET = "hashrate_reported.parquet"
MANIFEST = "hashrate_manifest.json"
METRICS = ("", "energized", "deployed", "operating", "average_operating", "realized")

FILE = "miners_reported_hashrate.csv"
INPUT: dict[str, Any] = {
    "file": FILE,
    "origin": (
        "facts read from stored copies of public web pages (company press releases, GlobeNewswire/PRNewswire "
        "reposts, SEC exhibits, StockTitan, CoinDesk mirrors, Benzinga, Investing.com, TheMinerMag); "
        "see ../shared/data/SOURCES.md"
    ),
    "commit": "n/a (per-row source_url)",
    "licence": "facts (not copyrightable) with a cited URL and a short quote per row; no licence stated",
    "columns_used": ["ticker", "month", "metric", "hashrate_ehs", "btc_produced", "source_url", "quote"],
}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(shared: Path) -> pl.DataFrame:
    """Parse and check the CSV; raise on anything odd rather than guess."""
    raw = pl.read_csv(shared / FILE, infer_schema_length=0)
    missing = set(INPUT["columns_used"]) - set(raw.columns)
    if missing:
        raise SystemExit(f"{INPUT['file']}: missing columns {sorted(missing)}")
    df = raw.select(
        pl.col("ticker").str.strip_chars(),
        pl.col("month").str.strip_chars(),
        pl.col("metric").fill_null("").str.strip_chars(),
        pl.col("hashrate_ehs").cast(pl.Float64, strict=True),
        pl.col("btc_produced").cast(pl.Float64, strict=True),
        pl.col("source_url"),
        pl.col("quote"),
    )
    problems = []
    for i, row in enumerate(df.iter_rows(named=True), start=2):
        if not re.fullmatch(r"[A-Z]{2,6}", row["ticker"] or ""):
            problems.append(f"line {i}: ticker {row['ticker']!r}")
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", row["month"] or ""):
            problems.append(f"line {i}: month {row['month']!r}")
        if row["metric"] not in METRICS:
            problems.append(f"line {i}: metric {row['metric']!r}")
        if (row["metric"] == "") != (row["hashrate_ehs"] is None):
            problems.append(f"line {i}: a blank metric must go with a blank hashrate and vice versa")
        if row["hashrate_ehs"] is None and row["btc_produced"] is None:
            problems.append(f"line {i}: neither hashrate nor BTC produced")
        if row["hashrate_ehs"] is not None and not 0 < row["hashrate_ehs"] < 1000:
            problems.append(f"line {i}: hashrate {row['hashrate_ehs']} EH/s out of range")
    dup = df.select("ticker", "month", "metric").is_duplicated()
    if dup.any():
        problems.append(
            f"duplicate (ticker, month, metric): {df.filter(dup).select('ticker', 'month', 'metric').rows()}"
        )
    if problems:
        raise SystemExit(f"{INPUT['file']}: " + "; ".join(problems))
    return df.sort("ticker", "month", "metric")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    shared: Path = args.shared
    frame = build(shared)
    path = OUT / PARQUET
    frame.write_parquet(path, compression="zstd", compression_level=19, statistics=False)
    src = shared / FILE
    manifest: dict[str, Any] = {
        "schema": 1,
        "inputs": {"reported_hashrate": {**INPUT, "sha256": sha256_file(src), "bytes": src.stat().st_size}},
        "outputs": {
            PARQUET: {
                "source": "company_reports",
                "rows": frame.height,
                "rows_with_hashrate": int(frame["hashrate_ehs"].is_not_null().sum()),
                "tickers": sorted(set(frame["ticker"].to_list())),
                "month_range": [frame["month"].min(), frame["month"].max()],
                "sha256": sha256_file(path),
            }
        },
    }
    (OUT / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    out = manifest["outputs"][PARQUET]
    print(f"{PARQUET}: {out['rows']} rows ({out['rows_with_hashrate']} with hashrate), months {out['month_range']}")


if __name__ == "__main__":
    main()
