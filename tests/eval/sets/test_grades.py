"""Several raters per candidate in a JSONL set: the aggregation rules, the checks of the new fields, the set header,
``aggregate=`` overrides — and old single-rater files that load unchanged and give byte-identical metrics.json."""

from __future__ import annotations

import hashlib
import json

import pytest

from eval.engine.evaluate import evaluate_set
from eval.engine.outputs import output_files
from eval.sets.grades import AGGREGATES, IMPLICIT_RATER, aggregate
from eval.sets.loader import load_labelled_set
from tests.eval.helpers import refused, set_line, write_file
from tests.helpers import WordOverlapScorer


# --- the rules ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        # grades            mean median majority max min
        ([2, 3], (3, 3, 2, 3, 2)),  # 2.5 rounds half up; a majority tie goes to the lowest
        ([1, 2], (2, 2, 1, 2, 1)),
        ([0, 1, 1], (1, 1, 1, 1, 0)),  # 2/3 -> 1
        ([0, 0, 1], (0, 0, 0, 1, 0)),  # 1/3 -> 0
        ([0, 3], (2, 2, 0, 3, 0)),  # 1.5 -> 2
        ([0, 1, 3, 3], (2, 2, 3, 3, 0)),  # mean 7/4 -> 2, median (1+3)/2 -> 2
        ([3, 0, 2, 2, 1], (2, 2, 2, 3, 0)),  # mean 8/5 -> 2, median 2
        ([1, 3, 3, 0, 0], (1, 1, 0, 3, 0)),  # mean 7/5 -> 1; majority 0 vs 3 tied -> 0
        ([2], (2, 2, 2, 2, 2)),
    ],
)
def test_aggregation_rules(grades, expected):
    assert tuple(aggregate(grades, rule) for rule in AGGREGATES) == expected
    assert aggregate(grades) == expected[0]  # mean is the default


def test_mean_rounds_exact_halves_up_without_float_error():
    # exact halves from many raters: computed as fractions, never as a float sum that could land just below .5
    assert aggregate([2, 3] * 50, "mean") == 3
    assert aggregate([2] * 333 + [3] * 333, "mean") == 3


def test_unknown_rule_and_no_grades_are_refused():
    with pytest.raises(ValueError, match="aggregation rule must be one of mean, median, majority, max, min; got 'avg'"):
        aggregate([1], "avg")
    with pytest.raises(ValueError, match="no grades to aggregate"):
        aggregate([], "mean")


# --- the file format ------------------------------------------------------------------------------------------------
def _graded_set(tmp_path, *, header=None, candidates=None):
    lines = [json.dumps(header)] if header is not None else []
    lines.append(
        set_line(
            candidates=candidates
            or [
                {"docid": "d1", "text": "a", "grades": {"ann": 2, "bob": 3}},
                {"docid": "d2", "text": "b", "label": 1, "grades": {"ann": 1, "bob": 1}, "graded_at": {"ann": "t"}},
                {"docid": "d3", "text": "c", "grades": {"ann": 0, "bob": 3}, "adjudicated": {"grade": 2, "by": "cy"}},
                {"docid": "d4", "text": "d", "label": 2},
                {"docid": "d5", "text": "e"},
            ]
        )
    )
    return write_file(tmp_path, "g.jsonl", "\n".join(lines) + "\n")


def test_grades_give_labels_by_the_sets_rule_and_override(tmp_path):
    path = _graded_set(tmp_path)
    labelled = load_labelled_set(path)
    assert labelled.aggregate == "mean" and labelled.has_grades
    assert labelled.qrels == {"q1": {"d1": 3, "d2": 1, "d3": 2, "d4": 2}}  # d3 adjudicated; d5 unjudged
    c = labelled.queries[0].candidates
    assert c[0].ratings == {"ann": 2, "bob": 3}
    assert c[3].ratings == {IMPLICIT_RATER: 2}  # a plain label is one implicit rater
    assert c[4].ratings == {} and not c[4].judged
    assert labelled.raters == [IMPLICIT_RATER, "ann", "bob"]
    assert load_labelled_set(path, aggregate="min").qrels["q1"] == {"d1": 2, "d2": 1, "d3": 2, "d4": 2}
    assert load_labelled_set(path, aggregate="max").qrels["q1"]["d1"] == 3


def test_the_header_sets_the_rule_and_the_guidelines(tmp_path):
    header = {"set": {"aggregate": "min", "guidelines": "# Grades\n**3** exact"}}
    path = _graded_set(tmp_path, header=header, candidates=[{"docid": "d1", "text": "a", "grades": {"a": 2, "b": 3}}])
    labelled = load_labelled_set(path)
    assert (labelled.aggregate, labelled.guidelines) == ("min", "# Grades\n**3** exact")
    assert labelled.qrels == {"q1": {"d1": 2}}
    assert [q.line for q in labelled.queries] == [2]


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        (
            {"docid": "d1", "text": "a", "label": 3, "grades": {"ann": 1, "bob": 1}},
            "candidate 'd1' (candidate 1) of query 'q1': label 3 differs from the set's rule 'mean' applied to its "
            "grades (1; grades {'ann': 1, 'bob': 1}). The label of a graded candidate is derived from its grades: fix "
            "the label or leave it out.",
        ),
        (
            {"docid": "d1", "text": "a", "grades": {"ann": 4.5}},
            "grade of rater 'ann' must be a non-negative integer (0-3 on the page), got 4.5.",
        ),
        ({"docid": "d1", "text": "a", "grades": [1, 2]}, 'grades must be an object {"<rater>": <grade>, ...}'),
        (
            {"docid": "d1", "text": "a", "grades": {"ann": 1}, "graded_at": {"bob": "t"}},
            "graded_at names rater(s) ['bob'] that have no grade",
        ),
        ({"docid": "d1", "text": "a", "adjudicated": {"grade": 1, "by": "x"}}, "adjudicated without grades"),
        (
            {"docid": "d1", "text": "a", "grades": {"ann": 1}, "adjudicated": {"grade": -1, "by": "x"}},
            'adjudicated must be {"grade": <non-negative integer>, "by": "<editor>", "at": "<time>"}',
        ),
    ],
)
def test_bad_grade_fields_are_refused_naming_file_and_line(tmp_path, candidate, message):
    path = _graded_set(tmp_path, candidates=[candidate])
    refused(f"{path}, line 1: ", load_labelled_set, path)
    refused(message, load_labelled_set, path)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([{"set": {"aggregate": "avg"}}], "line 1: the set header's aggregate must be one of mean, median, majority"),
        ([{"set": {"colour": 1}}], "line 1: the set header has unknown field(s) ['colour']"),
        ([{"set": {"guidelines": 3}}], "line 1: the set header's guidelines must be a markdown string, got int."),
        ([None, {"set": {}}], 'line 2: a set header {"set": {...}} must be the first line of the file.'),
    ],
)
def test_bad_headers_are_refused(tmp_path, lines, message):
    text = "\n".join(set_line() if obj is None else json.dumps(obj) for obj in lines)
    if lines[0] is not None:
        text += "\n" + set_line()
    path = write_file(tmp_path, "h.jsonl", text + "\n")
    refused(message, load_labelled_set, path)


def test_an_unknown_override_is_refused(tmp_path):
    with pytest.raises(ValueError, match="aggregate must be one of mean, median, majority, max, min; got 'top'"):
        load_labelled_set(_graded_set(tmp_path), aggregate="top")


# --- old files: unchanged ---------------------------------------------------------------------------------------------
# sha256 of metrics.json written by evaluate_set with tests/helpers.WordOverlapScorer, computed at commit 964712c
# (before sets could carry several raters' grades). A change to how a plain-label file loads or is reported shows here.
GOLDEN = {
    "passages.csv": "8c992601f6d7e22f9984526d5ea8e5acbab8e3c43deb23eff22264b3738941dd",
    "ecommerce.jsonl": "13d31cb0459c3ea880ef59a01ad3044879af4d5d204f7be2cea6005273f1bd4d",
    "ecommerce_zh.jsonl": "6b91f793f47775f241acf49e8412954753dc4217154b6ae9d5687634992d3ba7",
}
# A set as Batch rerank saved it before several raters (label only), and its metrics.json at that commit.
OLD_SAVED = [
    {
        "qid": "waterproof-hiking-boots",
        "query": {"text": "waterproof hiking boots"},
        "candidates": [
            {"docid": "d1", "text": "Leather hiking boots, waterproof", "label": 3},
            {"docid": "d2", "text": "Coffee mug", "label": 0},
            {"docid": "d3", "text": "Rain boots for kids", "label": 1},
        ],
    },
    {
        "qid": "coffee-mug",
        "query": {"text": "coffee mug"},
        "candidates": [
            {"docid": "d1", "text": "Coffee mug", "label": 3},
            {"docid": "d2", "text": "Tea cup", "label": 1},
        ],
    },
]
OLD_SAVED_SHA256 = "1654faf4546c8511fd8cde2d59242e6220f4e251fa30da082a8f91d1f98efbdf"


def _metrics_sha256(path, name):
    labelled = load_labelled_set(path, name=name)
    result = evaluate_set(labelled, WordOverlapScorer(), model_id="word-overlap")
    return hashlib.sha256(output_files(result)["metrics.json"].encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_shipped_single_rater_sets_give_byte_identical_metrics(name):
    from eval.sets.labelled import shipped_set_path

    assert _metrics_sha256(shipped_set_path(name), f"eval/data/{name}") == GOLDEN[name]


def test_an_old_saved_set_gives_byte_identical_metrics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_file(tmp_path, "saved.jsonl", "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in OLD_SAVED))
    assert _metrics_sha256("saved.jsonl", "saved.jsonl") == OLD_SAVED_SHA256
    labelled = load_labelled_set("saved.jsonl")
    assert not labelled.has_grades and labelled.notes == ()


def test_metrics_json_names_the_rule_only_for_a_set_with_grades(tmp_path):
    result = evaluate_set(load_labelled_set(_graded_set(tmp_path)), WordOverlapScorer(), model_id="w")
    assert result.metrics["settings"]["aggregate"] == "mean"
    median = evaluate_set(load_labelled_set(_graded_set(tmp_path), aggregate="median"), WordOverlapScorer())
    assert median.metrics["settings"]["aggregate"] == "median"
