"""Several raters in one saved set: merged saves, partial grading, concurrent saves from two processes, old
single-rater sets, adjudication, the aggregation rule and the guidelines (eval.history.labelling / judging)."""

from __future__ import annotations

import json
import re

import pytest

from eval.history.judging import adjudicate, set_aggregate, set_guidelines
from eval.history.labelling import make_record, save_query, set_path
from eval.sets.grades import IMPLICIT_RATER
from eval.sets.loader import load_labelled_set
from lychee.roles import local_actor
from tests.helpers import run_in_fresh_interpreters

TITLES = ["Leather hiking boots, waterproof", "Coffee mug", "Rain boots for kids", "Trail runners"]


def _save(path, rater, grades, *, titles=TITLES, replace=False, **kw):
    record = make_record(qid="boots", text="waterproof hiking boots", titles=titles, grades=grades, rater=rater, **kw)
    return save_query(record, set_file=path, actor=local_actor(), replace=replace)


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_partial_grades_leave_the_other_titles_unjudged(tmp_path):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, None, 1, None])
    labelled = load_labelled_set(path)
    (query,) = labelled.queries
    assert [(c.docid, c.judged, c.label) for c in query.candidates] == [
        ("d1", True, 3),
        ("d2", False, 0),
        ("d3", True, 1),
        ("d4", False, 0),
    ]
    assert labelled.qrels == {"boots": {"d1": 3, "d3": 1}}
    assert _lines(path)[0]["candidates"][1] == {"docid": "d2", "text": "Coffee mug"}  # no label, no grade


def test_a_second_rater_is_merged_and_labels_are_the_mean_rounded_half_up(tmp_path):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, 0, 1, None])
    saved = _save(path, "bob", [2, 0, 2, 1])
    assert (saved.qid, saved.replaced, saved.raters) == ("boots", False, ("ann", "bob"))
    labelled = load_labelled_set(path)
    c = labelled.queries[0].candidates
    assert [dict(x.grades) for x in c] == [
        {"ann": 3, "bob": 2},
        {"ann": 0, "bob": 0},
        {"ann": 1, "bob": 2},
        {"bob": 1},
    ]
    assert [x.label for x in c] == [3, 0, 2, 1]  # (3+2)/2 = 2.5 -> 3, (1+2)/2 = 1.5 -> 2
    assert labelled.raters == ["ann", "bob"]
    assert set(_lines(path)[0]["judging"]) == {"ann", "bob"}


def test_titles_are_matched_by_text_and_new_titles_are_added(tmp_path):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, 0, 1, 2])
    # bob pasted the titles in another order, without the mug, and with one title more
    _save(path, "bob", [1, 3, 2, 0], titles=["Trail runners", TITLES[0], "Rain boots for kids", "Umbrella"])
    query = load_labelled_set(path).queries[0]
    by_text = {c.text: dict(c.grades) for c in query.candidates}
    assert by_text == {
        TITLES[0]: {"ann": 3, "bob": 3},
        "Coffee mug": {"ann": 0},  # kept, though bob did not see it
        "Rain boots for kids": {"ann": 1, "bob": 2},
        "Trail runners": {"ann": 2, "bob": 1},
        "Umbrella": {"bob": 0},
    }
    assert [c.docid for c in query.candidates] == ["d1", "d2", "d3", "d4", "d5"]


def test_replacing_drops_only_the_raters_own_grades(tmp_path):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, 0, 1, 2])
    _save(path, "bob", [2, 0, None, 2])
    saved = _save(path, "bob", [None, 1, None, None], replace=True)
    assert saved.replaced
    c = load_labelled_set(path).queries[0].candidates
    assert [dict(x.grades) for x in c] == [{"ann": 3}, {"ann": 0, "bob": 1}, {"ann": 1}, {"ann": 2}]


def test_grades_added_to_an_old_single_rater_query_keep_its_label_as_a_rater(tmp_path):
    path = tmp_path / "old.jsonl"
    candidates = [{"docid": "d1", "text": TITLES[0], "label": 3}, {"docid": "d2", "text": "Coffee mug", "label": 0}]
    old = {"qid": "boots", "query": {"text": "waterproof hiking boots"}, "candidates": candidates}
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    _save(path, "ann", [2, 0], titles=TITLES[:2])
    c = load_labelled_set(path).queries[0].candidates
    assert [dict(x.grades) for x in c] == [{IMPLICIT_RATER: 3, "ann": 2}, {IMPLICIT_RATER: 0, "ann": 0}]
    assert [x.label for x in c] == [3, 0]


def _save_rater(folder: str, rater: str, rounds: int, grade: int) -> None:
    path = set_path("shared", folder=folder)
    for i in range(rounds):
        record = make_record(
            qid=f"q{i}", text=f"query {i}", titles=["a", "b", "c"], grades=[grade, grade, None], rater=rater
        )
        save_query(record, set_file=path, actor=local_actor())


def test_two_processes_saving_different_raters_grades_at_once_both_land(tmp_path):
    rounds = 12
    run_in_fresh_interpreters(
        "tests.eval.history.test_raters:_save_rater",
        [(str(tmp_path), "ann", rounds, 3), (str(tmp_path), "bob", rounds, 1)],
    )
    labelled = load_labelled_set(set_path("shared", folder=tmp_path))
    assert sorted(q.qid for q in labelled.queries) == sorted(f"q{i}" for i in range(rounds))
    for q in labelled.queries:
        assert [dict(c.grades) for c in q.candidates] == [{"ann": 3, "bob": 1}, {"ann": 3, "bob": 1}, {}]
        assert [c.label for c in q.candidates[:2]] == [2, 2]


def test_adjudication_sets_the_final_label_and_can_be_withdrawn(tmp_path):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, 0, 1, 2])
    _save(path, "bob", [0, 0, 1, 2])
    assert load_labelled_set(path).qrels["boots"]["d1"] == 2  # mean of 3 and 0, half up
    done = adjudicate(
        path, qid="boots", docid="d1", grade=3, editor="carol", actor=local_actor(), at="2025-05-02T10:00:00+00:00"
    )
    assert (done.grade, done.editor) == (3, "carol")
    candidate = load_labelled_set(path).queries[0].candidates[0]
    assert (candidate.label, candidate.adjudicated, candidate.adjudicated_by) == (3, 3, "carol")
    expected = {"grade": 3, "by": "carol", "at": "2025-05-02T10:00:00+00:00"}
    assert _lines(path)[0]["candidates"][0]["adjudicated"] == expected
    adjudicate(path, qid="boots", docid="d1", grade=None, editor="carol", actor=local_actor())
    assert load_labelled_set(path).queries[0].candidates[0].label == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"qid": "nope", "docid": "d1", "grade": 1}, "the set has no query 'nope'"),
        ({"qid": "boots", "docid": "d9", "grade": 1}, "query 'boots' of the set has no document 'd9'"),
        ({"qid": "boots", "docid": "d2", "grade": 1}, "document 'd2' of query 'boots' has no grades yet"),
        ({"qid": "boots", "docid": "d1", "grade": 7}, "the final grade must be 0, 1, 2 or 3; got 7."),
    ],
)
def test_bad_adjudications_are_refused_and_write_nothing(tmp_path, kwargs, message):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, None, 1, 2])
    before = path.read_bytes()
    with pytest.raises(ValueError, match=re.escape(message)):
        adjudicate(path, editor="carol", actor=local_actor(), **kwargs)
    assert path.read_bytes() == before


def test_the_aggregation_rule_is_stored_in_the_header_and_relabels(tmp_path):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, 0, 1, 2])
    _save(path, "bob", [0, 0, 2, 2])
    assert set_aggregate(path, "min", actor=local_actor()) == 2  # d1: 2 -> 0, d3: 2 -> 1
    assert _lines(path)[0] == {"set": {"aggregate": "min"}}
    labelled = load_labelled_set(path)
    assert labelled.aggregate == "min"
    assert labelled.qrels["boots"] == {"d1": 0, "d2": 0, "d3": 1, "d4": 2}
    # an evaluation may override the set's rule without touching the file
    assert load_labelled_set(path, aggregate="max").qrels["boots"] == {"d1": 3, "d2": 0, "d3": 2, "d4": 2}
    message = "aggregation rule must be one of mean, median, majority, max, min; got 'avg'."
    with pytest.raises(ValueError, match=re.escape(message)):
        set_aggregate(path, "avg", actor=local_actor())


def test_guidelines_are_stored_with_the_set_and_later_saves_keep_them(tmp_path):
    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, 0, 1, 2])
    set_guidelines(path, "**3**: exactly the product asked for.\n**0**: another category.", actor=local_actor())
    _save(path, "bob", [2, 0, 1, 2])
    labelled = load_labelled_set(path)
    assert labelled.guidelines == "**3**: exactly the product asked for.\n**0**: another category."
    assert labelled.raters == ["ann", "bob"]
    set_guidelines(path, "  ", actor=local_actor())
    assert load_labelled_set(path).guidelines is None
    assert "set" not in _lines(path)[0]


def test_a_viewer_may_not_adjudicate_or_change_the_rule_or_guidelines(tmp_path):
    from lychee.roles import Actor, PermissionDeniedError

    path = set_path("boots", folder=tmp_path)
    _save(path, "ann", [3, 0, 1, 2])
    before = path.read_bytes()
    viewer = Actor("li@example.com", "viewer")
    message = "li@example.com is a viewer: only editors may adjudicate grades"
    with pytest.raises(PermissionDeniedError, match=re.escape(message)):
        adjudicate(path, qid="boots", docid="d1", grade=3, editor="li", actor=viewer)
    with pytest.raises(PermissionDeniedError, match="only editors may change a set's aggregation rule"):
        set_aggregate(path, "min", actor=viewer)
    with pytest.raises(PermissionDeniedError, match="only editors may edit a set's guidelines"):
        set_guidelines(path, "**3**: exact.", actor=viewer)
    assert path.read_bytes() == before  # nothing written
