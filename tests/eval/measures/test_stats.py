"""Bootstrap intervals, the paired randomization test and wins/ties/losses."""

from __future__ import annotations

import re

import numpy as np
import pytest

from eval.measures.stats import bootstrap_ci, randomization_test, wins_ties_losses

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
