"""Fixtures for the basket tests: a store with a small synthetic basket whose figures are worked by hand.

Window: close 2025-01-31 -> close 2025-02-28 (the synthetic tickers trade on 01-30, 01-31, 02-27, 02-28).

    AAA  10 -> 12, 100 shares (fact 2025-01-01)                   cap 1000 -> 1200, price +20%
    BBB   5 -> 4, 200 shares, 250 from a fact dated 2025-02-20     cap 1000 -> 1000, price -20%
    CCC   2 -> 25 nominal, 1-for-10 reverse split ex 2025-02-14,
          500 shares (fact 2025-01-01, pre-split units) -> 50      cap 1000 -> 1250, price +25%
    DDD   closes quoted split-adjusted as of 2025-03-31 (4 -> 5), 2-for-1 split ex 2025-03-10,
          so nominal 8 -> 10; 100 shares                           cap  800 -> 1000, price +25%
    EEE   left the basket 2025-01-15 (not counted)
    FFF   joined 2025-02-10 (missing: joined mid-period)
    GGG   priced, but no shares fact (missing)

Aggregate: 3800 -> 4450, +650 USD, +17.105263%; pure-play (AAA, BBB) 2000 -> 2200 (+10%);
AI/HPC-exposed (CCC, DDD as of the end date) 1800 -> 2250 (+25%).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from minerwatch.store import Store

DAYS = [date(2025, 1, 30), date(2025, 1, 31), date(2025, 2, 27), date(2025, 2, 28)]
NOW = datetime(2025, 3, 1)

CLOSES = {
    "AAA": [10.0, 10.0, 12.0, 12.0],
    "BBB": [5.0, 5.0, 4.0, 4.0],
    "CCC": [2.0, 2.0, 25.0, 25.0],
    "EEE": [1.0, 1.0, 1.0, 1.0],
    "FFF": [3.0, 3.0, 3.0, 3.0],
    "GGG": [7.0, 7.0, 7.0, 7.0],
}
DDD_ADJUSTED = [4.0, 4.0, 5.0, 5.0]

SHARES = [
    ("AAA", date(2025, 1, 1), 100.0),
    ("BBB", date(2025, 1, 1), 200.0),
    ("BBB", date(2025, 2, 20), 250.0),
    ("CCC", date(2025, 1, 1), 500.0),
    ("DDD", date(2025, 1, 1), 100.0),
    ("EEE", date(2025, 1, 1), 100.0),
    ("FFF", date(2025, 1, 1), 100.0),
]

BASKET_TOML = """\
name = "synthetic"
description = "hand-worked test basket"

[[member]]
ticker = "AAA"
company = "Alpha"
exchange = "NASDAQ"
from = 2024-01-01
cohorts = [{ cohort = "pure-play", from = 2024-01-01 }]

[[member]]
ticker = "BBB"
company = "Beta"
exchange = "NASDAQ"
from = 2024-01-01
cohorts = [{ cohort = "pure-play", from = 2024-01-01 }]

[[member]]
ticker = "CCC"
company = "Gamma"
exchange = "NASDAQ"
from = 2024-01-01
cohorts = [{ cohort = "AI/HPC-exposed", from = 2024-01-01 }]

[[member]]
ticker = "DDD"
company = "Delta"
exchange = "NASDAQ"
from = 2024-01-01
cohorts = [{ cohort = "pure-play", from = 2024-01-01 }, { cohort = "AI/HPC-exposed", from = 2025-02-15 }]

[[member]]
ticker = "EEE"
company = "Epsilon (left before the window)"
exchange = "NASDAQ"
from = 2024-01-01
to = 2025-01-15
cohorts = [{ cohort = "pure-play", from = 2024-01-01 }]

[[member]]
ticker = "FFF"
company = "Phi (joined mid-window)"
exchange = "NASDAQ"
from = 2025-02-10
cohorts = [{ cohort = "pure-play", from = 2025-02-10 }]

[[member]]
ticker = "GGG"
company = "Gamma-two (no shares fact)"
exchange = "NASDAQ"
from = 2024-01-01
cohorts = [{ cohort = "pure-play", from = 2024-01-01 }]
"""


def _prices() -> pl.DataFrame:
    rows = []
    for t, closes in CLOSES.items():
        for d, c in zip(DAYS, closes, strict=True):
            rows.append(dict(ticker=t, date=d, source_id="test", close_usd=c, price_basis="nominal"))
    for d, c in zip(DAYS, DDD_ADJUSTED, strict=True):
        rows.append(
            dict(ticker="DDD", date=d, source_id="test_adj", close_usd=c, price_basis="split-adjusted as of 2025-03-31")
        )
    return pl.DataFrame(rows).with_columns(pl.lit("t").alias("payload_sha256"), pl.lit(NOW).alias("loaded_at"))


def add_shares(store: Store, ticker: str, as_of: date, shares: float, source: str = "test") -> None:
    """Insert one shares fact (a cover count) for a test."""
    frame = pl.DataFrame(
        [
            dict(
                ticker=ticker,
                as_of_date=as_of,
                source_id=source,
                share_class="all",
                concept="dei:EntityCommonStockSharesOutstanding",
                shares_outstanding=shares,
                payload_sha256="t",
                loaded_at=NOW,
            )
        ]
    )
    with store.transaction():
        store.upsert("shares_facts", frame, ["ticker", "as_of_date", "source_id", "share_class", "concept"])


def load_synthetic(store: Store) -> None:
    """Write the synthetic prices, shares facts and splits into `store`."""
    with store.transaction():
        store.register_source("test", kind="file", description="synthetic test data")
        store.upsert("equity_prices_daily", _prices(), ["ticker", "date", "source_id"])
        actions = pl.DataFrame(
            [
                dict(
                    ticker="CCC",
                    date=date(2025, 2, 14),
                    kind="split",
                    ratio=0.1,
                    source_id="test",
                    note="1-for-10 reverse split",
                    payload_sha256="t",
                    loaded_at=NOW,
                ),
                dict(
                    ticker="DDD",
                    date=date(2025, 3, 10),
                    kind="split",
                    ratio=2.0,
                    source_id="test",
                    note="2-for-1 split",
                    payload_sha256="t",
                    loaded_at=NOW,
                ),
            ]
        )
        store.upsert("corporate_actions", actions, ["ticker", "date", "kind", "source_id"])
    for t, d, n in SHARES:
        add_shares(store, t, d, n)


@pytest.fixture()
def synth_store(store: Store) -> Store:
    """The shared writable snapshot store plus the synthetic basket data."""
    load_synthetic(store)
    return store


@pytest.fixture()
def synth_db(db_path: Path) -> Path:
    """Path of a store file holding the snapshot plus the synthetic data (for CLI tests)."""
    s = Store.open(db_path)
    try:
        load_synthetic(s)
    finally:
        s.close()
    return db_path


@pytest.fixture()
def basket_path(tmp_path: Path) -> Path:
    """The synthetic basket TOML file."""
    p = tmp_path / "synthetic_basket.toml"
    p.write_text(BASKET_TOML)
    return p


@pytest.fixture()
def put_shares():  # -> Callable[[Store, str, date, float, str], None]
    """The `add_shares` helper, as a fixture (test modules cannot import conftest in importlib mode)."""
    return add_shares
