"""eval.measures.correlation: Spearman's rho with average ranks for ties, spelled out, and None where undefined."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval.measures.correlation import average_ranks, spearman


def test_average_ranks_share_ties():
    assert average_ranks([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_spearman_spelled_out():
    assert spearman([0.1, 0.5, 0.9], [0.2, 0.3, 0.8]) == pytest.approx(1.0)
    assert spearman([0.1, 0.5, 0.9], [0.8, 0.3, 0.2]) == pytest.approx(-1.0)
    # ranks (1, 2, 3, 4) and (2, 1, 4, 3): d = (-1, 1, -1, 1), rho = 1 - 6 * 4 / (4 * 15) = 0.6
    assert spearman([1, 2, 3, 4], [20, 10, 40, 30]) == pytest.approx(0.6)
    # with a tie: ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): Pearson of the ranks
    x, y = np.array([1, 2.5, 2.5, 4]) - 2.5, np.array([1, 2, 3, 4]) - 2.5
    expected = (x * y).sum() / math.sqrt((x * x).sum() * (y * y).sum())
    assert spearman([0.1, 0.5, 0.5, 0.9], [1, 2, 3, 4]) == pytest.approx(expected)


def test_spearman_equals_scipy_on_random_scores_with_ties():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.integers(0, 6, 30).astype(float), rng.random(30)
        assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)


def test_undefined_and_bad_input():
    assert spearman([0.5, 0.5, 0.5], [0.1, 0.2, 0.3]) is None  # a constant list has no ranking
    assert spearman([0.3], [0.4]) is None
    with pytest.raises(ValueError, match="two flat lists of one value per item, got 2 and 3 values"):
        spearman([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="spearman needs finite values"):
        spearman([1, float("nan")], [1, 2])
