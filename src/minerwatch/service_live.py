"""Live-data services the front ends call: the sources listing, recorded conflicts, CSV import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minerwatch import http
from minerwatch.errors import InputError
from minerwatch.sources import csvfile, registry
from minerwatch.store import Store, sha256_bytes, utcnow
from minerwatch.sync import record_conflicts

#: Tables that carry a source_id, counted in the "rows held" column.
FACT_TABLES = (
    "network_daily", "btc_prices_daily", "difficulty_epochs", "equity_prices_daily", "shares_facts",
    "corporate_actions", "miner_hashrate_reported", "blocks", "btc_ath_reported",
)


def _existing_tables(store: Store) -> set[str]:
    return set(store.query("SELECT table_name FROM information_schema.tables")["table_name"].to_list())


def sources(store: Store) -> list[dict[str, Any]]:
    """Every source: id, kind, base URL (live: as configured now), last successful sync, rows held."""
    tables = [t for t in FACT_TABLES if t in _existing_tables(store)]
    counts: dict[str, int] = {}
    for t in tables:
        for sid, n in store.query(f"SELECT source_id, count(*) AS n FROM {t} GROUP BY source_id").iter_rows():
            counts[sid] = counts.get(sid, 0) + int(n)
    known = {r["source_id"]: r for r in store.query("SELECT * FROM sources").iter_rows(named=True)}
    last = {
        r["source_id"]: r for r in store.query(
            "SELECT source_id, finished_at, requests FROM sync_runs WHERE status = 'ok' "
            "QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC) = 1"
        ).iter_rows(named=True)
    }
    out = []
    for sid, spec in registry.LIVE_SOURCES.items():
        mod = spec.load()
        default = mod.default_url() if hasattr(mod, "default_url") else mod.DEFAULT_URL
        run = last.get(sid)
        out.append({
            "source": sid, "kind": mod.KIND, "base_url": _configured_url(sid, default),
            "last_sync": run["finished_at"] if run else None,
            "last_sync_requests": run["requests"] if run else None,
            "rows": counts.get(sid, 0), "description": mod.DESCRIPTION, "licence": mod.LICENCE,
        })
    others = sorted(set(known) | set(counts))
    for sid in others:
        if sid in registry.LIVE_SOURCES:
            continue
        k = known.get(sid, {})
        run = last.get(sid)
        out.append({
            "source": sid, "kind": k.get("kind") or ("file" if sid == "csv" else "?"),
            "base_url": k.get("base_url"), "last_sync": run["finished_at"] if run else None,
            "last_sync_requests": run["requests"] if run else None, "rows": counts.get(sid, 0),
            "description": k.get("description") or "", "licence": k.get("licence"),
        })
    return out


def _configured_url(source: str, default: str) -> str:
    try:
        return http.base_url(source, default)
    except InputError as exc:
        return f"(invalid: {exc})"


def conflicts(store: Store, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Recorded disagreements between sources, newest day first."""
    sql = (
        "SELECT table_name AS \"table\", date, item, field, source_a, value_a, source_b, value_b, "
        "difference, tolerance, tolerance_kind, detected_at FROM conflicts "
        "ORDER BY date DESC, table_name, item, field, source_a, source_b"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return store.query(sql).to_dicts()


def import_csv(store: Store, path: Path, kind: str) -> dict[str, Any]:
    """Validate a whole CSV file, then store it in one transaction (payload kept); InputError on a bad row."""
    p = Path(path).expanduser()
    try:
        content = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror}; pass an existing CSV file") from None
    sha = sha256_bytes(content)
    table, frame, keys = csvfile.parse(content, kind, name=str(p), sha=sha)
    now = utcnow()
    with store.transaction():
        store.register_source(csvfile.SOURCE_ID, kind=csvfile.KIND, description=csvfile.DESCRIPTION)
        store.put_payload(source_id=csvfile.SOURCE_ID, uri=f"file://{p.resolve()}#kind={kind}", content=content,
                          content_type="text/csv", fetched_at=now)
        res = store.upsert(table, frame.with_columns(loaded_at=now), keys)
        # Your data is compared with every other source's, as a sync's is (recorded, never overwritten).
        conflicts = record_conflicts(store, csvfile.SOURCE_ID, {table: frame}, now)
    return {"file": str(p), "kind": kind, "table": table, "rows": frame.height, "inserted": res.inserted,
            "updated": res.updated, "unchanged": res.unchanged, "conflicts": conflicts, "payload_sha256": sha}
