"""The fixture recorder works end to end (against a local server standing in for mempool.space)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "record_fixtures.py"


def load_recorder():
    spec = importlib.util.spec_from_file_location("record_fixtures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["record_fixtures"] = module
    spec.loader.exec_module(module)
    return module


def test_recorder_writes_payloads_verbatim_and_readme_lines(server, recorded, tmp_path, monkeypatch, capsys):
    fees = recorded.bytes("mempool/mempool__v1_mining_blocks_fees_3d__selfmade.json")
    server.routes["/api/v1/mining/blocks/fees/"] = [server.Reply(200, fees)]
    server.routes["/api/v1/mining/hashrate/"] = [
        server.Reply(200, recorded.bytes("mempool/mempool__v1_mining_hashrate_1m__selfmade.json"))
    ]
    server.routes["/api/v1/historical-price"] = [
        server.Reply(200, recorded.bytes("mempool/mempool__v1_historical-price_USD__selfmade.json"))
    ]
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", server.url + "/api")
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    rec = load_recorder()
    assert rec.main(["mempool", "--out", str(tmp_path)]) == 0
    files = sorted(p.name.split("__recorded-")[0] for p in (tmp_path / "mempool").iterdir())
    assert files == [
        "mempool__v1_historical-price_USD",
        "mempool__v1_mining_blocks_fees_1m",
        "mempool__v1_mining_blocks_fees_3d",
        "mempool__v1_mining_hashrate_3m",
    ]
    written = next((tmp_path / "mempool").glob("mempool__v1_mining_blocks_fees_3d__recorded-*.json"))
    assert written.read_bytes() == fees
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(line.startswith("| `mempool__") and "| RECORDING |" in line for line in out)
