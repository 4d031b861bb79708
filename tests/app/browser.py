"""Helpers to serve the dashboard with ``start.sh`` and drive it in Debian's headless Chromium (no playwright install).

Used by ``test_browser.py`` and ``take_screenshots.py``; the server process itself is ``tests/servers.py``'s.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from tests.servers import ROOT, free_port, serve  # noqa: F401 - re-exported for the browser test and screenshots

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
logger = logging.getLogger(__name__)


@contextlib.contextmanager
def chromium(*, width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium with a fresh user-data dir (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="lychee-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": width, "height": height},
                accept_downloads=True,
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                page.set_default_timeout(120_000)
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def wait_idle(page: Any, timeout: float = 180.0) -> None:
    """Wait until Streamlit finished the current run (the 'Running...' status widget is gone)."""
    page.wait_for_timeout(300)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            page.wait_for_timeout(300)
            if page.locator('[data-testid="stStatusWidget"]').count() == 0:
                return
        page.wait_for_timeout(250)
    raise TimeoutError(f"Streamlit still running after {timeout:.0f} s")
