"""Embedded miner-equities data (built by scripts/build_equities.py) loaded into the equities tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from minerwatch.sources.snapshot import put_package_payload, read_manifest, read_verified
from minerwatch.store import Store

MANIFEST = "equities_manifest.json"

#: Sources registered by this loader (ids used in equity_prices_daily / shares_facts / ...).
SOURCES: dict[str, dict[str, Any]] = {
    "nasdaq_screener": dict(
        kind="snapshot",
        description="NASDAQ stock screener (api.nasdaq.com) nightly snapshots via rreichel3/US-Stock-Symbols: "
        "nominal last sale, market cap, implied share count",
        base_url="https://github.com/rreichel3/US-Stock-Symbols",
        licence="no licence stated; data are NASDAQ's",
    ),
    "nasdaq_screener_unverified": dict(
        kind="snapshot",
        description="NASDAQ screener rows whose trading date could not be verified (used only as a last resort)",
        base_url="https://github.com/rreichel3/US-Stock-Symbols",
        licence="no licence stated; data are NASDAQ's",
    ),
    "dsturdy": dict(
        kind="snapshot",
        description="Daily closes, Yahoo-style back-adjusted for splits as of 2026-07-14 "
        "(dsturdy/Factor_Attribution_5_csvs)",
        base_url="https://github.com/dsturdy/Factor_Attribution_5_csvs",
        licence="no licence stated",
    ),
    "spooky": dict(
        kind="snapshot",
        description="Daily OHLCV bars (Alpaca/IEX-like, partial volume), split-adjusted as of 2025-05 "
        "(Spooky-Labs/Course-1)",
        base_url="https://github.com/Spooky-Labs/Course-1",
        licence="no licence stated",
    ),
    "dieperdev": dict(
        kind="snapshot",
        description="Yahoo Finance daily OHLCV, split-adjusted as of 2024-03-09 (dieperdev/yfinance-stock-data)",
        base_url="https://github.com/dieperdev/yfinance-stock-data",
        licence="Unlicense (data: Yahoo Finance)",
    ),
    "sec_filings": dict(
        kind="snapshot",
        description="Shares outstanding read from SEC 10-K/10-Q covers and balance sheets "
        "(miners_shares_outstanding.csv)",
        base_url="https://www.sec.gov/edgar",
        licence="SEC EDGAR data, US public domain",
    ),
    "equities_derived": dict(
        kind="snapshot",
        description="Corporate actions detected from feed comparisons and the corrections log (build_equities.py)",
        base_url=None,
        licence="derived",
    ),
    "screener_month_end": dict(
        kind="snapshot",
        description="Month-end NASDAQ screener market caps (miners_market_cap_facts.csv), for cross-checks",
        base_url="https://github.com/rreichel3/US-Stock-Symbols",
        licence="no licence stated; data are NASDAQ's",
    ),
    "third_party": dict(
        kind="snapshot",
        description="Third-party market-cap snapshots (MarketBeat, stockanalysis, alphaquery, Simply Wall St)",
        base_url=None,
        licence="quoted facts",
    ),
}


def manifest() -> dict:
    """The equities manifest: inputs (origin, licence, sha256) and outputs (rows, range, sha256)."""
    return read_manifest(MANIFEST)


def read(name: str) -> pl.DataFrame:
    """One packaged equities Parquet file, checked against the manifest's sha256."""
    return read_verified(name, manifest()["outputs"][name]["sha256"], "scripts/build_equities.py")


def load(store: Store, now: datetime) -> None:
    """Upsert the embedded equities data (inside the caller's transaction), one payload row per file."""
    outputs = manifest()["outputs"]
    with store.transaction():
        for sid, meta in SOURCES.items():
            store.register_source(sid, **meta)
        sha: dict[str, str] = {}
        for name, entry in outputs.items():
            sha[name] = put_package_payload(store, source_id="equities_derived", name=name, sha256=entry["sha256"])

        def prov(frame: pl.DataFrame, name: str) -> pl.DataFrame:
            return frame.with_columns(pl.lit(sha[name]).alias("payload_sha256"), pl.lit(now).alias("loaded_at"))

        store.upsert(
            "equity_prices_daily",
            prov(read("equities_prices.parquet"), "equities_prices.parquet"),
            ["ticker", "date", "source_id"],
        )
        store.upsert(
            "shares_facts",
            prov(read("equities_shares.parquet"), "equities_shares.parquet"),
            ["ticker", "as_of_date", "source_id", "share_class", "concept"],
        )
        ca = read("equities_corporate_actions.parquet").with_columns(pl.lit("equities_derived").alias("source_id"))
        store.upsert(
            "corporate_actions", prov(ca, "equities_corporate_actions.parquet"), ["ticker", "date", "kind", "source_id"]
        )
        store.upsert(
            "equity_market_caps_reported",
            prov(read("equities_market_caps.parquet"), "equities_market_caps.parquet"),
            ["ticker", "date", "source_id"],
        )
        store.upsert(
            "equity_corrections",
            prov(read("equities_corrections.parquet"), "equities_corrections.parquet"),
            ["correction_id", "source_id"],
        )
