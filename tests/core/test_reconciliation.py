"""The embedded snapshot against itself and against independent published series.

- Coin Metrics' HashRate column is the block-count estimator (BlkCnt x D x 2^32 / 86400 with D the day's mean
  difficulty); our estimator with Electrum's per-epoch difficulty must reproduce it on every day.
- Coin Metrics' IssTotNtv must equal the subsidy schedule over the day's heights (cumulative BlkCnt).
- Electrum's epochs are mapped to periods correctly (checkpoint i's target governs period i+1).
"""

from __future__ import annotations

import polars as pl
import pytest

from minerwatch import service
from minerwatch.metrics import network as nw
from minerwatch.store import Store


def test_blockcount_estimator_reproduces_coinmetrics_hashrate(store: Store) -> None:
    facts = service.network_facts(store).filter(pl.col("block_count") > 0)
    ours = facts["block_count"].cast(pl.Float64) / 144 * facts["difficulty"] * 2**32 / 600 / 1e18
    rel = ((ours / facts["hashrate_ehs_published"]) - 1).abs()
    assert facts.height == 6199
    assert rel.max() < 1e-7, rel.max()


def test_electrum_difficulty_agrees_with_coinmetrics_implied(store: Store) -> None:
    facts = service.network_facts(store).filter(pl.col("block_count") > 0)
    implied = facts["hashrate_ehs_published"] * 1e18 * 600 * 144 / (facts["block_count"].cast(pl.Float64) * 2.0**32)
    rel = ((implied / facts["difficulty"]) - 1).abs()
    assert (rel < 1e-8).sum() == facts.height


def test_issuance_matches_subsidy_schedule(store: Store) -> None:
    facts = service.network_facts(store).filter(pl.col("block_count") > 0)
    sched = [nw.subsidy_btc_for_heights(a, b) for a, b in zip(facts["first_height"], facts["last_height"], strict=True)]
    diffs = [abs(a - b) for a, b in zip(sched, facts["subsidy_btc"], strict=True)]
    assert max(diffs) < 1e-6


def test_epoch_mapping_matches_block_headers(store: Store) -> None:
    ep = store.query("SELECT epoch, difficulty, target_hex FROM difficulty_epochs ORDER BY epoch")
    # Headers: block 631,076 bits 0x171297f6; block 730,000 bits 386521239 (0x1709d897).
    for height, bits in [(631_076, 0x171297F6), (730_000, 386_521_239)]:
        row = ep.filter(pl.col("epoch") == height // 2016)
        assert int(row["target_hex"][0], 16) == nw.target_from_bits(bits)
        assert row["difficulty"][0] == pytest.approx(nw.difficulty_from_bits(bits), rel=1e-15)
    assert ep["difficulty"][0] == 1.0


def test_halving_day_is_keyed_on_height(store: Store) -> None:
    d = service.network_facts(store).filter(pl.col("date").cast(pl.String) == "2024-04-19").row(0, named=True)
    assert (d["first_height"], d["last_height"], d["block_count"]) == (839_853, 840_003, 151)
    assert d["subsidy_btc"] == 931.25


def test_default_pairing_equals_expected_at_difficulty(store: Store) -> None:
    a = service.hashprice_month(store, "2025-02")
    b = service.hashprice_month(store, "2025-02", estimator="difficulty", basis="expected")
    assert a["usd_per_ehs_day"] == pytest.approx(b["usd_per_ehs_day"], rel=1e-6)
    # ...while the crossed pairing carries the month's luck (blocks came faster than every 10 min).
    c = service.hashprice_month(store, "2025-02", estimator="difficulty", basis="realized")
    luck = a["blocks"] / (a["days"] * 144)
    assert c["usd_per_ehs_day"] / a["usd_per_ehs_day"] == pytest.approx(luck, rel=2e-3)
