"""Embedded miner self-reported hashrate (built by scripts/build_hashrate.py) loaded into miner_hashrate_reported."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from minerwatch.sources.snapshot import put_package_payload, read_manifest, read_verified
from minerwatch.store import Store

MANIFEST = "hashrate_manifest.json"
PARQUET = "hashrate_reported.parquet"
SOURCE_ID = "company_reports"
SOURCE_DESCRIPTION = (
    "Miner self-reported hashrate (EH/s, the company's own metric) and BTC produced by month, "
    "read from press releases and their reposts; each row cites its URL and a short quote"
)
SOURCE_LICENCE = "facts with cited sources; no licence stated"


def manifest() -> dict:
    """The hashrate manifest: input origin, licence and sha256; output rows, months and sha256."""
    return read_manifest(MANIFEST)


def read() -> pl.DataFrame:
    """The packaged Parquet, checked against the manifest's sha256."""
    return read_verified(PARQUET, manifest()["outputs"][PARQUET]["sha256"], "scripts/build_hashrate.py")


def load(store: Store, now: datetime) -> None:
    """Upsert the embedded reported hashrate (inside the caller's transaction) with a payload row as provenance."""
    entry = manifest()["outputs"][PARQUET]
    with store.transaction():
        store.register_source(
            SOURCE_ID, kind="snapshot", description=SOURCE_DESCRIPTION, base_url=None, licence=SOURCE_LICENCE
        )
        sha = put_package_payload(store, source_id=SOURCE_ID, name=PARQUET, sha256=entry["sha256"])
        frame = read().select(
            "ticker",
            "month",
            pl.col("metric").fill_null(""),
            pl.lit(SOURCE_ID).alias("source_id"),
            "hashrate_ehs",
            "btc_produced",
            "source_url",
            "quote",
            pl.lit(sha).alias("payload_sha256"),
            pl.lit(now).alias("loaded_at"),
        )
        store.upsert("miner_hashrate_reported", frame, ["ticker", "month", "metric", "source_id"])
