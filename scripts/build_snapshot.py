"""Build the embedded network/price snapshot (Parquet + manifest) from ../shared/data.

Run from the repo root:  python scripts/build_snapshot.py [--shared ../shared/data]

Inputs (see NOTICE and the manifest for origin and licence):
  coinmetrics_btc_daily.csv                      Coin Metrics community data, CC BY-NC 4.0
  electrum_mainnet_checkpoints.json              Electrum retarget checkpoints, MIT
  btcusdt_binance_daily_ohlcv_...csv             Binance BTCUSDT daily OHLC via CryptoDataDownload

Outputs in src/minerwatch/data/:
  network_daily_coinmetrics.parquet   date, block_count, first_height, last_height, difficulty,
                                      hashrate_ehs_published, subsidy_btc, fees_btc
  btc_close_coinmetrics.parquet       date, close_usd  (PriceUSD, the 00:00 UTC reference close)
  btc_ohlc_binance.parquet            date, open/high/low/close (USDT), UTC day
  difficulty_epochs.parquet           epoch, first/last height, hash, target_hex, difficulty,
                                      first_date/last_date (dates from Coin Metrics block counts)
  snapshot_manifest.json              origin, licence, commit, range and sha256 of every input/output

The product never reads ../shared at run time: only these committed files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from fractions import Fraction
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "minerwatch" / "data"
MAX_TARGET = 0xFFFF * 2**208

INPUTS = {
    "coinmetrics": {
        "file": "coinmetrics_btc_daily.csv",
        "origin": "github.com/coinmetrics/data csv/btc.csv",
        "commit": "cb3f32cc6c5045d5574e730a7c9784d58965629e",
        "licence": "CC BY-NC 4.0 (Coin Metrics, Inc.): attribution, non-commercial use only",
        "columns_used": ["time", "BlkCnt", "HashRate (TH/s)", "IssTotNtv", "FeeTotNtv", "PriceUSD"],
    },
    "electrum": {
        "file": "electrum_mainnet_checkpoints.json",
        "origin": "github.com/spesmilo/electrum electrum/chains/mainnet/checkpoints.json",
        "commit": "9ebabef3839e37af2fce13dc016bc9491da781ad",
        "licence": "MIT (Electrum)",
        "columns_used": ["last block hash of each 2016-block period", "target"],
    },
    "binance": {
        "file": "btcusdt_binance_daily_ohlcv_2017-08-17_to_2025-11-07_cryptodatadownload.csv",
        "origin": "github.com/21mScot/fbc data/BTCUSD_daily.csv (CryptoDataDownload, Binance BTCUSDT)",
        "commit": "ca74f35b556e39ee29021da551a1144f377d382a",
        "licence": "no licence stated; data by CryptoDataDownload/Binance, attribution requested",
        "columns_used": ["Date", "Open", "High", "Low", "Close"],
    },
}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def difficulty_from_target(target: int) -> float:
    """Exact rational 0xFFFF*2^208 / target, rounded once to float."""
    return float(Fraction(MAX_TARGET, target))


def build_epochs(shared: Path) -> pl.DataFrame:
    """One row per 2016-block period.

    Electrum's checkpoint i is (hash of the last block of period i, target computed at the end of
    period i), and that target governs period i+1: it is what Electrum's retarget returns for the
    next chunk. So period p uses checkpoint p-1's target (period 0 uses the maximum target,
    difficulty 1), and the file gives one more period's difficulty than it gives hashes. Taking
    checkpoint p's target for period p (as a naive reading does) is off by one period: it disagrees
    with Coin Metrics' implied difficulty on every day, while the shifted reading agrees to 1e-8.
    """
    raw = json.loads((shared / INPUTS["electrum"]["file"]).read_text())
    targets = [MAX_TARGET] + [int(t) for _, t in raw]
    rows = []
    for p, target in enumerate(targets):
        rows.append(
            {
                "epoch": p,
                "first_height": p * 2016,
                "last_height": p * 2016 + 2015,
                "last_block_hash": raw[p][0] if p < len(raw) else None,
                "target_hex": f"{target:064x}",
                "difficulty": difficulty_from_target(target),
            }
        )
    return pl.DataFrame(rows)


def build_network(shared: Path, epochs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    cm = pl.read_csv(shared / INPUTS["coinmetrics"]["file"], infer_schema_length=0)
    cm = cm.select(
        pl.col("time").str.to_date().alias("date"),
        pl.col("BlkCnt").cast(pl.Int64, strict=False).alias("block_count"),
        (pl.col("HashRate").cast(pl.Float64, strict=False) / 1e6).alias("hashrate_ehs_published"),
        pl.col("IssTotNtv").cast(pl.Float64, strict=False).alias("subsidy_btc"),
        pl.col("FeeTotNtv").cast(pl.Float64, strict=False).alias("fees_btc"),
        pl.col("PriceUSD").cast(pl.Float64, strict=False).alias("price_usd"),
    )
    # The last row (2025-12-30) carries only reference rates: drop days with no block count.
    cm = cm.filter(pl.col("block_count").is_not_null()).sort("date")
    # Genesis (height 0) is not counted in BlkCnt, so the cumulative count is the day's last height.
    cm = cm.with_columns(pl.col("block_count").cum_sum().alias("last_height"))
    cm = cm.with_columns((pl.col("last_height") - pl.col("block_count") + 1).alias("first_height"))
    diff = epochs["difficulty"].to_list()
    n_epochs = len(diff)

    def day_difficulty(first: int, last: int, count: int) -> float | None:
        if count <= 0:
            return None
        e1, e2 = first // 2016, last // 2016
        if e2 >= n_epochs:
            return None
        if e1 == e2:
            return diff[e1]
        n2 = last - e2 * 2016 + 1
        return (diff[e1] * (count - n2) + diff[e2] * n2) / count

    cm = cm.with_columns(
        pl.struct("first_height", "last_height", "block_count")
        .map_elements(
            lambda s: day_difficulty(s["first_height"], s["last_height"], s["block_count"]),
            return_dtype=pl.Float64,
        )
        .alias("difficulty")
    )
    cm = cm.with_columns(
        pl.when(pl.col("block_count") > 0).then(pl.col("first_height")).otherwise(None).alias("first_height"),
        pl.when(pl.col("block_count") > 0).then(pl.col("last_height")).otherwise(None).alias("last_height"),
    )
    network = cm.select(
        "date",
        "block_count",
        "first_height",
        "last_height",
        "difficulty",
        "hashrate_ehs_published",
        "subsidy_btc",
        "fees_btc",
    )
    close = cm.filter(pl.col("price_usd").is_not_null()).select("date", pl.col("price_usd").alias("close_usd"))
    return network, close


def add_epoch_dates(epochs: pl.DataFrame, network: pl.DataFrame) -> pl.DataFrame:
    days = network.filter(pl.col("block_count") > 0).select("date", "first_height", "last_height")
    first = epochs.join_asof(
        days.sort("last_height").select(
            pl.col("last_height").alias("first_height"), pl.col("date").alias("first_date")
        ),
        on="first_height",
        strategy="forward",
    )
    both = first.sort("last_height").join_asof(
        days.sort("last_height").select("last_height", pl.col("date").alias("last_date")),
        on="last_height",
        strategy="forward",
    )
    max_h = days["last_height"].max()
    return both.with_columns(
        pl.when(pl.col("last_height") <= max_h).then(pl.col("last_date")).otherwise(None).alias("last_date"),
        pl.when(pl.col("first_height") <= max_h).then(pl.col("first_date")).otherwise(None).alias("first_date"),
    ).sort("epoch")


def build_binance(shared: Path) -> pl.DataFrame:
    b = pl.read_csv(shared / INPUTS["binance"]["file"])
    return b.select(
        pl.col("Date").str.to_date().alias("date"),
        pl.col("Open").cast(pl.Float64).alias("open_usd"),
        pl.col("High").cast(pl.Float64).alias("high_usd"),
        pl.col("Low").cast(pl.Float64).alias("low_usd"),
        pl.col("Close").cast(pl.Float64).alias("close_usd"),
    ).sort("date")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    shared: Path = args.shared
    OUT.mkdir(parents=True, exist_ok=True)

    epochs = build_epochs(shared)
    network, close = build_network(shared, epochs)
    epochs = add_epoch_dates(epochs, network)
    binance = build_binance(shared)

    outputs = {
        "network_daily_coinmetrics.parquet": (network, "coinmetrics"),
        "btc_close_coinmetrics.parquet": (close, "coinmetrics"),
        "btc_ohlc_binance.parquet": (binance, "binance"),
        "difficulty_epochs.parquet": (epochs, "electrum"),
    }
    manifest: dict = {"schema": 1, "inputs": {}, "outputs": {}}
    for key, meta in INPUTS.items():
        path = shared / meta["file"]
        manifest["inputs"][key] = {**meta, "sha256": sha256_file(path), "bytes": path.stat().st_size}
    for name, (frame, src) in outputs.items():
        path = OUT / name
        frame.write_parquet(path, compression="zstd", compression_level=19, statistics=False)
        date_col = "date" if "date" in frame.columns else None
        entry = {"source": src, "rows": frame.height, "sha256": sha256_file(path)}
        if date_col:
            entry["date_range"] = [str(frame[date_col].min()), str(frame[date_col].max())]
        else:
            entry["height_range"] = [int(frame["first_height"].min()), int(frame["last_height"].max())]
        manifest["outputs"][name] = entry
    (OUT / "snapshot_manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for name, entry in manifest["outputs"].items():
        print(f"{name}: {entry['rows']} rows {entry.get('date_range') or entry.get('height_range')}")


if __name__ == "__main__":
    main()
