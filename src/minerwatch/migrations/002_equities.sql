-- 002: miner equities: daily prices, shares-outstanding facts, corporate actions, reported hashrate.
CREATE TABLE equity_prices_daily (
    ticker          VARCHAR NOT NULL,
    date            DATE NOT NULL,              -- US trading day
    source_id       VARCHAR NOT NULL,
    open_usd        DOUBLE,
    high_usd        DOUBLE,
    low_usd         DOUBLE,
    close_usd       DOUBLE NOT NULL,
    adj_close_usd   DOUBLE,
    volume          DOUBLE,
    price_basis     VARCHAR NOT NULL,           -- 'nominal' (as traded that day) or 'split-adjusted as of YYYY-MM-DD'
    payload_sha256  VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date, source_id)
);

-- Shares outstanding as reported, dated by the fact's own as-of date (never the filing date).
CREATE TABLE shares_facts (
    ticker              VARCHAR NOT NULL,
    as_of_date          DATE NOT NULL,
    source_id           VARCHAR NOT NULL,
    share_class         VARCHAR NOT NULL DEFAULT 'all',   -- 'all' = sum of classes, else the class
    concept             VARCHAR NOT NULL DEFAULT '',      -- e.g. dei:EntityCommonStockSharesOutstanding
    shares_outstanding  DOUBLE NOT NULL,
    filed_date          DATE,
    accession           VARCHAR,
    form                VARCHAR,
    note                VARCHAR,
    payload_sha256      VARCHAR NOT NULL,
    loaded_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, as_of_date, source_id, share_class, concept)
);

-- Splits and ADS-ratio changes: ratio = new shares per old share (1-for-10 reverse split = 0.1).
CREATE TABLE corporate_actions (
    ticker          VARCHAR NOT NULL,
    date            DATE NOT NULL,              -- ex-date (first day trading on the new basis)
    kind            VARCHAR NOT NULL,           -- split | ads_ratio
    ratio           DOUBLE NOT NULL,
    source_id       VARCHAR NOT NULL,
    note            VARCHAR,
    payload_sha256  VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date, kind, source_id)
);

-- Company-reported operating figures (monthly updates, quarterly results).
CREATE TABLE miner_hashrate_reported (
    ticker          VARCHAR NOT NULL,
    month           VARCHAR NOT NULL,           -- YYYY-MM
    metric          VARCHAR NOT NULL DEFAULT '',-- energized | deployed | operating | average_operating | realized | '' (BTC only)
    source_id       VARCHAR NOT NULL,
    hashrate_ehs    DOUBLE,
    btc_produced    DOUBLE,
    source_url      VARCHAR,
    quote           VARCHAR,
    payload_sha256  VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, month, metric, source_id)
);
