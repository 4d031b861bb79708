"""Agreement measures against the reference packages (krippendorff, statsmodels, scikit-learn) on random sets of
graded items with missing grades, and the hand-checkable cases."""

from __future__ import annotations

import itertools
import math
import random

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from eval.measures.agreement import (
    agreement,
    cohen_kappa_quadratic,
    confusion_matrix,
    exact_agreement,
    fleiss_kappa,
    krippendorff_alpha_ordinal,
)

TOLERANCE = 1e-12


def random_ratings(seed: int, *, raters: int, items: int, missing: float) -> dict[str, dict[str, int]]:
    """``item -> rater -> grade`` with grades 0-3 that lean on a shared true grade, each missing with ``missing``."""
    rng = random.Random(seed)
    names = [f"r{i}" for i in range(raters)]
    out = {}
    for i in range(items):
        truth = rng.randint(0, 3)
        grades = {}
        for r in names:
            if rng.random() < missing:
                continue
            grades[r] = min(3, max(0, truth + rng.choice([-1, 0, 0, 0, 1])))
        out[f"d{i}"] = grades
    return out


def reliability_matrix(ratings, raters) -> np.ndarray:
    return np.array([[g.get(r, np.nan) for g in ratings.values()] for r in raters], dtype=float)


SHAPES = [(2, 30, 0.2), (3, 60, 0.3), (4, 25, 0.1), (5, 80, 0.5)]  # raters, items, share of grades missing
CASES = [(seed, *shape) for seed in range(8) for shape in SHAPES]


@pytest.mark.parametrize(("seed", "raters", "items", "missing"), CASES)
def test_every_measure_equals_the_reference_packages(seed, raters, items, missing):
    ratings = random_ratings(seed, raters=raters, items=items, missing=missing)
    result = agreement(ratings)
    names = list(result.raters)

    expected_alpha = krippendorff.alpha(reliability_matrix(ratings, names), level_of_measurement="ordinal")
    assert abs(result.krippendorff_alpha_ordinal - expected_alpha) <= TOLERANCE

    complete = [[g[r] for r in names] for g in ratings.values() if len(g) == len(names)]
    assert result.fleiss_items == len(complete)
    if complete:
        table, _ = aggregate_raters(np.array(complete))
        expected_fleiss = sm_fleiss_kappa(table, method="fleiss")
        assert abs(result.fleiss_kappa - expected_fleiss) <= TOLERANCE

    for a, b in itertools.combinations(names, 2):
        both = [(g[a], g[b]) for g in ratings.values() if a in g and b in g]
        a_grades, b_grades = [x for x, _ in both], [y for _, y in both]
        expected = cohen_kappa_score(a_grades, b_grades, weights="quadratic", labels=[0, 1, 2, 3])
        assert abs(result.cohen_kappa_quadratic[f"{a}|{b}"] - expected) <= TOLERANCE
        assert result.pair_items[f"{a}|{b}"] == len(both)

    pairable = [list(g.values()) for g in ratings.values() if len(g) >= 2]
    assert result.items == len(pairable)
    assert result.exact_agreement == sum(len(set(u)) == 1 for u in pairable) / len(pairable)


def test_cohen_equals_sklearns_default_when_every_grade_occurs():
    a = [0, 1, 2, 3, 3, 2, 1, 0, 2, 2]
    b = [0, 2, 2, 3, 2, 2, 1, 1, 3, 2]
    assert abs(cohen_kappa_quadratic(a, b) - cohen_kappa_score(a, b, weights="quadratic")) <= TOLERANCE


def test_cohen_uses_the_grades_own_distances_when_a_grade_is_unused():
    # grade 1 unused: sklearn's default would put 0 and 2 next to each other
    a, b = [0, 2, 3, 3, 0], [2, 2, 3, 0, 0]
    ours = cohen_kappa_quadratic(a, b)
    assert abs(ours - cohen_kappa_score(a, b, weights="quadratic", labels=[0, 1, 2, 3])) <= TOLERANCE
    assert abs(ours - cohen_kappa_score(a, b, weights="quadratic")) > 0.01


def test_hand_computed_values():
    # two raters, perfect agreement on a varied set: every measure is 1
    perfect = {"d1": {"a": 0, "b": 0}, "d2": {"a": 3, "b": 3}, "d3": {"a": 1, "b": 1}}
    result = agreement(perfect)
    assert (result.krippendorff_alpha_ordinal, result.fleiss_kappa, result.exact_agreement) == (1.0, 1.0, 1.0)
    assert result.cohen_kappa_quadratic == {"a|b": 1.0}
    # Fleiss by hand: 2 items x 2 raters, grades (0,0) and (0,1): P = (1 + 0)/2 = 0.5, p0 = 3/4, p1 = 1/4,
    # Pe = 9/16 + 1/16 = 10/16, kappa = (0.5 - 0.625) / (1 - 0.625) = -1/3
    assert math.isclose(fleiss_kappa([[0, 0], [0, 1]]), -1 / 3)
    assert exact_agreement([[1, 1], [1, 2], [3]]) == 0.5
    assert confusion_matrix([0, 1, 1], [0, 2, 1], [0, 1, 2]) == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]


def test_undefined_measures_are_none_not_nan():
    one_rater = agreement({"d1": {"a": 2}, "d2": {"a": 0}})
    assert one_rater.raters == ("a",)
    assert (one_rater.items, one_rater.krippendorff_alpha_ordinal, one_rater.fleiss_kappa) == (0, None, None)
    assert (one_rater.exact_agreement, one_rater.cohen_kappa_quadratic) == (None, {})
    same = agreement({"d1": {"a": 2, "b": 2}, "d2": {"a": 2, "b": 2}})
    assert same.krippendorff_alpha_ordinal is None and same.fleiss_kappa is None
    assert same.cohen_kappa_quadratic == {"a|b": None} and same.exact_agreement == 1.0
    assert krippendorff_alpha_ordinal([[1], [2]]) is None


def test_as_json_has_the_documented_keys_in_order():
    result = agreement({"d1": {"b": 1, "a": 2}, "d2": {"a": 0, "b": 0}})
    assert list(result.as_json()) == [
        "raters",
        "items",
        "krippendorff_alpha_ordinal",
        "fleiss_kappa",
        "fleiss_items",
        "cohen_kappa_quadratic",
        "exact_agreement",
    ]
    assert result.as_json()["raters"] == ["a", "b"]


def test_fleiss_refuses_items_with_different_numbers_of_grades():
    with pytest.raises(ValueError, match=r"every item needs the same number of grades, got sizes \[2, 3\]"):
        fleiss_kappa([[0, 1], [0, 1, 2]])
