"""Labelling on pages/2_Batch_rerank.py (AppTest): grade titles beside the ranking (the rater named once per
session), save a set the evaluation loader reads back; ungraded titles stay unjudged; two raters' grades merge."""

from __future__ import annotations

import json

from apphelpers import BATCH, SINGLE, errors, exceptions, make_app, shown

from eval.sets.loader import load_labelled_set
from lychee.ui.batch import label_view

QUERY = "waterproof hiking boots"
TITLES = ["Leather hiking boots, waterproof", "Coffee mug", "Rain boots for kids"]


def _rerank(at, query: str = QUERY, titles: list[str] = TITLES, rater: str | None = "ann"):
    at.text_area(key="_w_batch_query_text").set_value(query)
    at.text_area(key="_w_batch_titles").set_value("\n".join(titles))
    at.button(key="batch_submit").click().run()
    if rater is not None and "batch_label_rater_input" in [t.key for t in at.text_input]:
        at.text_input(key="batch_label_rater_input").set_value(rater)
        at.button(key="batch_label_rater_ok").click().run()
    return at


def _grade(at, by_title: dict[str, int]):
    """Edit the grade column as the browser does: edits keyed by the displayed row (the editor's own state)."""
    shown = at.data_editor(key=label_view.EDITOR_KEY).value
    rows = {i: {"grade": by_title[t]} for i, t in enumerate(shown["title"]) if t in by_title}
    at.session_state[label_view.EDITOR_KEY] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def test_grades_are_saved_into_a_new_set_that_the_loader_reads_back(workspace):
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    assert not at.exception, exceptions(at)
    assert at.radio(key="_w_batch_label_target").value == "new"  # no set exists yet
    _grade(at, {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 1})
    assert not at.exception, exceptions(at)
    assert "3 of 3 titles graded; titles left ungraded are saved as unjudged, not 0." in [c.value for c in at.caption]
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    assert at.text_input(key="_w_batch_label_qid").value == "waterproof-hiking-boots"
    at.button(key="batch_label_save").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    path = workspace / "sets" / "hiking.jsonl"
    assert [s.value for s in at.success] == [
        f"Saved ann's grades of query `waterproof-hiking-boots` in `{path}` (1 query now; graded by ann). Evaluate it "
        "on the **Evaluation** page (source: saved sets); see the raters' agreement on the **Judge** page."
    ]
    labelled = load_labelled_set(path)
    assert labelled.qrels == {"waterproof-hiking-boots": {"d1": 3, "d2": 0, "d3": 1}}
    assert [c.text for c in labelled.queries[0].candidates] == TITLES
    assert labelled.raters == ["ann"]
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["judging"]["ann"]["scores_shown"] is True  # graded beside the ranking


def test_ungraded_titles_are_saved_unjudged(workspace):
    """Issue 22, item 12: saving the graded titles of a partly graded list; the others stay unjudged, not 0."""
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    _grade(at, {TITLES[0]: 2})
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    labelled = load_labelled_set(workspace / "sets" / "hiking.jsonl")
    assert labelled.qrels == {"waterproof-hiking-boots": {"d1": 2}}
    assert [c.judged for c in labelled.queries[0].candidates] == [True, False, False]


def test_nothing_graded_is_refused_and_nothing_is_written(workspace):
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    assert errors(at) == [
        "none of the 3 titles has a grade yet: grade at least one title 0-3 (0 = not relevant) before saving. Titles "
        "you leave ungraded stay unjudged, not 0."
    ]
    assert not (workspace / "sets" / "hiking.jsonl").exists()


def test_grades_survive_a_page_switch(via_home):
    at = via_home(BATCH)
    _rerank(at)
    _grade(at, {TITLES[1]: 2})
    at.switch_page(str(SINGLE)).run()
    assert [t.value for t in at.title] == [":material/compare_arrows: Single-pair analysis"]
    at.switch_page(str(BATCH)).run()
    assert not at.exception, exceptions(at)
    shown = at.data_editor(key=label_view.EDITOR_KEY).value
    grades = dict(zip(shown["title"], shown["grade"]))
    assert grades[TITLES[1]] == 2
    assert "1 of 3 titles graded; titles left ungraded are saved as unjudged, not 0." in [c.value for c in at.caption]


def test_a_raters_own_grades_are_replaced_only_after_confirmation(workspace):
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    _grade(at, {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 1})
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    path = workspace / "sets" / "hiking.jsonl"
    first = path.read_bytes()

    # the same query again, graded differently, into the now existing set
    _rerank(at)
    assert at.radio(key="_w_batch_label_target").value == "new"
    at.radio(key="_w_batch_label_target").set_value("existing").run()
    assert at.selectbox(key="_w_batch_label_set").value == "hiking"
    _grade(at, {TITLES[0]: 1, TITLES[1]: 1, TITLES[2]: 1})
    at.button(key="batch_label_save").click().run()
    assert not at.exception, exceptions(at)
    assert [shown(w.value) for w in at.warning] == [
        "hiking.jsonl: 'ann' has already graded query 'waterproof-hiking-boots' in the set (line 1: query "
        "'waterproof-hiking-boots' ('waterproof hiking boots')). Confirm to replace your grades of it with the new "
        "ones (other raters' grades are kept), or change the query id to add it as another query."
    ]
    assert path.read_bytes() == first  # nothing written before the analyst confirms

    at.button(key="batch_label_cancel").click().run()
    assert not at.warning
    assert path.read_bytes() == first

    at.button(key="batch_label_save").click().run()
    at.button(key="batch_label_replace").click().run()
    assert not at.exception, exceptions(at)
    assert not at.warning
    assert [s.value for s in at.success] == [
        f"Replaced ann's grades of query `waterproof-hiking-boots` in `{path}` (1 query now; graded by ann). Evaluate "
        "it on the **Evaluation** page (source: saved sets); see the raters' agreement on the **Judge** page."
    ]
    assert load_labelled_set(path).qrels == {"waterproof-hiking-boots": {"d1": 1, "d2": 1, "d3": 1}}


def test_a_second_raters_grades_go_beside_the_first(workspace):
    first = make_app(BATCH)
    first.run()
    _rerank(first, rater="ann")
    _grade(first, {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 1})
    first.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    first.button(key="batch_label_save").click().run()
    second = make_app(BATCH)  # another session: another rater
    second.run()
    _rerank(second, rater="bob")
    second.radio(key="_w_batch_label_target").set_value("existing").run()
    _grade(second, {TITLES[0]: 2, TITLES[1]: 0, TITLES[2]: 2})
    second.button(key="batch_label_save").click().run()
    assert not second.exception, exceptions(second)
    assert not second.warning  # another rater's grades are no conflict
    labelled = load_labelled_set(workspace / "sets" / "hiking.jsonl")
    assert labelled.raters == ["ann", "bob"]
    assert labelled.qrels == {"waterproof-hiking-boots": {"d1": 3, "d2": 0, "d3": 2}}  # mean rounded half up


def test_another_query_is_appended_to_an_existing_set(workspace):
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    _grade(at, {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 1})
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    _rerank(at, query="coffee mug", titles=["Coffee mug", "Tea cup"])
    at.radio(key="_w_batch_label_target").set_value("existing").run()
    _grade(at, {"Coffee mug": 3, "Tea cup": 1})
    at.button(key="batch_label_save").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    labelled = load_labelled_set(workspace / "sets" / "hiking.jsonl")
    assert [q.qid for q in labelled.queries] == ["waterproof-hiking-boots", "coffee-mug"]
    assert labelled.qrels["coffee-mug"] == {"d1": 3, "d2": 1}


def test_a_bad_set_name_is_refused():
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    _grade(at, {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 1})
    at.text_input(key="_w_batch_label_new_set").set_value("my set").run()
    at.button(key="batch_label_save").click().run()
    assert errors(at) == [
        "set name 'my set' cannot be used: expected 1-80 letters, digits, '_', '.' or '-' (starting with a letter or "
        "digit), e.g. 'shoes-2024'. Sets are saved as <name>.jsonl in the sets folder."
    ]
