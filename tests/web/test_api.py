"""The JSON API in-process: every endpoint, 422/404/501/503, ETag/304, and CLI JSON == API JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minerwatch.cli import app as cli_app
from minerwatch.store import Store

MONTH = "2025-02"


def cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# -- CLI == API, byte for byte ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cli_args", "url"),
    [
        (["hashprice", "--month", MONTH], f"/api/v1/hashprice?month={MONTH}"),
        (
            ["hashprice", "--month", MONTH, "--estimator", "difficulty", "--basis", "expected", "--smooth", "7"],
            f"/api/v1/hashprice?month={MONTH}&estimator=difficulty&basis=expected&smooth=7",
        ),
        (["hashprice"], "/api/v1/hashprice"),
        (["btc", "--month", MONTH], f"/api/v1/btc?month={MONTH}"),
        (
            ["economics", "--month", MONTH, "--efficiency-jth", "26", "--power-usd-kwh", "0.04"],
            f"/api/v1/economics?month={MONTH}&efficiency_jth=26&power_usd_kwh=0.04",
        ),
        (
            ["economics", "--month", MONTH, "--efficiency-jth", "18.5", "--power-usd-kwh", "0.06",
             "--opex-usd-kwh", "0.01", "--pool-fee-pct", "2"],
            f"/api/v1/economics?month={MONTH}&efficiency_jth=18.5&power_usd_kwh=0.06&opex_usd_kwh=0.01&pool_fee_pct=2",
        ),
        (
            ["network", "--from", "2025-02-26", "--to", "2025-03-02"],
            "/api/v1/network?from=2025-02-26&to=2025-03-02",
        ),
    ],
)
def test_api_json_is_exactly_the_cli_json(api, db_path: Path, cli_args: list[str], url: str) -> None:
    printed = cli(*cli_args, "--format", "json", "--db", str(db_path))
    r = api.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.text + "\n" == printed


def test_network_csv_is_exactly_the_cli_csv(api, db_path: Path) -> None:
    printed = cli("network", "--from", "2025-02-26", "--to", "2025-03-02", "--format", "csv", "--db", str(db_path))
    r = api.get("/api/v1/network?from=2025-02-26&to=2025-03-02&format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.text == printed
    assert r.text.splitlines()[0].startswith("date,block_count,difficulty,hashrate_ehs,")
    assert len(r.text.splitlines()) == 1 + 5  # header + 26, 27, 28 Feb, 1, 2 Mar


def test_report_facts_are_the_cli_facts_json(api, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "note"
    cli("report", "--month", MONTH, "--out", str(out), "--no-charts", "--db", str(db_path))
    r = api.get(f"/api/v1/report/{MONTH}")
    assert r.status_code == 200, r.text
    assert r.text + "\n" == (out / "facts.json").read_text(encoding="utf-8")
    # Fleet overrides reach the facts as they do with the CLI flags.
    out2 = tmp_path / "note2"
    cli("report", "--month", MONTH, "--out", str(out2), "--no-charts", "--efficiency-jth", "26",
        "--power-usd-kwh", "0.04", "--db", str(db_path))
    r2 = api.get(f"/api/v1/report/{MONTH}?efficiency_jth=26&power_usd_kwh=0.04")
    assert r2.text + "\n" == (out2 / "facts.json").read_text(encoding="utf-8")
    assert r2.text != r.text


def test_basket_is_the_cli_basket_when_installed(api, db_path: Path) -> None:
    pytest.importorskip("minerwatch.service_basket", reason="the basket service is not in this tree yet")
    printed = cli("basket", "--month", MONTH, "--format", "json", "--db", str(db_path))
    r = api.get(f"/api/v1/basket?month={MONTH}")
    assert r.status_code == 200, r.text
    assert r.text + "\n" == printed


# -- hand-checked values (from the embedded snapshot; see tests/core for their derivation) -------------

def test_hashprice_values_for_february_2025(api) -> None:
    d = api.json(f"/api/v1/hashprice?month={MONTH}")
    assert d["month"] == MONTH
    assert d["usd_per_ehs_day"] == 54372.05
    assert d["usd_per_phs_day"] == 54.372
    assert d["days"] == 28
    assert d["previous_month"] == "2025-01"


def test_btc_values_for_february_2025(api) -> None:
    d = api.json(f"/api/v1/btc?month={MONTH}")
    assert (d["close_usd"], d["close_date"]) == (84243.78, "2025-02-28")
    assert (d["ath_close_usd"], d["ath_close_date"]) == (106115.91, "2024-12-17")
    # drawdown = 100 x (84243.78 / 106115.91 - 1) = -20.611...
    assert d["drawdown_from_ath_pct"] == round(100 * (84243.78 / 106115.91 - 1), 2) == -20.61


def test_economics_arithmetic(api) -> None:
    d = api.json(f"/api/v1/economics?month={MONTH}&efficiency_jth=26&power_usd_kwh=0.04")
    # 26 J/TH x 1e6 TH/EH = 26 MW per EH/s -> 624,000 kWh a day x $0.04 = $24,960 per EH/s per day.
    assert d["cost_usd_per_ehs_day"] == 24960.0
    assert d["gross_profit_usd_per_ehs_day"] == round(54372.05 - 24960.0, 2)


def test_default_month_is_latest_complete(api) -> None:
    health = api.json("/api/v1/health")
    assert api.json("/api/v1/btc")["month"] == health["latest_complete_month"] == "2025-11"


def test_health(api, db_path: Path) -> None:
    d = api.json("/api/v1/health")
    assert d["status"] == "ok"
    assert d["store"]["path"] == str(db_path)
    assert d["store"]["read_only"] is True
    assert d["data_range"]["network_first"] == "2009-01-09"
    assert d["data_range"]["prices_last"] == "2025-12-29"
    by_id = {s["source_id"]: s for s in d["sources"]}
    assert {"coinmetrics", "binance"} <= set(by_id)
    cm = by_id["coinmetrics"]
    # The embedded snapshot was loaded, never synced: a fetch time but no sync run.
    assert cm["last_fetched_at"] is not None and cm["payloads"] >= 1
    assert (cm["last_sync_at"], cm["last_sync_basis"]) == (None, "sync_runs")
    # Nothing secret: no base URLs (they may carry API keys) and no config values.
    assert "base_url" not in cm
    assert "api_key" not in json.dumps(d).lower()


def test_health_reports_the_last_ok_sync_run(db_path: Path, client_for) -> None:
    runs = (
        "INSERT INTO sync_runs (run_id, source_id, started_at, finished_at, status, requests, cache_hits, retries, "
        "payloads, rows_inserted, rows_updated, rows_unchanged) VALUES "
        "(?, 'coinmetrics', ?, ?, ?, 1, 0, 0, 1, 0, 0, 0)"
    )
    with Store.open(db_path) as s, s.transaction():
        s.con.execute(runs, ["r1", "2031-01-02 03:00:00", "2031-01-02 03:04:05", "ok"])
        s.con.execute(runs, ["r0", "2030-01-01 00:00:00", "2030-01-01 00:00:09", "ok"])
        s.con.execute(runs, ["r2", "2032-01-01 00:00:00", "2032-01-01 00:00:09", "error"])
    d = client_for().json("/api/v1/health")
    cm = {x["source_id"]: x for x in d["sources"]}["coinmetrics"]
    assert cm["last_sync_basis"] == "sync_runs"
    assert cm["last_sync_at"] == "2031-01-02T03:04:05"  # the latest ok run; a failed later one does not count


def test_openapi_lists_every_endpoint(api) -> None:
    paths = set(api.json("/openapi.json")["paths"])
    assert paths == {
        "/api/v1/hashprice", "/api/v1/btc", "/api/v1/basket", "/api/v1/economics",
        "/api/v1/network", "/api/v1/report/{month}", "/api/v1/health",
    }
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert "GET /api/v1/economics" in docs.text and "power_usd_kwh" in docs.text
    assert "<script" not in docs.text and "cdn" not in docs.text.lower()


# -- errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/api/v1/hashprice?month=2025-13", "month must be YYYY-MM (e.g. 2025-02), got '2025-13'"),
        ("/api/v1/btc?month=Feb", "month must be YYYY-MM (e.g. 2025-02), got 'Feb'"),
        ("/api/v1/hashprice?month=2025-02&estimator=magic",
         "estimator must be one of blockcount, difficulty; got 'magic'"),
        ("/api/v1/hashprice?month=2025-02&smooth=x",
         "smooth: Input should be a valid integer, unable to parse string as an integer (got 'x')"),
        ("/api/v1/network?from=2025-02-30&to=2025-03-01", "from must be an ISO date YYYY-MM-DD, got '2025-02-30'"),
        ("/api/v1/network?from=2025-03-01", "to: Field required"),
        ("/api/v1/network?from=2025-03-01&to=2025-03-02&format=xml", "format must be json or csv; got 'xml'"),
        ("/api/v1/network?from=2025-03-05&to=2025-03-01", "to 2025-03-01 is before from 2025-03-05"),
        ("/api/v1/economics?month=2025-02&power_usd_kwh=0.04", "efficiency_jth: Field required"),
        ("/api/v1/economics?month=2025-02&efficiency_jth=abc&power_usd_kwh=0.04",
         "efficiency_jth: Input should be a valid number, unable to parse string as a number (got 'abc')"),
        ("/api/v1/economics?month=2025-02&efficiency_jth=26&power_usd_kwh=-1",
         "power_usd_kwh must be a positive number (USD per kWh, e.g. 0.04), got -1.0"),
        ("/api/v1/report/2025-2", "month must be YYYY-MM (e.g. 2025-02), got '2025-2'"),
    ],
)
def test_bad_parameters_get_422_naming_the_parameter(api, url: str, detail: str) -> None:
    r = api.get(url)
    assert r.status_code == 422, r.text
    assert r.json() == {"error": "input", "detail": detail}
    assert "etag" not in r.headers


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/api/v1/hashprice?month=2008-01",
         "no network data between 2008-01-01 and 2008-01-31; network facts cover 2009-01-09 to 2025-12-29"),
        ("/api/v1/btc?month=2030-01", "no BTC price in 2030-01; BTC prices cover 2010-07-18 to 2025-12-29"),
        ("/api/v1/network?from=2030-01-01&to=2030-01-05",
         "no network data between 2030-01-01 and 2030-01-05; network facts cover 2009-01-09 to 2025-12-29"),
        ("/api/v1/economics?month=2030-01&efficiency_jth=20&power_usd_kwh=0.05",
         "no network data between 2030-01-01 and 2030-01-31; network facts cover 2009-01-09 to 2025-12-29"),
        ("/api/v1/report/2030-01",
         "no network data between 2030-01-01 and 2030-01-31; network facts cover 2009-01-09 to 2025-12-29"),
    ],
)
def test_month_without_data_gets_404_naming_the_range(api, url: str, detail: str) -> None:
    r = api.get(url)
    assert r.status_code == 404
    assert r.json() == {"error": "data_gap", "detail": detail}


def test_basket_month_without_data_gets_404_naming_the_range(api) -> None:
    r = api.get("/api/v1/basket?month=2010-08")
    if r.status_code == 501:
        pytest.skip("the basket service is not in this tree")
    assert r.status_code == 404
    assert r.json()["error"] == "data_gap"
    detail = r.json()["detail"]
    assert detail.startswith("no equity close in 2010-08 for the basket; equity prices cover 2020-07-01 to ")


def test_missing_module_gives_501_not_a_crash(api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "minerwatch.service_basket", None)  # import now raises ModuleNotFoundError
    r = api.get(f"/api/v1/basket?month={MONTH}")
    assert r.status_code == 501
    assert r.json() == {
        "error": "not_available",
        "detail": "the basket endpoint needs minerwatch.service_basket, which this minerwatch install does not have",
    }
    assert api.get(f"/api/v1/btc?month={MONTH}").status_code == 200


# -- caching -----------------------------------------------------------------------------------------

def test_etag_and_304(api) -> None:
    url = f"/api/v1/hashprice?month={MONTH}"
    r1 = api.get(url)
    etag = r1.headers["etag"]
    assert etag.startswith('"') and len(etag) == 34
    assert r1.headers["cache-control"] == "public, max-age=60, must-revalidate"
    assert api.get(url).headers["etag"] == etag  # stable across requests
    r304 = api.get(url, headers={"If-None-Match": etag})
    assert r304.status_code == 304 and r304.content == b"" and r304.headers["etag"] == etag
    assert api.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert api.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert api.get("/api/v1/hashprice?month=2025-01").headers["etag"] != etag


def test_a_write_to_the_store_changes_the_answer_and_its_etag(api, db_path: Path) -> None:
    url = f"/api/v1/hashprice?month={MONTH}"
    r1 = api.get(url)
    with Store.open(db_path) as s, s.transaction():
        s.con.execute(
            "UPDATE btc_prices_daily SET close_usd = close_usd * 2 "
            "WHERE date = DATE '2025-02-10' AND source_id = 'coinmetrics'"
        )
    r2 = api.get(url, headers={"If-None-Match": r1.headers["etag"]})
    assert r2.status_code == 200
    assert r2.headers["etag"] != r1.headers["etag"]
    # One day of 28 at twice the price: the month's mean rises by that day's hashprice / 28.
    assert r2.json()["usd_per_ehs_day"] > r1.json()["usd_per_ehs_day"]


# -- another process holding the store -----------------------------------------------------------------

HOLDER = (
    "import duckdb, sys, time\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('locked', flush=True)\n"
    "hold = float(sys.argv[2])\n"
    "sys.stdin.readline() if hold < 0 else time.sleep(hold)\n"
    "con.close()\n"
)


def _hold_lock(db_path: Path, seconds: float = -1) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), str(seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_store_locked_by_another_process_gives_503_then_recovers(api, db_path: Path) -> None:
    url = f"/api/v1/btc?month={MONTH}"
    proc = _hold_lock(db_path)
    try:
        t0 = time.monotonic()
        r = api.get(url)
        waited = time.monotonic() - t0
        assert r.status_code == 503
        assert r.headers["retry-after"] == "2"
        assert r.json() == {
            "error": "store_locked",
            "detail": "the store is locked by another minerwatch process (a sync?) and stayed locked for 0.3 s; "
            "retry in a few seconds",
        }
        assert waited >= 0.3  # it retried before giving up
        assert api.get("/api/v1/health").status_code == 503
        # A malformed month is the caller's mistake whatever the store's state: 422, not 503.
        assert api.get("/api/v1/btc?month=2025-13").status_code == 422
    finally:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=20)
    assert api.get(url).status_code == 200


def test_a_short_lock_is_waited_out(db_path: Path, client_for) -> None:
    client = client_for(lock_wait_s=10)
    proc = _hold_lock(db_path, seconds=0.5)
    try:
        r = client.get(f"/api/v1/btc?month={MONTH}")
        assert r.status_code == 200
    finally:
        proc.wait(timeout=20)


def test_server_does_not_keep_the_store_open_between_requests(api, db_path: Path) -> None:
    assert api.get(f"/api/v1/btc?month={MONTH}").status_code == 200
    # A sync in another process can take the write lock right after a request.
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    assert subprocess.run([sys.executable, "-c", code, str(db_path)], timeout=30).returncode == 0


def test_app_starts_while_a_sync_holds_the_lock(db_path: Path, client_for) -> None:
    proc = _hold_lock(db_path)
    try:
        client = client_for(lock_wait_s=0.2)  # preparing the store is skipped, not fatal
        assert client.get(f"/api/v1/btc?month={MONTH}").status_code == 503
    finally:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=20)
    assert client.get(f"/api/v1/btc?month={MONTH}").status_code == 200


def test_concurrent_cold_requests_each_open_the_store_read_only(app) -> None:
    import asyncio

    import httpx

    months = [f"2024-{m:02d}" for m in range(1, 13)]

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await asyncio.gather(*(client.get(f"/api/v1/hashprice?month={m}") for m in months))

    answers = asyncio.run(go())
    assert [r.status_code for r in answers] == [200] * 12
    assert [r.json()["month"] for r in answers] == months
    # Each answer is, byte for byte, what the service computes for that month on its own.
    from minerwatch.output import to_json
    from minerwatch.service import hashprice_month

    with Store.open(app.state.gate.path, read_only=True) as s:
        assert answers[4].text == to_json(hashprice_month(s, "2024-05"))


def test_health_without_sync_runs_falls_back_to_payload_fetch_times(db_path: Path, client_for) -> None:
    with Store.open(db_path) as s, s.transaction():
        s.con.execute("DROP TABLE sync_runs")
    client = client_for(prepare=False)  # preparing would not re-create it (migration 003 is recorded as applied)
    cm = {x["source_id"]: x for x in client.json("/api/v1/health")["sources"]}["coinmetrics"]
    assert cm["last_sync_basis"] == "payloads.fetched_at"
    assert cm["last_sync_at"] == cm["last_fetched_at"] is not None
