"""Optional PDF of the note: the self-contained report.html printed by a headless Chromium.

No Python dependency: it runs the system's Chromium (`chromium` on PATH, or $MINERWATCH_CHROMIUM)
with networking features off, in a throwaway profile. The page loads nothing (its CSP forbids it).
The PDF carries Chromium's creation date, so unlike the other files it is not byte-deterministic.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from minerwatch.errors import InputError, MinerwatchError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
)
TIMEOUT_S = 120


def find_chromium() -> str:
    """The Chromium executable: $MINERWATCH_CHROMIUM, else the first of BROWSERS on PATH."""
    env = os.environ.get("MINERWATCH_CHROMIUM")
    if env:
        found = shutil.which(env)
        if found is None:
            raise InputError(f"$MINERWATCH_CHROMIUM={env!r} is not an executable; point it at chromium or unset it")
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise InputError(
        "--pdf needs a Chromium browser (`chromium` on PATH or $MINERWATCH_CHROMIUM) and none was found; "
        "install chromium, or drop --pdf and print report.html from a browser"
    )


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Print `html` to `pdf` with headless Chromium; returns `pdf`."""
    exe = find_chromium()
    with tempfile.TemporaryDirectory(prefix="minerwatch-pdf-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise MinerwatchError(f"{exe} did not print {html} within {TIMEOUT_S} s; drop --pdf") from None
        except OSError as exc:
            raise MinerwatchError(f"cannot run {exe}: {exc.strerror}; drop --pdf") from None
    if proc.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise MinerwatchError(f"{exe} failed to print {html} to PDF (exit {proc.returncode}: {tail[0]}); drop --pdf")
    return pdf
