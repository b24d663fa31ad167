"""CLI contract: exact outputs on the embedded snapshot, JSON keys, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minerwatch.cli import app

runner = CliRunner()

HASHPRICE_2025_02 = """\
Hashprice 2025-02  (monthly mean; estimator: blockcount; basis: realized)
-------------------------------------------------------------------------
USD per EH/s per day     54,372.05  (-6.4% vs 2025-01)
USD per PH/s per day     54.37
BTC per EH/s per day     0.57094245
Network hashrate (EH/s)  810.2  (+3.8% vs 2025-01)
Fee share of reward      1.34%
Days                     28 of 28
Sources                  network: coinmetrics; price: coinmetrics
"""

NETWORK_CSV = """\
date,block_count,difficulty,hashrate_ehs,subsidy_btc,fees_btc,revenue_btc,close_usd,usd_per_ehs_day,btc_per_ehs_day,usd_per_phs_day,fee_share_pct,estimator,basis,network_source,price_source
2024-04-19,151,86388558925171.02,648.4541821198952,931.25,179.87658691,1111.12658691,63762.6310300994,109257.30227733588,1.7135005333415514,109.25730227733588,16.18866734259593,blockcount,realized,coinmetrics,coinmetrics
2024-04-20,130,86388558925171.02,558.2718124211018,406.25,1206.4665844,1612.7165844,64907.9928366452,187503.99747715698,2.8887659174587443,187.503997477157,74.80958502382225,blockcount,realized,coinmetrics,coinmetrics
"""


def run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_hashprice_table_exact(db_path: Path) -> None:
    code, out, _ = run("hashprice", "--month", "2025-02", "--db", str(db_path))
    assert code == 0
    assert out == HASHPRICE_2025_02


def test_hashprice_json_contract(db_path: Path) -> None:
    code, out, _ = run("hashprice", "--month", "2025-02", "--format", "json", "--db", str(db_path))
    data = json.loads(out)
    contract = [
        "month",
        "estimator",
        "basis",
        "usd_per_ehs_day",
        "btc_per_ehs_day",
        "usd_per_phs_day",
        "mom_change_pct",
        "hashrate_ehs",
        "hashrate_mom_change_pct",
        "fee_share_pct",
        "days",
    ]
    assert list(data)[: len(contract)] == contract
    assert data["usd_per_phs_day"] == pytest.approx(data["usd_per_ehs_day"] / 1000, abs=1e-4)
    assert (data["estimator"], data["basis"], data["days"]) == ("blockcount", "realized", 28)


def test_btc_json_contract(db_path: Path) -> None:
    code, out, _ = run("btc", "--month", "2025-02", "--format", "json", "--db", str(db_path))
    assert code == 0
    data = json.loads(out)
    assert {
        k: data[k]
        for k in [
            "open_usd",
            "close_usd",
            "change_pct",
            "low_usd",
            "low_date",
            "ath_close_date",
            "ath_intraday_usd",
            "ath_intraday_date",
            "drawdown_from_ath_pct",
        ]
    } == {
        "open_usd": 102263.04,
        "close_usd": 84243.78,
        "change_pct": -17.62,
        "low_usd": 78258.52,
        "low_date": "2025-02-28",
        "ath_close_date": "2024-12-17",
        "ath_intraday_usd": 109588.0,
        "ath_intraday_date": "2025-01-20",
        "drawdown_from_ath_pct": -20.61,
    }
    assert "Binance" in data["price_basis"] and "Coin Metrics" in data["price_basis"]


def test_btc_ath_never_uses_later_data(db_path: Path) -> None:
    # The March 2024 ATH (~$73k) must not appear in February 2024's figures.
    data = json.loads(run("btc", "--month", "2024-02", "--format", "json", "--db", str(db_path))[1])
    assert data["ath_close_date"] <= "2024-02-29" and data["ath_intraday_date"] <= "2024-02-29"
    assert data["ath_close_usd"] < 69_000


def test_network_csv_exact(db_path: Path) -> None:
    code, out, _ = run("network", "--from", "2024-04-19", "--to", "2024-04-20", "--format", "csv", "--db", str(db_path))
    assert code == 0
    assert out == NETWORK_CSV


def test_export_parquet(db_path: Path, tmp_path: Path) -> None:
    import polars as pl

    out = tmp_path / "prices.parquet"
    code, text, _ = run(
        "export",
        "--table",
        "prices",
        "--format",
        "parquet",
        "--out",
        str(out),
        "--from",
        "2025-02-01",
        "--to",
        "2025-02-28",
        "--db",
        str(db_path),
    )
    assert code == 0 and text == f"wrote 56 rows of prices to {out}\n"
    assert pl.read_parquet(out).height == 56


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["hashprice", "--month", "2031-01"],
            3,
            "error: no network data between 2031-01-01 and 2031-01-31; network facts cover 2009-01-09 to 2025-12-29\n",
        ),
        (
            ["btc", "--month", "2031-01"],
            3,
            "error: no BTC price in 2031-01; BTC prices cover 2010-07-18 to 2025-12-29\n",
        ),
        (["hashprice", "--month", "2025-2"], 2, "error: month must be YYYY-MM (e.g. 2025-02), got '2025-2'\n"),
        (
            ["hashprice", "--month", "2025-02", "--basis", "hope"],
            2,
            "error: basis must be one of realized, expected; got 'hope'\n",
        ),
        (
            ["network", "--from", "2024-13-01", "--to", "2024-12-31"],
            2,
            "error: --from must be an ISO date YYYY-MM-DD, got '2024-13-01'\n",
        ),
        (
            ["export", "--table", "blocks", "--out", "x.csv"],
            2,
            "error: --table must be one of network, prices; got 'blocks'\n",
        ),
    ],
)
def test_user_errors_are_one_line(db_path: Path, args: list[str], code: int, message: str) -> None:
    got_code, out, err = run(*args, "--db", str(db_path))
    assert (got_code, err, out) == (code, message, "")


def test_corrupt_store_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"garbage" * 1000)
    code, out, err = run("btc", "--month", "2025-02", "--db", str(bad))
    assert code == 4
    assert err.startswith(f"error: store {bad} cannot be opened") and err.count("\n") == 1
    assert "rebuilt from the embedded snapshot" in err


def test_every_command_has_an_example_in_its_help() -> None:
    import typer.main

    from minerwatch.cli import app as the_app

    group = typer.main.get_command(the_app)
    missing = [
        name
        for name, cmd in group.commands.items()
        if "Example" not in (cmd.help or "") and not getattr(cmd, "commands", None)
    ]
    assert missing == []


def test_python_dash_m_and_env_db(db_path: Path) -> None:
    env = {"MINERWATCH_DB": str(db_path), "PATH": "/usr/bin:/bin"}
    res = subprocess.run(
        [sys.executable, "-m", "minerwatch", "hashprice", "--month", "2025-02"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == HASHPRICE_2025_02


def test_public_python_api(db_path: Path) -> None:
    import minerwatch

    hp = minerwatch.hashprice(month="2025-02", db=db_path)
    assert hp["usd_per_ehs_day"] == 54372.05
    frame = minerwatch.network_daily("2024-04-01", "2024-05-31", db=db_path)
    assert frame.height == 61 and set(frame["estimator"].unique()) == {"blockcount"}


def test_month_with_network_but_no_price_names_the_overlap(db_path: Path) -> None:
    code, out, err = run("hashprice", "--month", "2009-03", "--db", str(db_path))
    assert (code, out) == (3, "")
    assert err == (
        "error: no day in 2009-03 has both network facts and a BTC price; "
        "days with both cover 2010-07-18 to 2025-12-29\n"
    )
