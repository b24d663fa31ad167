"""basket and equity commands: exact outputs on the synthetic basket, JSON contract, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from minerwatch.cli import app

runner = CliRunner()

BASKET_TABLE = """\
Miner basket 2025-02  (synthetic)
---------------------------------
Aggregate market cap  $3,800 -> $4,450 (+17.11%, +$650)
Window                close 2025-01-31 -> close 2025-02-28 (last trading day of each month)
Coverage              aggregate covers 4 of 6 members
BTC, same window      -17.62% (basket +34.73 pts vs BTC)
Best (share price)    CCC +25.00%
Worst (share price)   BBB -20.00%
Beat BTC              3 of 4
Missing               FFF: joined the basket on 2025-02-10, after the period start 2025-01-31; counted from the \
first full period; GGG: no shares fact dated on or before 2025-01-31 (any source)
Stale share counts    none

ticker  cohort          cap start  cap end  cap chg  contribution  price chg  beat BTC
------  --------------  ---------  -------  -------  ------------  ---------  --------
CCC     AI/HPC-exposed     $1,000   $1,250  +25.00%         +$250    +25.00%       yes
AAA     pure-play          $1,000   $1,200  +20.00%         +$200    +20.00%       yes
BBB     pure-play          $1,000   $1,000   +0.00%           +$0    -20.00%        no
DDD     AI/HPC-exposed       $800   $1,000  +25.00%         +$200    +25.00%       yes
"""

COHORT_TAIL = """\
cohort          members  cap start  cap end  cap chg
--------------  -------  ---------  -------  -------
AI/HPC-exposed  2           $1,800   $2,250  +25.00%
pure-play       2           $2,000   $2,200  +10.00%
"""

MEMBERS_CSV = """\
ticker,cohort,market_cap_start_usd,market_cap_end_usd,change_pct,contribution_usd,beat_btc,price_change_pct,\
contribution_pct_points
CCC,AI/HPC-exposed,1000.0,1250.0,25.0,250.0,True,25.0,6.58
AAA,pure-play,1000.0,1200.0,20.0,200.0,True,20.0,5.26
BBB,pure-play,1000.0,1000.0,0.0,0.0,False,-20.0,0.0
DDD,AI/HPC-exposed,800.0,1000.0,25.0,200.0,True,25.0,5.26
"""

EQUITY_CSV = """\
date,ticker,close_usd,price_source,shares_outstanding,shares_as_of,shares_source,market_cap_usd,raw_close_usd,\
price_basis
2025-01-30,CCC,2.0,test,500.0,2025-01-01,test,1000.0,2.0,nominal
2025-01-31,CCC,2.0,test,500.0,2025-01-01,test,1000.0,2.0,nominal
2025-02-27,CCC,25.0,test,50.0,2025-01-01,test,1250.0,25.0,nominal
2025-02-28,CCC,25.0,test,50.0,2025-01-01,test,1250.0,25.0,nominal
"""


def run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_basket_table_exact(synth_db: Path, basket_path: Path) -> None:
    code, out, err = run("basket", "--month", "2025-02", "--basket", str(basket_path), "--db", str(synth_db))
    assert (code, err) == (0, "")
    assert out == BASKET_TABLE


def test_basket_by_cohort_table_and_csv(synth_db: Path, basket_path: Path) -> None:
    args = ["basket", "--month", "2025-02", "--by", "cohort", "--basket", str(basket_path), "--db", str(synth_db)]
    code, out, _ = run(*args)
    assert code == 0 and out.endswith("\n\n" + COHORT_TAIL)
    code, out, _ = run(*args, "--format", "csv")
    assert out == (
        "cohort,market_cap_start_usd,market_cap_end_usd,change_pct,members\n"
        "AI/HPC-exposed,1800.0,2250.0,25.0,2\npure-play,2000.0,2200.0,10.0,2\n"
    )


def test_basket_members_csv_exact(synth_db: Path, basket_path: Path) -> None:
    code, out, _ = run("basket", "-m", "2025-02", "--basket", str(basket_path), "--db", str(synth_db), "-f", "csv")
    assert code == 0 and out == MEMBERS_CSV


def test_basket_json_contract(synth_db: Path, basket_path: Path) -> None:
    code, out, _ = run("basket", "-m", "2025-02", "--basket", str(basket_path), "--db", str(synth_db), "-f", "json")
    d = json.loads(out)
    assert code == 0
    assert list(d)[:14] == [
        "month",
        "members_total",
        "members_priced",
        "market_cap_start_usd",
        "market_cap_end_usd",
        "change_usd",
        "change_pct",
        "best",
        "worst",
        "beat_btc_count",
        "btc_change_pct",
        "cohorts",
        "members",
        "missing",
    ]
    assert d["start_date"] == "2025-01-31" and d["end_date"] == "2025-02-28"
    assert d["missing"][1] == {"ticker": "GGG", "reason": "no shares fact dated on or before 2025-01-31 (any source)"}
    assert set(d["cohorts"]["pure-play"]) >= {"market_cap_start_usd", "market_cap_end_usd", "change_pct"}


def test_basket_explain_shows_sources(synth_db: Path, basket_path: Path) -> None:
    code, out, _ = run("basket", "-m", "2025-02", "--explain", "--basket", str(basket_path), "--db", str(synth_db))
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[0]
        == "Basket inputs 2025-02: close 2025-01-31 -> close 2025-02-28  (basket file: " + str(basket_path) + ")"
    )
    assert "DDD     start      8      test_adj     100  2025-01-01  test dei:EntityCommonStockSharesOutstanding" in out
    assert "  GGG: no shares fact dated on or before 2025-01-31 (any source)" in lines


def test_equity_csv_exact_through_a_split(synth_db: Path) -> None:
    code, out, _ = run(
        "equity", "CCC", "--from", "2025-01-01", "--to", "2025-03-31", "-f", "csv", "--db", str(synth_db)
    )
    assert code == 0 and out == EQUITY_CSV


def test_errors_are_one_line_and_non_zero(synth_db: Path, basket_path: Path, tmp_path: Path) -> None:
    db = ["--db", str(synth_db)]
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[member]]\nticker = "AAA"\nfrom = 2024-01-01\ncohorts = [\n')
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(basket_path.read_text().replace('ticker = "GGG"', 'ticker = "NOPE"'))
    cases = [
        (
            ("basket", "-m", "2025-02", "--basket", str(empty)),
            f"error: basket file {empty} is empty; add [[member]] tables (see package:minerwatch/data/basket.toml)",
        ),
        (("basket", "-m", "2025-02", "--basket", str(bad)), f"error: basket file {bad} is not valid TOML ("),
        (
            ("basket", "-m", "2025-02", "--basket", str(unknown)),
            f"error: basket file {unknown} line 48 (member NOPE): "
            "unknown ticker 'NOPE' (the store has no prices for it); use one of ",
        ),
        (
            ("basket", "-m", "2025-02", "--basket", str(tmp_path / "missing.toml")),
            f"error: basket file {tmp_path / 'missing.toml'} does not exist; check the path given to --basket",
        ),
        (("basket", "-m", "2025-2"), "error: month must be YYYY-MM (e.g. 2025-02), got '2025-2'"),
        (("basket", "-m", "2025-02", "--by", "ticker"), "error: --by must be 'cohort', got 'ticker'"),
        (("equity", "NOPE", "--from", "2025-01-01", "--to", "2025-01-31"), "error: unknown ticker 'NOPE'; the store "),
        (
            ("equity", "MARA", "--from", "2025-01-xx", "--to", "2025-01-31"),
            "error: --from must be an ISO date YYYY-MM-DD, got '2025-01-xx'",
        ),
    ]
    for args, start in cases:
        code, out, err = run(*args, *db)
        assert code == 2, (args, code, err)
        assert out == ""
        assert err.startswith(start), (args, err)
        assert err.count("\n") == 1 and "Traceback" not in err
    code, _, err = run("basket", "-m", "2019-02", *db)
    assert code == 3 and err.startswith("error: no equity close in 2019-02 for the basket; equity prices cover ")


def test_help_has_examples() -> None:
    for cmd in ("basket", "equity"):
        code, out, _ = run(cmd, "--help")
        assert code == 0 and "Example: minerwatch " + cmd in out


def test_month_defaults_to_latest_complete(synth_db: Path, basket_path: Path) -> None:
    # The synthetic tickers' last close is Friday 2025-02-28, the last weekday of February.
    code, out, _ = run("basket", "--basket", str(basket_path), "--db", str(synth_db))
    assert code == 0 and out == BASKET_TABLE


def test_unverified_closes_line(synth_db: Path, basket_path: Path, monkeypatch) -> None:
    from minerwatch import service_basket

    monkeypatch.setattr(service_basket, "UNVERIFIED_PRICE_SOURCES", ("test_adj",))
    code, out, _ = run("basket", "--month", "2025-02", "--basket", str(basket_path), "--db", str(synth_db))
    assert code == 0
    line = (
        "Unverified closes     1 members' closes on 2025-01-31, 2025-02-28 come from screener snapshots whose "
        "trading date could not be verified"
    )
    assert out.splitlines()[11] == line and BASKET_TABLE.count("Unverified") == 0
