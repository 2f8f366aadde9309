"""Real-browser tests: Debian's chromium driven by Playwright for Python against a live server.

* ``live_server``: the app (real migrations, fake speech/scoring plug-ins) served by werkzeug on a free
  loopback port in a background thread; tests create their data through the ``db`` fixture first.
* ``browser`` / ``page``: headless /usr/bin/chromium (Playwright cannot download its own browser here;
  scripts/test.sh installs the Debian package). Without chromium or playwright the tests are skipped
  locally and fail in CI (``CI`` set), so a missing browser never passes silently.
* helpers in tests/browser.py: ``login(page, username)`` through the real form, ``shot(page, name)``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from browser import CHROMIUM, CHROMIUM_ARGS


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        _unavailable(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    b = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable[..., object]]:
    """``page = new_page(locale="zh-CN")``: a fresh browser context (own cookies) per user."""
    contexts = []

    def _new(locale: str = "zh-CN"):
        ctx = browser.new_context(base_url=live_server, locale=locale, viewport={"width": 1400, "height": 900})
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield _new
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page):
    return new_page()
