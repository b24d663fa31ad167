"""The HTML note renders in headless Chromium with no console errors and no network requests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def load_offline(html: Path, shot: Path) -> dict[str, Any]:
    """Open `html` in headless Chromium with every request but the page itself aborted; report what happened."""
    playwright = pytest.importorskip("playwright.sync_api")
    url = html.resolve().as_uri()
    seen: dict[str, Any] = {"url": url, "requests": [], "blocked": [], "console_errors": [], "page_errors": []}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})

            def route(r: Any) -> None:
                if r.request.url == url:
                    r.continue_()
                else:
                    seen["blocked"].append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("request", lambda req: seen["requests"].append(req.url))
            page.on("console", lambda m: seen["console_errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
            page.goto(url, wait_until="load")
            seen["headings"] = page.locator("h2").all_inner_texts()
            seen["images"] = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.src.slice(0, 25)])"
            )
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return seen


def test_html_renders_offline_without_errors(report_dir: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    seen = load_offline(report_dir / "report.html", shot)
    assert seen["headings"] == ["Summary", "Network", "BTC", "Miner equities", "Economics", "Method and sources"]
    images = seen["images"]
    assert len(images) == len(list(report_dir.glob("*.svg"))) >= 2
    assert all(ok and width > 0 and src == "data:image/svg+xml;base64" for ok, width, src in images)
    # data: URIs are not network requests; the only request is the page itself.
    assert [u for u in seen["requests"] if not u.startswith("data:")] == [seen["url"]]
    assert seen["blocked"] == []
    assert seen["console_errors"] == [] and seen["page_errors"] == []
    assert shot.stat().st_size > 50_000


def test_the_harness_sees_a_network_request_and_an_error(tmp_path: Path) -> None:
    """Control: a page that fetches an image and throws is caught, so the test above can fail."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><body><h2>x</h2><img src="https://example.invalid/a.png">'
        "<script>throw new Error('boom')</script></body></html>"
    )
    seen = load_offline(page, tmp_path / "bad.png")
    assert seen["blocked"] == ["https://example.invalid/a.png"]
    assert any("boom" in e for e in seen["page_errors"])


def test_pdf_is_printed_by_chromium(db_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from minerwatch.cli import app

    res = CliRunner().invoke(
        app, ["report", "-m", "2025-02", "-o", str(tmp_path), "--pdf", "--no-charts", "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[3] == f"wrote {tmp_path}/report.pdf"
    head = (tmp_path / "report.pdf").read_bytes()[:600]
    assert head.startswith(b"%PDF-") and b"Bitcoin mining in February 2025" in head
