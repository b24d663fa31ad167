"""scripts/build_hashrate.py on small self-made CSVs (never ../shared): what it keeps and what it refuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_hashrate.py"
HEADER = "ticker,month,metric,hashrate_ehs,btc_produced,source_url,quote\n"


def _build_module():  # -> module
    spec = importlib.util.spec_from_file_location("build_hashrate", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _csv(tmp_path: Path, body: str) -> Path:
    (tmp_path / "miners_reported_hashrate.csv").write_text(HEADER + body)
    return tmp_path


def test_build_keeps_each_row_sorted_with_blank_metric_for_btc_only(tmp_path: Path) -> None:
    build = _build_module().build
    frame = build(_csv(tmp_path, "RIOT,2025-02,average_operating,29.4,470,u1,q1\nMARA,2025-02,,,706,u2,q2\n"))
    assert frame.select("ticker", "month", "metric", "hashrate_ehs", "btc_produced").rows() == [
        ("MARA", "2025-02", "", None, 706.0),
        ("RIOT", "2025-02", "average_operating", 29.4, 470.0),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("riot,2025-02,operating,29.4,,u,q\n", "line 2: ticker 'riot'"),
        ("RIOT,2025-13,operating,29.4,,u,q\n", "line 2: month '2025-13'"),
        ("RIOT,2025-02,installed,29.4,,u,q\n", "line 2: metric 'installed'"),
        ("RIOT,2025-02,operating,,470,u,q\n", "a blank metric must go with a blank hashrate"),
        ("RIOT,2025-02,operating,2900,,u,q\n", "hashrate 2900.0 EH/s out of range"),
        ("RIOT,2025-02,operating,29.4,,u,q\nRIOT,2025-02,operating,30.0,,u,q\n", "duplicate (ticker, month, metric)"),
    ],
)
def test_build_refuses_odd_rows(tmp_path: Path, body: str, message: str) -> None:
    build = _build_module().build
    with pytest.raises(SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(_csv(tmp_path, body))
