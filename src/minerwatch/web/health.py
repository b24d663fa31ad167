"""What `/api/v1/health` reports: the store's path and schema, the data range, the last sync per source."""

from __future__ import annotations

from datetime import date, datetime

from minerwatch.errors import DataGap
from minerwatch.store import Store

#: Columns a `sync_runs` table (added by the sync work) may use for "when did this run finish".
_SYNC_TIME_COLUMNS = ("finished_at", "ended_at", "completed_at", "started_at")


def _table_columns(store: Store, table: str) -> list[str]:
    frame = store.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    )
    return frame["column_name"].to_list() if frame.height else []


def _last_sync_from_runs(store: Store) -> dict[str, datetime] | None:
    """Last successful run per source from `sync_runs`, or None when that table is absent or unusable."""
    cols = _table_columns(store, "sync_runs")
    if "source_id" not in cols:
        return None
    when = next((c for c in _SYNC_TIME_COLUMNS if c in cols), None)
    if when is None:
        return None
    ok = ""
    if "status" in cols:
        ok = "WHERE lower(status) IN ('ok', 'success', 'succeeded', 'done', 'completed')"
    elif "error" in cols:
        ok = "WHERE error IS NULL"
    frame = store.query(f'SELECT source_id, max("{when}") AS at FROM sync_runs {ok} GROUP BY source_id')
    return {r["source_id"]: r["at"] for r in frame.iter_rows(named=True)}


def store_health(store: Store, *, version: str) -> dict:
    """Store path and schema version, data range, latest complete month and last fetch/sync per source."""
    from minerwatch import service

    rng = service.data_range(store)
    try:
        latest: str | None = service.latest_complete_month(store)
    except DataGap:
        latest = None
    fetched = store.query(
        "SELECT source_id, max(fetched_at) AS last_fetched_at, count(*) AS payloads FROM payloads GROUP BY source_id"
    )
    by_source = {r["source_id"]: r for r in fetched.iter_rows(named=True)}
    runs = _last_sync_from_runs(store)
    sources = []
    for r in store.query("SELECT source_id, kind, description, licence FROM sources ORDER BY source_id").iter_rows(
        named=True
    ):
        sid = r["source_id"]
        fetched_row = by_source.get(sid, {})
        sources.append(
            {
                "source_id": sid,
                "kind": r["kind"],
                "description": r["description"],
                "licence": r["licence"],
                # From the sync bookkeeping when the store has it (null: never synced, e.g. snapshot only);
                # a store without it falls back to when a payload of the source was last stored.
                "last_sync_at": runs.get(sid) if runs is not None else fetched_row.get("last_fetched_at"),
                "last_sync_basis": "sync_runs" if runs is not None else "payloads.fetched_at",
                "last_fetched_at": fetched_row.get("last_fetched_at"),
                "payloads": int(fetched_row.get("payloads") or 0),
            }
        )
    return {
        "status": "ok",
        "version": version,
        "store": {
            "path": str(store.path),
            "schema_version": store.schema_version(),
            "read_only": store.read_only,
        },
        "data_range": {k: _iso(v) for k, v in rng.items()},
        "latest_complete_month": latest,
        "sources": sources,
    }


def _iso(v: date | None) -> str | None:
    return v.isoformat() if v is not None else None
