"""Embedded miner self-reported hashrate (built by scripts/build_hashrate.py) loaded into miner_hashrate_reported."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from importlib import resources

import polars as pl

from minerwatch.errors import StoreError
from minerwatch.store import Store

MANIFEST = "hashrate_manifest.json"
PARQUET = "hashrate_reported.parquet"
SOURCE_ID = "company_reports"
SOURCE_DESCRIPTION = (
    "Miner self-reported hashrate (EH/s, the company's own metric) and BTC produced by month, "
    "read from press releases and their reposts; each row cites its URL and a short quote"
)
SOURCE_LICENCE = "facts with cited sources; no licence stated"


def _file(name: str):  # -> Traversable
    return resources.files("minerwatch.data").joinpath(name)


def manifest() -> dict:
    """The hashrate manifest: input origin, licence and sha256; output rows, months and sha256."""
    return json.loads(_file(MANIFEST).read_text())


def read() -> pl.DataFrame:
    """The packaged Parquet, checked against the manifest's sha256."""
    entry = manifest()["outputs"][PARQUET]
    raw = _file(PARQUET).read_bytes()
    got = hashlib.sha256(raw).hexdigest()
    if got != entry["sha256"]:
        raise StoreError(
            f"embedded file {PARQUET} is damaged (sha256 {got[:12]} != manifest {entry['sha256'][:12]}); "
            f"reinstall minerwatch or rebuild it with scripts/build_hashrate.py"
        )
    return pl.read_parquet(raw)


def load(store: Store, now: datetime) -> None:
    """Upsert the embedded reported hashrate (inside the caller's transaction) with a payload row as provenance."""
    entry = manifest()["outputs"][PARQUET]
    with store.transaction():
        store.register_source(
            SOURCE_ID, kind="snapshot", description=SOURCE_DESCRIPTION, base_url=None, licence=SOURCE_LICENCE
        )
        sha = store.put_payload(
            source_id=SOURCE_ID,
            uri=f"package:minerwatch/data/{PARQUET}",
            content=None,
            sha256=entry["sha256"],
            content_type="application/vnd.apache.parquet",
            size_bytes=None,
        )
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
