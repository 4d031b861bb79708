"""A new user's walk in a real Chromium at 1280×800: pasted input survives toggles and page switches, and the columns
people read first are on screen without scrolling sideways (Batch, A/B, Runs, Evaluation).

Streamlit's tables are glide data grids drawn on a canvas. The grid keeps an accessible copy of what it shows: a
``<th role="columnheader">`` for each column at least partly inside the visible area (columns scrolled out of view
have none), and its scroller (``.dvn-scroller``) is wider inside than outside only when the table scrolls sideways.
So: a table with no sideways scroll shows all its columns; in one that scrolls, the key columns are fully visible when
the column after the last of them still has a header (it starts inside the view).
"""

from __future__ import annotations

from pathlib import Path

import browser
import pytest

from eval.engine.evaluate import evaluate_set
from eval.history.store import RunStore
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from tests.helpers import WordOverlapScorer

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1280, 800
QUERY = "wireless noise cancelling headphones for commuting"
TITLES = [f"Over-ear headphones model {i}, wireless, noise cancelling, 30 h battery, foldable" for i in range(20)]
LONG_INSTRUCTION = (
    "Given a shopper's product search query, retrieve product titles and images that match what the shopper wants to "
    "buy, preferring exact product type, then brand, then colour and size."
)

GRID_STATE = """(grid) => {
  const scroller = grid.querySelector('.dvn-scroller');
  const headers = [...grid.querySelectorAll('th[role=columnheader]')].map(th => th.textContent.trim());
  return {headers, scrolls: scroller.scrollWidth > scroller.clientWidth + 1, left: scroller.scrollLeft};
}"""


@pytest.fixture(scope="module")
def runs_db(tmp_path_factory) -> Path:
    """A run store with two runs of one set, whose instructions are long (they once took the table's width)."""
    path = tmp_path_factory.mktemp("runs") / "runs.sqlite"
    labelled = load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")
    store = RunStore(path)
    for instruction in (LONG_INSTRUCTION, LONG_INSTRUCTION + " Reverse."):
        store.record(
            evaluate_set(labelled, WordOverlapScorer(), instruction=instruction).metrics,
            set_name="eval/data/passages.csv",
            set_path=shipped_set_path("passages.csv"),
            output_dir=None,
            source="cli",
        )
    return path


@pytest.fixture(scope="module")
def site(runs_db, tmp_path_factory):
    """The dashboard served by ./start.sh, and a Chromium page of 1280×800."""
    browser.require_browser()
    artifacts = browser.ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    env = {"LYCHEE_RUNS_DB": str(runs_db), "LYCHEE_SETS_DIR": str(tmp_path_factory.mktemp("sets"))}
    with browser.serve(log_path=artifacts / "browser_layout_server.log", env=env) as url:
        with browser.chromium(width=WIDTH, height=HEIGHT) as page:
            yield url, page, artifacts


def _grid(page, has_header: str):
    """The data grid whose accessible headers include ``has_header``, scrolled into view."""
    grid = page.locator('[data-testid="stDataFrame"]', has=page.locator("th[role=columnheader]", has_text=has_header))
    grid.first.wait_for()
    grid.first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return grid.first


def _assert_key_columns_visible(page, grid, key: list[str], *, all_visible: bool) -> dict:
    state = grid.evaluate(GRID_STATE)
    headers = state["headers"]
    assert state["left"] == 0, state
    missing = [h for h in key if h not in headers]
    assert not missing, f"key columns {missing} are off screen at {WIDTH} px; visible: {headers}"
    if all_visible:
        assert not state["scrolls"], f"the table scrolls sideways at {WIDTH} px; visible: {headers}"
    elif state["scrolls"]:
        # The column after the last key column starts inside the view, so every key column is whole.
        after = headers.index(key[-1]) + 1
        assert after < len(headers), f"{key[-1]} may be cut at the right edge; visible: {headers}"
    return state


def _choose(page, option: str, shows) -> None:
    """Click a radio ``option`` until the element it ``shows`` appears (a click during a rerun can be lost)."""
    for _ in range(3):
        page.get_by_text(option, exact=True).click()
        browser.wait_idle(page)
        try:
            shows.wait_for(timeout=15_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: click once more
            continue
    shows.wait_for(timeout=15_000)


def _nav(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    browser.wait_idle(page)


def test_pasted_input_survives_toggles_and_page_switches_and_the_tables_fit(site):
    url, page, artifacts = site
    page.goto(f"{url}/Batch_rerank")
    page.get_by_role("button", name="Rerank").wait_for()
    browser.wait_idle(page)
    query_box = page.get_by_role("textbox", name="Query", exact=True)
    titles_box = page.get_by_role("textbox", name="Titles — one per line, at most 50")
    query_box.fill(QUERY)
    titles_box.fill("\n".join(TITLES))

    # Straight from typing to the A/B switch, as a user does: nothing was submitted yet.
    page.get_by_text("A/B: score the same titles a second way (B) and compare").click()
    browser.wait_idle(page)
    page.get_by_text("Instruction B").first.wait_for()
    assert query_box.input_value() == QUERY
    assert titles_box.input_value() == "\n".join(TITLES)

    _choose(page, "Upload a CSV", page.get_by_text("CSV file with one title per row"))
    _choose(page, "Paste titles (one per line)", page.get_by_role("textbox", name="Titles — one per line, at most 50"))
    assert page.get_by_role("textbox", name="Titles — one per line, at most 50").input_value() == "\n".join(TITLES)

    _nav(page, "Single pair")
    page.get_by_role("button", name="Score and explain").wait_for()
    _nav(page, "Batch rerank")
    page.get_by_role("button", name="Rerank").wait_for()
    assert page.get_by_role("textbox", name="Query", exact=True).input_value() == QUERY
    assert page.get_by_role("textbox", name="Titles — one per line, at most 50").input_value() == "\n".join(TITLES)

    page.get_by_role("button", name="Rerank").click()
    page.get_by_text("Top result").wait_for()
    browser.wait_idle(page)
    assert page.get_by_test_id("stException").count() == 0

    batch = _grid(page, "Log-odds")
    _assert_key_columns_visible(
        page, batch, ["Rank", "Title", "P(yes)", "Band", "Change", "Original", "Log-odds"], all_visible=True
    )
    batch.screenshot(path=str(artifacts / "browser_layout_batch_table.png"))
    ab = _grid(page, "Rank B")
    _assert_key_columns_visible(
        page, ab, ["Rank A", "Rank B", "Shift", "Title", "P(yes) A", "Band A", "P(yes) B", "Band B"], all_visible=False
    )
    ab.screenshot(path=str(artifacts / "browser_layout_ab_table.png"))


def test_runs_table_shows_id_to_queries_before_the_instructions(site):
    url, page, artifacts = site
    page.goto(f"{url}/Runs")
    browser.wait_idle(page)
    grid = _grid(page, "instruction")
    _assert_key_columns_visible(page, grid, ["id", "created", "set", "model", "ndcg@10", "queries"], all_visible=False)
    grid.screenshot(path=str(artifacts / "browser_layout_runs_table.png"))


def test_evaluation_systems_table_shows_every_mean(site):
    url, page, artifacts = site
    page.goto(f"{url}/Evaluation")
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_text("All systems").wait_for(timeout=300_000)
    browser.wait_idle(page)
    grid = _grid(page, "ndcg_exp@10")
    names = ["system", "ndcg@10", "ndcg_exp@10", "mrr@10", "hit@1", "recall@10"]
    _assert_key_columns_visible(page, grid, names, all_visible=False)
    grid.screenshot(path=str(artifacts / "browser_layout_systems_table.png"))
