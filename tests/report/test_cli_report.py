"""`minerwatch report`: exact output, default month and folder, overrides, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minerwatch.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_report_writes_the_note_exact_output(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "note"
    code, stdout, _ = run("report", "--month", "2025-02", "--out", str(out), "--no-charts", "--db", str(db_path))
    assert code == 0
    assert stdout == f"wrote {out}/report.md\nwrote {out}/report.html\nwrote {out}/facts.json\n"
    assert sorted(p.name for p in out.iterdir()) == ["facts.json", "report.html", "report.md"]
    assert "![" not in (out / "report.md").read_text()


def test_rerun_removes_its_own_stale_files_only(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, _ = run("report", "-m", "2025-02", "-o", str(out), "--db", str(db_path))
    assert code == 0 and (out / "members.svg").exists()
    (out / "notes.txt").write_text("mine")
    code, _, _ = run("report", "-m", "2020-08", "-o", str(out), "--no-charts", "--db", str(db_path))
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["facts.json", "notes.txt", "report.html", "report.md"]


def test_report_lists_charts_and_json_format(db_path: Path, tmp_path: Path) -> None:
    code, stdout, _ = run("report", "-m", "2025-02", "-o", str(tmp_path), "-f", "json", "--db", str(db_path))
    assert code == 0
    data = json.loads(stdout)
    assert data["markdown"] == f"{tmp_path}/report.md"
    assert {"hashprice", "btc"} <= set(data["charts"])
    for paths in data["charts"].values():
        assert Path(paths["svg"]).read_bytes().startswith(b"<?xml")
        assert Path(paths["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_defaults_to_latest_complete_month_and_reports_folder(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = run("report", "--no-charts", "--db", str(db_path))
    assert code == 0
    # The snapshot's network and price data end on 2025-12-29, so the latest complete month is November.
    assert stdout.splitlines()[0] == "wrote reports/2025-11/report.md"
    facts = json.loads((tmp_path / "reports/2025-11/facts.json").read_text())
    assert facts["month"] == "2025-11"


def test_fleet_flags_change_the_economics_and_the_wording(db_path: Path, tmp_path: Path) -> None:
    code, _, _ = run(
        "report",
        "-m",
        "2025-02",
        "-o",
        str(tmp_path),
        "--no-charts",
        "--efficiency-jth",
        "26",
        "--power-usd-kwh",
        "0.04",
        "--db",
        str(db_path),
    )
    assert code == 0
    facts = json.loads((tmp_path / "facts.json").read_text())
    assert facts["assumptions"]["efficiency_jth"]["value"] == 26.0
    assert facts["assumptions"]["default_fleet"] is False
    econ = facts["sections"]["economics"]
    assert econ["status"] == "ok"  # the economics service is in this tree: the section must be written
    # 26 J/TH x 24,000 kWh x $0.04 = $24,960 per EH/s per day.
    assert econ["figures"]["cost_usd_per_ehs_day"]["value"] == 24960.0
    md = (tmp_path / "report.md").read_text()
    assert "For a fleet at 26 J/TH paying $0.040 per kWh (the assumption chosen for this note)" in md


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--month", "2031-02"],
            3,
            "error: no network data between 2031-02-01 and 2031-02-28; network facts cover 2009-01-09 to 2025-12-29\n",
        ),
        (
            ["--month", "2010-05"],
            3,
            "error: no day in 2010-05 has both network facts and a BTC price; days with both cover 2010-07-18 to "
            "2025-12-29\n",
        ),
        (["--month", "2025-2"], 2, "error: month must be YYYY-MM (e.g. 2025-02), got '2025-2'\n"),
        (
            ["--month", "2025-02", "--efficiency-jth", "0"],
            2,
            "error: --efficiency-jth must be a positive number (J/TH, e.g. 20); got 0.0\n",
        ),
        (
            ["--month", "2025-02", "--efficiency-jth", "inf"],
            2,
            "error: --efficiency-jth must be a positive number (J/TH, e.g. 20); got inf\n",
        ),
        (
            ["--month", "2025-02", "--power-usd-kwh", "-1"],
            2,
            "error: --power-usd-kwh must be a positive number (USD per kWh, e.g. 0.05); got -1.0\n",
        ),
    ],
)
def test_user_errors_are_one_line(db_path: Path, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    got, stdout, stderr = run("report", *args, "--out", str(tmp_path / "x"), "--db", str(db_path))
    assert (got, stdout, stderr) == (code, "", message)
    assert not (tmp_path / "x").exists()


def test_unwritable_out_folder_is_an_input_error(db_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, stderr = run("report", "-m", "2025-02", "--out", str(blocker / "sub"), "--db", str(db_path))
    assert code == 2
    assert stderr.startswith(f"error: cannot create --out folder {blocker / 'sub'}: ")


def test_help_has_an_example() -> None:
    code, stdout, _ = run("report", "--help")
    assert code == 0
    assert "Example: minerwatch report --month 2025-02 --out reports/2025-02" in stdout


def test_pdf_without_a_browser_is_one_line(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINERWATCH_CHROMIUM", str(tmp_path / "no-such-browser"))
    code, stdout, stderr = run("report", "-m", "2025-02", "-o", str(tmp_path / "x"), "--pdf", "--db", str(db_path))
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"error: $MINERWATCH_CHROMIUM='{tmp_path / 'no-such-browser'}' is not an executable; point it at chromium "
        "or unset it\n"
    )
    assert not (tmp_path / "x").exists()
