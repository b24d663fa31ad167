"""The embedded snapshot: Parquet files shipped in `minerwatch/data`, loaded into the store on first use."""

from __future__ import annotations

import hashlib
import importlib
import json
from importlib import resources

import polars as pl

from minerwatch.errors import StoreError
from minerwatch.store import Store, utcnow

#: Modules with a `load(store, now)` for further embedded data (each with its own manifest file),
#: run inside the same transaction as the core load, in this order.
EXTRA_LOADER_MODULES: list[str] = ["minerwatch.sources.equities_snapshot", "minerwatch.sources.hashrate_snapshot"]

SOURCES = {
    "coinmetrics": dict(
        kind="snapshot",
        description="Coin Metrics community data (csv/btc.csv): daily blocks, issuance, fees, hashrate, PriceUSD",
        base_url="https://github.com/coinmetrics/data",
        licence="CC BY-NC 4.0",
    ),
    "electrum": dict(
        kind="snapshot",
        description="Electrum mainnet retarget checkpoints: target of every 2016-block period",
        base_url="https://github.com/spesmilo/electrum",
        licence="MIT",
    ),
    "binance": dict(
        kind="snapshot",
        description="Binance BTCUSDT daily OHLC (UTC days) via CryptoDataDownload",
        base_url="https://www.cryptodatadownload.com",
        licence="no licence stated; attribution to CryptoDataDownload/Binance",
    ),
}

#: Price rows: venue, quote currency and time convention per snapshot price file.
PRICE_FILES = {
    "btc_close_coinmetrics.parquet": (
        "coinmetrics",
        "Coin Metrics reference rate (PriceUSD)",
        "USD",
        "UTC day; close = reference rate at 00:00 UTC ending the day; no intraday high/low",
    ),
    "btc_ohlc_binance.parquet": (
        "binance",
        "Binance BTCUSDT spot",
        "USDT",
        "UTC day candle 00:00-24:00 UTC; intraday high/low",
    ),
}


def data_file(name: str):  # -> Traversable
    """Path-like handle of a packaged data file."""
    return resources.files("minerwatch.data").joinpath(name)


def read_manifest(name: str) -> dict:
    """A packaged `*manifest.json` (origin, licence, commit, ranges, sha256 of inputs and outputs)."""
    return json.loads(data_file(name).read_text())


def manifest() -> dict:
    """The network/price snapshot manifest."""
    return read_manifest("snapshot_manifest.json")


def manifest_sha256() -> str:
    """One hash over every `*manifest.json` in the data folder: any rebuilt data file changes it."""
    h = hashlib.sha256()
    names = sorted(e.name for e in resources.files("minerwatch.data").iterdir() if e.name.endswith("manifest.json"))
    for name in names:
        h.update(name.encode() + b"\0" + data_file(name).read_bytes())
    return h.hexdigest()


def read_verified(name: str, expected_sha: str, build_script: str = "scripts/build_snapshot.py") -> pl.DataFrame:
    """A packaged Parquet file, refused (StoreError naming the fix) unless its sha256 matches the manifest."""
    raw = data_file(name).read_bytes()
    got = hashlib.sha256(raw).hexdigest()
    if got != expected_sha:
        raise StoreError(
            f"embedded file {name} is damaged (sha256 {got[:12]} != manifest {expected_sha[:12]}); "
            f"reinstall minerwatch or rebuild it with {build_script}"
        )
    return pl.read_parquet(raw)


def put_package_payload(store: Store, *, source_id: str, name: str, sha256: str) -> str:
    """The payload row of a packaged data file (content not copied: it ships in the package)."""
    return store.put_payload(
        source_id=source_id,
        uri=f"package:minerwatch/data/{name}",
        content=None,
        sha256=sha256,
        content_type="application/vnd.apache.parquet",
        size_bytes=None,
    )


def ensure_loaded(store: Store) -> bool:
    """Load the snapshot into the store unless this exact snapshot is already there. True if loaded."""
    sha = manifest_sha256()
    if store._scalar("SELECT count(*) FROM snapshot_loads WHERE manifest_sha256 = ?", [sha]):
        return False
    load(store)
    return True


def load(store: Store) -> None:
    """Upsert every snapshot table in one transaction, with a payload row per file as provenance."""
    man = manifest()
    now = utcnow()
    with store.transaction():
        for sid, meta in SOURCES.items():
            store.register_source(sid, **meta)
        hashes: dict[str, str] = {}
        for name, entry in man["outputs"].items():
            hashes[name] = put_package_payload(store, source_id=entry["source"], name=name, sha256=entry["sha256"])
        frames = {name: read_verified(name, entry["sha256"]) for name, entry in man["outputs"].items()}

        net = frames["network_daily_coinmetrics.parquet"].with_columns(
            pl.lit("coinmetrics").alias("source_id"),
            pl.lit(hashes["network_daily_coinmetrics.parquet"]).alias("payload_sha256"),
            pl.lit(now).alias("loaded_at"),
        )
        store.upsert("network_daily", net, ["date", "source_id"])

        for name, (sid, venue, ccy, convention) in PRICE_FILES.items():
            df = frames[name]
            for col in ("open_usd", "high_usd", "low_usd"):
                if col not in df.columns:
                    df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
            df = df.select("date", "open_usd", "high_usd", "low_usd", "close_usd").with_columns(
                pl.lit(sid).alias("source_id"),
                pl.lit(venue).alias("venue"),
                pl.lit(ccy).alias("quote_currency"),
                pl.lit(convention).alias("time_convention"),
                pl.lit(hashes[name]).alias("payload_sha256"),
                pl.lit(now).alias("loaded_at"),
            )
            store.upsert("btc_prices_daily", df, ["date", "source_id"])

        ep = frames["difficulty_epochs.parquet"].with_columns(
            pl.lit("electrum").alias("source_id"),
            pl.lit(hashes["difficulty_epochs.parquet"]).alias("payload_sha256"),
            pl.lit(now).alias("loaded_at"),
        )
        store.upsert("difficulty_epochs", ep, ["epoch", "source_id"])
        for module_name in EXTRA_LOADER_MODULES:
            importlib.import_module(module_name).load(store, now)
        store.con.execute("INSERT INTO snapshot_loads VALUES (?, ?) ON CONFLICT DO NOTHING", [manifest_sha256(), now])
