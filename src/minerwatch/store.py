"""The DuckDB store: numbered migrations, transactional idempotent upserts, raw payloads, provenance."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from minerwatch.config import default_db_path
from minerwatch.errors import StoreError

#: Columns every fact table carries for provenance; they are not compared when deciding "changed".
PROVENANCE_COLUMNS = ("payload_sha256", "loaded_at")


def utcnow() -> datetime:
    """Naive UTC timestamp (DuckDB TIMESTAMP has no zone); the only clock read in the store."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def sha256_bytes(content: bytes) -> str:
    """Hex sha256 of a payload."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class UpsertResult:
    """How many rows an upsert inserted, changed, and found already identical."""

    inserted: int
    updated: int
    unchanged: int


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped in `minerwatch/migrations/NNN_name.sql`, in order."""
    out = []
    for entry in resources.files("minerwatch.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            out.append((int(name[:3]), name, entry.read_text()))
    out.sort()
    versions = [v for v, _, _ in out]
    if len(set(versions)) != len(versions):
        raise StoreError(f"duplicate migration numbers in package: {versions}")
    return out


class Store:
    """A DuckDB file holding every fact minerwatch knows, with where each came from.

    Open with `Store.open()` (creates, migrates and loads the embedded snapshot on first use).
    """

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, *, read_only: bool) -> None:
        self.path = path
        self.con = con
        self.read_only = read_only
        self._in_tx = False

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        read_only: bool = False,
        load_snapshot: bool = True,
    ) -> Store:
        """Open (or create) the store at `path` (default: $MINERWATCH_DB or the user data dir)."""
        p = Path(path).expanduser() if path is not None else default_db_path()
        if read_only and not p.exists():
            raise StoreError(
                f"store {p} does not exist; run any minerwatch command without --read-only once to create it"
            )
        if not read_only:
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for store {p}: {exc}; pass --db PATH") from exc
        try:
            con = duckdb.connect(str(p), read_only=read_only)
        except duckdb.Error as exc:
            msg = str(exc).splitlines()[0]
            if "lock" in msg.lower():
                raise StoreError(
                    f"store {p} is locked by another minerwatch process (a sync?); wait for it to finish "
                    f"or use another --db ({msg})"
                ) from exc
            raise StoreError(
                f"store {p} cannot be opened ({msg}); it is not a valid DuckDB file or is damaged. "
                f"Move it away and re-run: it is rebuilt from the embedded snapshot "
                f"(live data: run `minerwatch sync` again)"
            ) from exc
        store = cls(p, con, read_only=read_only)
        if not read_only:
            store.migrate()
            if load_snapshot:
                from minerwatch.sources import snapshot

                snapshot.ensure_loaded(store)
        else:
            store.check_schema()
        return store

    def close(self) -> None:
        """Close the connection (idempotent)."""
        try:
            self.con.close()
        except duckdb.Error:
            pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------------
    def schema_version(self) -> int:
        """Highest applied migration number (0 for an empty file)."""
        if not self._scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"):
            return 0
        return self._scalar("SELECT coalesce(max(version), 0) FROM schema_migrations")

    def check_schema(self) -> None:
        """Refuse a store written by a newer minerwatch, or one that was never migrated."""
        have = self.schema_version()
        known = max(v for v, _, _ in migrations())
        if have > known:
            raise StoreError(
                f"store {self.path} has schema version {have}, newer than this minerwatch knows ({known}); "
                f"upgrade minerwatch or use another --db"
            )
        if have == 0:
            raise StoreError(f"store {self.path} is empty; open it once for writing to initialise it")

    def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; returns the versions applied."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        known = migrations()
        if known and self.schema_version() > known[-1][0]:
            self.check_schema()
        # Apply every known version not yet recorded (not only those above the maximum), so a store that
        # got a later-numbered migration first still receives an earlier one added afterwards.
        done = {int(r[0]) for r in self.con.execute("SELECT version FROM schema_migrations").fetchall()}
        applied = []
        for version, name, sql in known:
            if version in done:
                continue
            with self.transaction():
                self.con.execute(sql)
                self.con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utcnow()])
            applied.append(version)
        return applied

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing block; nested use joins the outer transaction."""
        if self._in_tx:
            yield self
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield self
        except BaseException:
            self._in_tx = False
            self.con.execute("ROLLBACK")
            raise
        else:
            self._in_tx = False
            self.con.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------------
    def register_source(
        self, source_id: str, *, kind: str, description: str, base_url: str | None = None, licence: str | None = None
    ) -> None:
        """Insert or refresh a row of the `sources` table."""
        self.con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_id) DO UPDATE SET "
            "kind = excluded.kind, description = excluded.description, base_url = excluded.base_url, "
            "licence = excluded.licence",
            [source_id, kind, description, base_url, licence],
        )

    def put_payload(
        self,
        *,
        source_id: str,
        uri: str,
        content: bytes | None,
        sha256: str | None = None,
        content_type: str | None = None,
        fetched_at: datetime | None = None,
        size_bytes: int | None = None,
    ) -> str:
        """Keep a raw payload (deduplicated by sha256) and return its hash for the rows' provenance."""
        if sha256 is None:
            if content is None:
                raise ValueError("put_payload needs content or sha256")
            sha256 = sha256_bytes(content)
        size = size_bytes if size_bytes is not None else (len(content) if content is not None else 0)
        self.con.execute(
            "INSERT INTO payloads VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            [sha256, source_id, uri, fetched_at or utcnow(), content_type, size, content],
        )
        return sha256

    def upsert(self, table: str, frame: pl.DataFrame, keys: Sequence[str]) -> UpsertResult:
        """Insert new rows, update rows whose values changed, leave identical rows untouched.

        Provenance columns (`payload_sha256`, `loaded_at`) are written with new and changed rows only,
        so loading the same data twice changes nothing. Runs inside a transaction.
        """
        if frame.height == 0:
            return UpsertResult(0, 0, 0)
        if frame.select(list(keys)).is_duplicated().any():
            dup = frame.filter(frame.select(list(keys)).is_duplicated()).head(1).to_dicts()
            raise StoreError(f"upsert into {table}: duplicate key in incoming rows, e.g. {dup}")
        cols = frame.columns
        values = [c for c in cols if c not in keys and c not in PROVENANCE_COLUMNS]
        on = " AND ".join(f't."{k}" = i."{k}"' for k in keys)
        changed = " OR ".join(f't."{c}" IS DISTINCT FROM i."{c}"' for c in values) or "FALSE"
        collist = ", ".join(f'"{c}"' for c in cols)
        name = f"incoming_{table}"
        with self.transaction():
            self.con.register(name, frame.to_arrow())
            try:
                n_new = self._scalar(
                    f"SELECT count(*) FROM {name} i WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})"
                )
                n_changed = self._scalar(f"SELECT count(*) FROM {name} i JOIN {table} t ON {on} WHERE {changed}")
                if n_changed:
                    sets = ", ".join(f'"{c}" = i."{c}"' for c in cols if c not in keys)
                    self.con.execute(f"UPDATE {table} AS t SET {sets} FROM {name} i WHERE {on} AND ({changed})")
                if n_new:
                    self.con.execute(
                        f"INSERT INTO {table} ({collist}) SELECT {collist} FROM {name} i "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})"
                    )
            finally:
                self.con.unregister(name)
        return UpsertResult(n_new, n_changed, frame.height - n_new - n_changed)

    # -- reading -------------------------------------------------------------------------------
    def _scalar(self, sql: str, params: Sequence[Any] | None = None) -> int:
        rows = self.con.execute(sql, params or []).fetchall()
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a SELECT and return a polars DataFrame."""
        rel = self.con.sql(sql, params=list(params)) if params else self.con.sql(sql)
        # duckdb >= 2 names it to_arrow_table; older releases arrow().
        fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
        out = pl.from_arrow(fetch())
        assert isinstance(out, pl.DataFrame)
        return out

    def count(self, table: str) -> int:
        """Row count of a table."""
        return self._scalar(f"SELECT count(*) FROM {table}")
