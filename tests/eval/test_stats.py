"""Bootstrap intervals, the paired randomization test, wins/ties/losses, calibration and the baselines."""

from __future__ import annotations

import re

import numpy as np
import pytest

from eval.engine.baselines import bm25_run, input_order_run, tokenize
from eval.measures.calibration import best_f1_threshold, reliability, threshold_report
from eval.measures.stats import bootstrap_ci, randomization_test, wins_ties_losses
from eval.sets.loader import load_labelled_set

VALUES = [0.1, 0.9, 0.4, 0.75, 0.3, 1.0, 0.0, 0.55, 0.6, 0.8]


def test_bootstrap_interval_contains_the_mean_and_is_seeded():
    low, high = bootstrap_ci(VALUES)
    assert low < float(np.mean(VALUES)) < high
    assert bootstrap_ci(VALUES) == (low, high)  # same seed, same interval
    assert bootstrap_ci(VALUES, seed=1) != (low, high)


def test_bootstrap_interval_is_the_percentile_of_resampled_means():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(VALUES), size=(1000, len(VALUES)))
    means = np.asarray(VALUES)[idx].mean(axis=1)
    assert bootstrap_ci(VALUES) == (float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975)))


def test_bootstrap_degenerate_inputs():
    assert bootstrap_ci([0.7]) == (0.7, 0.7)
    assert bootstrap_ci([]) == (0.0, 0.0)
    with pytest.raises(ValueError, match=re.escape("confidence must be between 0 and 1 (exclusive), got 1.5.")):
        bootstrap_ci(VALUES, confidence=1.5)


def test_randomization_identical_runs_give_p_one():
    assert randomization_test(VALUES, VALUES) == 1.0


def test_randomization_clearly_different_runs_give_a_small_p():
    better = [min(1.0, v + 0.3) for v in VALUES] * 3
    p = randomization_test(better, VALUES * 3)
    assert p < 0.001
    assert p == pytest.approx(1 / 10_001)  # no flip of 30 positive differences reaches the observed mean


def test_randomization_is_two_sided_and_seeded():
    a = [0.5, 0.6, 0.4, 0.7, 0.5, 0.55]
    b = [0.45, 0.65, 0.3, 0.6, 0.52, 0.5]
    assert randomization_test(a, b) == randomization_test(b, a)
    assert 0.0 < randomization_test(a, b) <= 1.0
    # A single query with a difference: flips give +d or -d, both as extreme: p = 1.
    assert randomization_test([1.0], [0.0]) == 1.0


def test_randomization_refuses_unpaired_values():
    with pytest.raises(ValueError, match=re.escape("a and b must hold one value per query each, got 2 and 3 values.")):
        randomization_test([0.1, 0.2], [0.1, 0.2, 0.3])


def test_wins_ties_losses():
    assert wins_ties_losses([0.5, 0.2, 0.3, 1.0], [0.4, 0.2, 0.9, 0.0]) == {"wins": 2, "ties": 1, "losses": 1}


# --- calibration ------------------------------------------------------------------------------------------------------
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


# --- baselines --------------------------------------------------------------------------------------------------------
def test_tokenize_strips_plurals_and_stop_words():
    assert tokenize("Red Shoes for the kids, with batteries & boxes") == ["red", "shoe", "kid", "battery", "box"]
    assert tokenize(None) == []


def test_input_order_and_bm25_baselines(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "qid,query,docid,document,label\n"
        "q1,red running shoes,d1,blue teapot,0\n"
        "q1,red running shoes,d2,red running shoe by Nike,3\n"
        "q1,red running shoes,d3,running socks,1\n"
        "q2,teapot,d1,blue teapot,2\n"
        "q2,teapot,d4,coffee mug,0\n",
        encoding="utf-8",
    )
    labelled = load_labelled_set(path)
    assert input_order_run(labelled) == {"q1": {"d1": 3.0, "d2": 2.0, "d3": 1.0}, "q2": {"d1": 2.0, "d4": 1.0}}
    run = bm25_run(labelled)
    assert max(run["q1"], key=run["q1"].get) == "d2"
    assert run["q1"]["d2"] > run["q1"]["d3"] > run["q1"]["d1"] == 0.0
    assert run["q2"]["d1"] > run["q2"]["d4"] == 0.0
