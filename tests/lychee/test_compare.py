"""lychee.compare: rank order, Kendall's tau, top-k overlap and the A/B table on hand-made rankings."""

from __future__ import annotations

import math
import re
from itertools import combinations

import pytest

from lychee.compare import ab_table, kendall_tau, rank_order, ranks_from_order, shift_label, top_k_overlap


def _tau_by_definition(ra, rb):
    pairs = list(combinations(range(len(ra)), 2))
    concordant = sum(1 for i, j in pairs if (ra[i] - ra[j]) * (rb[i] - rb[j]) > 0)
    discordant = sum(1 for i, j in pairs if (ra[i] - ra[j]) * (rb[i] - rb[j]) < 0)
    return (concordant - discordant) / len(pairs)


@pytest.mark.parametrize(("rank_a", "rank_b", "label"), [(5, 2, "↑ 3"), (1, 3, "↓ 2"), (4, 4, "=")])
def test_shift_label_says_how_far_and_which_way(rank_a, rank_b, label):
    assert shift_label(rank_a, rank_b) == label


def test_rank_order_breaks_ties_by_log_odds_then_input_order():
    assert rank_order([0.2, 0.9, 0.9]) == [1, 2, 0]
    assert rank_order([0.2, 0.9, 0.9], [0.0, 1.0, 2.0]) == [2, 1, 0]
    assert rank_order([0.5, 0.5, 0.5], [math.nan, 1.0, math.nan]) == [1, 0, 2]  # NaN last among ties
    assert ranks_from_order([2, 0, 1]) == [2, 3, 1]


def test_the_library_ranks_by_the_same_rule_as_the_pages():
    from lychee.items import Item
    from lychee.results import Prediction, rank_predictions

    scores, log_odds = [0.5, 0.5, 0.9, 0.5], [math.nan, 1.0, 2.0, math.nan]
    predictions = [Prediction(s, lo) for s, lo in zip(scores, log_odds)]
    ranked = rank_predictions(predictions, [Item(text=f"d{i}") for i in range(4)])
    assert [r.index for r in ranked] == rank_order(scores, log_odds) == [2, 1, 0, 3]


def test_kendall_tau_on_hand_made_pairs():
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # two adjacent swaps: 2 discordant pairs of 6 -> (4 - 2) / 6
    assert kendall_tau([1, 2, 3, 4], [2, 1, 4, 3]) == pytest.approx(1 / 3)
    # one document moved from first to last among 5: 4 discordant of 10 -> (6 - 4) / 10
    assert kendall_tau([1, 2, 3, 4, 5], [5, 1, 2, 3, 4]) == pytest.approx(0.2)
    assert kendall_tau([1], [1]) is None
    assert kendall_tau([], []) is None


@pytest.mark.parametrize("seed", range(5))
def test_kendall_tau_matches_the_definition_on_random_permutations(seed):
    import random

    rng = random.Random(seed)
    n = rng.randint(2, 30)
    ra, rb = list(range(1, n + 1)), list(range(1, n + 1))
    rng.shuffle(ra)
    rng.shuffle(rb)
    assert kendall_tau(ra, rb) == pytest.approx(_tau_by_definition(ra, rb))


def test_kendall_tau_refuses_rankings_of_different_documents():
    with pytest.raises(ValueError, match=re.escape("two rankings must rank the same documents: got 3 and 2 ranks.")):
        kendall_tau([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=re.escape("ranking B must give each of the 3 documents one rank from 1 to 3")):
        kendall_tau([1, 2, 3], [1, 1, 3])


def test_top_k_overlap():
    # 12 titles, B the reverse of A: A's top 10 is 1..10, B's is 12..3, shared 3..10
    ra = list(range(1, 13))
    rb = list(range(12, 0, -1))
    overlap = top_k_overlap(ra, rb, k=10)
    assert (overlap.k, overlap.depth, overlap.shared) == (10, 10, 8)
    assert overlap.fraction == 0.8
    # fewer titles than k: the whole list is the top list, so the overlap is complete
    small = top_k_overlap([1, 2, 3], [3, 2, 1], k=10)
    assert (small.depth, small.shared, small.fraction) == (3, 3, 1.0)
    assert top_k_overlap([1, 2, 3], [3, 2, 1], k=1).shared == 0
    with pytest.raises(ValueError, match=re.escape("k must be a positive integer, got 0.")):
        top_k_overlap([1], [1], k=0)


def test_ab_table_has_both_ranks_the_shift_and_both_bands():
    titles = ["boots", "socks", "mug"]
    df = ab_table(titles, [0.9, 0.6, 0.1], [0.2, 0.8, 0.7], strong=0.75, medium=0.55)
    assert df["title"].tolist() == ["boots", "socks", "mug"]  # in A's order
    assert df["rank_a"].tolist() == [1, 2, 3]
    assert df["rank_b"].tolist() == [3, 1, 2]
    assert df["shift"].tolist() == [-2, 1, 1]
    assert df["moved"].tolist() == ["↓ 2", "↑ 1", "↑ 1"]
    assert df["band_a"].tolist() == ["strong", "medium", "weak"]
    assert df["band_b"].tolist() == ["weak", "strong", "medium"]
    assert df["original_rank"].tolist() == [1, 2, 3]
    assert shift_label(4, 4) == "="
    with pytest.raises(ValueError, match=re.escape("ab_table: got 3 titles but {'scores_b': 2}")):
        ab_table(titles, [0.1, 0.2, 0.3], [0.1, 0.2], strong=0.75, medium=0.55)
