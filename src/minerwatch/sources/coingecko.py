"""CoinGecko: BTC/USD daily closes and the all-time high.

- `/coins/bitcoin/market_chart?vs_currency=usd&days=N&interval=daily`: one point per day at 00:00 UTC,
  plus the current price as a last, intraday point (dropped). A point at 00:00 UTC of day D is the
  close of day D-1 (checked against Coin Metrics: 2024-03-31T00:00 69,702 vs CM close of 03-30 69,663).
- `/coins/bitcoin?...market_data=true`: `market_data.ath.usd` and `ath_date.usd` (fetched at most daily).

The public (keyless) tier and demo keys serve only the last 365 days: a longer request is refused up front with a
message saying how to get more, never filled with a silent gap. Key: env `MINERWATCH_COINGECKO_API_KEY`
or `[sources.coingecko] api_key`; `api_tier = "pro"` switches to the pro host and header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from minerwatch.config import setting
from minerwatch.errors import InputError
from minerwatch.http import Client, Raw
from minerwatch.sources.registry import NUMBER, field

SOURCE_ID = "coingecko"
KIND = "rest"
DESCRIPTION = "CoinGecko API v3: BTC/USD daily close (00:00 UTC) and all-time high"
DEFAULT_URL = "https://api.coingecko.com/api/v3"
PRO_URL = "https://pro-api.coingecko.com/api/v3"
LICENCE = "CoinGecko API terms (attribution required)"
KEYS = {"btc_prices_daily": ["date", "source_id"], "btc_ath_reported": ["source_id", "as_of_date"]}
FREE_HISTORY_DAYS = 365
#: The all-time high is asked for daily while the latest close is within this fraction of it (a new high
#: is then possible in a day), otherwise every ATH_REFRESH_DAYS: a daily sync then costs one request.
ATH_NEAR = 0.8
ATH_REFRESH_DAYS = 7
OVERLAP_DAYS = 2
VENUE = "CoinGecko aggregate"
TIME_CONVENTION = "UTC day; close = CoinGecko price at 00:00 UTC ending the day"


@dataclass(frozen=True)
class Query:
    """Days of history to fetch (None: none) and whether to refresh the all-time high."""

    days: int | None
    ath: bool


def api_key() -> str | None:
    """The configured API key, if any."""
    return setting("coingecko", "api_key")


def paid_plan() -> bool:
    """True with a key on the pro tier: CoinGecko's demo (free) key, like no key, serves only the last 365 days."""
    return api_key() is not None and (setting("coingecko", "api_tier") or "demo").lower() == "pro"


def default_url() -> str:
    """Pro host when `api_tier = pro`, else the public/demo host."""
    return PRO_URL if (setting("coingecko", "api_tier") or "").lower() == "pro" else DEFAULT_URL


def headers() -> dict[str, str]:
    """The key header for the configured tier (demo: x-cg-demo-api-key, pro: x-cg-pro-api-key)."""
    key = api_key()
    if not key:
        return {}
    tier = (setting("coingecko", "api_tier") or "demo").lower()
    return {"x-cg-pro-api-key" if tier == "pro" else "x-cg-demo-api-key": key}


def read_state(store: Any) -> dict[str, Any]:
    """Last CoinGecko close, last close of any source, the last ATH refresh day and value, the latest USD close."""
    return store.query(
        "SELECT (SELECT max(date) FROM btc_prices_daily WHERE source_id = 'coingecko') AS px, "
        "(SELECT max(date) FROM btc_prices_daily) AS any_px, "
        "(SELECT max(as_of_date) FROM btc_ath_reported WHERE source_id = 'coingecko') AS ath, "
        "(SELECT ath_usd FROM btc_ath_reported WHERE source_id = 'coingecko' ORDER BY as_of_date DESC LIMIT 1) "
        "  AS ath_usd, "
        "(SELECT close_usd FROM btc_prices_daily WHERE quote_currency = 'USD' ORDER BY date DESC LIMIT 1) "
        "  AS last_close"
    ).row(0, named=True)


def ath_due(state: dict[str, Any], today: date) -> bool:
    """Refresh the all-time high daily while BTC is near it, weekly when the last close is far below it."""
    last, value, close = state.get("ath"), state.get("ath_usd"), state.get("last_close")
    if last is None or value is None or close is None:
        return last != today
    if last >= today:
        return False
    return close >= ATH_NEAR * value or (today - last).days >= ATH_REFRESH_DAYS


def plan(state: dict[str, Any], *, today: date, start: date | None = None, options: dict | None = None) -> Query | None:
    """Days back to fetch from the last held close (minus overlap); refuse >365 days without a paid plan."""
    own, anyone = state.get("px"), state.get("any_px")
    begin = start or (own - timedelta(days=OVERLAP_DAYS) if own else None) or (
        anyone - timedelta(days=OVERLAP_DAYS) if anyone else today - timedelta(days=FREE_HISTORY_DAYS - 1)
    )
    days = (today - begin).days + 1 if begin < today else None
    if days is not None and days > FREE_HISTORY_DAYS and not (options or {}).get("paid_plan", paid_plan()):
        raise InputError(
            f"coingecko: {begin} is {days} days back, but CoinGecko's public API and demo keys serve only the last "
            f"{FREE_HISTORY_DAYS} days; pass --from {today - timedelta(days=FREE_HISTORY_DAYS - 1)} (or later), "
            f"set a paid-plan key (MINERWATCH_COINGECKO_API_KEY with MINERWATCH_COINGECKO_API_TIER=pro), or load "
            f"older closes with `minerwatch import FILE --kind prices`"
        )
    ath = ath_due(state, today)
    if days is None and not ath:
        return None
    return Query(days, ath)


def extract(query: Query, client: Client) -> list[Raw]:
    """Fetch the daily chart and (at most daily) the coin page for the ATH."""
    raws = []
    if query.days:
        raws.append(client.get(
            "coins/bitcoin/market_chart",
            {"vs_currency": "usd", "days": str(query.days), "interval": "daily"},
            ttl=600, headers=headers(), hint="kind=chart",
        ))
    if query.ath:
        raws.append(client.get(
            "coins/bitcoin",
            {"localization": "false", "tickers": "false", "community_data": "false",
             "developer_data": "false", "sparkline": "false"},
            ttl=3600, headers=headers(), hint="kind=coin",
        ))
    return raws


def parse_chart(raw: Raw) -> list[dict[str, Any]]:
    """Daily closes: points exactly at 00:00 UTC close the previous day; other points are dropped."""
    where = f"market_chart payload {raw.uri.split('#')[0]}"
    data = raw.json(SOURCE_ID)
    out = {}
    for i, point in enumerate(field(data, "prices", SOURCE_ID, where, list)):
        ms = field(point, 0, SOURCE_ID, f"{where} prices[{i}]", NUMBER)
        price = field(point, 1, SOURCE_ID, f"{where} prices[{i}]", NUMBER)
        seconds = int(ms) // 1000
        if seconds % 86400 != 0 or price <= 0:
            continue
        day = datetime.fromtimestamp(seconds, UTC).date() - timedelta(days=1)
        out[day] = float(price)
    return [
        {"date": d, "source_id": SOURCE_ID, "venue": VENUE, "quote_currency": "USD",
         "time_convention": TIME_CONVENTION, "open_usd": None, "high_usd": None, "low_usd": None,
         "close_usd": p, "payload_sha256": raw.sha256}
        for d, p in sorted(out.items())
    ]


def parse_ath(raw: Raw) -> dict[str, Any]:
    """The all-time high (USD) and its date, as of the day the page was fetched."""
    where = f"coin payload {raw.uri.split('#')[0]}"
    md = field(raw.json(SOURCE_ID), "market_data", SOURCE_ID, where, dict)
    ath = field(field(md, "ath", SOURCE_ID, f"{where} market_data", dict), "usd", SOURCE_ID,
                f"{where} market_data.ath", NUMBER)
    when = field(field(md, "ath_date", SOURCE_ID, f"{where} market_data", dict), "usd", SOURCE_ID,
                 f"{where} market_data.ath_date", str)
    try:
        ath_at = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        field({}, "ath_date.usd (ISO time)", SOURCE_ID, where)
    return {"source_id": SOURCE_ID, "as_of_date": raw.fetched_at.date(), "ath_usd": float(ath),
            "ath_at": ath_at, "payload_sha256": raw.sha256}


def parse(raws: list[Raw]) -> dict[str, pl.DataFrame]:
    """Rows for btc_prices_daily and btc_ath_reported."""
    out: dict[str, pl.DataFrame] = {}
    rows = [r for raw in raws if raw.hints.get("kind") == "chart" for r in parse_chart(raw)]
    if rows:
        out["btc_prices_daily"] = pl.DataFrame(rows, schema=PRICE_SCHEMA)
    aths = [parse_ath(raw) for raw in raws if raw.hints.get("kind") == "coin"]
    if aths:
        out["btc_ath_reported"] = pl.DataFrame(aths, schema=ATH_SCHEMA)
    return out


PRICE_SCHEMA: dict[str, Any] = {
    "date": pl.Date, "source_id": pl.Utf8, "venue": pl.Utf8, "quote_currency": pl.Utf8,
    "time_convention": pl.Utf8, "open_usd": pl.Float64, "high_usd": pl.Float64, "low_usd": pl.Float64,
    "close_usd": pl.Float64, "payload_sha256": pl.Utf8,
}
ATH_SCHEMA: dict[str, Any] = {
    "source_id": pl.Utf8, "as_of_date": pl.Date, "ath_usd": pl.Float64, "ath_at": pl.Datetime("us"),
    "payload_sha256": pl.Utf8,
}
