"""Helpers for the real-browser tests (tests/e2e): chromium location and flags, login, screenshots.

``shot(page, name)`` saves a PNG under ``test-results/screenshots/``, or under ``QA_E2E_SCREENSHOT_DIR``
(``QA_E2E_SCREENSHOT_DIR=docs/screenshots`` refreshes the screenshots the docs show).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from factories import DEFAULT_PASSWORD

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("QA_E2E_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOT_DIR = Path(os.environ.get("QA_E2E_SCREENSHOT_DIR") or REPO / "test-results/screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def login(page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"login as {username} failed"


def shot(page, name: str, *, clip: dict | None = None, width: int | None = None) -> Path:
    """Screenshot of the viewport (or ``clip``: x, y, width, height); with ``width`` scaled down to it and
    reduced to 128 colours with Pillow, the size the docs' screenshots have (1100 px)."""
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, clip=clip)
    if width is not None:
        from PIL import Image

        with Image.open(path) as im:
            im = im.convert("RGB")
            if im.width > width:
                im = im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
            im.quantize(colors=128).save(path, optimize=True)
    return path
