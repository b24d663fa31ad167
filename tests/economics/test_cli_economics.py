"""CLI contract of the economics commands: exact outputs on the snapshot, JSON keys, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minerwatch.cli import app

runner = CliRunner()

ECONOMICS_2025_02 = """\
Mining economics 2025-02  (fleet 26.0 J/TH; monthly mean; revenue = hashprice, blockcount/realized)
---------------------------------------------------------------------------------------------------
Revenue per EH/s per day       $54,372.05  (hashprice $54,372.05, pool fee 0.00%; -6.4% vs 2025-01)
Cost per EH/s per day          $24,960.00  (624,000 kWh x $0.0400 power + $0.0000 opex)
Gross profit per EH/s per day  $29,412.05  (-11.2% vs 2025-01)
Gross margin                   54.09%  (-2.9 pp vs 2025-01)
Breakeven power price          $0.0871/kWh  (-6.4% vs 2025-01)
Cost to mine 1 BTC             $43,717.19  (power + opex, after pool fee; +1.7% vs 2025-01)
Payback                        n/a (give --machine-usd-per-th)
Days                           28 of 28 (28 profitable)
"""

SCENARIO_HALVING_DAY = """\
Scenario 2028-04-14  (BTC $70,000, 900.0 EH/s, fees 2.00% of reward)
--------------------------------------------------------------------
Hashprice per EH/s per day     $17,857.14
Hashprice per PH/s per day     $17.86
BTC per EH/s per day           0.25510204
Estimated height (end of day)  1,050,142
Subsidy per block              1.56250000 BTC (halving that day)
Next halving                   height 1,050,000, estimated 2028-04-14 (on this day)
Block rate                     143.43/day (mean blocks per day 2025-12-02 to 2025-12-29)
"""

GRID_CSV = """\
price_usd,power_usd_kwh,gross_margin_pct,gross_profit_usd_per_ehs_day
35000.0,0.04,-9.71,-1700.0
35000.0,0.05,-37.14,-6500.0
70000.0,0.04,45.14,15800.0
70000.0,0.05,31.43,11000.0
"""


def run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_economics_table_exact(db_path: Path) -> None:
    code, out, _ = run(
        "economics", "--month", "2025-02", "--efficiency-jth", "26", "--power-usd-kwh", "0.04", "--db", str(db_path)
    )
    assert code == 0
    assert out == ECONOMICS_2025_02


def test_economics_json_contract(db_path: Path) -> None:
    code, out, _ = run(
        "economics",
        "--month",
        "2025-02",
        "--efficiency-jth",
        "26",
        "--power-usd-kwh",
        "0.04",
        "-f",
        "json",
        "--db",
        str(db_path),
    )
    assert code == 0
    data = json.loads(out)
    assert list(data)[:10] == [
        "month",
        "efficiency_jth",
        "power_usd_kwh",
        "revenue_usd_per_ehs_day",
        "cost_usd_per_ehs_day",
        "gross_profit_usd_per_ehs_day",
        "gross_margin_pct",
        "breakeven_power_usd_kwh",
        "cost_per_btc_usd",
        "mom_change_pct",
    ]
    assert data["month"] == "2025-02" and data["cost_usd_per_ehs_day"] == 24960.0


def test_scenario_on_the_halving_day_exact(db_path: Path) -> None:
    code, out, _ = run(
        "scenario",
        "--price",
        "70000",
        "--hashrate-ehs",
        "900",
        "--fee-share-pct",
        "2",
        "--date",
        "2028-04-14",
        "--db",
        str(db_path),
    )
    assert code == 0
    assert out == SCENARIO_HALVING_DAY


def test_scenario_grid_csv_exact(db_path: Path) -> None:
    code, out, _ = run(
        "scenario", "--price", "70000", "--hashrate-ehs", "900", "--date", "2026-06-01", "--efficiency-jth", "20",
        "--grid", "--prices", "35000,70000", "--power-prices", "0.04,0.05", "-f", "csv", "--db", str(db_path),
    )  # fmt: skip
    assert code == 0
    assert out == GRID_CSV


def test_grid_table_has_a_row_per_price(db_path: Path) -> None:
    code, out, _ = run(
        "scenario", "--price", "70000", "--hashrate-ehs", "900", "--date", "2026-06-01", "--efficiency-jth", "20",
        "--grid", "--db", str(db_path),
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["BTC", "price", "\\", "$/kWh", "0.030", "0.040", "0.050", "0.060", "0.070", "0.080"]
    assert [line.split()[0] for line in lines[3:]] == ["$35,000", "$52,500", "$70,000", "$87,500", "$105,000"]


def test_breakeven_and_difficulty_commands_run(db_path: Path) -> None:
    code, out, _ = run(
        "breakeven", "--efficiency-jth", "17.5", "--date", "2025-02-28", "-f", "json", "--db", str(db_path)
    )
    assert code == 0 and json.loads(out)["kwh_per_ehs_day"] == 420000.0
    code, out, _ = run("difficulty", "forecast", "--as-of", "2025-02-20", "-f", "json", "--db", str(db_path))
    assert code == 0 and json.loads(out)["next_retarget_height"] == 885024
    code, out, _ = run("difficulty", "backtest", "--since", "2016-01-01", "--db", str(db_path))
    assert code == 0
    print("\n" + out)  # the backtest figure, printed for the record (-s)
    assert out == BACKTEST_SINCE_2016


BACKTEST_SINCE_2016 = """\
Difficulty forecast backtest: epochs 194-460 (267 epochs ending since 2016-01-01)
Mid-epoch median absolute error: 1.99 pp (block-time proxy floor at full epoch: 0.25 pp)
  at  epochs  median |err| pp  mean |err| pp  p90 |err| pp  rmse pp  bias pp  stated sd pp  in 1 sd  in 95%  sign right
----  ------  ---------------  -------------  ------------  -------  -------  ------------  -------  ------  ----------
 25%     267             2.99           3.78          7.96     5.06    -1.27          3.91    61.4%   88.8%       76.0%
 50%     267             1.99           2.34          4.51     3.00    -0.69          2.27    55.1%   89.9%       83.9%
 75%     267             1.10           1.31          2.70     1.64    -0.41          1.32    58.4%   86.5%       90.3%
 90%     267             0.54           0.65          1.39     0.81    -0.08          0.76    65.9%   92.1%       93.6%
100%     267             0.25           0.31          0.68     0.41    -0.01          0.00     0.0%    0.0%       97.8%
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["economics", "--month", "2025-02", "--efficiency-jth", "0", "--power-usd-kwh", "0.04"],
            "error: --efficiency-jth must be a positive number (the fleet's joules per terahash, e.g. 26), got 0.0\n",
        ),
        (
            ["economics", "--month", "2025-02", "--efficiency-jth", "26", "--power-usd-kwh", "-0.04"],
            "error: --power-usd-kwh must be a positive number (USD per kWh, e.g. 0.04), got -0.04\n",
        ),
        (
            ["scenario", "--price", "70000", "--hashrate-ehs", "0", "--date", "2028-05-01"],
            "error: --hashrate-ehs must be a positive number (network hashrate in EH/s, e.g. 900), got 0.0\n",
        ),
        (
            ["scenario", "--price", "70000", "--hashrate-ehs", "900", "--date", "2019-05-01"],
            "error: scenario date 2019-05-01 is not after the last day of data (2025-12-29); scenarios project "
            "forward: give a later --date, or use `minerwatch breakeven --date` / `minerwatch economics` "
            "for past days\n",
        ),
        (
            ["scenario", "--price", "70000", "--hashrate-ehs", "900", "--date", "2028-05-01", "--grid"],
            "error: --grid needs --efficiency-jth (the fleet's J/TH, e.g. 26)\n",
        ),
        (
            [
                "scenario",
                "--price",
                "70000",
                "--hashrate-ehs",
                "900",
                "--date",
                "2028-05-01",
                "--grid",
                "--efficiency-jth",
                "20",
                "--prices",
                ",",
            ],
            "error: --prices is empty; give at least one number (e.g. 50000,70000 or 0.03,0.05)\n",
        ),
        (
            ["breakeven", "--efficiency-jth", "26", "--date", "2010-01-01"],
            "error: no hashprice on 2010-01-01 (needs network facts and a BTC close); days with both cover "
            "2010-07-18 to 2025-12-29\n",
        ),
        (
            ["economics", "--month", "2009-05", "--efficiency-jth", "26", "--power-usd-kwh", "0.04"],
            "error: no day in 2009-05 has both network facts and a BTC price; days with both cover "
            "2010-07-18 to 2025-12-29\n",
        ),
        (
            ["breakeven", "--efficiency-jth", "-17.5"],
            "error: --efficiency-jth must be a positive number (the fleet's joules per terahash, e.g. 26), got -17.5\n",
        ),
    ],
)
def test_bad_input_is_one_line_and_exits_2_or_3(db_path: Path, args: list[str], message: str) -> None:
    code, out, err = run(*args, "--db", str(db_path))
    assert code == (3 if "no day" in message or "no hashprice" in message else 2)  # DataGap exits 3
    assert out == ""
    assert err == message


def test_forecast_without_the_epoch_start_is_a_data_gap_exit_3(db_path: Path) -> None:
    # Coin Metrics' days start at block 1 (2009-01-09): the genesis block opening epoch 0 is not held.
    code, out, err = run("difficulty", "forecast", "--as-of", "2009-01-09", "--db", str(db_path))
    assert (code, out) == (3, "")
    assert err == (
        "error: the store does not hold block 0 (the first block of epoch 0) on any day (days with blocks cover "
        "heights 1 to 19); fill the gap with `minerwatch sync` or give --as-of a day whose epoch is covered\n"
    )


def test_every_economics_command_has_an_example() -> None:
    import typer.main

    group = typer.main.get_command(app)
    cmds = {name: group.commands[name] for name in ("economics", "breakeven", "scenario", "hashrate-share")}
    cmds.update({f"difficulty {n}": c for n, c in group.commands["difficulty"].commands.items()})
    assert sorted(cmds) == [
        "breakeven",
        "difficulty backtest",
        "difficulty forecast",
        "economics",
        "hashrate-share",
        "scenario",
    ]
    assert [n for n, c in cmds.items() if "Example: minerwatch " not in (c.help or "")] == []


def test_hashrate_share_table_lines(db_path: Path) -> None:
    pytest.importorskip("minerwatch.service_basket", reason="the basket module (issue of another helper) is absent")
    code, out, _ = run("hashrate-share", "--month", "2025-02", "--db", str(db_path))
    assert code == 0
    lines = out.splitlines()
    # Lines that do not depend on the basket's market caps (those belong to the basket's own data).
    assert lines[2] == "Basket's reported hashrate  111.8 EH/s = 13.80% of 810.2 EH/s (3 of 14 members report)"
    assert lines[3] == "Next 4 years of rewards     592,661 BTC at $84,243.78"
    assert lines[5].startswith(
        "Check: BTC produced         1,635 BTC = 12.62% of the 12,958 BTC mined (3 members; their reported "
        "hashrate: 13.80%) -> "
    )
    assert lines[7].startswith("  MARA                      53.70 EH/s (energized) = 6.63% -> ")
    assert "; produced 706 BTC = 5.45% -> " in lines[7]
    assert lines[-1] == "Not reporting               ARBK, BITF, BTBT, BTDR, CIFR, CLSK, CORZ, GREE, HUT, SDIG, WULF"


def test_user_hashrate_csv_through_import_wins_and_counts(db_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("minerwatch.service_basket", reason="the basket module (issue of another helper) is absent")
    csv = tmp_path / "hashrate.csv"
    csv.write_text("ticker,month,hashrate_ehs,btc_produced\nRIOT,2025-02,31.0,480\nCLSK,2025-02,38.0,\n")
    code, out, err = run("import", str(csv), "--kind", "hashrate", "--db", str(db_path))
    assert code == 0, err
    code, out, _ = run("hashrate-share", "--month", "2025-02", "-f", "json", "--db", str(db_path))
    assert code == 0
    d = json.loads(out)
    members = {m["ticker"]: m for m in d["members"]}
    # The user's rows win over the embedded reports (RIOT 29.4 average operating, 470 BTC) and add CLSK.
    assert (members["RIOT"]["hashrate_ehs"], members["RIOT"]["metric"], members["RIOT"]["source_id"]) == (
        31.0,
        "unspecified",
        "csv",
    )
    assert members["RIOT"]["btc_produced"] == 480.0
    assert (members["CLSK"]["hashrate_ehs"], members["CLSK"]["btc_produced"]) == (38.0, None)
    assert d["reported_hashrate_ehs"] == pytest.approx(28.7 + 53.7 + 31.0 + 38.0)
    assert d["reporting_members"] == 4 and "CLSK" not in d["not_reporting"]


BREAKEVEN_2025_02_28 = """\
Breakeven 2025-02-28  (fleet 17.5 J/TH)
---------------------------------------
Breakeven power price     $0.1156/kWh
Revenue per EH/s per day  $48,563.80 (pool fee 0.00%)
Energy per EH/s per day   420,000 kWh
Opex                      $0.0000/kWh
BTC close                 $84,243.78
Network hashrate (EH/s)   857.4
"""


def test_breakeven_table_exact(db_path: Path) -> None:
    # 48,563.80 / (17.5 J/TH x 1e6 TH/s x 24 h / 1000 = 420,000 kWh) = 0.11563 USD/kWh
    code, out, _ = run("breakeven", "--efficiency-jth", "17.5", "--date", "2025-02-28", "--db", str(db_path))
    assert code == 0
    assert out == BREAKEVEN_2025_02_28


SCENARIO_WITH_A_LOSS = """\
Scenario 2028-05-01  (BTC $70,000, 900.0 EH/s, fees 2.00% of reward)
--------------------------------------------------------------------
Hashprice per EH/s per day     $17,857.14
Hashprice per PH/s per day     $17.86
BTC per EH/s per day           0.25510204
Estimated height (end of day)  1,052,580
Subsidy per block              1.56250000 BTC
Next halving                   height 1,050,000, estimated 2028-04-14 (before this date)
Block rate                     143.43/day (mean blocks per day 2025-12-02 to 2025-12-29)
Breakeven power price          $0.0417/kWh at 17.5 J/TH
Gross profit per EH/s per day  -$3,500.00
Gross margin                   -20.00%
Cost to mine 1 BTC             $84,000.00
"""


def test_scenario_after_the_halving_with_a_fleet_exact(db_path: Path) -> None:
    # 144 x 1.5625 / 0.98 x 70,000 / 900 = 17,857.14; after a 2% pool fee 17,500 against 420,000 kWh x $0.05 =
    # 21,000: a loss of 3,500 (-20%); breakeven 17,500 / 420,000 = $0.04167; 21,000 / (0.2551 x 0.98) = $84,000/BTC.
    code, out, _ = run(
        "scenario", "--price", "70000", "--hashrate-ehs", "900", "--fee-share-pct", "2", "--date", "2028-05-01",
        "--efficiency-jth", "17.5", "--power-usd-kwh", "0.05", "--pool-fee-pct", "2", "--db", str(db_path),
    )  # fmt: skip
    assert code == 0
    assert out == SCENARIO_WITH_A_LOSS


def test_hashrate_share_defaults_to_the_latest_month_with_reports(db_path: Path) -> None:
    pytest.importorskip("minerwatch.service_basket", reason="the basket module (issue of another helper) is absent")
    # The latest complete month is 2025-11, but the embedded reports end in 2025-08 (IREN only).
    code, out, err = run("hashrate-share", "-f", "json", "--db", str(db_path))
    assert code == 0, err
    d = json.loads(out)
    assert (d["month"], [m["ticker"] for m in d["members"]]) == ("2025-08", ["IREN"])
