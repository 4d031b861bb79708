"""Calibration: the F1-optimal threshold, precision/recall/F1 at the bands, reliability bins."""

from __future__ import annotations

import re

import pytest

from eval.measures.calibration import best_f1_threshold, reliability, threshold_report


def test_best_f1_threshold_hand_example():
    scores = [0.95, 0.81, 0.62, 0.40, 0.33, 0.10]
    labels = [2, 0, 1, 1, 0, 0]
    # t in (0.33, 0.40]: predict the top 4 -> TP 3, FP 1, FN 0 -> F1 = 6/7; no other threshold does as well.
    # t in (0.62, 0.81]: TP 1, FP 1, FN 2 -> 2/5; t in (0.81, 0.95]: 2/4; t <= 0.33: 6/8.
    best = best_f1_threshold(scores, labels)
    assert best["f1"] == pytest.approx(6 / 7)
    assert best["threshold"] == 0.40  # ties go to the highest grid threshold that keeps the same decisions
    assert (best["precision"], best["recall"], best["n_predicted"]) == (0.75, 1.0, 4)


def test_best_f1_without_relevant_pairs():
    assert best_f1_threshold([0.2, 0.9], [0, 0])["threshold"] is None


def test_threshold_report_at_the_bands():
    report = threshold_report([0.9, 0.7, 0.6, 0.2], [1, 1, 0, 1], {"medium": 0.55, "strong": 0.75})
    assert report["medium"] == {"threshold": 0.55, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 * 2 / (4 + 1 + 1), "n_predicted": 3}
    assert report["strong"]["precision"] == 1.0 and report["strong"]["recall"] == 1 / 3


def test_reliability_bins():
    rows = reliability([0.05, 0.15, 0.12, 0.95, 1.0], [0, 1, 0, 3, 2], bins=10)
    assert [r["n"] for r in rows] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert rows[1]["mean_label"] == 0.5 and rows[1]["fraction_relevant"] == 0.5
    assert rows[2]["mean_label"] is None
    assert rows[9] == {"low": 0.9, "high": 1.0, "n": 2, "mean_label": 2.5, "fraction_relevant": 1.0}


def test_calibration_refuses_non_probabilities():
    with pytest.raises(ValueError, match=re.escape("scores must be probabilities in [0, 1] for calibration, got values in [0.1, 7.0].")):
        reliability([0.1, 7.0], [0, 1])
