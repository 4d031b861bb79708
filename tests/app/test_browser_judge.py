"""In a real headless Chromium, served by ./start.sh: two raters, in two browser sessions, grade the same query blind
on the Judge page (keyboard: type the grade, Enter); the set then shows their agreement and the disagreement queue.

Skips when Chromium or playwright is missing, unless LYCHEE_REQUIRE_BROWSER=1 (``./start.sh test``).
"""

from __future__ import annotations

import json

import browser
import pytest

from eval.judgments.ratings import set_agreement
from eval.sets.loader import load_labelled_set

pytestmark = pytest.mark.browser

TITLES = ["Leather hiking boots, waterproof", "Coffee mug", "Rain boots for kids", "Trail running shoes"]
GRADES = {
    "ann": {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 1, TITLES[3]: 2},
    "bob": {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 3, TITLES[3]: 2},
}


def _grade_as(page, url: str, rater: str) -> list[str]:
    """Open the Judge page, give the rater's name, grade every title from the keyboard, save; returns the titles in
    the order the page showed them."""
    page.goto(f"{url}/Judge")
    page.get_by_role("textbox", name="Your name as a rater").fill(rater)
    page.get_by_role("button", name="Start grading").click()
    page.get_by_text("Grading as").wait_for()
    # every grading row is drawn (on a loaded machine the run may still be streaming them in)
    page.get_by_role("combobox", name=f"Grade of title {len(TITLES)}").wait_for()
    browser.wait_idle(page)
    text = page.inner_text("body")
    assert "P(yes)" not in text.split("Grading as", 1)[1]  # nothing of the model below the sidebar
    order = sorted(TITLES, key=lambda t: text.index(t))
    for n, title in enumerate(order, start=1):
        select = page.get_by_role("combobox", name=f"Grade of title {n}")
        select.click()
        page.keyboard.type(str(GRADES[rater][title]))
        page.keyboard.press("Enter")
        browser.wait_idle(page)
    page.get_by_role("button", name="Save my grades").click()
    page.get_by_text(f"Saved 4 grades by {rater}").wait_for()
    browser.wait_idle(page)
    return order


def test_two_raters_grade_the_same_query_blind_in_chromium(workspace):
    browser.require_browser()
    sets = workspace / "sets"
    sets.mkdir(parents=True, exist_ok=True)
    candidates = [{"docid": f"d{i + 1}", "text": t} for i, t in enumerate(TITLES)]
    line = {"qid": "boots", "query": {"text": "waterproof hiking boots"}, "candidates": candidates}
    (sets / "hiking.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    artifacts = browser.ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with browser.serve(log_path=artifacts / "browser_judge_server.log") as url:
        with browser.chromium() as ann:
            _grade_as(ann, url, "ann")
        with browser.chromium() as bob:  # a second browser: another session
            _grade_as(bob, url, "bob")
            labelled = load_labelled_set(sets / "hiking.jsonl")
            assert labelled.raters == ["ann", "bob"]
            assert [dict(c.grades) for c in labelled.queries[0].candidates] == [
                {"ann": GRADES["ann"][t], "bob": GRADES["bob"][t]} for t in TITLES
            ]
            bob.get_by_role("tab", name="Agreement", exact=True).click()
            bob.get_by_text("α uses every title graded at least twice").wait_for()
            # the table is drawn on a canvas; its accessible cells (glide-cell-<column>-<row>) carry the values
            label = bob.locator("td", has_text="Krippendorff's α (ordinal)").first
            label.wait_for(state="attached")
            row = label.get_attribute("id").rsplit("-", 1)[1]
            alpha = set_agreement(labelled).krippendorff_alpha_ordinal
            assert bob.locator(f"td#glide-cell-1-{row}").inner_text() == f"{alpha:.3f}"
            bob.get_by_role("tab", name="Disagreements", exact=True).click()
            bob.get_by_text("1 title whose grades span 2 or more").wait_for()
            bob.screenshot(path=str(artifacts / "browser_judge.png"), full_page=True)
