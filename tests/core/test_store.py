"""The DuckDB store: migrations, idempotent loads, transactional upserts, clear errors for bad files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from minerwatch.errors import StoreError
from minerwatch.sources import snapshot
from minerwatch.store import Store, migrations


def test_migrations_are_numbered_and_applied_once(store: Store) -> None:
    versions = [v for v, _, _ in migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    assert store.schema_version() == versions[-1]
    assert store.migrate() == []


def test_snapshot_loaded_with_provenance(store: Store) -> None:
    assert store.count("network_daily") == 6205
    missing = store.query(
        "SELECT count(*) AS n FROM network_daily n LEFT JOIN payloads p ON n.payload_sha256 = p.sha256 "
        "WHERE p.sha256 IS NULL"
    )
    assert missing["n"][0] == 0
    src = store.query("SELECT source_id, licence FROM sources ORDER BY source_id")
    assert {"coinmetrics", "electrum", "binance"} <= set(src["source_id"].to_list())
    assert "CC BY-NC" in src.filter(pl.col("source_id") == "coinmetrics")["licence"][0]


def test_loading_twice_changes_nothing(store: Store) -> None:
    before = store.query("SELECT * FROM network_daily ORDER BY date")
    prices_before = store.query("SELECT * FROM btc_prices_daily ORDER BY date, source_id")
    snapshot.load(store)  # force a second full load
    assert store.query("SELECT * FROM network_daily ORDER BY date").equals(before)
    assert store.query("SELECT * FROM btc_prices_daily ORDER BY date, source_id").equals(prices_before)
    assert snapshot.ensure_loaded(store) is False


def _row(value: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": [date(2030, 1, 1)],
            "source_id": ["test"],
            "block_count": [144],
            "first_height": [1],
            "last_height": [144],
            "difficulty": [value],
            "hashrate_ehs_published": [None],
            "subsidy_btc": [450.0],
            "fees_btc": [1.0],
            "payload_sha256": ["x"],
            "loaded_at": [datetime(2030, 1, 2)],
        },
        schema_overrides={"hashrate_ehs_published": pl.Float64},
    )


def test_upsert_counts_inserts_updates_and_unchanged(store: Store) -> None:
    assert store.upsert("network_daily", _row(1.0), ["date", "source_id"]).inserted == 1
    again = store.upsert("network_daily", _row(1.0), ["date", "source_id"])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    changed = store.upsert("network_daily", _row(2.0), ["date", "source_id"])
    assert (changed.inserted, changed.updated) == (0, 1)
    assert store.query("SELECT difficulty FROM network_daily WHERE source_id = 'test'")["difficulty"][0] == 2.0


def test_upsert_rejects_duplicate_keys(store: Store) -> None:
    with pytest.raises(StoreError, match="duplicate key"):
        store.upsert("network_daily", pl.concat([_row(1.0), _row(2.0)]), ["date", "source_id"])


def test_transaction_rolls_back_everything(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert("network_daily", _row(1.0), ["date", "source_id"])
            raise RuntimeError("killed mid-write")
    assert store.count("network_daily") == 6205


def test_corrupt_store_file_gives_rebuild_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="Move it away"):
        Store.open(bad)


def test_read_only_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope.duckdb", read_only=True)


def test_newer_schema_refused(db_path: Path) -> None:
    s = Store.open(db_path)
    s.con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    s.close()
    with pytest.raises(StoreError, match="newer than this minerwatch"):
        Store.open(db_path)


def test_a_skipped_lower_migration_is_still_applied(store: Store) -> None:
    # A store that recorded a later migration before an earlier-numbered one existed must still get it.
    store.con.execute("DELETE FROM schema_migrations WHERE version = 2")
    for table in ["equity_prices_daily", "shares_facts", "corporate_actions", "miner_hashrate_reported"]:
        store.con.execute(f"DROP TABLE {table}")
    assert store.migrate() == [2]
    assert store.count("shares_facts") == 0


def test_damaged_packaged_file_is_refused_with_the_fix() -> None:
    with pytest.raises(StoreError, match=r"difficulty_epochs.parquet is damaged .*scripts/build_equities.py"):
        snapshot.read_verified("difficulty_epochs.parquet", "0" * 64, "scripts/build_equities.py")
    good = snapshot.manifest()["outputs"]["difficulty_epochs.parquet"]["sha256"]
    assert snapshot.read_verified("difficulty_epochs.parquet", good).height == 474
