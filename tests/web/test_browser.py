"""A real server on a free loopback port, driven by Debian's headless Chromium through Playwright."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MONTH = "2025-02"


@pytest.fixture()
def server(db_path: Path) -> Iterator[str]:
    """`minerwatch serve`'s app under uvicorn in a thread; yields its base URL."""
    import uvicorn

    from minerwatch.api import create_app

    # Bind port 0 here and hand the bound socket to uvicorn: no window in which another process on
    # this machine could take a "free" port between choosing it and listening on it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(create_app(db_path), log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _api(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=30) as r:  # loopback only
        return json.loads(r.read())


def _shown_number(text: str) -> tuple[float, int, float]:
    scale = 1e9 if text.endswith(" bn") else 1e6 if text.endswith(" M") else 1.0
    core = text.removesuffix(" bn").removesuffix(" M")
    core = core.replace("$", "").replace(",", "").replace("%", "").replace("+", "")
    return float(core), (len(core.split(".")[1]) if "." in core else 0), scale


def test_pick_a_month_and_figures_match_the_api(server: str, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    console_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda req: requests.append(req.url))
            page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
            page.goto(server + "/")
            assert page.locator("#heading").get_attribute("data-month") == "2025-11"

            # Pick a month with the form, as a person would.
            page.select_option("#month", MONTH)
            page.click("#show")
            page.wait_for_url(f"**/?month={MONTH}*")
            assert page.locator("#heading").get_attribute("data-month") == MONTH

            eff = float(page.input_value("#efficiency_jth"))
            power = float(page.input_value("#power_usd_kwh"))
            answers = {
                "hashprice": _api(server, f"/api/v1/hashprice?month={MONTH}"),
                "btc": _api(server, f"/api/v1/btc?month={MONTH}"),
                "economics": _api(
                    server, f"/api/v1/economics?month={MONTH}&efficiency_jth={eff}&power_usd_kwh={power}"
                ),
            }
            figs = page.locator(".fig").evaluate_all(
                "els => els.map(e => [e.dataset.field, e.dataset.value, e.textContent])"
            )
            checked = 0
            for field, raw, text in figs:
                section, key = field.split(".")
                if section not in answers:
                    continue
                value = answers[section][key]
                if value is None:
                    assert text == "n/a", field
                    continue
                assert float(raw) == value, field
                shown, decimals, scale = _shown_number(text)
                assert abs(shown * scale - value) <= 0.5 * 10**-decimals * scale + 1e-9, (field, text, value)
                checked += 1
            assert checked >= 25
            assert page.locator('[data-field="hashprice.usd_per_ehs_day"]').text_content() == "54,372.05"
            assert page.locator('[data-field="btc.ath_close_usd"]').text_content() == "106,115.91"
            assert page.locator("#chart-hashprice polyline").count() >= 2
            assert page.locator("#chart-btc .hline").count() == 1

            # Change the fleet in the form: economics follows and still equals the API.
            page.fill("#efficiency_jth", "26")
            page.fill("#power_usd_kwh", "0.04")
            page.click("#show")
            page.wait_for_url("**efficiency_jth=26*")
            econ = _api(server, f"/api/v1/economics?month={MONTH}&efficiency_jth=26&power_usd_kwh=0.04")
            shown = page.locator('[data-field="economics.gross_profit_usd_per_ehs_day"]')
            assert float(shown.get_attribute("data-value") or "nan") == econ["gross_profit_usd_per_ehs_day"]

            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000

            # The note link opens the month's note.
            page.click("#note-link")
            page.wait_for_url(f"**/note/{MONTH}")
            assert "February 2025" in page.title() + (page.text_content("h1") or "")

            # With JavaScript off the figures are all there (they are server-rendered).
            ctx = browser.new_context(java_script_enabled=False)
            nojs = ctx.new_page()
            nojs.on("request", lambda req: requests.append(req.url))
            nojs.goto(f"{server}/?month={MONTH}")
            assert nojs.locator('[data-field="hashprice.usd_per_ehs_day"]').text_content() == "54,372.05"
            ctx.close()
        finally:
            browser.close()

    assert console_errors == []
    outside = [u for u in requests if urlparse(u).scheme != "data" and urlparse(u).hostname != "127.0.0.1"]
    assert outside == []
    assert any(u.endswith("/static/style.css") for u in requests)
