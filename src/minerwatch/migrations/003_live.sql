-- 003: live data: per-block facts, sync runs (provenance of each source's write), cross-source conflicts,
-- all-time highs as published by a source.

-- One row per block (Bitcoin Core RPC): exact subsidy, fees, time and bits/difficulty, keyed by height.
CREATE TABLE blocks (
    height          INTEGER NOT NULL,
    source_id       VARCHAR NOT NULL,
    block_hash      VARCHAR,
    time            TIMESTAMP NOT NULL,         -- header time, UTC
    median_time     TIMESTAMP,
    subsidy_btc     DOUBLE NOT NULL,
    fees_btc        DOUBLE NOT NULL,
    bits            VARCHAR,
    difficulty      DOUBLE,
    payload_sha256  VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (height, source_id)
);

-- Each successful sync of a source, written in the same transaction as its rows (so a run row exists
-- if and only if its data was committed).
CREATE TABLE sync_runs (
    run_id          VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL,
    status          VARCHAR NOT NULL,           -- ok
    base_url        VARCHAR,
    requests        INTEGER NOT NULL,           -- network requests (cache hits not counted)
    cache_hits      INTEGER NOT NULL,
    retries         INTEGER NOT NULL,
    payloads        INTEGER NOT NULL,
    rows_inserted   INTEGER NOT NULL,
    rows_updated    INTEGER NOT NULL,
    rows_unchanged  INTEGER NOT NULL,
    first_date      DATE,
    last_date       DATE,
    items           VARCHAR,                    -- e.g. the tickers synced
    message         VARCHAR,
    payload_sha256s VARCHAR                     -- comma-separated: the payloads this run parsed (for re-parsing)
);

-- Two sources disagreeing on the same day beyond a documented tolerance (docs/live.md).
CREATE TABLE conflicts (
    table_name      VARCHAR NOT NULL,
    date            DATE NOT NULL,
    item            VARCHAR NOT NULL DEFAULT '',-- ticker, or '' for BTC/network rows
    field           VARCHAR NOT NULL,
    source_a        VARCHAR NOT NULL,           -- the source just synced
    value_a         DOUBLE,
    source_b        VARCHAR NOT NULL,
    value_b         DOUBLE,
    difference      DOUBLE NOT NULL,            -- relative (fraction) or absolute, see tolerance_kind
    tolerance       DOUBLE NOT NULL,
    tolerance_kind  VARCHAR NOT NULL,           -- relative | absolute
    detected_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (table_name, date, item, field, source_a, source_b)
);

-- All-time high as a source publishes it, on the day it was read.
CREATE TABLE btc_ath_reported (
    source_id       VARCHAR NOT NULL,
    as_of_date      DATE NOT NULL,
    ath_usd         DOUBLE NOT NULL,
    ath_at          TIMESTAMP,
    payload_sha256  VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (source_id, as_of_date)
);
