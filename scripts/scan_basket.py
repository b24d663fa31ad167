"""Data-quality scan of the basket's embedded (or synced) equity data, month by month.

Run from the repo root:  .venv/bin/python scripts/scan_basket.py [--from 2021-01] [--to 2026-07]
                                                                [--db PATH] [--all] [--csv FILE]

For every basket ticker (membership dates ignored) and every month, it compares the holder's share-
price change (nominal closes x the split / ADS ratios in the window) with the market-cap change
(which adds the share-count change), the price change with the one the back-adjusted feeds
(dsturdy, dieperdev, spooky: their close ratio is the holder's return) give on the same two days,
and the market-cap change with the one NASDAQ's published screener caps give. It prints the rows
that need a look (`minerwatch.service_basket.basket_scan` flags: price_move, share_count, feed_gap,
vs_nasdaq, no_shares). tests/basket/test_basket_scan.py holds the verdict on each flagged row of
the embedded data; docs/basket.md summarises them. Reads only the store.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from minerwatch import service_basket as sb
from minerwatch.store import Store


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:+.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="first", default="2021-01")
    ap.add_argument("--to", dest="last", default="2026-07")
    ap.add_argument("--db", type=Path, default=None, help="store file (default: a fresh store in a temp dir)")
    ap.add_argument("--all", action="store_true", help="print every row, not only flagged ones")
    ap.add_argument("--csv", type=Path, default=None, help="also write all rows to this CSV file")
    args = ap.parse_args()
    if args.db is None:
        import tempfile

        args.db = Path(tempfile.mkdtemp()) / "scan.duckdb"
    with Store.open(args.db) as store:
        rows = sb.basket_scan(store, args.first, args.last)
    if args.csv:
        pl.DataFrame(rows).with_columns(pl.col("flags").list.join(",")).write_csv(args.csv)
    shown = rows if args.all else [r for r in rows if r["flags"]]
    print(f"{len(rows)} ticker-months scanned, {sum(1 for r in rows if r['flags'])} flagged")
    head = (
        f"{'ticker':6} {'month':7} {'price%':>8} {'cap%':>8} {'shares%':>9} {'ref%':>8} {'ref':9} {'age':>5} "
        f"{'nasdaq%':>8}  flags"
    )
    print(head)
    for r in shown:
        age = "" if r["start_shares_age_days"] is None else str(r["start_shares_age_days"])
        print(
            f"{r['ticker']:6} {r['month']:7} {_fmt(r['price_change_pct']):>8} {_fmt(r['market_cap_change_pct']):>8} "
            f"{_fmt(r['share_count_change_pct']):>9} {_fmt(r['reference_price_change_pct']):>8} "
            f"{r['reference_source'] or '-':9} {age:>5} {_fmt(r['nasdaq_market_cap_change_pct']):>8}"
            f"  {','.join(r['flags'])}"
        )


if __name__ == "__main__":
    main()
