"""End to end in a real headless Chromium: ./start.sh serves the app, the batch page reranks, the CSV download is read,
and the rerank API on the same port gives the same ranking.

Uses Debian's /usr/bin/chromium through the playwright package (never ``playwright install``). Skips when Chromium or
playwright is missing, unless LYCHEE_REQUIRE_BROWSER=1 (set by ``./start.sh test``), then it fails.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from pathlib import Path

import browser
import pytest

pytestmark = pytest.mark.browser

QUERY = "easy chocolate cake recipe"
TITLES = [
    "How to change a flat car tyre",
    "Stock market news: shares fall on rate fears",
    "Easy chocolate cake recipe with cocoa powder",
    "Gardening tips for growing tomatoes",
    "Chocolate chip cookies, a quick recipe",
]
TOP = "Easy chocolate cake recipe with cocoa powder"


def test_batch_rerank_end_to_end_in_chromium():
    browser.require_browser()
    artifacts = browser.ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with browser.serve(log_path=artifacts / "browser_test_server.log") as url, browser.chromium() as page:
        page.goto(f"{url}/Batch_rerank")
        submit = page.get_by_role("button", name="Rerank")
        submit.wait_for()
        browser.wait_idle(page)
        assert page.locator('[role="dialog"]').count() == 0, page.locator('[role="dialog"]').all_inner_texts()
        # A deep link on a fresh server still gets the entry script's navigation (see ui.sidebar), not the
        # auto-generated pages/ menu.
        nav = page.get_by_test_id("stSidebarNav").inner_text()
        assert "Home" in nav and "streamlit app" not in nav, nav

        page.get_by_role("textbox", name="Query", exact=True).fill(QUERY)
        page.get_by_role("textbox", name="Titles — one per line, at most 50").fill("\n".join(TITLES))
        submit.click()
        page.get_by_text("Top result").wait_for()
        browser.wait_idle(page)
        assert page.get_by_test_id("stException").count() == 0

        # The table is drawn on a canvas; read the same rows through the CSV download.
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert rows[0]["title"] == TOP
        assert sorted(r["title"] for r in rows) == sorted(TITLES)
        assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0]["original_rank"] == "3" and rows[0]["change"] == "↑ 2"
        scores = [float(r["score"]) for r in rows]
        assert scores == sorted(scores, reverse=True)

        # The top-result card shows the same title.
        assert (
            page.locator('[data-testid="stMarkdownContainer"]', has_text="Top result").first.inner_text().find(TOP) >= 0
        )
        browser.wait_idle(page)
        page.screenshot(path=str(artifacts / "browser_batch_rerank.png"))

        # The seed's integration on the same port, while the dashboard is open: the same ranking.
        request = urllib.request.Request(
            f"{url}/api/rerank",
            data=json.dumps({"query": QUERY, "documents": TITLES}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as resp:
            api = json.loads(resp.read())
        assert [r["document"] for r in api["results"]] == [r["title"] for r in rows]
        assert [r["score"] for r in api["results"]] == pytest.approx(scores, abs=1e-6)
