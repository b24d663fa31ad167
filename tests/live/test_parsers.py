"""Every source's parser on the payloads in tests/fixtures/<source>/, with hand-checked values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest

from minerwatch.errors import SchemaChanged, SourceError
from minerwatch.http import Raw
from minerwatch.sources import bitcoind, coingecko, edgar, mempool, yahoo

FEES_24H = "mempool/mempool__v1_mining_blocks_fees_24h__prateekposwal-block-space-economics.json"
FEES_3D = "mempool/mempool__v1_mining_blocks_fees_3d__selfmade.json"
HASHRATE_1M = "mempool/mempool__v1_mining_hashrate_1m__selfmade.json"
PRICES = "mempool/mempool__v1_historical-price_USD__selfmade.json"
CG_CHART = "coingecko/coingecko__v3_coins_bitcoin_market_chart_range__jkorf-coingecko-net-docs-example.json"
CG_COIN = "coingecko/coingecko__v3_coins_bitcoin__jkorf-coingecko-net-docs-example.json"
YAHOO_AAPL = "yahoo/yahoo__v8_finance_chart_AAPL_1d_2020-08-31_2020-11-07_split__node-yahoo-finance2.json"
YAHOO_BTC = "yahoo/yahoo__v8_finance_chart_BTC-USD_1d_2020-01-01_2020-01-03__node-yahoo-finance2.json"
EDGAR_MARA = "sec_edgar/sec_edgar__api_xbrl_companyfacts_CIK0001507605__jacob-lisner-edgar_data.json"
CORE_STATS = "bitcoind/bitcoin_core_rpc__getblockstats_regtest_101-103__bitcoin-core-functional-data.json"
CORE_HEADERS = "bitcoind/getblockheader_regtest_101-103__selfmade.json"


# -- mempool ------------------------------------------------------------------------------------------


def test_mempool_recorded_24h_fees_are_one_block_per_row(recorded):
    buckets = mempool.parse_fee_buckets(json.loads(recorded.bytes(FEES_24H)), "fees")
    assert len(buckets) == 141
    assert (buckets[0][0], buckets[-1][0]) == (963467.0, 963607.0)
    # Midpoint boundaries of consecutive one-block buckets give exactly one block each.
    lasts = [int((buckets[i][0] + buckets[i + 1][0]) // 2) for i in range(len(buckets) - 1)]
    assert [b - a for a, b in zip(lasts, lasts[1:], strict=False)] == [1] * 139


def test_mempool_recorded_24h_spans_two_partial_days_so_no_day_is_stored(recorded):
    out = mempool.parse([recorded.raw(FEES_24H, "https://mempool.space/api/v1/mining/blocks/fees/24h#kind=fees")])
    assert out["network_daily"].height == 0  # 2026-08-21 16:49 -> 2026-08-22 16:27: neither day complete


def test_mempool_day_rollup_heights_subsidy_fees_difficulty(recorded):
    out = mempool.parse(
        [
            recorded.raw(FEES_3D, "https://m/api/v1/mining/blocks/fees/3d#kind=fees"),
            recorded.raw(HASHRATE_1M, "https://m/api/v1/mining/hashrate/1m#kind=hashrate"),
        ]
    )
    rows = out["network_daily"].drop("payload_sha256").to_dicts()
    # 2026-01-11 holds blocks 933406..933410 (2026-01-10 and -12 are the payload's edge days: dropped).
    # Difficulty: 2 blocks at 1.40e14 (before the 933408 retarget) and 3 at 1.50e14 -> 1.46e14.
    assert rows == [
        {
            "date": date(2026, 1, 11),
            "source_id": "mempool",
            "block_count": 5,
            "first_height": 933406,
            "last_height": 933410,
            "difficulty": pytest.approx(1.46e14),
            "hashrate_ehs_published": 1050.0,
            "subsidy_btc": 15.625,
            "fees_btc": 0.15,
        }
    ]


def test_mempool_wide_buckets_estimate_block_counts_from_midpoints():
    def ts(s: str) -> int:
        return int(datetime.fromisoformat(s + "+00:00").timestamp())

    # 12-hour buckets: mean heights 100, 110 | 120, 130 | 140, 150 (days 1, 2, 3).
    buckets = [
        (100.0, ts("2026-02-01T06:00:00"), 10.0),
        (110.0, ts("2026-02-01T18:00:00"), 10.0),
        (120.0, ts("2026-02-02T06:00:00"), 20.0),
        (130.0, ts("2026-02-02T18:00:00"), 30.0),
        (140.0, ts("2026-02-03T06:00:00"), 10.0),
        (150.0, ts("2026-02-03T18:00:00"), 10.0),
    ]
    rows = mempool.rollup_days(buckets)
    # Boundaries: floor(115)=115 after day 1, floor(135)=135 after day 2 -> day 2 = 116..135 (20 blocks);
    # fees: bucket 120 covers 116..125 (10 x 20) + bucket 130 covers 126..135 (10 x 30) = 500 sat.
    assert rows == [
        {"date": date(2026, 2, 2), "first_height": 116, "last_height": 135, "fees_sat": 500.0, "block_count": 20}
    ]


def test_mempool_prices_close_is_the_midnight_point_ending_the_day(recorded):
    out = mempool.parse([recorded.raw(PRICES, "https://m/api/v1/historical-price?currency=USD#kind=prices")])
    got = out["btc_prices_daily"].select("date", "close_usd").to_dicts()
    # 01-11 00:00 closes 01-10; 01-12 00:00 closes 01-11; 01-12 is not over in the payload.
    assert got == [{"date": date(2026, 1, 10), "close_usd": 90000.0}, {"date": date(2026, 1, 11), "close_usd": 92000.0}]


def test_mempool_per_day_price_accepts_only_a_point_inside_the_day(recorded):
    uri = "https://m/api/v1/historical-price?currency=USD&timestamp=1768176000#kind=prices&close_of=2026-01-11"
    out = mempool.parse([recorded.raw(PRICES, uri)])
    assert out["btc_prices_daily"].select("date", "close_usd").to_dicts() == [
        {"date": date(2026, 1, 11), "close_usd": 92000.0}
    ]
    wrong_day = uri.replace("close_of=2026-01-11", "close_of=2026-01-20")
    assert "btc_prices_daily" not in mempool.parse([recorded.raw(PRICES, wrong_day)])


def test_mempool_hashrate_missing_difficulty_names_the_field(recorded):
    raw = Raw("https://m/api/v1/mining/hashrate/1m#kind=hashrate", b'{"hashrates": []}', None, datetime(2026, 1, 1))
    with pytest.raises(SchemaChanged, match="field 'difficulty' missing in hashrate payload https://m/api/v1/mining"):
        mempool.parse([recorded.raw(FEES_3D, "x#kind=fees"), raw])


def test_mempool_plan_incremental_and_backfill():
    today = date(2026, 11, 28)
    one_day = mempool.plan({"net": date(2026, 11, 27), "px": date(2026, 11, 27)}, today=today)
    assert (one_day.fees_interval, one_day.hashrate_interval) == ("3d", "1m")
    assert one_day.price_days == (date(2026, 11, 27),)
    # The daily cron: yesterday's run stored up to 11-26. 3d (one block per row, exact) still covers all
    # of 11-26 again and 11-27; the 11-26 close fetched at 06:00 on 11-27 is final, so one price point.
    daily = {"net": date(2026, 11, 26), "px": date(2026, 11, 26), "px_fetched": datetime(2026, 11, 27, 6)}
    cron = mempool.plan(daily, today=today)
    assert (cron.start, cron.fees_interval, cron.hashrate_interval, cron.price_days) == (
        date(2026, 11, 26), "3d", "1m", (date(2026, 11, 27),))
    assert cron.fine_intervals == ()
    # A close fetched within the hour after its midnight may be the last point before it: fetched again.
    early = mempool.plan({**daily, "px_fetched": datetime(2026, 11, 27, 0, 20)}, today=today)
    assert early.price_days == (date(2026, 11, 26), date(2026, 11, 27))
    # A missed day: 4 days to cover -> the 1w interval (5-minute buckets, block counts estimated).
    assert mempool.plan({**daily, "net": date(2026, 11, 25)}, today=today).fees_interval == "1w"
    # The held day lies inside one epoch: its difficulty is carried to the new blocks if they stay in it.
    inside = {"first_height": 934846, "last_height": 934989, "difficulty": 1.6e14}
    assert mempool.plan({**daily, "last_day": inside}, today=today).known_epoch == (463, 1.6e14)
    across = {"first_height": 933350, "last_height": 933500, "difficulty": 1.55e14}  # retarget 933408 inside
    assert mempool.plan({**daily, "last_day": across}, today=today).known_epoch is None
    assert mempool.plan({**daily, "last_day": inside}, today=today, start=date(2026, 11, 1)).known_epoch is None
    # The retargets reach 27 days before the first day (slow epochs have lasted over 20 days): 9 + 27 -> 3m.
    assert mempool.plan({**daily, "net": date(2026, 11, 20)}, today=today).hashrate_interval == "3m"
    after_snapshot = mempool.plan({"any_net": date(2025, 12, 29), "any_px": date(2025, 12, 29)}, today=today)
    assert (after_snapshot.start, after_snapshot.fees_interval, after_snapshot.hashrate_interval) == (
        date(2025, 12, 28),
        "1y",
        "1y",
    )
    assert after_snapshot.full_price_history and after_snapshot.price_days == ()
    assert after_snapshot.fine_intervals == ("1m", "1w", "3d")  # the latest days from finer buckets


# -- coingecko ------------------------------------------------------------------------------------------


def test_coingecko_chart_midnight_points_close_the_previous_day(recorded):
    out = coingecko.parse([recorded.raw(CG_CHART, "https://api.coingecko.com/api/v3/x#kind=chart")])
    assert out["btc_prices_daily"].select("date", "close_usd").to_dicts() == [
        {"date": date(2024, 3, 30), "close_usd": 69702.3087473573},
        {"date": date(2024, 3, 31), "close_usd": 71246.9514406015},
    ]  # the third point (2024-04-01 14:48 UTC) is intraday and dropped


def test_coingecko_all_time_high(recorded):
    out = coingecko.parse([recorded.raw(CG_COIN, "https://api.coingecko.com/api/v3/coins/bitcoin#kind=coin")])
    row = out["btc_ath_reported"].drop("payload_sha256").to_dicts()[0]
    assert row == {
        "source_id": "coingecko",
        "as_of_date": date(2026, 1, 12),
        "ath_usd": 73738.0,
        "ath_at": datetime(2024, 3, 14, 7, 10, 36, 635000),
    }


def test_coingecko_refuses_more_than_365_days_without_a_paid_plan(monkeypatch):
    from minerwatch.errors import InputError

    with pytest.raises(InputError) as err:
        coingecko.plan({"any_px": date(2025, 1, 1)}, today=date(2026, 11, 28), options={"paid_plan": False})
    assert "CoinGecko's public API and demo keys serve only the last 365 days; pass --from 2025-11-29" in str(
        err.value)
    q = coingecko.plan({"any_px": date(2025, 1, 1)}, today=date(2026, 11, 28), options={"paid_plan": True})
    assert q.days == 699  # from 2024-12-30 (2 days overlap) to 2026-11-28: 698 days + today
    # A demo key is still limited to a year (CoinGecko answers 401, error 10012); only the pro tier is not.
    monkeypatch.setenv("MINERWATCH_COINGECKO_API_KEY", "CG-test")
    monkeypatch.delenv("MINERWATCH_COINGECKO_API_TIER", raising=False)
    assert not coingecko.paid_plan()
    with pytest.raises(InputError):
        coingecko.plan({"any_px": date(2025, 1, 1)}, today=date(2026, 11, 28))
    monkeypatch.setenv("MINERWATCH_COINGECKO_API_TIER", "pro")
    assert coingecko.paid_plan() and coingecko.default_url() == coingecko.PRO_URL
    assert coingecko.plan({"any_px": date(2025, 1, 1)}, today=date(2026, 11, 28)).days == 699
    # A store with no close at all asks for exactly the 365 days the public tier serves.
    assert coingecko.plan({}, today=date(2026, 11, 28), options={"paid_plan": False}).days == 365


# -- yahoo ------------------------------------------------------------------------------------------------


def test_yahoo_split_adjusted_closes_and_the_split_event(recorded):
    out = yahoo.parse(
        [recorded.raw(YAHOO_AAPL, "https://q/v8/finance/chart/AAPL#ticker=AAPL", datetime(2025, 2, 20, 11, 47))]
    )
    prices = out["equity_prices_daily"]
    assert prices.height == 49
    first = prices.row(0, named=True)
    assert (first["date"], first["price_basis"]) == (date(2020, 8, 31), "split-adjusted as of 2025-02-20")
    assert first["close_usd"] == pytest.approx(129.0399932861328)
    actions = out["corporate_actions"].drop("payload_sha256").to_dicts()
    assert actions == [
        {
            "ticker": "AAPL",
            "date": date(2020, 8, 31),
            "kind": "split",
            "ratio": 4.0,
            "source_id": "yahoo",
            "note": "Yahoo splitRatio 4:1",
        }
    ]


def test_yahoo_dates_are_exchange_days(recorded):
    out = yahoo.parse([recorded.raw(YAHOO_BTC, "https://q/v8/finance/chart/BTC-USD#ticker=BTC-USD")])
    assert out["equity_prices_daily"]["date"].to_list() == [date(2020, 1, 1), date(2020, 1, 2), date(2020, 1, 3)]
    assert "corporate_actions" not in out


def test_yahoo_error_body_is_a_source_error():
    body = (
        b'{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}'
    )
    raw = Raw("https://q/v8/finance/chart/ZZZZ#ticker=ZZZZ", body, None, datetime(2026, 1, 1))
    with pytest.raises(SourceError, match="returned error Not Found: No data found, symbol may be delisted"):
        yahoo.parse([raw])


# -- edgar ------------------------------------------------------------------------------------------------


def test_edgar_shares_dated_by_as_of_date_with_amendments(recorded):
    out = edgar.parse([recorded.raw(EDGAR_MARA, "https://data.sec.gov/x#kind=concept&ticker=MARA")])
    df = out["shares_facts"]
    assert df.height == 40  # 42 facts, two as-of dates reported twice (original + amendment)
    row = df.filter(pl.col("as_of_date") == date(2012, 5, 10)).row(0, named=True)
    assert (row["shares_outstanding"], row["form"], row["accession"], row["filed_date"]) == (
        43318854.0,
        "10-Q/A",
        "0001521536-12-000835",
        date(2012, 8, 24),
    )
    assert row["note"] == "latest of 2 filings for this date (also 10-Q 0001521536-12-000406)"
    # The 2013 reverse split shows as the count dropping from 51.6M to 5.3M.
    split = df.filter(pl.col("as_of_date").is_in([date(2013, 5, 14), date(2013, 8, 14)]))
    assert split["shares_outstanding"].to_list() == [51608810.0, 5333822.0]
    assert set(df["concept"]) == {"dei:EntityCommonStockSharesOutstanding"}


def test_edgar_sums_share_classes_and_rejects_placeholders():
    facts = [
        {"end": "2025-04-30", "val": 300_000_000, "accn": "A1", "form": "10-Q", "filed": "2025-05-05"},
        {"end": "2025-04-30", "val": 20_000_000, "accn": "A1", "form": "10-Q", "filed": "2025-05-05"},
        {"end": "2025-07-31", "val": 1, "accn": "A2", "form": "10-Q", "filed": "2025-08-05"},
        {"end": "2025-10-31", "val": 0, "accn": "A3", "form": "10-Q", "filed": "2025-11-05"},
    ]
    rows = edgar.shares_rows(facts, "XYZ", "sha", "test")
    assert [(r["as_of_date"], r["shares_outstanding"], r["note"]) for r in rows] == [
        (date(2025, 4, 30), 320_000_000.0, "sum of 2 share classes")
    ]


def test_edgar_companyconcept_shape_and_missing_units_field():
    doc = {
        "cik": 1,
        "taxonomy": "dei",
        "tag": "EntityCommonStockSharesOutstanding",
        "units": {
            "shares": [{"end": "2025-01-31", "val": 5_000_000, "accn": "X", "form": "10-K", "filed": "2025-02-10"}]
        },
    }
    raw = Raw("https://d/x#kind=concept&ticker=ABC", json.dumps(doc).encode(), None, datetime(2026, 1, 1))
    assert edgar.parse([raw])["shares_facts"]["shares_outstanding"].to_list() == [5_000_000.0]
    bad = Raw("https://d/x#kind=concept&ticker=ABC", b'{"cik": 1, "unit": {}}', None, datetime(2026, 1, 1))
    with pytest.raises(SchemaChanged, match="field 'units' missing in companyconcept payload https://d/x"):
        edgar.parse([bad])


# -- bitcoind -------------------------------------------------------------------------------------------


def _rpc_reply(results: list) -> bytes:
    return json.dumps([{"result": r, "error": None, "id": i} for i, r in enumerate(results)]).encode()


def test_bitcoind_blocks_from_recorded_getblockstats(recorded):
    stats = json.loads(recorded.bytes(CORE_STATS))["stats"]
    headers = json.loads(recorded.bytes(CORE_HEADERS))
    raws = [
        Raw("http://node/#kind=stats", _rpc_reply(stats), None, datetime(2026, 1, 1)),
        Raw("http://node/#kind=headers", _rpc_reply(headers), None, datetime(2026, 1, 1)),
    ]
    rows = bitcoind.parse(raws)["blocks"].drop("payload_sha256", "block_hash").to_dicts()
    t = datetime(2018, 9, 8, 13, 2, 34)
    assert [(r["height"], r["time"], r["subsidy_btc"], r["fees_btc"], r["bits"]) for r in rows] == [
        (101, t, 50.0, 0.0, "207fffff"),
        (102, t, 50.0, 0.0000374, "207fffff"),
        (103, t, 50.0, 0.0005686, "207fffff"),
    ]
    assert rows[0]["difficulty"] == pytest.approx(4.656542373906925e-10)


def test_bitcoind_rpc_error_is_quoted():
    body = b'{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":0}'
    with pytest.raises(SourceError, match="RPC error -8: Block height out of range"):
        bitcoind.results(Raw("http://node/", body, None, datetime(2026, 1, 1)))


def test_bitcoind_plan_resumes_with_a_reorg_margin():
    q = bitcoind.plan({"top": 930100, "first_height_by_date": {}}, today=date(2026, 1, 1))
    assert q.first_height == 930094
    q = bitcoind.plan(
        {"top": None, "first_height_by_date": {date(2025, 12, 29): 929940}},
        today=date(2026, 1, 1),
        start=date(2025, 12, 29),
    )
    assert q.first_height == 929939  # one block before the day, to prove where it starts


def test_bitcoind_cookie_auth_and_an_unreadable_cookie(tmp_path, monkeypatch):
    from minerwatch.errors import InputError

    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:9f1c0ffee\n")
    monkeypatch.setenv("MINERWATCH_BITCOIND_COOKIE", str(cookie))
    monkeypatch.setenv("MINERWATCH_BITCOIND_USER", "ignored-when-a-cookie-is-set")
    monkeypatch.setenv("MINERWATCH_BITCOIND_PASSWORD", "x")
    assert bitcoind.auth() == ("__cookie__", "9f1c0ffee")
    monkeypatch.setenv("MINERWATCH_BITCOIND_COOKIE", str(tmp_path / "missing"))
    with pytest.raises(InputError, match=r"bitcoind cookie file .*missing cannot be read \(No such file"):
        bitcoind.auth()


def test_coingecko_daily_sync_is_one_request_unless_btc_is_near_its_high():
    today = date(2026, 11, 28)
    held = {"px": date(2026, 11, 27), "any_px": date(2026, 11, 27), "ath": date(2026, 11, 27), "ath_usd": 126_000.0}
    far = coingecko.plan({**held, "last_close": 90_000.0}, today=today)  # 71 % of the high
    assert (far.days, far.ath) == (4, False)  # 11-25 .. 11-28 (2 days of overlap): the chart only
    near = coingecko.plan({**held, "last_close": 101_000.0}, today=today)  # 80.2 %: a new high is possible
    assert near.ath
    week_old = coingecko.plan({**held, "ath": date(2026, 11, 21), "last_close": 90_000.0}, today=today)
    assert week_old.ath  # refreshed weekly even far below the high
    assert coingecko.plan({"px": date(2026, 11, 27), "any_px": date(2026, 11, 27)}, today=today).ath  # none held
    assert not coingecko.plan({**held, "ath": today, "last_close": 125_000.0}, today=today).ath  # once a day


@pytest.mark.parametrize("strict", [True, False])
def test_mempool_per_day_close_is_the_midnight_point_from_old_and_new_servers(strict):
    import httpx

    from minerwatch import http

    day_end = 1768176000  # 2026-01-12 00:00 UTC, ending 2026-01-11
    points = [(day_end - 3600, 91_000.0), (day_end, 92_000.0), (day_end + 3600, 93_000.0)]

    def handler(request: httpx.Request) -> httpx.Response:
        t = int(request.url.params["timestamp"])  # older mempool: time < t; newer: time <= t
        before = [p for p in points if (p[0] < t if strict else p[0] <= t)]
        return httpx.Response(200, json={"prices": [{"time": before[-1][0], "USD": before[-1][1]}],
                                         "exchangeRates": {}})

    query = mempool.Query(date(2026, 1, 11), None, None, price_days=(date(2026, 1, 11),))
    with http.client("mempool", "https://m.test/api", transport=httpx.MockTransport(handler), cache_dir=False,
                     sleep=lambda s: None) as c:
        raws = mempool.extract(query, c)
    rows = mempool.parse(raws)["btc_prices_daily"].select("date", "close_usd").rows()
    assert rows == [(date(2026, 1, 11), 92_000.0)]


def test_mempool_bucket_width_sets_the_block_count_error_and_multi_day_totals_stay_exact():
    """Poisson block times (seeded), grouped as mempool groups them (mean height/time/fees per time bucket)."""
    import random
    from collections import Counter, defaultdict

    rng = random.Random(7)
    t0, t, h, blocks = 1_735_689_600, 1_735_689_600.0, 900_000, []
    while t < t0 + 60 * 86400:
        t += rng.expovariate(1 / 600)
        h += 1
        blocks.append((h, int(t), 2_000_000))
    true = Counter(datetime.fromtimestamp(b[1], UTC).date() for b in blocks)

    def errors(width: int) -> tuple[list[int], int]:
        groups: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for b in blocks:
            groups[b[1] // width].append(b)
        buckets = sorted((round(sum(x[0] for x in g) / len(g)), round(sum(x[1] for x in g) / len(g)), 2e6)
                         for g in groups.values())
        rows = mempool.rollup_days([(float(a), int(b), c) for a, b, c in buckets])
        total = sum(r["block_count"] for r in rows) - sum(true[r["date"]] for r in rows)
        return [r["block_count"] - true[r["date"]] for r in rows], total

    five_min, _ = errors(300)  # 1w
    assert max(map(abs, five_min)) <= 1
    eight_h, total = errors(28_800)  # 1y / 2y: the first sync after the snapshot
    assert 5 <= max(map(abs, eight_h)) <= 16  # days off by several blocks (docs/live.md, Limits)
    assert abs(total) <= 16  # over 58 days only the two end boundaries are estimated


def test_mempool_finer_fee_windows_replace_the_wide_ones_for_their_days(recorded):
    def ts(s: str) -> int:
        return int(datetime.fromisoformat(s + "+00:00").timestamp())

    coarse = [{"avgHeight": 933000 + 50 * i, "timestamp": ts(f"2026-01-{8 + i // 2:02d}T{6 + 12 * (i % 2):02d}:00:00"),
               "avgFees": 1000} for i in range(9)]  # 12-hour buckets, 01-08 06:00 .. 01-12 06:00
    raws = [
        recorded.raw(FEES_3D, "https://m/api/v1/mining/blocks/fees/3d#kind=fees"),  # one row per block
        Raw("https://m/api/v1/mining/blocks/fees/1m#kind=fees", json.dumps(coarse).encode(), None,
            datetime(2026, 1, 12, 7)),
        recorded.raw(HASHRATE_1M, "https://m/api/v1/mining/hashrate/1m#kind=hashrate"),
    ]
    rows = mempool.parse(raws)["network_daily"].select("date", "block_count", "first_height", "last_height").rows()
    # 01-09 and 01-10 only in the wide window (boundaries at bucket midpoints); 01-11 from the per-block rows.
    assert rows == [
        (date(2026, 1, 9), 100, 933076, 933175),
        (date(2026, 1, 10), 100, 933176, 933275),
        (date(2026, 1, 11), 5, 933406, 933410),
    ]
    assert [mempool.bucket_seconds(r) for r in raws[:2]] == [0, 1800]
