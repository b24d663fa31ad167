"""minerwatch: the monthly Bitcoin-mining research note, from public data, reproducibly.

The notebook API below is the one the CLI calls (through `minerwatch.service`):

    >>> import minerwatch
    >>> minerwatch.hashprice(month="2025-02")["usd_per_ehs_day"]      # doctest: +SKIP
    >>> minerwatch.network_daily("2024-04-01", "2024-05-31")           # polars DataFrame  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

__version__ = "0.1.0"
__all__ = ["btc", "btc_closes", "hashprice", "network_daily", "__version__"]


def _day(value: str | date, name: str) -> date:
    from minerwatch.service import parse_date

    return value if isinstance(value, date) else parse_date(value, name)


def hashprice(
    month: str | None = None,
    *,
    estimator: str = "blockcount",
    basis: str = "realized",
    smooth_days: int = 1,
    db: str | Path | None = None,
) -> dict[str, Any]:
    """Monthly hashprice (same dict as `minerwatch hashprice --format json`); default: latest complete month."""
    from minerwatch import service

    with service.open_store(db) as store:
        m = month or service.latest_complete_month(store)
        return service.hashprice_month(store, m, estimator=estimator, basis=basis, smooth_days=smooth_days)


def btc(month: str | None = None, *, db: str | Path | None = None) -> dict[str, Any]:
    """BTC month statistics (same dict as `minerwatch btc --format json`)."""
    from minerwatch import service

    with service.open_store(db) as store:
        return service.btc_month(store, month or service.latest_complete_month(store))


def network_daily(
    start: str | date,
    end: str | date,
    *,
    estimator: str = "blockcount",
    basis: str = "realized",
    smooth_days: int = 1,
    db: str | Path | None = None,
) -> pl.DataFrame:
    """Daily network economics between two days (inclusive) as a polars DataFrame."""
    from minerwatch import service

    with service.open_store(db) as store:
        return service.network_daily(
            store, _day(start, "start"), _day(end, "end"), estimator=estimator, basis=basis, smooth_days=smooth_days
        )


def btc_closes(
    start: str | date | None = None, end: str | date | None = None, *, db: str | Path | None = None
) -> pl.DataFrame:
    """Daily BTC closes (preferred source per day) as a polars DataFrame."""
    from minerwatch import service

    with service.open_store(db) as store:
        return service.btc_closes(store, _day(start, "start") if start else None, _day(end, "end") if end else None)
