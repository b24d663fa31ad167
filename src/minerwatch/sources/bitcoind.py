"""Bitcoin Core JSON-RPC: exact per-block subsidy, fees, time and difficulty, rolled up to UTC days.

Calls (batched JSON-RPC, so a day of blocks costs three HTTP requests, not 300):
`getblockchaininfo` (tip), `getblockstats <height> [fields]` for each height, `getblockheader <hash>`
for bits and difficulty. Rows go to `blocks` keyed by (height, source_id); complete UTC days are
rolled up into network_daily with source 'bitcoind' (by block header time, as Coin Metrics does), and each
epoch the blocks touch gets its difficulty_epochs row (target and difficulty from the header bits).

Auth: `[sources.bitcoind] cookie = "~/.bitcoin/.cookie"` (or MINERWATCH_BITCOIND_COOKIE), else
`user`/`password` (MINERWATCH_BITCOIND_USER / _PASSWORD). URL default http://127.0.0.1:8332.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from minerwatch.config import setting
from minerwatch.errors import InputError, SourceError
from minerwatch.http import Client, Raw
from minerwatch.metrics.network import difficulty_from_bits, target_from_bits
from minerwatch.sources.registry import NUMBER, field

SOURCE_ID = "bitcoind"
KIND = "rpc"
DESCRIPTION = "Bitcoin Core JSON-RPC (your node): exact per-block subsidy, fees, time, bits/difficulty"
DEFAULT_URL = "http://127.0.0.1:8332"
LICENCE = "your own node's data"
KEYS = {"blocks": ["height", "source_id"], "difficulty_epochs": ["epoch", "source_id"]}
RETARGET_BLOCKS = 2016
REORG_OVERLAP_BLOCKS = 6
BATCH = 500
STATS_FIELDS = ["height", "time", "mediantime", "subsidy", "totalfee", "blockhash"]


@dataclass(frozen=True)
class Query:
    """First height to fetch (up to the tip known at extract time)."""

    first_height: int


def auth() -> tuple[str, str] | None:
    """(user, password) from a cookie file or from user/password settings; None if neither is set."""
    cookie = setting("bitcoind", "cookie")
    if cookie:
        path = Path(cookie).expanduser()
        try:
            user, _, password = path.read_text().strip().partition(":")
        except OSError as exc:
            raise InputError(
                f"bitcoind cookie file {path} cannot be read ({exc.strerror}); fix [sources.bitcoind] cookie"
            ) from None
        return user, password
    name, secret = setting("bitcoind", "user"), setting("bitcoind", "password")
    if name and secret:
        return name, secret
    default_cookie = Path("~/.bitcoin/.cookie").expanduser()
    if default_cookie.exists():
        user, _, password = default_cookie.read_text().strip().partition(":")
        return user, password
    return None


def read_state(store: Any) -> dict[str, Any]:
    """Highest bitcoind block held, and the first height of each network day any source knows."""
    top = store.query("SELECT max(height) AS h FROM blocks WHERE source_id = 'bitcoind'").row(0)[0]
    heights = store.query(
        "SELECT date, min(first_height) AS first FROM network_daily WHERE first_height IS NOT NULL GROUP BY date"
    )
    return {"top": top, "first_height_by_date": dict(zip(heights["date"], heights["first"], strict=True))}


def plan(state: dict[str, Any], *, today: date, start: date | None = None, options: dict | None = None) -> Query:
    """From the last held block (minus a reorg margin), or from the first block of --from's day."""
    opts = options or {}
    if opts.get("from_height") is not None:
        return Query(int(opts["from_height"]))
    if start is not None:
        known = state["first_height_by_date"].get(start)
        if known is None:
            raise InputError(
                f"bitcoind: no source in the store knows the first block of {start}; pass --from-height N"
            )
        return Query(max(0, int(known) - 1))  # one block before: proves the day starts there
    if state.get("top") is not None:
        return Query(max(0, int(state["top"]) - REORG_OVERLAP_BLOCKS))
    days = state["first_height_by_date"]
    if not days:
        raise InputError("bitcoind: the store has no block heights to start from; pass --from-height N")
    return Query(max(0, int(days[max(days)]) - 1))


def _rpc(client: Client, calls: list[tuple[str, list[Any]]]) -> Raw:
    payload = [{"jsonrpc": "1.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    return client.post_json("/", payload, ok_statuses=frozenset({404, 500}))


def results(raw: Raw) -> list[Any]:
    """Results of a JSON-RPC batch reply in request order; SourceError quoting the first RPC error."""
    data = raw.json(SOURCE_ID)
    if isinstance(data, dict):
        data = [data]
    out: dict[int, Any] = {}
    for i, item in enumerate(data):
        err = item.get("error") if isinstance(item, dict) else None
        if err:
            raise SourceError(f"bitcoind: RPC error {err.get('code')}: {err.get('message')} (at {raw.uri})")
        out[int(field(item, "id", SOURCE_ID, f"JSON-RPC reply {i}", NUMBER))] = field(
            item, "result", SOURCE_ID, f"JSON-RPC reply {i}")
    return [out[k] for k in sorted(out)]


def extract(query: Query, client: Client) -> list[Raw]:
    """Tip, then batched getblockstats and getblockheader for first_height..tip."""
    info = _rpc(client, [("getblockchaininfo", [])])
    tip = int(field(results(info)[0], "blocks", SOURCE_ID, "getblockchaininfo result", NUMBER))
    raws = [info]
    for lo in range(query.first_height, tip + 1, BATCH):
        heights = range(lo, min(tip, lo + BATCH - 1) + 1)
        stats = _rpc(client, [("getblockstats", [h, STATS_FIELDS]) for h in heights])
        hashes = [field(s, "blockhash", SOURCE_ID, "getblockstats result", str) for s in results(stats)]
        headers = _rpc(client, [("getblockheader", [h, True]) for h in hashes])
        raws += [_tag(stats, "stats"), _tag(headers, "headers")]
    return raws


def _tag(raw: Raw, kind: str) -> Raw:
    return Raw(f"{raw.uri}#kind={kind}", raw.content, raw.content_type, raw.fetched_at)


def block_from_stats(s: dict[str, Any]) -> dict[str, Any]:
    """Height, time, subsidy and fees (BTC, from satoshis) of one getblockstats result."""
    w = "getblockstats result"
    return {
        "height": int(field(s, "height", SOURCE_ID, w, NUMBER)),
        "block_hash": s.get("blockhash"),
        "time": datetime.fromtimestamp(int(field(s, "time", SOURCE_ID, w, NUMBER)), UTC).replace(tzinfo=None),
        "median_time": (
            datetime.fromtimestamp(int(s["mediantime"]), UTC).replace(tzinfo=None) if "mediantime" in s else None
        ),
        "subsidy_btc": int(field(s, "subsidy", SOURCE_ID, w, NUMBER)) / 1e8,
        "fees_btc": int(field(s, "totalfee", SOURCE_ID, w, NUMBER)) / 1e8,
    }


def header_fields(h: dict[str, Any]) -> dict[str, Any]:
    """Hash, bits (hex) and difficulty of one getblockheader result (difficulty recomputed from bits)."""
    w = "getblockheader result"
    bits = field(h, "bits", SOURCE_ID, w, str)
    return {
        "block_hash": field(h, "hash", SOURCE_ID, w, str),
        "height": int(field(h, "height", SOURCE_ID, w, NUMBER)),
        "bits": bits,
        "difficulty": difficulty_from_bits(int(bits, 16)),
    }


def parse(raws: list[Raw]) -> dict[str, pl.DataFrame]:
    """Per-block rows from matching stats/header batches (network_daily comes from the store roll-up)."""
    rows = []
    stats_raws = [r for r in raws if r.hints.get("kind") == "stats"]
    header_raws = [r for r in raws if r.hints.get("kind") == "headers"]
    headers = {}
    for raw in header_raws:
        for h in results(raw):
            hf = header_fields(h)
            headers[hf["block_hash"]] = hf
    for raw in stats_raws:
        for s in results(raw):
            b = block_from_stats(s)
            head = headers.get(b["block_hash"])
            if head is None:
                raise SourceError(f"bitcoind: no getblockheader reply for block {b['height']} ({b['block_hash']})")
            rows.append({**b, "source_id": SOURCE_ID, "bits": head["bits"], "difficulty": head["difficulty"],
                         "payload_sha256": raw.sha256})
    return {"blocks": pl.DataFrame(rows, schema=BLOCK_SCHEMA)} if rows else {}


#: Roll per-block rows up to UTC days (by header time). A day is complete, and rolled up, when the block
#: before its first and the block after its last are held and fall on other days.
ROLLUP_SQL = """
WITH b AS (SELECT *, CAST(time AS DATE) AS day FROM blocks WHERE source_id = 'bitcoind'),
d AS (
    SELECT day AS date, 'bitcoind' AS source_id, CAST(count(*) AS INTEGER) AS block_count,
           CAST(min(height) AS INTEGER) AS first_height, CAST(max(height) AS INTEGER) AS last_height,
           avg(difficulty) AS difficulty, CAST(NULL AS DOUBLE) AS hashrate_ehs_published,
           round(sum(subsidy_btc), 8) AS subsidy_btc, round(sum(fees_btc), 8) AS fees_btc,
           max(payload_sha256) AS payload_sha256
    FROM b WHERE day >= ? GROUP BY day
)
SELECT d.* FROM d
WHERE EXISTS (SELECT 1 FROM b p WHERE p.height = d.first_height - 1 AND p.day < d.date)
  AND EXISTS (SELECT 1 FROM b n WHERE n.height = d.last_height + 1 AND n.day > d.date)
ORDER BY d.date
"""


def rollup(store: Any, since: date) -> pl.DataFrame:
    """Daily network rows from the blocks table for complete days from `since` (run inside the write)."""
    return store.query(ROLLUP_SQL, [since])


#: Per epoch touched by the held blocks: the bits they share (an epoch whose held blocks disagree on bits, as
#: testnet's minimum-difficulty blocks do, is left out), and the first/last block's day and hash when held.
EPOCHS_SQL = """
SELECT CAST(height // 2016 AS INTEGER) AS epoch, count(DISTINCT bits) AS n_bits, arg_max(bits, height) AS bits,
       max(CASE WHEN height % 2016 = 0 THEN CAST(time AS DATE) END) AS first_date,
       max(CASE WHEN height % 2016 = 2015 THEN CAST(time AS DATE) END) AS last_date,
       max(CASE WHEN height % 2016 = 2015 THEN block_hash END) AS last_block_hash,
       arg_max(payload_sha256, height) AS payload_sha256
FROM blocks WHERE source_id = 'bitcoind' AND bits IS NOT NULL AND height // 2016 BETWEEN ? AND ?
GROUP BY 1 ORDER BY 1
"""


def epochs(store: Any, first_height: int, last_height: int) -> pl.DataFrame:
    """difficulty_epochs rows (exact target from bits) for the epochs of heights first..last (run inside the write)."""
    held = store.query(EPOCHS_SQL, [first_height // RETARGET_BLOCKS, last_height // RETARGET_BLOCKS])
    rows = []
    for r in held.iter_rows(named=True):
        if r["n_bits"] != 1:
            continue
        bits = int(r["bits"], 16)
        e = int(r["epoch"])
        rows.append({
            "epoch": e, "source_id": SOURCE_ID, "first_height": e * RETARGET_BLOCKS,
            "last_height": (e + 1) * RETARGET_BLOCKS - 1, "last_block_hash": r["last_block_hash"],
            "target_hex": f"{target_from_bits(bits):064x}", "difficulty": difficulty_from_bits(bits),
            "first_date": r["first_date"], "last_date": r["last_date"], "payload_sha256": r["payload_sha256"],
        })
    return pl.DataFrame(rows, schema=EPOCH_SCHEMA)


EPOCH_SCHEMA: dict[str, Any] = {
    "epoch": pl.Int32, "source_id": pl.Utf8, "first_height": pl.Int32, "last_height": pl.Int32,
    "last_block_hash": pl.Utf8, "target_hex": pl.Utf8, "difficulty": pl.Float64, "first_date": pl.Date,
    "last_date": pl.Date, "payload_sha256": pl.Utf8,
}
BLOCK_SCHEMA: dict[str, Any] = {
    "height": pl.Int32, "block_hash": pl.Utf8, "time": pl.Datetime("us"), "median_time": pl.Datetime("us"),
    "subsidy_btc": pl.Float64, "fees_btc": pl.Float64, "source_id": pl.Utf8, "bits": pl.Utf8,
    "difficulty": pl.Float64, "payload_sha256": pl.Utf8,
}
