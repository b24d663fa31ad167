"""CSV import (all-or-nothing, bad line named) and the guard that no test reaches the internet."""

from __future__ import annotations

import socket
from datetime import date

import pytest
from typer.testing import CliRunner

from minerwatch.cli import app
from minerwatch.store import Store


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_import_prices(tmp_path, db_path):
    f = tmp_path / "closes.csv"
    f.write_text("date,close_usd,high_usd\n2026-01-01,93000.5,94000\n2026-01-02,94100,\n")
    res = run("import", str(f), "--kind", "prices", "--db", str(db_path))
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-5:] == ["Rows       2", "Inserted   2", "Updated    0", "Unchanged  0",
                                            "Conflicts  0"]
    with Store.open(db_path, read_only=True) as s:
        rows = s.query(
            "SELECT date, close_usd, high_usd, venue, quote_currency FROM btc_prices_daily "
            "WHERE source_id = 'csv' ORDER BY date"
        ).rows()
        assert rows == [
            (date(2026, 1, 1), 93000.5, 94000.0, "CSV import (closes.csv)", "USD"),
            (date(2026, 1, 2), 94100.0, None, "CSV import (closes.csv)", "USD"),
        ]
        assert s._scalar("SELECT count(*) FROM payloads WHERE source_id = 'csv' AND content IS NOT NULL") == 1
    again = run("import", str(f), "--kind", "prices", "--db", str(db_path), "--format", "json")
    assert '"unchanged": 2' in again.stdout  # idempotent


def test_bad_row_names_its_line_and_stores_nothing(tmp_path, db_path):
    f = tmp_path / "net.csv"
    f.write_text(
        "date,block_count,subsidy_btc,fees_btc\n"
        "2026-01-01,144,450,3.2\n"
        "2026-01-02,150,468.75,2.9\n"
        "2026-01-03,abc,450,3.0\n"
    )
    res = run("import", str(f), "--kind", "network", "--db", str(db_path))
    assert res.exit_code == 2
    assert res.stderr == (
        f"error: {f} line 4: column 'block_count' has 'abc' (invalid literal for int() with base 10: 'abc'); "
        "nothing was imported\n"
    )
    with Store.open(db_path, read_only=True) as s:
        assert s._scalar("SELECT count(*) FROM network_daily WHERE source_id = 'csv'") == 0
        assert s._scalar("SELECT count(*) FROM payloads WHERE source_id = 'csv'") == 0


def test_header_problems_and_duplicates(tmp_path, db_path):
    f = tmp_path / "s.csv"
    f.write_text("ticker,as_of,shares_outstanding\nMARA,2025-01-01,1000000\n")
    res = run("import", str(f), "--kind", "shares", "--db", str(db_path))
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {f} line 1: missing column(s) as_of_date; unknown column(s) as_of;")
    f.write_text(
        "ticker,as_of_date,shares_outstanding\nMARA,2025-01-01,1000000\nRIOT,2025-01-01,50000\nmara,2025-01-01,2000000\n"
    )
    res = run("import", str(f), "--kind", "shares", "--db", str(db_path))
    assert res.stderr == (
        f"error: {f} line 4: ticker=MARA, as_of_date=2025-01-01 already appears on line 2; nothing was imported\n"
    )


def test_import_hashrate_and_equity_prices(tmp_path, db_path):
    h = tmp_path / "h.csv"
    h.write_text('ticker,month,metric,hashrate_ehs,quote\nMARA,2026-01,energized,60.5,"said ""60.5 EH/s"""\n')
    assert run("import", str(h), "--kind", "hashrate", "--db", str(db_path)).exit_code == 0
    p = tmp_path / "p.csv"
    p.write_text("ticker,date,close_usd,price_basis\nMARA,2026-01-02,15.5,nominal\nMARA,2026-01-05,16,adjusted\n")
    res = run("import", str(p), "--kind", "prices", "--db", str(db_path))
    assert res.stderr == (
        f"error: {p} line 3: column 'price_basis' has 'adjusted' (must be 'nominal' or "
        "'split-adjusted as of YYYY-MM-DD'); nothing was imported\n"
    )
    with Store.open(db_path, read_only=True) as s:
        assert s.query(
            "SELECT ticker, month, metric, hashrate_ehs, quote FROM miner_hashrate_reported WHERE source_id = 'csv'"
        ).rows() == [("MARA", "2026-01", "energized", 60.5, 'said "60.5 EH/s"')]
        assert s._scalar("SELECT count(*) FROM equity_prices_daily WHERE source_id = 'csv'") == 0


def test_unknown_kind_and_missing_file(tmp_path, db_path):
    res = run("import", str(tmp_path / "nope.csv"), "--kind", "prices", "--db", str(db_path))
    assert res.exit_code == 2 and res.stderr.startswith(f"error: cannot read {tmp_path / 'nope.csv'}:")
    f = tmp_path / "x.csv"
    f.write_text("date,close_usd\n")
    res = run("import", str(f), "--kind", "candles", "--db", str(db_path))
    assert res.stderr == "error: --kind must be one of prices, network, shares, hashrate; got 'candles'\n"


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_the_suite_cannot_reach_the_internet():
    """pytest-socket is on: any non-loopback connection fails before leaving the machine."""
    from pytest_socket import SocketConnectBlockedError

    with pytest.raises(SocketConnectBlockedError, match="93.184.215.14"):
        socket.create_connection(("93.184.215.14", 80), timeout=1)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_the_sync_http_layer_is_blocked_too():
    from pytest_socket import SocketConnectBlockedError

    from minerwatch import http

    with http.client("mempool", "http://93.184.215.14/api", cache_dir=False) as c:
        with pytest.raises(SocketConnectBlockedError):
            c.get("v1/mining/blocks/fees/3d")
    assert c.stats.requests == 1


@pytest.mark.parametrize("value", ["1e30", "1", "0"])
def test_a_share_count_outside_the_edgar_bounds_is_refused(tmp_path, db_path, value):
    f = tmp_path / "shares.csv"
    f.write_text(f"ticker,as_of_date,shares_outstanding\nMARA,2026-01-05,380000000\nRIOT,2026-01-05,{value}\n")
    res = run("import", str(f), "--kind", "shares", "--db", str(db_path))
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {f} line 3: column 'shares_outstanding' has '{value}' (must be a")
    with Store.open(db_path, read_only=True) as s:
        assert s._scalar("SELECT count(*) FROM shares_facts WHERE source_id = 'csv'") == 0


def test_imported_closes_that_disagree_with_the_snapshot_are_recorded_as_conflicts(tmp_path, db_path):
    with Store.open(db_path, read_only=True) as s:
        cm = dict(s.query("SELECT date::VARCHAR, close_usd FROM btc_prices_daily WHERE source_id = 'coinmetrics' "
                          "AND date IN ('2025-12-01', '2025-12-02')").rows())
    f = tmp_path / "closes.csv"  # 10 % above Coin Metrics on 12-01, equal on 12-02
    f.write_text(f"date,close_usd\n2025-12-01,{cm['2025-12-01'] * 1.1}\n2025-12-02,{cm['2025-12-02']}\n")
    res = run("import", str(f), "--kind", "prices", "--db", str(db_path), "--format", "json")
    assert res.exit_code == 0, res.output
    assert '"conflicts": 1' in res.stdout
    out = run("sources", "--conflicts", "--db", str(db_path), "--format", "csv")
    [row] = [r for r in out.stdout.splitlines()[1:] if ",csv," in r]
    assert row.startswith("btc_prices_daily,2025-12-01,,close_usd,csv,") and ",coinmetrics," in row
