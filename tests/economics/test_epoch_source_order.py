"""Several sources for one epoch: Electrum, then bitcoind, then mempool, whatever the insertion order."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from minerwatch import service_economics as se
from minerwatch.store import Store


def _epoch_row(epoch: int, source: str, difficulty: float) -> pl.DataFrame:
    return pl.DataFrame(
        {"epoch": [epoch], "source_id": [source], "first_height": [epoch * 2016], "last_height": [epoch * 2016 + 2015],
         "last_block_hash": [None], "target_hex": ["00" * 32], "difficulty": [difficulty], "first_date": [None],
         "last_date": [None], "payload_sha256": ["x"], "loaded_at": [datetime(2030, 1, 1)]},
        schema_overrides={"last_block_hash": pl.String, "first_date": pl.Date, "last_date": pl.Date},
    )


def test_bitcoind_wins_over_mempool_and_is_named(store: Store) -> None:
    for src, d in [("mempool", 2.0e14), ("bitcoind", 1.5e14), ("zzz", 9.0e14)]:
        store.upsert("difficulty_epochs", _epoch_row(999, src, d), ["epoch", "source_id"])
    got = se._epoch_difficulties_sourced(store)
    assert got[999] == (1.5e14, "bitcoind's header bits for the epoch")
    # Electrum's own epochs keep their label and value.
    assert got[0] == (1.0, "Electrum checkpoints")


def test_mempool_used_when_alone(store: Store) -> None:
    store.upsert("difficulty_epochs", _epoch_row(998, "mempool", 2.0e14), ["epoch", "source_id"])
    assert se._epoch_difficulties_sourced(store)[998] == (2.0e14, "mempool's retargets")
