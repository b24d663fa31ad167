"""mempool.space REST (or a self-hosted mempool): daily network facts from bulk mining endpoints, BTC price.

Endpoints (see docs/live.md for what each daily field comes from):
- `/v1/mining/blocks/fees/{interval}`: buckets `{avgHeight, timestamp, avgFees[, USD]}`. The bucket width
  depends on the interval (24h/3d: one block per row; 1w: 5 min; 1m: 30 min; 3m: 2 h; 6m: 3 h;
  1y/2y: 8 h; 3y: 12 h; all: 1 UTC day). Rolled up to UTC days: block heights come from the bucket
  mean heights (boundary between two buckets = midpoint of their mean heights), so block counts are
  exact for one-block buckets and within a block or two per day for wider ones; fees = sum of mean
  fee x estimated blocks per bucket; subsidy = exact schedule over the day's heights.
- `/v1/mining/hashrate/{interval}`: daily published hashrate and the difficulty adjustments (height,
  difficulty), from which each day's mean difficulty over its blocks is computed; each retarget also gives its
  epoch's row in difficulty_epochs (difficulty as published, target derived from it, first day by block time).
- `/v1/historical-price?currency=USD[&timestamp=T]`: the daily USD close (price at 00:00 UTC ending the day).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from minerwatch.http import Client, Raw
from minerwatch.metrics.network import MAX_TARGET, difficulty_from_target, subsidy_btc_for_heights
from minerwatch.sources.registry import NUMBER, field

SOURCE_ID = "mempool"
KIND = "rest"
DESCRIPTION = "mempool.space REST API: per-block fees, difficulty adjustments, published hashrate, BTC/USD"
DEFAULT_URL = "https://mempool.space/api"
LICENCE = "mempool.space data; API terms at https://mempool.space/terms-of-service (code AGPL-3.0)"
KEYS = {
    "network_daily": ["date", "source_id"],
    "btc_prices_daily": ["date", "source_id"],
    "difficulty_epochs": ["epoch", "source_id"],
}

#: Intervals the mining endpoints accept, with the days each covers ('all' = everything).
INTERVALS: list[tuple[str, int]] = [
    ("24h", 1), ("3d", 3), ("1w", 7), ("1m", 30), ("3m", 90), ("6m", 180),
    ("1y", 365), ("2y", 730), ("3y", 1095), ("all", 10**6),
]
#: Bucket width (seconds) of each interval's fee rows; 0 = one row per block.
BUCKET_SECONDS = {"24h": 0, "3d": 0, "1w": 300, "1m": 1800, "3m": 7200, "6m": 10800, "1y": 28800, "2y": 28800,
                  "3y": 43200, "all": 86400}
#: Narrower windows also fetched on a backfill, so the latest days come from finer buckets (a day's block count
#: within 2-3 blocks for 1m, 1 for 1w, exact for 3d) instead of only the wide ones (8 h buckets: up to ~12 off).
FINE_INTERVALS = ("1m", "1w", "3d")
#: Re-fetch this many already-held days to pick up revisions (and to have a left neighbour bucket).
OVERLAP_DAYS = 1
#: Up to this many missing price days, fetch one point per day; beyond, the whole price history once.
PER_DAY_PRICE_LIMIT = 7
RETARGET_BLOCKS = 2016
#: A close fetched this long after the midnight ending its day is final (mempool prices are hourly);
#: one fetched earlier may be a provisional last-point-before-midnight and is fetched again.
PRICE_SETTLE = timedelta(hours=1)
VENUE = "mempool.space price index"
TIME_CONVENTION = "UTC day; close = mempool USD price at 00:00 UTC ending the day (or the last point before it)"


@dataclass(frozen=True)
class Query:
    """What to fetch: the mining interval, the hashrate interval, and which price days."""

    start: date
    fees_interval: str | None
    hashrate_interval: str | None
    price_days: tuple[date, ...] = ()
    full_price_history: bool = False
    #: Narrower fee windows fetched too (backfills); their rows replace the wide window's for the days they hold.
    fine_intervals: tuple[str, ...] = ()
    #: (epoch, difficulty) in force over the whole last held day, when that day lies inside one epoch:
    #: if the new blocks stay in that epoch, the hashrate call (retargets) is not needed.
    known_epoch: tuple[int, float] | None = None


def read_state(store: Any) -> dict[str, Any]:
    """Last day held by mempool (network, prices), when its last close was fetched, the latest day of any source."""
    q = store.query(
        "SELECT (SELECT max(date) FROM network_daily WHERE source_id = 'mempool') AS net, "
        "(SELECT max(date) FROM btc_prices_daily WHERE source_id = 'mempool') AS px, "
        "(SELECT p.fetched_at FROM btc_prices_daily b JOIN payloads p ON p.sha256 = b.payload_sha256 "
        " WHERE b.source_id = 'mempool' ORDER BY b.date DESC LIMIT 1) AS px_fetched, "
        "(SELECT max(date) FROM network_daily) AS any_net, (SELECT max(date) FROM btc_prices_daily) AS any_px"
    ).row(0, named=True)
    last = store.query(
        "SELECT first_height, last_height, difficulty FROM network_daily WHERE source_id = 'mempool' "
        "ORDER BY date DESC LIMIT 1"
    )
    q["last_day"] = last.row(0, named=True) if last.height else None
    return q


def interval_covering(days: int) -> str:
    """The smallest mining interval spanning at least `days` days."""
    for name, span in INTERVALS:
        if span >= days:
            return name
    return "all"


def plan(state: dict[str, Any], *, today: date, start: date | None = None, options: dict | None = None) -> Query | None:
    """Pick intervals: from the last mempool day (minus overlap), else after the newest day of any source."""
    def begin(own: date | None, anyone: date | None) -> date:
        if start is not None:
            return start
        if own is not None:
            return own - timedelta(days=OVERLAP_DAYS - 1)
        if anyone is not None:
            return anyone - timedelta(days=OVERLAP_DAYS)
        return today - timedelta(days=365)

    net_start = begin(state.get("net"), state.get("any_net"))
    px_start = begin(state.get("px"), state.get("any_px"))
    own_px, fetched = state.get("px"), state.get("px_fetched")
    if start is None and own_px is not None and fetched is not None and (
        fetched >= datetime.combine(own_px + timedelta(days=1), datetime.min.time()) + PRICE_SETTLE
    ):
        px_start = own_px + timedelta(days=1)  # the last close held is final: not fetched again
    fees_iv = hr_iv = None
    if net_start < today:
        # Days net_start..today inclusive: a k-day window fetched on `today` reaches back into day
        # today-k at the current clock time, so it holds all of net_start and the left-neighbour
        # bucket at the end of the day before. The hashrate call also needs the retarget in force at
        # net_start: an epoch lasts about 14 days, but slow ones have taken over 20, so allow 27.
        need = (today - net_start).days + 1
        fees_iv = interval_covering(need)
        hr_iv = interval_covering(need + 27)
    price_days: tuple[date, ...] = ()
    full = False
    if px_start < today:
        days = [px_start + timedelta(days=i) for i in range((today - px_start).days)]
        if len(days) > PER_DAY_PRICE_LIMIT:
            full = True
        else:
            price_days = tuple(days)
    if fees_iv is None and not price_days and not full:
        return None
    fine: tuple[str, ...] = ()
    if fees_iv is not None:
        span = dict(INTERVALS)[fees_iv]
        fine = tuple(iv for iv in FINE_INTERVALS if dict(INTERVALS)[iv] < span)
    known = None
    last = state.get("last_day")
    if start is None and fees_iv is not None and not fine and last and last.get("difficulty") and last.get(
        "first_height"
    ):
        epoch = int(last["first_height"]) // RETARGET_BLOCKS
        if int(last["last_height"]) // RETARGET_BLOCKS == epoch:
            known = (epoch, float(last["difficulty"]))
    return Query(net_start, fees_iv, hr_iv, price_days, full, fine, known)


def extract(query: Query, client: Client) -> list[Raw]:
    """Fetch the bulk mining endpoints and price points (I/O only)."""
    raws = []
    if query.fees_interval:
        fees = client.get(f"v1/mining/blocks/fees/{query.fees_interval}", ttl=300, hint="kind=fees")
        if query.known_epoch is not None and _stays_in_epoch(fees, query.known_epoch[0]):
            # No retarget since the last held day: its difficulty holds for every new block. The facts
            # the parser needs ride in the URI fragment, so the stored payload re-parses alone.
            epoch, difficulty = query.known_epoch
            raws.append(Raw(f"{fees.uri}&epoch={epoch}&difficulty={difficulty!r}&after={query.start.isoformat()}",
                            fees.content, fees.content_type, fees.fetched_at))
        else:
            raws.append(fees)
            for iv in query.fine_intervals:
                raws.append(client.get(f"v1/mining/blocks/fees/{iv}", ttl=300, hint="kind=fees"))
            raws.append(client.get(f"v1/mining/hashrate/{query.hashrate_interval}", ttl=300, hint="kind=hashrate"))
    if query.full_price_history:
        raws.append(client.get("v1/historical-price", {"currency": "USD"}, ttl=300, hint="kind=prices"))
    for day in query.price_days:
        # mempool answers the last price before `timestamp` (`<` in older releases, `<=` in newer ones):
        # one second past the midnight ending the day gets the 00:00 point from both.
        ts = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + 86400 + 1
        raws.append(
            client.get("v1/historical-price", {"currency": "USD", "timestamp": ts}, ttl=3600,
                       hint=f"kind=prices&close_of={day.isoformat()}")
        )
    return raws


def _stays_in_epoch(fees: Raw, epoch: int) -> bool:
    """True when every block in the fees payload is below the first height of the next epoch."""
    buckets = parse_fee_buckets(fees.json(SOURCE_ID), f"fees payload {fees.uri.split('#')[0]}")
    return bool(buckets) and max(b[0] for b in buckets) < (epoch + 1) * RETARGET_BLOCKS


# -- parsing (pure) ----------------------------------------------------------------------------------

def _utc_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def parse_fee_buckets(data: Any, where: str) -> list[tuple[float, int, float]]:
    """(mean height, timestamp, mean fees in sat) of each bucket, sorted by height."""
    if not isinstance(data, list):
        field({}, "avgHeight", SOURCE_ID, where)  # raises SchemaChanged naming the expected field
    out = []
    for i, item in enumerate(data):
        w = f"{where} item {i}"
        out.append((
            float(field(item, "avgHeight", SOURCE_ID, w, NUMBER)),
            int(field(item, "timestamp", SOURCE_ID, w, NUMBER)),
            float(field(item, "avgFees", SOURCE_ID, w, NUMBER)),
        ))
    out.sort()
    return out


def parse_adjustments(data: Any, where: str) -> list[tuple[int, float]]:
    """(height, difficulty) of each adjustment, sorted by height, from either endpoint shape."""
    out = []
    for i, item in enumerate(data):
        w = f"{where} item {i}"
        if isinstance(item, list):  # /difficulty-adjustments: [time, height, difficulty, ratio]
            out.append((int(field(item, 1, SOURCE_ID, w, NUMBER)), float(field(item, 2, SOURCE_ID, w, NUMBER))))
        else:
            out.append((int(field(item, "height", SOURCE_ID, w, NUMBER)),
                        float(field(item, "difficulty", SOURCE_ID, w, NUMBER))))
    return sorted(set(out))


def parse_retargets(data: Any, where: str) -> list[tuple[int, int | None, float]]:
    """(height, block time in unix seconds or None, difficulty) of each retarget, sorted by height.

    Accepts the hashrate endpoint's `{time, height, difficulty, adjustment}` items (older releases:
    `timestamp`) and the difficulty-adjustments endpoint's `[time, height, difficulty, ratio]` arrays.
    mempool averages the items per UTC day; a row whose height is not a multiple of 2016 (two retargets
    averaged together, or the genesis row) is not a retarget and is left out.
    """
    out: dict[int, tuple[int, int | None, float]] = {}
    for i, item in enumerate(data):
        w = f"{where} item {i}"
        if isinstance(item, list):
            t: Any = field(item, 0, SOURCE_ID, w, NUMBER)
            h, d = field(item, 1, SOURCE_ID, w, NUMBER), field(item, 2, SOURCE_ID, w, NUMBER)
        else:
            t = item.get("time", item.get("timestamp")) if isinstance(item, dict) else None
            h = field(item, "height", SOURCE_ID, w, NUMBER)
            d = field(item, "difficulty", SOURCE_ID, w, NUMBER)
        height = int(h)
        if height <= 0 or height % RETARGET_BLOCKS or d <= 0:
            continue
        out[height] = (height, int(t) if isinstance(t, int | float) else None, float(d))
    return [out[h] for h in sorted(out)]


def compact_bits(target: int) -> int:
    """The compact `nBits` encoding of a target (exact only for targets it can represent)."""
    size = (target.bit_length() + 7) // 8
    mantissa = target >> (8 * (size - 3)) if size > 3 else target << (8 * (3 - size))
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return (size << 24) | mantissa


def target_from_difficulty(difficulty: float) -> int:
    """The target whose difficulty is `difficulty`: floor(0xFFFF x 2^208 / difficulty), snapped to the nearest
    compact (nBits) target when that target's difficulty is `difficulty` to 1e-12 (real targets are compact, so a
    difficulty printed from one gives its exact target back)."""
    from fractions import Fraction

    from minerwatch.metrics.network import target_from_bits

    if difficulty <= 0:
        raise ValueError(f"difficulty must be positive, got {difficulty!r}")
    raw = int(Fraction(MAX_TARGET) / Fraction(difficulty))
    size = (raw.bit_length() + 7) // 8
    for shift in (8 * max(size - 3, 0), 8 * max(size - 2, 0)):
        unit = 1 << shift
        for m in {raw // unit, raw // unit + 1}:
            cand = m * unit
            # Compact targets lie at least 2^-23 apart (relative): one within 1e-12 is the target the difficulty
            # was printed from (a printer rounding differently from Python's exact division still lands on it).
            if cand > 0 and target_from_bits(compact_bits(cand)) == cand and (
                abs(difficulty_from_target(cand) / difficulty - 1) < 1e-12
            ):
                return cand
    return raw


def epoch_rows(retargets: list[tuple[int, int | None, float]], payload_sha256: str) -> list[dict[str, Any]]:
    """difficulty_epochs rows from retargets: each epoch's first height, difficulty, derived target, first day."""
    return [
        {
            "epoch": h // RETARGET_BLOCKS, "source_id": SOURCE_ID, "first_height": h,
            "last_height": h + RETARGET_BLOCKS - 1, "last_block_hash": None,
            "target_hex": f"{target_from_difficulty(d):064x}", "difficulty": d,
            "first_date": _utc_day(t) if t is not None else None, "last_date": None,
            "payload_sha256": payload_sha256,
        }
        for h, t, d in retargets
    ]


def mean_difficulty(adjustments: list[tuple[int, float]], first: int, last: int) -> float | None:
    """Mean difficulty over blocks first..last from the adjustments (None if none precedes `first`)."""
    heights = [h for h, _ in adjustments]
    i = bisect.bisect_right(heights, first) - 1
    if i < 0:
        return None
    total = 0.0
    h = first
    while h <= last:
        nxt = heights[i + 1] if i + 1 < len(heights) else last + 1
        upto = min(last, nxt - 1)
        total += (upto - h + 1) * adjustments[i][1]
        h = upto + 1
        i += 1
    return total / (last - first + 1)


def rollup_days(buckets: list[tuple[float, int, float]]) -> list[dict[str, Any]]:
    """UTC-day rows (first/last height, block count, fees in sat) from fee buckets.

    Bucket i's last height = floor of the midpoint between its mean height and the next bucket's; the
    first and last day of the payload are dropped (no neighbour bucket; the last may be incomplete).
    """
    if len(buckets) < 3:
        return []
    lasts = [int((buckets[i][0] + buckets[i + 1][0]) // 2) for i in range(len(buckets) - 1)]
    days: dict[date, dict[str, Any]] = {}
    for i in range(1, len(buckets) - 1):
        day = _utc_day(buckets[i][1])
        count = lasts[i] - lasts[i - 1]
        row = days.setdefault(day, {"date": day, "first_height": lasts[i - 1] + 1, "fees_sat": 0.0})
        row["last_height"] = lasts[i]
        row["fees_sat"] += buckets[i][2] * count
    first_day, last_day = _utc_day(buckets[0][1]), _utc_day(buckets[-1][1])
    rows = [r for d, r in sorted(days.items()) if first_day < d < last_day]
    for r in rows:
        r["block_count"] = r["last_height"] - r["first_height"] + 1
    return rows


def parse_prices(raw: Raw, data: Any) -> list[dict[str, Any]]:
    """Daily closes from a price payload; a per-day payload gives its day only if the point falls in it."""
    where = f"historical-price payload {raw.uri.split('#')[0]}"
    points = field(data, "prices", SOURCE_ID, where, list)
    pts = sorted(
        (int(field(p, "time", SOURCE_ID, where, NUMBER)), float(field(p, "USD", SOURCE_ID, where, NUMBER)))
        for p in points
    )
    closes: dict[date, float] = {}
    wanted = raw.hints.get("close_of")
    if wanted:
        day = date.fromisoformat(wanted)
        end = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + 86400
        inside = [(t, p) for t, p in pts if end - 86400 < t <= end and p > 0]
        if inside:
            closes[day] = inside[-1][1]
    elif pts:
        last_time = pts[-1][0]
        for t, p in pts:
            if p <= 0:
                continue
            day = _utc_day(t - 1)  # a point at 00:00 closes the day before
            end = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + 86400
            if end <= last_time:
                closes[day] = p  # points are sorted: the last one at or before the end wins
    return [{"date": d, "close_usd": p, "payload_sha256": raw.sha256} for d, p in sorted(closes.items())]


def bucket_seconds(raw: Raw) -> int:
    """Bucket width of a fees payload from its URL (`.../fees/1m` -> 1800; 0 = per block; unknown: widest)."""
    interval = raw.uri.split("#")[0].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return BUCKET_SECONDS.get(interval, 10**9)


def parse(raws: list[Raw]) -> dict[str, pl.DataFrame]:
    """Standard rows for network_daily and btc_prices_daily from mempool payloads."""
    fees = [r for r in raws if r.hints.get("kind") == "fees"]
    hashrate = [r for r in raws if r.hints.get("kind") == "hashrate"]
    out: dict[str, pl.DataFrame] = {}
    if fees:
        adjustments: list[tuple[int, float]] = []
        published: dict[date, float] = {}
        hints = fees[0].hints
        after: date | None = None
        epoch_end: int | None = None
        if not hashrate and "epoch" in hints and "difficulty" in hints:
            # Planned without the retargets: one difficulty for the epoch; the held day is kept as it is.
            epoch = int(hints["epoch"])
            adjustments = [(epoch * RETARGET_BLOCKS, float(hints["difficulty"]))]
            epoch_end = (epoch + 1) * RETARGET_BLOCKS
            after = date.fromisoformat(hints["after"]) if "after" in hints else None
        if hashrate:
            raw_h = hashrate[0]
            hw = f"hashrate payload {raw_h.uri.split('#')[0]}"
            hdata = raw_h.json(SOURCE_ID)
            retargets = field(hdata, "difficulty", SOURCE_ID, hw, list)
            adjustments = parse_adjustments(retargets, hw)
            epochs = epoch_rows(parse_retargets(retargets, hw), raw_h.sha256)
            if epochs:
                out["difficulty_epochs"] = pl.DataFrame(epochs, schema=EPOCH_SCHEMA)
            for i, item in enumerate(field(hdata, "hashrates", SOURCE_ID, hw, list)):
                w = f"{hw} hashrates item {i}"
                ts = field(item, "timestamp", SOURCE_ID, w, NUMBER)
                published[_utc_day(ts)] = float(field(item, "avgHashrate", SOURCE_ID, w, NUMBER)) / 1e18
        by_day: dict[date, dict[str, Any]] = {}
        # Widest buckets first: a finer payload's row replaces a wider one's for the same day.
        for raw_f in sorted(fees, key=bucket_seconds, reverse=True):
            buckets = parse_fee_buckets(raw_f.json(SOURCE_ID), f"fees payload {raw_f.uri.split('#')[0]}")
            for r in rollup_days(buckets):
                if r["block_count"] <= 0 or (after is not None and r["date"] <= after):
                    continue
                if epoch_end is not None and r["last_height"] >= epoch_end:
                    continue  # past the epoch whose difficulty is known (extract makes sure it does not happen)
                by_day[r["date"]] = {
                    "date": r["date"],
                    "source_id": SOURCE_ID,
                    "block_count": r["block_count"],
                    "first_height": r["first_height"],
                    "last_height": r["last_height"],
                    "difficulty": mean_difficulty(adjustments, r["first_height"], r["last_height"]),
                    "hashrate_ehs_published": published.get(r["date"]),
                    "subsidy_btc": subsidy_btc_for_heights(r["first_height"], r["last_height"]),
                    "fees_btc": round(r["fees_sat"]) / 1e8,
                    "payload_sha256": raw_f.sha256,
                }
        rows = [by_day[d] for d in sorted(by_day)]
        out["network_daily"] = pl.DataFrame(rows, schema=NETWORK_SCHEMA)
    price_rows: dict[date, dict[str, Any]] = {}
    for raw in raws:
        if raw.hints.get("kind") == "prices":
            for row in parse_prices(raw, raw.json(SOURCE_ID)):
                price_rows[row["date"]] = row
    if price_rows:
        out["btc_prices_daily"] = pl.DataFrame(
            [
                {"date": d, "source_id": SOURCE_ID, "venue": VENUE, "quote_currency": "USD",
                 "time_convention": TIME_CONVENTION, "open_usd": None, "high_usd": None, "low_usd": None,
                 "close_usd": r["close_usd"], "payload_sha256": r["payload_sha256"]}
                for d, r in sorted(price_rows.items())
            ],
            schema=PRICE_SCHEMA,
        )
    return out


NETWORK_SCHEMA: dict[str, Any] = {
    "date": pl.Date, "source_id": pl.Utf8, "block_count": pl.Int32, "first_height": pl.Int32,
    "last_height": pl.Int32, "difficulty": pl.Float64, "hashrate_ehs_published": pl.Float64,
    "subsidy_btc": pl.Float64, "fees_btc": pl.Float64, "payload_sha256": pl.Utf8,
}
EPOCH_SCHEMA: dict[str, Any] = {
    "epoch": pl.Int32, "source_id": pl.Utf8, "first_height": pl.Int32, "last_height": pl.Int32,
    "last_block_hash": pl.Utf8, "target_hex": pl.Utf8, "difficulty": pl.Float64, "first_date": pl.Date,
    "last_date": pl.Date, "payload_sha256": pl.Utf8,
}
PRICE_SCHEMA: dict[str, Any] = {
    "date": pl.Date, "source_id": pl.Utf8, "venue": pl.Utf8, "quote_currency": pl.Utf8,
    "time_convention": pl.Utf8, "open_usd": pl.Float64, "high_usd": pl.Float64, "low_usd": pl.Float64,
    "close_usd": pl.Float64, "payload_sha256": pl.Utf8,
}
