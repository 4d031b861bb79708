"""Helpers to serve the dashboard with ``start.sh`` and drive it in Debian's headless Chromium (no playwright install).

Used by ``test_browser.py`` and ``take_screenshots.py``; the server process itself is ``tests/servers.py``'s.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


def require_browser() -> None:
    """Skip the calling test when Chromium or playwright is missing, or fail it with LYCHEE_REQUIRE_BROWSER=1 (set by
    ``./start.sh test``)."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (install Debian's chromium: apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright Python package (pip install -r requirements-test.txt)")
    if missing:
        msg = "browser test needs " + " and ".join(missing)
        if os.environ.get("LYCHEE_REQUIRE_BROWSER") == "1":
            pytest.fail(msg + "; LYCHEE_REQUIRE_BROWSER=1 makes this a failure.")
        pytest.skip(msg)


def require_cjk_font() -> None:
    """Skip (or, with LYCHEE_REQUIRE_BROWSER=1, fail) the calling test when no font covers Chinese: the browser
    would draw boxes (``./start.sh test`` installs Debian's fonts-noto-cjk)."""
    fc_list = shutil.which("fc-list")
    fonts = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout if fc_list else ""
    if not fonts.strip():
        msg = "no font covers Chinese (fc-list :lang=zh is empty); install Debian's fonts-noto-cjk"
        if os.environ.get("LYCHEE_REQUIRE_BROWSER") == "1":
            pytest.fail(msg + "; LYCHEE_REQUIRE_BROWSER=1 makes this a failure.")
        pytest.skip(msg)


def drawn_fonts(page: Any, selector: str) -> dict[str, int]:
    """The fonts Chromium drew the first element matching ``selector`` with: family -> number of glyphs (the DevTools
    protocol's ``CSS.getPlatformFontsForNode``; a character no font covers would be drawn as a box by a fallback)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


@contextlib.contextmanager
def chromium(*, width: int = 1400, height: int = 1000, locale: str = "en-US") -> Iterator[Any]:
    """A Playwright page in Debian's Chromium with a fresh user-data dir (never ``playwright install``), in the
    browser ``locale`` (what ``navigator.language`` and the dashboard's ``st.context.locale`` report)."""
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
                locale=locale,
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
