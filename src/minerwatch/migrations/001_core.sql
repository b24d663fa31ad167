-- 001: core tables: sources, raw payloads, daily network facts, daily BTC prices, difficulty epochs.
CREATE TABLE sources (
    source_id    VARCHAR PRIMARY KEY,
    kind         VARCHAR NOT NULL,          -- snapshot | rest | rpc | file
    description  VARCHAR NOT NULL,
    base_url     VARCHAR,
    licence      VARCHAR
);

-- Raw payloads exactly as received/read, so a parser fix can re-parse without refetching.
CREATE TABLE payloads (
    sha256       VARCHAR PRIMARY KEY,
    source_id    VARCHAR NOT NULL,
    uri          VARCHAR NOT NULL,
    fetched_at   TIMESTAMP NOT NULL,
    content_type VARCHAR,
    size_bytes   BIGINT NOT NULL,
    content      BLOB                       -- NULL for embedded snapshot files (they ship in the package)
);

CREATE TABLE network_daily (
    date                    DATE NOT NULL,      -- UTC day
    source_id               VARCHAR NOT NULL,
    block_count             INTEGER,
    first_height            INTEGER,
    last_height             INTEGER,
    difficulty              DOUBLE,             -- mean over the day's blocks
    hashrate_ehs_published  DOUBLE,             -- the source's own figure, as published
    subsidy_btc             DOUBLE,
    fees_btc                DOUBLE,
    payload_sha256          VARCHAR NOT NULL,
    loaded_at               TIMESTAMP NOT NULL,
    PRIMARY KEY (date, source_id)
);

CREATE TABLE btc_prices_daily (
    date             DATE NOT NULL,
    source_id        VARCHAR NOT NULL,
    venue            VARCHAR NOT NULL,          -- e.g. 'Coin Metrics reference rate', 'Binance BTCUSDT'
    quote_currency   VARCHAR NOT NULL,          -- USD | USDT
    time_convention  VARCHAR NOT NULL,          -- e.g. 'UTC day; close = 00:00 UTC next day'
    open_usd         DOUBLE,
    high_usd         DOUBLE,
    low_usd          DOUBLE,
    close_usd        DOUBLE NOT NULL,
    payload_sha256   VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (date, source_id)
);

CREATE TABLE difficulty_epochs (
    epoch            INTEGER NOT NULL,
    source_id        VARCHAR NOT NULL,
    first_height     INTEGER NOT NULL,
    last_height      INTEGER NOT NULL,
    last_block_hash  VARCHAR,
    target_hex       VARCHAR NOT NULL,
    difficulty       DOUBLE NOT NULL,
    first_date       DATE,
    last_date        DATE,
    payload_sha256   VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (epoch, source_id)
);

-- Which embedded snapshot (by manifest hash) has been loaded.
CREATE TABLE snapshot_loads (
    manifest_sha256  VARCHAR PRIMARY KEY,
    loaded_at        TIMESTAMP NOT NULL
);
