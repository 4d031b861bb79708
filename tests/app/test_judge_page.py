"""pages/5_Judge.py (AppTest): two raters grade the same query blind in their own shuffled orders; the set shows their
agreement; the disagreement queue lists what they disagree on; an editor adjudicates; guidelines render safely."""

from __future__ import annotations

import json

from apphelpers import JUDGE, errors, exceptions, make_app

from eval.history.judging import set_guidelines
from eval.history.labelling import make_record, save_query, set_path
from eval.measures.agreement import agreement
from eval.sets.loader import load_labelled_set
from lychee.roles import local_actor
from lychee.ui.judge import view
from lychee.ui.judge.logic import shuffled

TITLES = ["Leather hiking boots, waterproof", "Coffee mug", "Rain boots for kids", "Trail running shoes"]


def _seed_set(workspace):
    """A saved set with one query graded by nobody yet (a titles list saved with one placeholder rater removed)."""
    path = set_path("hiking")
    lines = [{"qid": "boots", "query": {"text": "waterproof hiking boots"},
              "candidates": [{"docid": f"d{i + 1}", "text": t} for i, t in enumerate(TITLES)]}]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(o) + "\n" for o in lines), encoding="utf-8")
    return path


def _open_as(rater: str):
    at = make_app(JUDGE)
    at.run()
    assert not at.exception, exceptions(at)
    at.text_input(key="judge_rater_input").set_value(rater)
    at.button(key="judge_rater_ok").click().run()
    assert not at.exception, exceptions(at)
    return at


def _rows(at) -> list[str]:
    rows = [m.value for m in at.markdown if m.value.startswith("**") and ".** " in m.value]
    return [row.split("** ", 1)[1].replace("\\", "") for row in rows]


def _grade(at, by_title: dict[str, int]):
    selects = [s for s in at.selectbox if s.label.startswith("Grade of title")]
    for select, title in zip(selects, _rows(at)):
        if title in by_title:
            select.set_value(by_title[title])
    at.run()
    at.button(key="judge_save").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at), errors(at)
    return at


def test_two_raters_grade_the_same_query_blind_and_see_their_agreement(workspace):
    path = _seed_set(workspace)
    ann = _open_as("ann")
    seed_ann = ann.session_state[view.SEEDS_KEY][(str(path), "boots", "ann")]
    assert _rows(ann) == [TITLES[i] for i in shuffled(len(TITLES), seed_ann)]
    # nothing of the model: it has not even scored the query, and no table has a score column
    assert view.SCORES_KEY not in ann.session_state and not [df for df in ann.dataframe if "score" in df.value.columns]
    _grade(ann, {TITLES[0]: 3, TITLES[1]: 0, TITLES[2]: 1, TITLES[3]: 2})
    assert [s.value for s in ann.success][0] == (
        "Saved 4 grades by ann for query `boots` in `hiking.jsonl`; this query is graded by ann."
    )

    bob = _open_as("bob")  # another session
    seed_bob = bob.session_state[view.SEEDS_KEY][(str(path), "boots", "bob")]
    assert _rows(bob) == [TITLES[i] for i in shuffled(len(TITLES), seed_bob)]
    assert all(s.value is None for s in bob.selectbox if s.label.startswith("Grade of title"))  # ann's are not shown
    _grade(bob, {TITLES[0]: 2, TITLES[1]: 0, TITLES[2]: 3, TITLES[3]: 2})

    labelled = load_labelled_set(path)
    assert labelled.raters == ["ann", "bob"]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["judging"]["ann"]["seed"] == seed_ann and lines[0]["judging"]["bob"]["seed"] == seed_bob
    assert lines[0]["judging"]["bob"]["scores_shown"] is False

    expected = agreement({c.docid: c.ratings for c in labelled.queries[0].candidates})
    table = [df.value for df in bob.dataframe if "measure" in df.value.columns][0]
    values = dict(zip(table["measure"], table["value"]))
    assert values["Raters"] == "ann, bob"
    assert values["Krippendorff's α (ordinal)"] == f"{expected.krippendorff_alpha_ordinal:.3f}"
    assert values["Cohen's κ, quadratic: ann|bob (4 titles)"] == f"{expected.cohen_kappa_quadratic['ann|bob']:.3f}"
    # the disagreement queue: the rain boots (1 vs 3)
    queue = [df.value for df in bob.dataframe if "span" in df.value.columns][0]
    assert queue["title"].tolist() == ["Rain boots for kids"] and queue["span"].tolist() == [2]


def test_an_editor_adjudicates_a_disagreement(workspace):
    path = _seed_set(workspace)
    for rater, grades in (("ann", [3, 0, 1, 2]), ("bob", [2, 0, 3, 2])):
        record = make_record(qid="boots", text="waterproof hiking boots", titles=TITLES, grades=grades, rater=rater,
                             docids=["d1", "d2", "d3", "d4"])  # fmt: skip
        save_query(record, set_file=path, actor=local_actor())
    at = _open_as("cy")
    at.selectbox(key="judge_adj_grade").set_value(1).run()
    at.button(key="judge_adj_set").click().run()
    assert not at.exception, exceptions(at)
    assert "Final grade of d3 in query boots set to 1 by cy." in [s.value for s in at.success]
    candidate = load_labelled_set(path).queries[0].candidates[2]
    assert (candidate.label, candidate.adjudicated, candidate.adjudicated_by) == (1, 1, "cy")
    queue = [df.value for df in at.dataframe if "span" in df.value.columns][0]
    assert queue["final"].tolist() == ["1 by cy"]


def test_guidelines_are_shown_beside_the_titles_without_html(workspace):
    path = _seed_set(workspace)
    set_guidelines(
        path,
        "**3**: exactly the product. <img src=x onerror=alert(1)> [x](javascript:alert(1))",
        actor=local_actor(),
    )
    at = _open_as("ann")
    shown = [m.value for m in at.markdown if "exactly the product" in m.value]
    assert shown == ["**3**: exactly the product.  [x](#)"]
    assert not any(m.proto.allow_html for m in at.markdown if "exactly the product" in m.value)


def test_an_editor_changes_the_guidelines_and_the_rule(workspace):
    path = _seed_set(workspace)
    at = _open_as("ann")
    editor = [t for t in at.text_area if t.label == "Guidelines (markdown)"][0]
    editor.set_value("Grade **3** only for the exact product.").run()
    at.button(key="judge_guidelines_save").click().run()
    assert not at.exception, exceptions(at)
    assert load_labelled_set(path).guidelines == "Grade **3** only for the exact product."
    rule = [s for s in at.selectbox if s.label == "Rule"][0]
    rule.set_value("median").run()
    at.button(key="judge_rule_save").click().run()
    assert load_labelled_set(path).aggregate == "median"


def test_no_saved_set_says_how_to_make_one():
    at = make_app(JUDGE)
    at.run()
    assert not at.exception, exceptions(at)
    assert any("No saved sets yet" in i.value for i in at.info)


def test_showing_the_scores_before_finishing_scores_the_query_and_is_recorded(workspace):
    path = _seed_set(workspace)
    at = _open_as("ann")
    selects = [s for s in at.selectbox if s.label.startswith("Grade of title")]
    selects[0].set_value(2).run()
    toggle = [t for t in at.toggle if t.label == "Show the model's scores"][0]
    toggle.set_value(True).run()
    assert not at.exception, exceptions(at)
    revealed = [df.value for df in at.dataframe if "score" in df.value.columns]
    assert len(revealed) == 1 and revealed[0]["title"].tolist() == _rows(at)
    assert revealed[0]["score"].between(0, 1).all()
    at.button(key="judge_save").click().run()
    line = json.loads(path.read_text().splitlines()[0])
    assert line["judging"]["ann"]["scores_shown"] is True
