"""The deletion curve, occlusion and Shapley on a toy linear scorer whose true word weights are known.

Every expected number is recomputed here from the weights (or, for the random floor, from the seeded orders the
module documents: ``numpy.random.default_rng(seed).permutation`` five times), not read back from the library.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lychee import Capabilities
from lychee.explanation import FAITHFULNESS_BINS, RANDOM_SHUFFLES
from lychee.results import Prediction, sigmoid
from lychee.salience import explain
from lychee.salience.faithfulness import bin_sizes
from lychee.scorers.base import BaseScorer
from tests.helpers import WordOverlapScorer

DOC_WEIGHTS = {"nike": 0.4, "red": 2.0, "running": 1.0, "shoe": 1.5, "for": -0.1, "road": 0.3, "teapot": -2.5}
QUERY_WEIGHTS = {"red": 0.2, "running": 0.1, "shoes": 0.5}
BIAS = -1.0


class LinearScorer(BaseScorer):
    """log-odds = BIAS + sum of DOC_WEIGHTS over the document's words + sum of QUERY_WEIGHTS over the query's words.

    ``calls`` records the number of pairs of each ``_predict_pairs`` call.
    """

    def __init__(self) -> None:
        super().__init__(
            name="linear", family="test", capabilities=Capabilities(explain_methods=("occlusion", "shapley"))
        )
        self.calls: list[int] = []

    def _predict_pairs(self, pairs, instruction, *, progress=None):
        self.calls.append(len(pairs))
        out = []
        for q, d in pairs:
            z = BIAS + sum(DOC_WEIGHTS.get(w, 0.0) for w in (d.text or "").lower().split())
            z += sum(QUERY_WEIGHTS.get(w, 0.0) for w in (q.text or "").lower().split())
            out.append(Prediction(score=sigmoid(z), log_odds=z))
        return out


QUERY = "red running shoes"
DOCUMENT = "Nike red running shoe for road teapot"
WORDS = DOCUMENT.lower().split()


def _sum_of(words: list[str]) -> float:
    return sum(DOC_WEIGHTS[w] for w in words)


def test_bin_sizes_follow_the_formula():
    for n in (1, 2, 5, 7, 10, 20, 33, 100):
        assert bin_sizes(n) == tuple(min(n, max(1, math.ceil(b * n))) for b in FAITHFULNESS_BINS)
    assert bin_sizes(7) == (1, 1, 1, 2, 4) and bin_sizes(100) == (1, 5, 10, 20, 50)


def test_occlusion_recovers_the_true_weights():
    e = explain(LinearScorer(), QUERY, DOCUMENT)
    assert [t.weight for t in e.document_tokens] == pytest.approx([DOC_WEIGHTS[w] for w in WORDS])
    assert [t.weight for t in e.query_tokens] == pytest.approx([0.2, 0.1, 0.5])


def test_comprehensiveness_and_sufficiency_equal_the_analytic_values():
    scorer = LinearScorer()
    e = explain(scorer, QUERY, DOCUMENT, seed=3)
    f = e.faithfulness
    n = len(WORDS)
    ks = [min(n, max(1, math.ceil(b * n))) for b in FAITHFULNESS_BINS]
    by_weight = sorted(WORDS, key=lambda w: -DOC_WEIGHTS[w])  # no ties among these weights
    # removing the top k lowers the log-odds by their weights; keeping only them lowers it by the others' weights
    comprehensiveness = np.mean([_sum_of(by_weight[:k]) for k in ks])
    sufficiency = np.mean([_sum_of(by_weight[k:]) for k in ks])
    assert f.side == "document" and f.n_units == n and f.ks == tuple(ks)
    assert f.comprehensiveness == pytest.approx(comprehensiveness)
    assert f.sufficiency == pytest.approx(sufficiency)
    assert f.top_units == ("red", "shoe", "running", "Nike", "road", "for", "teapot")
    assert f.removed == pytest.approx([e.log_odds - _sum_of(by_weight[:k]) for k in ks])

    rng = np.random.default_rng(3)
    orders = [[WORDS[i] for i in rng.permutation(n)] for _ in range(RANDOM_SHUFFLES)]
    random_comp = np.mean([np.mean([_sum_of(o[:k]) for k in ks]) for o in orders])
    random_suff = np.mean([np.mean([_sum_of(o[k:]) for k in ks]) for o in orders])
    assert f.random_comprehensiveness == pytest.approx(random_comp)
    assert f.random_sufficiency == pytest.approx(random_suff)
    assert f.comprehensiveness > f.random_comprehensiveness and f.sufficiency < f.random_sufficiency
    # the weights in one call, every variant of every bin (random ones included) in one more
    assert len(scorer.calls) == 2 and scorer.calls[1] == f.n_evaluations


def test_the_seed_fixes_the_random_floor_and_changes_it():
    a = explain(LinearScorer(), QUERY, DOCUMENT, seed=1).faithfulness
    b = explain(LinearScorer(), QUERY, DOCUMENT, seed=1).faithfulness
    c = explain(LinearScorer(), QUERY, DOCUMENT, seed=2).faithfulness
    assert a == b
    assert (a.random_removed, a.random_kept) != (c.random_removed, c.random_kept)


def test_a_document_without_text_is_measured_on_the_query_and_none_without_words():
    from PIL import Image

    image_scorer = LinearScorer()
    image_scorer.capabilities = Capabilities(image=True, explain_methods=("occlusion",))
    e = explain(image_scorer, QUERY, {"image": Image.new("RGB", (8, 8))}, image_cells=4)
    assert e.faithfulness.side == "query" and e.faithfulness.n_units == 3
    assert explain(LinearScorer(), QUERY, DOCUMENT, faithfulness=False).faithfulness is None


def test_shapley_on_a_linear_scorer_is_the_true_weights_and_seeded():
    scorer = LinearScorer()
    e = explain(scorer, QUERY, DOCUMENT, method="shapley", n_samples=3, seed=5)
    assert e.method == "shapley" and e.n_samples == 3 and e.seed == 5
    # for an additive game every permutation gives each player its own weight
    assert [t.weight for t in e.document_tokens] == pytest.approx([DOC_WEIGHTS[w] for w in WORDS], abs=1e-5)
    assert [t.weight for t in e.query_tokens] == pytest.approx([0.2, 0.1, 0.5], abs=1e-5)
    assert len(scorer.calls) == 2  # every sampled coalition in one call, then the deletion curve


def test_shapley_is_deterministic_per_seed_and_efficient():
    scorer = WordOverlapScorer()  # not additive: a query word counts only when the document has it
    query, document = "red running shoes sale", "red shoes on sale, running"
    run = [explain(scorer, query, document, method="shapley", n_samples=4, seed=s) for s in (7, 7, 8)]
    weights = [[t.weight for t in e.query_tokens + e.document_tokens] for e in run]
    assert weights[0] == weights[1]
    assert weights[0] != weights[2]
    empty = scorer.predict_pairs([("", "")], allow_empty=True)[0].log_odds
    for e, w in zip(run, weights):  # efficiency holds for every sample of permutations
        assert sum(w) == pytest.approx(e.log_odds - empty, abs=1e-5)


def test_shapley_scores_each_distinct_coalition_once():
    scorer = LinearScorer()
    e = explain(scorer, QUERY, DOCUMENT, method="shapley", n_samples=2, faithfulness=False)
    n = len(WORDS) + 3
    assert scorer.calls == [e.n_evaluations] and e.n_evaluations <= 2 * (n - 1) + 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "shapley", "n_samples": 0}, "n_samples: got 0; expected a positive integer"),
        ({"method": "shapley", "seed": -1}, "seed: got -1; expected a non-negative integer."),
        ({"method": "occlusion", "n_samples": 3}, "occlusion explain: unknown options ['n_samples']"),
        ({"method": "ig"}, "method must be 'occlusion' or 'shapley', got 'ig'. The model 'linear' offers no gradient"),
    ],
)
def test_bad_options_are_refused_with_their_name(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        explain(LinearScorer(), QUERY, DOCUMENT, **options)


def test_shapley_draws_from_its_own_generator_not_torchs_global_one():
    import torch

    before = torch.random.get_rng_state()
    a = explain(WordOverlapScorer(), "red shoes sale", "red shoes", method="shapley", n_samples=3, seed=9)
    assert torch.equal(torch.random.get_rng_state(), before)
    torch.manual_seed(12345)  # another seed on the global generator changes nothing
    b = explain(WordOverlapScorer(), "red shoes sale", "red shoes", method="shapley", n_samples=3, seed=9)
    assert [t.weight for t in a.query_tokens] == [t.weight for t in b.query_tokens]
