"""Judge mode on pages/2_Batch_rerank.py (AppTest): blind grading in a seeded random order; the model's scores, bands
and ranks never reach the page before the rater finished or asked to see them; partial saves; the reveal recorded."""

from __future__ import annotations

import json

from apphelpers import BATCH, errors, exceptions, make_app, page_text

from eval.sets.loader import load_labelled_set
from lychee.ui.batch import judge_view
from lychee.ui.batch.table import RESULT_KEY
from lychee.ui.judge.logic import shuffled

QUERY = "waterproof hiking boots"
TITLES = [
    "Leather hiking boots, waterproof",
    "Coffee mug",
    "Rain boots for kids",
    "Trail running shoes",
    "Wool hiking socks",
    "Camping tent for two",
]


def _judge(at):
    """Judge mode on, the query and titles in, Rerank; the rater gives their name. ``at.baseline`` is the page's text
    before any result (the sidebar names the bands too)."""
    at.run()
    at.toggle(key="_w_batch_judge").set_value(True).run()
    at.baseline = page_text(at)
    at.text_area(key="_w_batch_query_text").set_value(QUERY)
    at.text_area(key="_w_batch_titles").set_value("\n".join(TITLES))
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    at.text_input(key="batch_judge_rater_input").set_value("ann")
    at.button(key="batch_judge_rater_ok").click().run()
    assert not at.exception, exceptions(at)
    return at


def _shown_titles(at) -> list[str]:
    """The titles of the grading rows, in the order shown (``**n.** title``, markdown escapes removed)."""
    rows = [m.value for m in at.markdown if m.value.startswith("**") and ".** " in m.value]
    return [row.split("** ", 1)[1].replace("\\", "") for row in rows]


def _grade_selects(at):
    return [s for s in at.selectbox if s.label.startswith("Grade of title")]


# What the model's results draw: band names and dots, rank-change arrows, the results' column labels and headings.
MARKERS = ("strong", "medium", "weak", "🟢", "🟡", "🔴", "↑", "↓", "Scores by band", "P(yes)", "Log-odds", "Original")


def _model_traces(at) -> list[str]:
    """Anything of the model's ranking found on the page: a score (as any table, chart or caption writes it), or
    more band names, rank words or arrows than the page had before the result (the sidebar names the bands)."""
    result = at.session_state[RESULT_KEY]
    # layout numbers (column weights such as 0.714...) are not scores
    text = "\n".join(line for line in page_text(at).splitlines() if not line.strip().startswith("weight: "))
    found = []
    for score in result.scores + result.log_odds:
        for shown in (f"{score:.3f}", f"{score:.4f}", f"{score:+.2f}", repr(float(score))):
            if shown in text and shown not in at.baseline:
                found.append(shown)
    for marker in MARKERS:
        if text.count(marker) > at.baseline.count(marker):
            found.append(marker)
    return found


def test_titles_come_in_the_seeded_shuffled_order_without_any_score(workspace):
    at = _judge(make_app(BATCH))
    state = at.session_state[judge_view.STATE_KEY]
    expected = [TITLES[i] for i in shuffled(len(TITLES), state["seed"])]
    assert _shown_titles(at) == expected
    assert expected != TITLES or shuffled(len(TITLES), state["seed"]) == list(range(len(TITLES)))
    assert len(_grade_selects(at)) == len(TITLES)
    assert _model_traces(at) == []
    # the same seed gives the same order on every rerun (and after picking grades)
    _grade_selects(at)[0].set_value(2).run()
    assert _shown_titles(at) == expected
    assert _model_traces(at) == []


def test_the_order_is_a_function_of_the_seed():
    assert shuffled(6, 11) == shuffled(6, 11)
    assert len({tuple(shuffled(6, seed)) for seed in range(20)}) > 10
    assert sorted(shuffled(6, 3)) == list(range(6))


def test_a_partial_save_keeps_scores_hidden_and_the_rest_unjudged(workspace):
    at = _judge(make_app(BATCH))
    order = _shown_titles(at)
    _grade_selects(at)[0].set_value(3).run()
    _grade_selects(at)[1].set_value(0).run()
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    assert _model_traces(at) == []  # a partial save is not finishing
    path = workspace / "sets" / "hiking.jsonl"
    labelled = load_labelled_set(path)
    grades = {c.text: (c.judged, c.label) for c in labelled.queries[0].candidates}
    assert grades[order[0]] == (True, 3) and grades[order[1]] == (True, 0)
    assert sum(judged for judged, _ in grades.values()) == 2  # the other four stay unjudged, not 0
    judging = json.loads(path.read_text().splitlines()[0])["judging"]["ann"]
    assert judging["scores_shown"] is False
    assert judging["seed"] == at.session_state[judge_view.STATE_KEY]["seed"]


def test_scores_appear_once_every_title_is_saved_with_a_grade(workspace):
    at = _judge(make_app(BATCH))
    for i in range(len(TITLES)):
        _grade_selects(at)[i].set_value(i % 4).run()
    assert _model_traces(at) == []  # graded but not saved yet: still hidden
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    assert not at.exception, exceptions(at)
    assert "Scores by band" in page_text(at)
    assert _model_traces(at)  # the check finds the scores once they are drawn
    revealed = [df.value for df in at.dataframe if "your_grade" in df.value.columns]
    assert len(revealed) == 1 and revealed[0]["title"].tolist() == _shown_titles(at)
    line = json.loads((workspace / "sets" / "hiking.jsonl").read_text().splitlines()[0])
    assert line["judging"]["ann"]["scores_shown"] is False  # finished blind


def test_showing_the_scores_before_finishing_is_recorded(workspace):
    at = _judge(make_app(BATCH))
    _grade_selects(at)[0].set_value(1).run()
    at.toggle(key=judge_view.SHOW_KEY).set_value(True).run()
    assert not at.exception, exceptions(at)
    assert "Scores by band" in page_text(at)
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    line = json.loads((workspace / "sets" / "hiking.jsonl").read_text().splitlines()[0])
    assert line["judging"]["ann"]["scores_shown"] is True


def test_saving_needs_a_rater_name(workspace):
    at = make_app(BATCH)
    at.run()
    at.toggle(key="_w_batch_judge").set_value(True).run()
    at.baseline = page_text(at)
    at.button(key="batch_submit").click().run()
    _grade_selects(at)[0].set_value(1).run()
    at.text_input(key="_w_batch_label_new_set").set_value("hiking").run()
    at.button(key="batch_label_save").click().run()
    assert errors(at) == ["Give your name as a rater above first: every saved grade records who gave it."]
    assert not (workspace / "sets" / "hiking.jsonl").exists()
    assert _model_traces(at) == []
