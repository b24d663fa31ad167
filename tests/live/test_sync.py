"""`minerwatch sync` end to end against a local HTTP server: rows, provenance, counts, faults, conflicts."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from minerwatch import sync
from minerwatch.cli import app
from minerwatch.errors import SchemaChanged
from minerwatch.store import Store

FEES_3D = "mempool/mempool__v1_mining_blocks_fees_3d__selfmade.json"
HASHRATE_1M = "mempool/mempool__v1_mining_hashrate_1m__selfmade.json"
PRICES = "mempool/mempool__v1_historical-price_USD__selfmade.json"
CG_COIN = "coingecko/coingecko__v3_coins_bitcoin__jkorf-coingecko-net-docs-example.json"
YAHOO_AAPL = "yahoo/yahoo__v8_finance_chart_AAPL_1d_2020-08-31_2020-11-07_split__node-yahoo-finance2.json"
EDGAR_MARA = "sec_edgar/sec_edgar__api_xbrl_companyfacts_CIK0001507605__jacob-lisner-edgar_data.json"
CORE_STATS = "bitcoind/bitcoin_core_rpc__getblockstats_regtest_101-103__bitcoin-core-functional-data.json"
CORE_HEADERS = "bitcoind/getblockheader_regtest_101-103__selfmade.json"
CORE_INFO = "bitcoind/getblockchaininfo_regtest_103__selfmade.json"


def serve_mempool(server, recorded) -> None:
    R = server.Reply
    server.routes["/api/v1/mining/blocks/fees/"] = [R(200, recorded.bytes(FEES_3D))]
    server.routes["/api/v1/mining/hashrate/"] = [R(200, recorded.bytes(HASHRATE_1M))]
    server.routes["/api/v1/historical-price"] = [R(200, recorded.bytes(PRICES))]


def file_sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(db_path, source: str) -> dict[str, int]:
    with Store.open(db_path, read_only=True) as s:
        return {
            "network": s._scalar("SELECT count(*) FROM network_daily WHERE source_id = ?", [source]),
            "prices": s._scalar("SELECT count(*) FROM btc_prices_daily WHERE source_id = ?", [source]),
            "payloads": s._scalar("SELECT count(*) FROM payloads WHERE source_id = ?", [source]),
            "runs": s._scalar("SELECT count(*) FROM sync_runs WHERE source_id = ?", [source]),
        }


def test_mempool_sync_then_incremental_rerun(server, recorded, db_path, monkeypatch):
    serve_mempool(server, recorded)
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    [first] = sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=False, sleep=lambda s: None)
    # 1 network day, 2 closes, and the 2 epochs whose retargets the hashrate payload holds (931,392 and 933,408).
    assert (first.status, first.requests, first.inserted, first.updated) == ("ok", 5, 5, 0)
    # Fresh store after the snapshot (ends 2025-12-29): bulk endpoints (the 1m window, and the narrower 1w and 3d
    # ones whose finer buckets give the latest days), the retargets, the whole price history once.
    assert server.paths() == [
        "/api/v1/mining/blocks/fees/1m",
        "/api/v1/mining/blocks/fees/1w",
        "/api/v1/mining/blocks/fees/3d",
        "/api/v1/mining/hashrate/3m",
        "/api/v1/historical-price?currency=USD",
    ]
    assert counts(db_path, "mempool") == {"network": 1, "prices": 2, "payloads": 3, "runs": 1}
    with Store.open(db_path, read_only=True) as s:
        row = s.query("SELECT * FROM network_daily WHERE source_id = 'mempool'").row(0, named=True)
        assert (row["date"], row["block_count"], row["subsidy_btc"], row["fees_btc"]) == (
            date(2026, 1, 11),
            5,
            15.625,
            0.15,
        )
        payload = s.query("SELECT uri, content FROM payloads WHERE sha256 = ?", [row["payload_sha256"]]).row(0)
        assert payload[0] == server.url + "/api/v1/mining/blocks/fees/1m#kind=fees"
        assert bytes(payload[1]) == recorded.bytes(FEES_3D)  # raw bytes kept for re-parsing
        # Each retarget in the hashrate payload is its epoch's row: difficulty as published, the target derived
        # from it (the compact target whose difficulty it is), first day from the retarget block's time.
        epochs = s.query("SELECT epoch, first_height, last_height, target_hex, difficulty, first_date, last_date "
                         "FROM difficulty_epochs WHERE source_id = 'mempool' ORDER BY epoch").rows()
        # Round invented difficulties are no compact target's: the target is floor(0xFFFF x 2^208 / difficulty).
        assert epochs == [
            (462, 931_392, 933_407, f"{(0xFFFF << 208) // 140_000_000_000_000:064x}", 1.4e14, date(2025, 12, 30), None),
            (463, 933_408, 935_423, f"{(0xFFFF << 208) // 150_000_000_000_000:064x}", 1.5e14, date(2026, 1, 11), None),
        ]
        assert epochs[0][3] == "0000000000000000000202b072775c71bc471797fa656f6a14a71519aa8c80ea"
        # They disagree with the Electrum checkpoints' real epochs 462/463: recorded, dated by the epoch's first day.
        assert s.query("SELECT date, item, source_a, value_a, source_b FROM conflicts "
                       "WHERE table_name = 'difficulty_epochs' ORDER BY item").rows() == [
            (date(2025, 12, 30), "epoch 462", "mempool", 1.4e14, "electrum"),
            (date(2026, 1, 11), "epoch 463", "mempool", 1.5e14, "electrum"),
        ]
    server.log.clear()
    [again] = sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=False, sleep=lambda s: None)
    # Same-day rerun: the held day is fetched again (one-block 3d window, for revisions); its close was
    # fetched more than an hour after the midnight ending it, so it is final and not asked for again.
    assert server.paths() == ["/api/v1/mining/blocks/fees/3d", "/api/v1/mining/hashrate/1m"]
    assert (again.status, again.inserted, again.updated, again.unchanged) == ("ok", 0, 0, 3)  # the day, 2 epochs
    # The same bytes came back, so no new payload row (payloads are keyed by sha256); a second run row.
    assert counts(db_path, "mempool") == {"network": 1, "prices": 2, "payloads": 3, "runs": 2}
    server.log.clear()
    [next_day] = sync.sync(db_path, ["mempool"], today=date(2026, 1, 13), cache=False, sleep=lambda s: None)
    # The daily cron: still one-block rows (3d reaches back into 01-10 at this clock time, so all of the
    # held day 01-11 and the new 01-12), the retargets, and one price point: the close of 01-12.
    assert server.paths() == [
        "/api/v1/mining/blocks/fees/3d",
        "/api/v1/mining/hashrate/1m",
        "/api/v1/historical-price?currency=USD&timestamp=1768262401",  # 01-13 00:00:01
    ]
    assert (next_day.requests, next_day.inserted) == (3, 1)  # the 01-12 close (06:00 point, the last inside it)


def test_cli_sync_prints_counts(server, recorded, db_path, monkeypatch):
    serve_mempool(server, recorded)
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    res = CliRunner().invoke(
        app, ["sync", "--source", "mempool", "--no-cache", "--db", str(db_path), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.stdout)
    assert {
        k: row[k] for k in ("source", "status", "requests", "rows_inserted", "conflicts", "first_date", "last_date")
    } == {
        "source": "mempool",
        "status": "ok",
        "requests": 6,  # today's date: fees/1y, 1m, 1w, 3d, hashrate/1y, the price history
        "rows_inserted": 5,  # 1 day, 2 closes, 2 epochs
        "conflicts": 2,  # the fixture's invented difficulties of epochs 462 and 463 vs the Electrum checkpoints
        "first_date": "2026-01-10",
        "last_date": "2026-01-11",
    }
    table = CliRunner().invoke(app, ["sync", "--source", "mempool", "--no-cache", "--db", str(db_path)])
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[-1] == "total requests: 6"
    quiet = CliRunner().invoke(app, ["sync", "--source", "mempool", "--no-cache", "--quiet", "--db", str(db_path)])
    assert (quiet.exit_code, quiet.stdout) == (0, "")


def test_cli_connection_refused_names_url_exits_nonzero_store_untouched(refused_url, db_path, monkeypatch):
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", refused_url + "/api")
    Store.open(db_path).close()  # migrated and loaded before the run
    before = file_sha(db_path)
    res = CliRunner().invoke(app, ["sync", "--source", "mempool", "--no-cache", "--quiet", "--db", str(db_path)])
    assert res.exit_code == 5
    assert res.stderr.startswith(f"error: mempool: cannot connect to {refused_url}/api/v1/mining/blocks/fees/")
    assert "set MINERWATCH_MEMPOOL_URL" in res.stderr and "Traceback" not in res.output
    assert file_sha(db_path) == before
    assert counts(db_path, "mempool") == {"network": 0, "prices": 0, "payloads": 0, "runs": 0}


def test_changed_schema_fails_the_source_and_writes_nothing(server, recorded, db_path, monkeypatch):
    serve_mempool(server, recorded)
    server.routes["/api/v1/mining/blocks/fees/"] = [server.Reply(200, b'[{"height": 1, "timestamp": 2, "avgFees": 3}]')]
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    [res] = sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=False, sleep=lambda s: None)
    assert res.status == "failed" and isinstance(res.error, SchemaChanged)
    assert "field 'avgHeight' missing in fees payload" in res.message
    assert counts(db_path, "mempool") == {"network": 0, "prices": 0, "payloads": 0, "runs": 0}


def test_coingecko_disagreement_is_recorded_as_a_conflict(server, recorded, db_path, monkeypatch):
    with Store.open(db_path, read_only=True) as s:
        cm = dict(
            s.query(
                "SELECT date, close_usd FROM btc_prices_daily WHERE source_id = 'coinmetrics' "
                "AND date IN ('2025-12-27', '2025-12-28')"
            ).iter_rows()
        )
    ms = [int(datetime(2025, 12, d, tzinfo=UTC).timestamp()) * 1000 for d in (28, 29)]
    chart = {
        "prices": [[ms[0], cm[date(2025, 12, 27)] * 1.05], [ms[1], cm[date(2025, 12, 28)] * 1.001]],
        "market_caps": [],
        "total_volumes": [],
    }
    server.routes["/v3/coins/bitcoin/market_chart"] = [server.Reply(200, json.dumps(chart).encode())]
    server.routes["/v3/coins/bitcoin?"] = [server.Reply(200, recorded.bytes(CG_COIN))]
    monkeypatch.setenv("MINERWATCH_COINGECKO_URL", server.url + "/v3")
    [res] = sync.sync(db_path, ["coingecko"], today=date(2025, 12, 30), cache=False, sleep=lambda s: None)
    assert (res.status, res.requests, res.inserted, res.conflicts) == ("ok", 2, 3, 1)
    out = CliRunner().invoke(app, ["sources", "--conflicts", "--db", str(db_path), "--format", "json"])
    [c] = json.loads(out.stdout)
    assert {k: c[k] for k in ("table", "date", "field", "source_a", "source_b", "tolerance", "tolerance_kind")} == {
        "table": "btc_prices_daily",
        "date": "2025-12-27",
        "field": "close_usd",
        "source_a": "coingecko",
        "source_b": "coinmetrics",
        "tolerance": 0.01,
        "tolerance_kind": "relative",
    }
    assert c["difference"] == pytest.approx(0.05)
    # The snapshot's value is not overwritten: both rows stay, each with its source.
    with Store.open(db_path, read_only=True) as s:
        assert s.query("SELECT source_id FROM btc_prices_daily WHERE date = '2025-12-27' ORDER BY 1").rows() == [
            ("coingecko",),
            ("coinmetrics",),
        ]


def test_yahoo_one_ticker_and_edgar_weekly_refresh(server, recorded, db_path, monkeypatch):
    server.routes["/v8/finance/chart/AAPL"] = [server.Reply(200, recorded.bytes(YAHOO_AAPL))]
    server.routes["/api/xbrl/companyconcept/CIK0001507605/"] = [server.Reply(200, recorded.bytes(EDGAR_MARA))]
    monkeypatch.setenv("MINERWATCH_YAHOO_URL", server.url)
    monkeypatch.setenv("MINERWATCH_EDGAR_URL", server.url)
    monkeypatch.setenv("MINERWATCH_SEC_CONTACT", "test@example.org")
    [y] = sync.sync(db_path, ["yahoo"], today=date(2020, 11, 7), options={"tickers": ["AAPL"]}, cache=False)
    [e] = sync.sync(
        db_path, ["edgar"], today=date(2026, 11, 28), options={"tickers": ["MARA"]}, cache=False, sleep=lambda s: None
    )
    assert (y.status, y.requests, y.inserted) == ("ok", 1, 50)  # 49 prices + 1 split
    assert (e.status, e.requests, e.inserted) == ("ok", 1, 40)
    with Store.open(db_path, read_only=True) as s:
        assert s._scalar("SELECT count(*) FROM corporate_actions WHERE source_id = 'yahoo' AND ratio = 4") == 1
        assert s._scalar("SELECT count(DISTINCT price_basis) FROM equity_prices_daily WHERE source_id = 'yahoo'") == 1
    [again] = sync.sync(db_path, ["edgar"], today=date(2026, 11, 28), options={"tickers": ["MARA"]}, cache=False)
    assert (again.status, again.requests) == ("up to date", 0)


def rpc_node(recorded):
    stats = {s["height"]: s for s in json.loads(recorded.bytes(CORE_STATS))["stats"]}
    headers = {h["hash"]: h for h in json.loads(recorded.bytes(CORE_HEADERS))}
    info = json.loads(recorded.bytes(CORE_INFO))
    seen_auth = []

    def handle(method, path, body):
        from minerwatch.http import Raw  # noqa: F401  (keeps the handler self-contained)

        calls = json.loads(body)
        out = []
        for c in calls:
            if c["method"] == "getblockchaininfo":
                out.append({"result": info, "error": None, "id": c["id"]})
            elif c["method"] == "getblockstats":
                s = stats.get(c["params"][0])
                out.append(
                    {
                        "result": s,
                        "error": None if s else {"code": -8, "message": "Block height out of range"},
                        "id": c["id"],
                    }
                )
            elif c["method"] == "getblockheader":
                out.append({"result": headers[c["params"][0]], "error": None, "id": c["id"]})
        return rpc_node.Reply(200, json.dumps(out).encode())

    return handle, seen_auth


def test_bitcoind_sync_over_json_rpc(server, recorded, db_path, monkeypatch):
    rpc_node.Reply = server.Reply
    handle, _ = rpc_node(recorded)
    server.routes["/"] = handle
    monkeypatch.setenv("MINERWATCH_BITCOIND_URL", server.url)
    monkeypatch.setenv("MINERWATCH_BITCOIND_USER", "alice")
    monkeypatch.setenv("MINERWATCH_BITCOIND_PASSWORD", "s3cret")
    [res] = sync.sync(db_path, ["bitcoind"], today=date(2026, 1, 1), options={"from_height": 101}, cache=False)
    # 3 blocks and their epoch (0): regtest's bits 207fffff disagree with mainnet's epoch 0 (Electrum: difficulty 1).
    assert (res.status, res.requests, res.inserted, res.conflicts) == ("ok", 3, 4, 1), res.message
    assert server.log[0][2]["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    with Store.open(db_path, read_only=True) as s:
        assert s.query("SELECT height, fees_btc FROM blocks ORDER BY height").rows() == [
            (101, 0.0),
            (102, 0.0000374),
            (103, 0.0005686),
        ]
        # All three blocks share one day with no neighbours held: no complete day to roll up.
        assert s._scalar("SELECT count(*) FROM network_daily WHERE source_id = 'bitcoind'") == 0


def test_bitcoind_rollup_keeps_only_complete_days(store):
    import polars as pl

    from minerwatch.sources import bitcoind

    def blk(h, t):
        return {
            "height": h,
            "block_hash": f"h{h}",
            "time": datetime.fromisoformat(t),
            "median_time": None,
            "subsidy_btc": 3.125,
            "fees_btc": 0.01 * (h - 99),
            "source_id": "bitcoind",
            "bits": "17020000",
            "difficulty": 1.0e14 + h,
            "payload_sha256": "p",
            "loaded_at": datetime(2026, 1, 1),
        }

    rows = [
        blk(100, "2026-03-01T23:50:00"),
        blk(101, "2026-03-02T00:05:00"),
        blk(102, "2026-03-02T12:00:00"),
        blk(103, "2026-03-02T23:59:59"),
        blk(104, "2026-03-03T00:01:00"),
    ]
    with store.transaction():
        store.upsert(
            "blocks",
            pl.DataFrame(rows, schema={**bitcoind.BLOCK_SCHEMA, "loaded_at": pl.Datetime("us")}),
            ["height", "source_id"],
        )
    got = bitcoind.rollup(store, date(2026, 3, 1)).drop("payload_sha256").to_dicts()
    assert got == [
        {
            "date": date(2026, 3, 2),
            "source_id": "bitcoind",
            "block_count": 3,
            "first_height": 101,
            "last_height": 103,
            "difficulty": pytest.approx(1.0e14 + 102),
            "hashrate_ehs_published": None,
            "subsidy_btc": 9.375,
            "fees_btc": 0.09,
        }
    ]  # 0.02 + 0.03 + 0.04


def test_sources_lists_live_and_snapshot_sources(server, recorded, db_path, monkeypatch):
    serve_mempool(server, recorded)
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=False, sleep=lambda s: None)
    res = CliRunner().invoke(app, ["sources", "--db", str(db_path), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["source"]: r for r in json.loads(res.stdout)}
    assert list(rows)[:5] == ["mempool", "coingecko", "yahoo", "edgar", "bitcoind"]
    assert (rows["mempool"]["base_url"], rows["mempool"]["rows"], rows["mempool"]["last_sync_requests"]) == (
        server.url + "/api",
        5,
        5,
    )
    assert (
        rows["coingecko"]["base_url"] == "https://api.coingecko.com/api/v3" and rows["coingecko"]["last_sync"] is None
    )
    assert rows["coinmetrics"]["kind"] == "snapshot" and rows["coinmetrics"]["rows"] > 6000


def test_plain_sync_skips_edgar_without_a_contact_but_asked_for_it_refuses(db_path, monkeypatch):
    from minerwatch.sources import registry

    monkeypatch.delenv("MINERWATCH_SEC_CONTACT", raising=False)
    monkeypatch.setattr(registry, "DEFAULT_SYNC", ("edgar",))
    [res] = sync.sync(db_path, None, today=date(2026, 1, 1), cache=False)
    assert (res.status, res.requests) == ("skipped", 0)
    assert res.message.startswith("no SEC contact configured; set MINERWATCH_SEC_CONTACT")
    out = CliRunner().invoke(app, ["sync", "--source", "edgar", "--quiet", "--db", str(db_path)])
    assert out.exit_code == 2
    assert out.stderr.startswith("error: SEC EDGAR requires a contact e-mail in the User-Agent")


def test_metric_commands_work_on_synced_rows(server, recorded, db_path, monkeypatch):
    serve_mempool(server, recorded)
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=False)
    res = CliRunner().invoke(
        app, ["network", "--from", "2026-01-11", "--to", "2026-01-11", "--db", str(db_path), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    [day] = json.loads(res.stdout)
    assert (day["network_source"], day["price_source"], day["block_count"], day["close_usd"]) == (
        "mempool",
        "mempool",
        5,
        92000.0,
    )
    # Hand-computed: hashrate = 5/144 x 1.46e14 x 2^32 / 600 / 1e18 EH/s; revenue = 15.625 + 0.15 BTC.
    hashrate = 5 / 144 * 1.46e14 * 2**32 / 600 / 1e18
    assert day["hashrate_ehs"] == pytest.approx(hashrate)
    assert day["usd_per_ehs_day"] == pytest.approx(15.775 * 92000 / hashrate)


def test_base_url_without_a_scheme_is_one_clear_error(db_path, monkeypatch):
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", "localhost:8999/api")
    res = CliRunner().invoke(app, ["sync", "--source", "mempool", "--quiet", "--no-cache", "--db", str(db_path)])
    assert res.exit_code == 2
    assert res.stderr == (
        "error: base URL of mempool must start with http:// or https://, got 'localhost:8999/api'; "
        "fix MINERWATCH_MEMPOOL_URL or [sources.mempool] url\n"
    )


def test_an_unknown_ticker_is_left_out_not_fatal(server, recorded, db_path, monkeypatch):
    server.routes["/v8/finance/chart/AAPL"] = [server.Reply(200, recorded.bytes(YAHOO_AAPL))]
    body = (
        b'{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}'
    )
    server.routes["/v8/finance/chart/ZZZZ"] = [server.Reply(404, body)]
    monkeypatch.setenv("MINERWATCH_YAHOO_URL", server.url)
    monkeypatch.setenv("MINERWATCH_YAHOO_MIN_INTERVAL", "0")
    [y] = sync.sync(db_path, ["yahoo"], today=date(2020, 11, 7), options={"tickers": ["ZZZZ", "AAPL"]}, cache=False)
    assert (y.status, y.requests, y.inserted, y.message) == ("ok", 2, 50, "no data for ZZZZ")
    with Store.open(db_path, read_only=True) as s:
        assert s.query("SELECT items FROM sync_runs WHERE source_id = 'yahoo'").rows() == [("AAPL",)]


def test_reparse_restores_rows_from_kept_payloads_without_the_network(server, recorded, db_path, monkeypatch):
    server.routes["/v8/finance/chart/AAPL"] = [server.Reply(200, recorded.bytes(YAHOO_AAPL))]
    monkeypatch.setenv("MINERWATCH_YAHOO_URL", server.url)
    sync.sync(db_path, ["yahoo"], today=date(2020, 11, 7), options={"tickers": ["AAPL"]}, cache=False)
    with Store.open(db_path) as s, s.transaction():  # what a buggy parser might have stored
        s.con.execute("UPDATE equity_prices_daily SET close_usd = 1 WHERE source_id = 'yahoo'")
        s.con.execute("DELETE FROM corporate_actions WHERE source_id = 'yahoo'")
    server.log.clear()
    res = CliRunner().invoke(app, ["sync", "--reparse", "--source", "yahoo", "--db", str(db_path), "--format", "json"])
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.stdout)
    assert (row["requests"], row["rows_inserted"], row["rows_updated"], row["message"]) == (
        0,
        1,
        49,
        "re-parsed 1 stored payloads of 1 runs",
    )
    assert server.log == []
    with Store.open(db_path, read_only=True) as s:
        assert s._scalar("SELECT count(*) FROM equity_prices_daily WHERE source_id = 'yahoo' AND close_usd = 1") == 0
        assert s._scalar("SELECT count(*) FROM corporate_actions WHERE source_id = 'yahoo'") == 1


def test_reparse_replays_each_run_with_its_own_payloads(server, recorded, db_path, monkeypatch):
    serve_mempool(server, recorded)
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    for _ in range(2):  # a bulk run, then an incremental one (same bytes: payloads shared between runs)
        sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=False)
    res = sync.reparse(db_path, "mempool")
    assert (res.status, res.inserted, res.updated, res.unchanged) == ("ok", 0, 0, 5), res.message
    assert res.message == "re-parsed 3 stored payloads of 2 runs"


def test_network_disagreement_with_the_snapshot_is_recorded(server, recorded, db_path, monkeypatch):
    # Coin Metrics holds 2025-12-28 as 155 blocks (929785..929939) with 2.15540502 BTC of fees; serve 150 blocks.
    day = int(datetime(2025, 12, 28, tzinfo=UTC).timestamp())
    per_block = round(2.15540502e8 / 150)
    buckets = [{"avgHeight": 929784, "timestamp": day - 60, "avgFees": 1000}]
    buckets += [{"avgHeight": 929785 + i, "timestamp": day + 300 + i * 570, "avgFees": per_block} for i in range(150)]
    buckets += [{"avgHeight": 929935, "timestamp": day + 86400 + 60, "avgFees": 1000}]
    serve_mempool(server, recorded)
    server.routes["/api/v1/mining/blocks/fees/"] = [server.Reply(200, json.dumps(buckets).encode())]
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    [res] = sync.sync(db_path, ["mempool"], today=date(2025, 12, 30), cache=False)
    assert (res.status, res.conflicts) == ("ok", 3), res.message  # and the fixture's 2 invented epochs
    with Store.open(db_path, read_only=True) as s:
        rows = s.query("SELECT date, field, source_a, value_a, source_b, value_b, difference FROM conflicts "
                       "WHERE table_name = 'network_daily'").rows()
    assert rows == [(date(2025, 12, 28), "block_count", "mempool", 150.0, "coinmetrics", 155.0, 5.0)]


def test_cli_sync_table_exact(server, recorded, db_path, monkeypatch):
    serve_mempool(server, recorded)
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    res = CliRunner().invoke(app, ["sync", "--source", "mempool", "--no-cache", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert res.stdout == (
        " source  status  requests  cache_hits  retries  rows_inserted  rows_updated  rows_unchanged  conflicts"
        "  first_date   last_date\n"
        "-------  ------  --------  ----------  -------  -------------  ------------  --------------  ---------"
        "  ----------  ----------\n"
        "mempool      ok         6           0        0              5             0               0          2"
        "  2026-01-10  2026-01-11\n"
        "total requests: 6\n"
    )


def test_a_rerun_after_a_failure_takes_what_already_arrived_from_the_disk_cache(server, recorded, db_path, tmp_path,
                                                                                 monkeypatch):
    serve_mempool(server, recorded)
    server.routes["/api/v1/historical-price"] = [server.Reply(502, b"bad gateway")]
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    cache = tmp_path / "http-cache"
    waits: list[float] = []
    [failed] = sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=cache, sleep=waits.append)
    assert (failed.status, failed.requests, failed.retries) == ("failed", 9, 4)  # fees x 3, hashrate, price x 5
    assert waits == [1.0, 2.0, 4.0, 8.0]  # exponential backoff, no Retry-After
    assert failed.message == (
        f"mempool: {server.url}/api/v1/historical-price?currency=USD failed after 5 attempts: HTTP 502")
    assert counts(db_path, "mempool") == {"network": 0, "prices": 0, "payloads": 0, "runs": 0}
    server.routes["/api/v1/historical-price"] = [server.Reply(200, recorded.bytes(PRICES))]
    server.log.clear()
    [ok] = sync.sync(db_path, ["mempool"], today=date(2026, 1, 12), cache=cache, sleep=waits.append)
    assert (ok.status, ok.requests, ok.cache_hits, ok.inserted) == ("ok", 1, 4, 5)
    assert server.paths() == ["/api/v1/historical-price?currency=USD"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "mempool", "--from", "2099-01-01"], "error: --from 2099-01-01 is after today ("),
        (["--source", "bitcoind", "--from-height", "-5"], "error: --from-height must be a block height (0 or more)"),
        (["--source", "yahoo", "--ticker", "A B"], "error: --ticker: 'A B' is not a ticker symbol"),
    ],
)
def test_bad_sync_options_are_refused_before_any_request(db_path, refused_url, monkeypatch, args, message):
    for name in ("MEMPOOL", "BITCOIND", "YAHOO"):
        monkeypatch.setenv(f"MINERWATCH_{name}_URL", refused_url)
    res = CliRunner().invoke(app, ["sync", *args, "--quiet", "--no-cache", "--db", str(db_path)])
    assert res.exit_code == 2 and res.stderr.startswith(message), res.output
    assert "cannot connect" not in res.stderr


def test_cli_sync_yahoo_btc_usd_writes_btc_days(server, recorded, db_path, monkeypatch):
    rec = "yahoo/yahoo__v8_finance_chart_BTC-USD_1d_2020-01-01_2020-01-03__node-yahoo-finance2.json"
    server.routes["/v8/finance/chart/BTC-USD"] = [server.Reply(200, recorded.bytes(rec))]
    monkeypatch.setenv("MINERWATCH_YAHOO_URL", server.url)
    monkeypatch.setenv("MINERWATCH_YAHOO_MIN_INTERVAL", "0")
    res = CliRunner().invoke(app, ["sync", "--source", "yahoo", "--ticker", "BTC-USD", "--no-cache", "--db",
                                   str(db_path), "--format", "json"])
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.stdout)
    # 3 bars as a symbol (equity_prices_daily, where the next sync resumes from) and as 3 BTC days.
    assert (row["status"], row["requests"], row["rows_inserted"], row["conflicts"]) == ("ok", 1, 6, 0)
    assert server.paths()[0].startswith("/v8/finance/chart/BTC-USD?")
    with Store.open(db_path, read_only=True) as s:
        assert s.query("SELECT date, venue, quote_currency, high_usd, close_usd FROM btc_prices_daily "
                       "WHERE source_id = 'yahoo' ORDER BY date").rows()[2] == (
            date(2020, 1, 3), "Yahoo Finance BTC-USD", "USD", 7413.71533203125, 7344.88427734375)
