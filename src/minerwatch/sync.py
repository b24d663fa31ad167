"""The sync engine: for each live source, plan -> fetch -> parse -> one write transaction.

Per source:
1. read what the store holds (store opened read-only, closed again);
2. `plan` what to fetch (pure), `extract` it over the network (store closed: a dashboard in another
   process can read meanwhile), `parse` it (pure);
3. open the store for writing, and in ONE transaction: register the source, keep the raw payloads,
   upsert the rows, roll up blocks to days (bitcoind), record conflicts with other sources, and write
   the `sync_runs` row; close. A process killed at any point leaves the store as before or after that
   transaction, and the next run resumes from what was committed (upserts are keyed, so no duplicates).

A source that fails (refused, timeout, schema change) writes nothing; the others still run; the
command exits non-zero naming each failure.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from minerwatch import http
from minerwatch.errors import InputError, MinerwatchError, StoreError
from minerwatch.sources import registry
from minerwatch.store import Store, utcnow

#: Tolerances beyond which two sources' values for the same day are recorded as a conflict.
#: (field, kind, tolerance): relative = |a/b - 1|, absolute = |a - b|.
CONFLICT_RULES: dict[str, list[tuple[str, str, float]]] = {
    "network_daily": [("block_count", "absolute", 1.0), ("fees_btc", "relative", 0.02)],
    "btc_prices_daily": [("close_usd", "relative", 0.01)],
    "shares_facts": [("shares_outstanding", "relative", 0.005)],
}
#: Sources that quote USDT or intraday venues are not compared on close (they differ by design).
NOT_COMPARED = ("binance",)
#: How long a write waits for a store held by another process before giving up.
LOCK_WAIT_SECONDS = 30.0


@dataclass
class SourceResult:
    """What one source's sync did."""

    source_id: str
    status: str  # ok | up to date | skipped | failed
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    payloads: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    first_date: date | None = None
    last_date: date | None = None
    base_url: str | None = None
    message: str | None = None
    error: MinerwatchError | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON/CSV output."""
        return {
            "source": self.source_id, "status": self.status, "requests": self.requests,
            "cache_hits": self.cache_hits, "retries": self.retries, "rows_inserted": self.inserted,
            "rows_updated": self.updated, "rows_unchanged": self.unchanged, "conflicts": self.conflicts,
            "first_date": self.first_date, "last_date": self.last_date, "base_url": self.base_url,
            "message": self.message,
        }


def open_for_read(db: Path | None, *, sleep: Callable[[float], None] = time.sleep) -> Store:
    """Open the store read-only, creating/migrating it first if needed (a short write open)."""
    from minerwatch.store import migrations

    path = Path(db).expanduser() if db else None
    from minerwatch.config import default_db_path

    p = path or default_db_path()
    if p.exists():
        s = _retry_locked(lambda: Store.open(p, read_only=True), sleep)
        if s.schema_version() >= max(v for v, _, _ in migrations()):
            return s
        s.close()
    _retry_locked(lambda: Store.open(p), sleep).close()  # create, migrate and load the snapshot
    return _retry_locked(lambda: Store.open(p, read_only=True), sleep)


def _retry_locked(opener: Callable[[], Store], sleep: Callable[[float], None]) -> Store:
    """Call `opener`, waiting up to LOCK_WAIT_SECONDS while another process holds the store's lock."""
    waited = 0.0
    while True:
        try:
            return opener()
        except StoreError as exc:
            if "locked" not in str(exc) or waited >= LOCK_WAIT_SECONDS:
                raise
            sleep(0.5)
            waited += 0.5


def open_for_write(db: Path | None, *, sleep: Callable[[float], None] = time.sleep) -> Store:
    """Open the store for writing, waiting up to LOCK_WAIT_SECONDS while another process holds it."""
    return _retry_locked(lambda: Store.open(db), sleep)


def _date_span(frames: dict[str, pl.DataFrame]) -> tuple[date | None, date | None]:
    lo = hi = None
    for f in frames.values():
        for col in ("date", "as_of_date"):
            if col in f.columns and f.height:
                a: Any = f[col].min()
                b: Any = f[col].max()
                lo = a if lo is None or a < lo else lo
                hi = b if hi is None or b > hi else hi
                break
    return lo, hi


def write(
    store: Store,
    module: Any,
    raws: Sequence[http.Raw],
    frames: dict[str, pl.DataFrame],
    *,
    run: SourceResult,
    started_at: Any,
    items: str | None,
    payload_shas: Sequence[str] | None = None,
) -> None:
    """One transaction: source row, payloads, upserts, roll-up, conflicts, sync_runs row."""
    now = utcnow()
    with store.transaction():
        store.register_source(
            module.SOURCE_ID, kind=module.KIND, description=module.DESCRIPTION,
            base_url=run.base_url, licence=module.LICENCE,
        )
        for raw in raws:
            store.put_payload(
                source_id=module.SOURCE_ID, uri=raw.uri, content=raw.content,
                content_type=raw.content_type, fetched_at=raw.fetched_at,
            )
        for table, frame in frames.items():
            if frame.height == 0:
                continue
            res = store.upsert(table, frame.with_columns(pl.lit(now).alias("loaded_at")), module.KEYS[table])
            run.inserted += res.inserted
            run.updated += res.updated
            run.unchanged += res.unchanged
        if module.SOURCE_ID == "bitcoind" and "blocks" in frames and frames["blocks"].height:
            first_time: Any = frames["blocks"]["time"].min()
            since = first_time.date() - timedelta(days=1)
            daily = module.rollup(store, since)
            if daily.height:
                res = store.upsert("network_daily", daily.with_columns(pl.lit(now).alias("loaded_at")),
                                   ["date", "source_id"])
                run.inserted += res.inserted
                run.updated += res.updated
                run.unchanged += res.unchanged
                frames = {**frames, "network_daily": daily}
            lo_h: Any = frames["blocks"]["height"].min()
            hi_h: Any = frames["blocks"]["height"].max()
            epochs = module.epochs(store, int(lo_h), int(hi_h))
            if epochs.height:
                res = store.upsert("difficulty_epochs", epochs.with_columns(pl.lit(now).alias("loaded_at")),
                                   ["epoch", "source_id"])
                run.inserted += res.inserted
                run.updated += res.updated
                run.unchanged += res.unchanged
                frames = {**frames, "difficulty_epochs": epochs}
        if module.SOURCE_ID == "yahoo" and "equity_prices_daily" in frames:
            btc = btc_rows_from_yahoo(store, frames["equity_prices_daily"])
            if btc.height:
                res = store.upsert("btc_prices_daily", btc.with_columns(pl.lit(now).alias("loaded_at")),
                                   ["date", "source_id"])
                run.inserted += res.inserted
                run.updated += res.updated
                run.unchanged += res.unchanged
                frames = {**frames, "btc_prices_daily": btc}
        run.first_date, run.last_date = _date_span(frames)
        run.conflicts = record_conflicts(store, module.SOURCE_ID, frames, now)
        if "difficulty_epochs" in frames:
            run.conflicts += record_epoch_conflicts(store, module.SOURCE_ID, frames["difficulty_epochs"], now)
        store.con.execute(
            "INSERT INTO sync_runs VALUES (?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [uuid.uuid4().hex, module.SOURCE_ID, started_at, now, run.base_url, run.requests, run.cache_hits,
             run.retries, len(raws), run.inserted, run.updated, run.unchanged, run.first_date, run.last_date,
             items, run.message, ",".join(payload_shas if payload_shas is not None else [r.sha256 for r in raws])],
        )


#: Relative tolerance between two sources' difficulty for the same epoch. Every source derives it from the same
#: 256-bit target, so they agree to the last bits of a double (~1e-16) unless one of them is wrong.
EPOCH_DIFFICULTY_TOLERANCE = 1e-9
#: Priority of difficulty_epochs sources for the same epoch (checkpoints built from the chain, then your node,
#: then mempool's published retargets); docs/live.md.
EPOCH_SOURCE_PRIORITY = ("electrum", "bitcoind", "mempool")


def record_epoch_conflicts(store: Store, source_id: str, frame: pl.DataFrame, now: Any) -> int:
    """Compare the just-written epochs' difficulty with other sources' rows for the same epochs; upsert the
    disagreements (date: the epoch's first day, item: 'epoch N'); clear ones a revision resolved."""
    if frame.height == 0:
        return 0
    lo, hi = int(frame["epoch"].min()), int(frame["epoch"].max())  # type: ignore[arg-type]
    diff = "abs(a.difficulty / b.difficulty - 1)"
    day = (
        "coalesce(a.first_date, b.first_date, (SELECT CAST(min(k.time) AS DATE) FROM blocks k "
        "WHERE k.height BETWEEN a.first_height AND a.last_height), CAST(? AS DATE))"
    )
    # The epochs' old conflicts are cleared first (their date may have been filled in since).
    store.con.execute(
        "DELETE FROM conflicts WHERE table_name = 'difficulty_epochs' AND field = 'difficulty' AND source_a = ? "
        "AND item IN (SELECT 'epoch ' || epoch FROM difficulty_epochs WHERE source_id = ? AND epoch BETWEEN ? AND ?)",
        [source_id, source_id, lo, hi],
    ).fetchall()
    store.con.execute(
        f"""
        INSERT INTO conflicts
        SELECT 'difficulty_epochs', {day}, 'epoch ' || a.epoch, 'difficulty', a.source_id, a.difficulty,
               b.source_id, b.difficulty, {diff}, ?, 'relative', ?
        FROM difficulty_epochs a JOIN difficulty_epochs b ON a.epoch = b.epoch
        WHERE a.source_id = ? AND b.source_id <> a.source_id AND a.epoch BETWEEN ? AND ?
          AND b.difficulty > 0 AND {diff} > ?
        ON CONFLICT DO UPDATE SET value_a = excluded.value_a, value_b = excluded.value_b,
            difference = excluded.difference, tolerance = excluded.tolerance, detected_at = excluded.detected_at
        """,
        [now, EPOCH_DIFFICULTY_TOLERANCE, now, source_id, lo, hi, EPOCH_DIFFICULTY_TOLERANCE],
    ).fetchall()
    return store._scalar(
        "SELECT count(*) FROM conflicts WHERE table_name = 'difficulty_epochs' AND source_a = ? AND item IN "
        "(SELECT 'epoch ' || epoch FROM difficulty_epochs WHERE source_id = ? AND epoch BETWEEN ? AND ?)",
        [source_id, source_id, lo, hi],
    )


#: Yahoo's BTC-USD chart (`minerwatch sync yahoo --ticker BTC-USD`) lands in equity_prices_daily like any symbol;
#: its complete UTC days are also written to btc_prices_daily (source 'yahoo') for intraday highs and lows.
YAHOO_BTC_TICKER = "BTC-USD"
YAHOO_BTC_VENUE = "Yahoo Finance BTC-USD"
YAHOO_BTC_TIME_CONVENTION = "UTC day (Yahoo's crypto bars run 00:00-24:00 UTC); close = last price of the day"


def btc_rows_from_yahoo(store: Store, equity: pl.DataFrame) -> pl.DataFrame:
    """btc_prices_daily rows from Yahoo BTC-USD bars, leaving out the day still running when its payload was fetched
    (a bar of an unfinished day has no final high, low or close). Runs inside the write (payloads are stored)."""
    rows = equity.filter(pl.col("ticker") == YAHOO_BTC_TICKER)
    if rows.height == 0:
        return pl.DataFrame()
    fetched = store.query(
        "SELECT sha256 AS payload_sha256, CAST(fetched_at AS DATE) AS fetched_day FROM payloads WHERE sha256 IN ("
        + ", ".join("?" for _ in set(rows["payload_sha256"].to_list())) + ")",
        sorted(set(rows["payload_sha256"].to_list())),
    )
    return (
        rows.join(fetched, on="payload_sha256", how="inner")
        .filter((pl.col("date") < pl.col("fetched_day")) & pl.col("close_usd").is_not_null())
        .select(
            "date", pl.lit("yahoo").alias("source_id"), pl.lit(YAHOO_BTC_VENUE).alias("venue"),
            pl.lit("USD").alias("quote_currency"), pl.lit(YAHOO_BTC_TIME_CONVENTION).alias("time_convention"),
            "open_usd", "high_usd", "low_usd", "close_usd", "payload_sha256",
        )
    )


def record_conflicts(store: Store, source_id: str, frames: dict[str, pl.DataFrame], now: Any) -> int:
    """Compare the just-written rows with other sources' rows for the same keys; upsert the disagreements."""
    total = 0
    for table, rules in CONFLICT_RULES.items():
        frame = frames.get(table)
        if frame is None or frame.height == 0:
            continue
        date_col = "as_of_date" if table == "shares_facts" else "date"
        item_col = "ticker" if "ticker" in frame.columns else None
        lo, hi = frame[date_col].min(), frame[date_col].max()
        item_sel = f"a.{item_col}" if item_col else "''"
        item_join = f" AND a.{item_col} = b.{item_col}" if item_col else ""
        excluded = ", ".join(f"'{s}'" for s in NOT_COMPARED)
        for fld, kind, tol in rules:
            diff = f"abs(a.{fld} / b.{fld} - 1)" if kind == "relative" else f"abs(a.{fld} - b.{fld})"
            store.con.execute(
                f"""
                INSERT INTO conflicts
                SELECT '{table}', a.{date_col}, {item_sel}, '{fld}', a.source_id, a.{fld}, b.source_id, b.{fld},
                       {diff}, ?, '{kind}', ?
                FROM {table} a JOIN {table} b ON a.{date_col} = b.{date_col}{item_join}
                WHERE a.source_id = ? AND b.source_id <> a.source_id AND b.source_id NOT IN ({excluded})
                  AND a.{date_col} BETWEEN ? AND ? AND a.{fld} IS NOT NULL AND b.{fld} IS NOT NULL
                  AND b.{fld} <> 0 AND {diff} > ?
                ON CONFLICT DO UPDATE SET value_a = excluded.value_a, value_b = excluded.value_b,
                    difference = excluded.difference, tolerance = excluded.tolerance, detected_at = excluded.detected_at
                """,
                [tol, now, source_id, lo, hi, tol],
            ).fetchall()
            # A revision that brings the values back within tolerance clears the old conflict.
            store.con.execute(
                f"""
                DELETE FROM conflicts c WHERE c.table_name = '{table}' AND c.field = '{fld}' AND c.source_a = ?
                  AND c.date BETWEEN ? AND ? AND c.detected_at <> ?
                """,
                [source_id, lo, hi, now],
            ).fetchall()
            total += store._scalar(
                "SELECT count(*) FROM conflicts WHERE table_name = ? AND field = ? AND source_a = ? "
                "AND date BETWEEN ? AND ?",
                [table, fld, source_id, lo, hi],
            )
    return total


def client_for(module: Any, *, transport: httpx.BaseTransport | None, cache: bool | Path,
               sleep: Callable[[float], None] | None) -> http.Client:
    """The HTTP client of a source, with its auth/headers (EDGAR: contact address required)."""
    kwargs: dict[str, Any] = {}
    if module.SOURCE_ID == "bitcoind":
        kwargs["auth"] = module.auth()
    default = module.default_url() if hasattr(module, "default_url") else module.DEFAULT_URL
    if module.SOURCE_ID == "edgar":
        http.sec_contact()  # refuse before any request
    cache_dir: Path | bool | None = cache if isinstance(cache, Path) else (None if cache else False)
    return http.client(module.SOURCE_ID, default, transport=transport, cache_dir=cache_dir, sleep=sleep, **kwargs)


def sync_source(
    db: Path | None,
    source_id: str,
    *,
    today: date,
    start: date | None = None,
    options: dict[str, Any] | None = None,
    transport: httpx.BaseTransport | None = None,
    cache: bool | Path = True,
    sleep: Callable[[float], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> SourceResult:
    """Sync one source; errors become a failed result (nothing written), never a partial write."""
    module = registry.get(source_id)
    run = SourceResult(source_id, "ok")
    step = on_step or (lambda _msg: None)
    started = utcnow()
    try:
        step("reading store")
        with open_for_read(db) as s:
            state = module.read_state(s)
        query = module.plan(state, today=today, start=start, options=options)
        if query is None:
            run.status = "up to date"
            return run
        with client_for(module, transport=transport, cache=cache, sleep=sleep) as client:
            run.base_url = client.base_url
            step(f"fetching from {client.base_url}")
            base = client.base_url
            client.on_request = lambda url: step(
                f"request {client.stats.requests}: {url[len(base):] if url.startswith(base) else url}"[:100])
            try:
                raws = module.extract(query, client)
            finally:
                run.requests, run.cache_hits, run.retries = (
                    client.stats.requests, client.stats.cache_hits, client.stats.retries)
        step("parsing")
        frames = module.parse(raws)
        items = None
        if source_id in ("yahoo", "edgar"):
            got = sorted({t for f in frames.values() if "ticker" in f.columns for t in f["ticker"]})
            items = ",".join(got)
            pairs: Sequence[tuple[str, Any]] = getattr(query, "starts", ()) or getattr(query, "tickers", ())
            asked = [t for t, _ in pairs]
            lacking = [t for t in asked if t not in got]
            if lacking:
                run.message = f"no data for {', '.join(lacking)}"
        step("writing")
        with open_for_write(db) as s:
            write(s, module, raws, frames, run=run, started_at=started, items=items)
        run.payloads = len(raws)
        if run.inserted + run.updated + run.unchanged == 0 and not run.message:
            run.message = "no new complete days in the answer"
    except MinerwatchError as exc:
        run.status = "failed"
        run.message = str(exc)
        run.error = exc
    return run


def sync(
    db: Path | None,
    sources: Sequence[str] | None = None,
    *,
    today: date,
    start: date | None = None,
    options: dict[str, Any] | None = None,
    transports: dict[str, httpx.BaseTransport] | None = None,
    cache: bool | Path = True,
    sleep: Callable[[float], None] | None = None,
    on_step: Callable[[str, str], None] | None = None,
) -> list[SourceResult]:
    """Sync each source in turn (default: registry.DEFAULT_SYNC); one result per source."""
    chosen = list(sources) if sources else list(registry.DEFAULT_SYNC)
    for sid in chosen:
        registry.get(sid)  # unknown id: InputError before any work
    if start is not None and start > today:
        raise InputError(f"--from {start} is after today ({today}); pass a day on or before it")
    from_height = (options or {}).get("from_height")
    if from_height is not None and from_height < 0:
        raise InputError(f"--from-height must be a block height (0 or more), got {from_height}")
    results = []
    for sid in chosen:
        step: Callable[[str], None] | None = None
        if on_step is not None:
            step = partial(on_step, sid)
        if not sources and sid == "edgar" and not _has_sec_contact():
            results.append(SourceResult(
                sid, "skipped",
                message="no SEC contact configured; set MINERWATCH_SEC_CONTACT (or [sources.edgar] contact) "
                "to include EDGAR",
            ))
            continue
        results.append(sync_source(
            db, sid, today=today, start=start, options=options,
            transport=(transports or {}).get(sid), cache=cache, sleep=sleep,
            on_step=step,
        ))
    return results


def _has_sec_contact() -> bool:
    try:
        http.sec_contact()
    except MinerwatchError:
        return False
    return True


def reparse(db: Path | None, source_id: str) -> SourceResult:
    """Parse again, with today's parser, the raw payloads every past sync of a source kept; no network.

    Runs are replayed oldest first, each with exactly the payloads it parsed, so later data wins as it did
    when fetched. Everything is written in one transaction, recorded as a sync run with 0 requests.
    """
    module = registry.get(source_id)
    run = SourceResult(source_id, "ok")
    try:
        with open_for_read(db) as s:
            runs = s.query(
                "SELECT payload_sha256s FROM sync_runs WHERE source_id = ? AND status = 'ok' "
                "AND coalesce(payload_sha256s, '') <> '' ORDER BY finished_at, run_id", [source_id],
            )["payload_sha256s"].to_list()
            stored = {
                r["sha256"]: http.Raw(r["uri"], bytes(r["content"]), r["content_type"], r["fetched_at"])
                for r in s.query(
                    "SELECT sha256, uri, content, content_type, fetched_at FROM payloads "
                    "WHERE source_id = ? AND content IS NOT NULL", [source_id],
                ).iter_rows(named=True)
            }
        merged: dict[str, pl.DataFrame] = {}
        used: list[str] = []
        for shas in runs:
            raws = [stored[h] for h in shas.split(",") if h in stored]
            if not raws:
                continue
            used += [r.sha256 for r in raws]
            for table, frame in module.parse(raws).items():
                merged[table] = pl.concat([merged[table], frame]) if table in merged else frame
        if not merged:
            run.status = "up to date"
            run.message = "no stored payloads to re-parse"
            return run
        frames = {t: f.unique(subset=module.KEYS[t], keep="last", maintain_order=True) for t, f in merged.items()}
        run.message = f"re-parsed {len(set(used))} stored payloads of {len(runs)} runs"
        with open_for_write(db) as s:
            urls = s.query("SELECT base_url FROM sources WHERE source_id = ?", [source_id])["base_url"].to_list()
            run.base_url = urls[0] if urls else None
            # payload_shas=[]: this run is not replayed by a later re-parse (its payloads belong to the runs above).
            write(s, module, [], frames, run=run, started_at=utcnow(), items=None, payload_shas=[])
        run.payloads = len(set(used))
    except MinerwatchError as exc:
        run.status = "failed"
        run.message = str(exc)
        run.error = exc
    return run
