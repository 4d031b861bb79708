"""Could the model pre-grade? Bands against bucketed grades, fitted thresholds, α with the model as a rater, per
segment — each number checked by hand or against the reference packages."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from eval.judgments.pregrade import band_grade, bucket, check, check_by_segment, fit_thresholds, fitted_grade
from eval.sets.loader import load_labelled_set
from tests.eval.helpers import write_file

# (docid, ann, bob, model score)
ROWS = [
    ("d1", 3, 3, 0.95),
    ("d2", 3, 2, 0.80),
    ("d3", 2, 2, 0.70),
    ("d4", 1, 2, 0.60),
    ("d5", 1, 0, 0.50),
    ("d6", 0, 0, 0.20),
    ("d7", 0, 1, 0.65),
    ("d8", 2, 3, 0.30),
]


@pytest.fixture
def graded(tmp_path):
    lines = []
    for segment, qid in (("seg-a", "q1"), ("seg-b", "q2")):
        candidates = [{"docid": d, "text": d, "grades": {"ann": a, "bob": b}} for d, a, b, _ in ROWS]
        lines.append({"qid": qid, "query": qid, "segment": segment, "candidates": candidates})
    labelled = load_labelled_set(write_file(tmp_path, "g.jsonl", "".join(json.dumps(o) + "\n" for o in lines)))
    scores = {(qid, d): s for qid in ("q1", "q2") for d, _, _, s in ROWS}
    return labelled, scores


def test_buckets_bands_and_fitted_grades():
    assert [bucket(g) for g in (0, 1, 2, 3, 4)] == [0, 1, 1, 2, 2]
    assert [band_grade(s, medium=0.55, strong=0.75) for s in (0.1, 0.55, 0.74, 0.75)] == [0, 1, 1, 2]
    # people: two 0s, one 1, three 2s, two 3s -> the sorted scores are cut after 2, 3 and 6 of them
    scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    assert fit_thresholds(scores, [0, 0, 1, 2, 2, 2, 3, 3]) == (0.3, 0.4, 0.7)
    assert [fitted_grade(s, (0.3, 0.4, 0.7)) for s in scores] == [0, 0, 1, 2, 2, 2, 3, 3]
    # nobody gave a 3: the top cut is beyond every score
    assert fit_thresholds([0.1, 0.9], [0, 1])[2] == float("inf")


def test_the_model_against_the_people(graded):
    labelled, scores = graded
    result = check(labelled.queries[:1], scores, medium=0.55, strong=0.75)
    labels = [c.label for c in labelled.queries[0].candidates]  # mean rounded half up of ann and bob
    assert labels == [3, 3, 2, 2, 1, 0, 1, 3]
    model = [s for *_, s in ROWS]
    bands = [band_grade(s, medium=0.55, strong=0.75) for s in model]
    buckets = [bucket(x) for x in labels]
    assert result.n == 8
    expected_bands = cohen_kappa_score(buckets, bands, weights="quadratic", labels=[0, 1, 2])
    assert result.kappa_bands == pytest.approx(expected_bands)
    # (people bucket, band): (2,2) (2,2) (1,1) (1,1) (1,0) (0,0) (1,1) (2,0); rows people 0 / 1-2 / 3, columns model
    assert result.confusion_bands == [[1, 0, 0], [1, 3, 0], [1, 0, 2]]
    fitted = [fitted_grade(s, result.thresholds) for s in model]
    assert sorted(fitted) == sorted(labels)  # as many of each grade as the people gave
    assert result.kappa_fitted == pytest.approx(
        cohen_kappa_score(labels, fitted, weights="quadratic", labels=[0, 1, 2, 3])
    )
    people = np.array([[a for _, a, _, _ in ROWS], [b for _, _, b, _ in ROWS]], dtype=float)
    assert result.alpha_people == pytest.approx(krippendorff.alpha(people, level_of_measurement="ordinal"))
    with_model = np.vstack([people, np.array(fitted, dtype=float)])
    assert result.alpha_with_model == pytest.approx(krippendorff.alpha(with_model, level_of_measurement="ordinal"))
    assert result.raters == ("ann", "bob")


def test_per_segment_uses_the_whole_sets_thresholds(graded):
    labelled, scores = graded
    overall, segments = check_by_segment(labelled, scores, medium=0.55, strong=0.75)
    assert list(segments) == ["seg-a", "seg-b"]
    assert overall.n == 16 and all(s.n == 8 for s in segments.values())
    assert all(s.thresholds == overall.thresholds for s in segments.values())


def test_a_judged_candidate_without_a_score_is_named(graded):
    labelled, scores = graded
    del scores["q1", "d3"]
    with pytest.raises(ValueError, match=r"no model score for 1 judged candidate\(s\) \(q1/d3\)"):
        check(labelled.queries, scores, medium=0.55, strong=0.75)
