"""The explanations in a real headless Chromium at 1280 x 800: Single pair's deletion curve, numbers, sentence and
modality-shares bar; Batch rerank's "Why A above B" side by side. Skips like ``test_browser.py`` without Chromium."""

from __future__ import annotations

import browser
import pytest

pytestmark = pytest.mark.browser


def _text(page) -> str:
    return page.locator("section.main, [data-testid='stMain']").first.inner_text()


def test_single_pair_and_batch_explanations_in_chromium():
    browser.require_browser()
    artifacts = browser.ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with (
        browser.serve(log_path=artifacts / "browser_explain_server.log") as url,
        browser.chromium(width=1280, height=800) as page,
    ):
        page.goto(f"{url}/Single_pair")
        page.get_by_role("button", name="Score and explain").click()
        page.get_by_text("How far to trust the highlights").wait_for()
        page.get_by_text("Comprehensiveness").first.wait_for()
        browser.wait_idle(page)
        assert page.get_by_test_id("stException").count() == 0
        text = _text(page)
        for expected in (
            "Comprehensiveness",
            "Sufficiency",
            "most highlighted",
            "vs random",
            "Where the score comes from",
        ):
            assert expected in text, expected
        assert "Biggest effects: " in text and ("query “" in text or "document “" in text)
        # the deletion curve and the shares bar are drawn (Vega renders each into its own element)
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        charts.first.wait_for()
        assert charts.count() >= 2
        page.get_by_text("How far to trust the highlights").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "browser_single_faithfulness.png"), full_page=True)

        page.goto(f"{url}/Batch_rerank")
        page.get_by_role("button", name="Rerank").click()
        page.get_by_text("Top result").wait_for()
        browser.wait_idle(page)
        page.get_by_role("button", name="Explain A vs B").click()
        page.get_by_text("A ranks above B").wait_for()
        page.get_by_text("Comprehensiveness").first.wait_for()
        browser.wait_idle(page)
        assert page.get_by_test_id("stException").count() == 0
        text = _text(page)
        assert "Gap lo(A) − lo(B)" in text and "each word's effect on A's score" in text
        assert "each word's effect on B's score" in text and "Comprehensiveness" in text
        page.get_by_text("A ranks above B").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "browser_batch_contrast.png"), full_page=True)
