-- 004: miner basket support: market caps as published (for cross-checks only, never used in the
-- aggregate) and the log of every repair applied to the embedded equities data.
CREATE TABLE equity_market_caps_reported (
    ticker          VARCHAR NOT NULL,
    date            DATE NOT NULL,
    source_id       VARCHAR NOT NULL,           -- nasdaq_screener | screener_month_end | third_party
    market_cap_usd  DOUBLE NOT NULL,
    price_usd       DOUBLE,                     -- the last sale the cap was computed from, when published
    note            VARCHAR,
    payload_sha256  VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date, source_id)
);

-- One row per repair: excluded rows, re-dated facts, deprioritised sources (raw value kept).
CREATE TABLE equity_corrections (
    correction_id   BIGINT NOT NULL,
    source_id       VARCHAR NOT NULL,           -- the source whose row was repaired
    ticker          VARCHAR NOT NULL,           -- '*' when the repair covers a whole source
    date            DATE,
    field           VARCHAR NOT NULL,
    raw_value       DOUBLE,
    used_value      DOUBLE,                     -- NULL when the row was excluded
    action          VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    payload_sha256  VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (correction_id, source_id)
);
