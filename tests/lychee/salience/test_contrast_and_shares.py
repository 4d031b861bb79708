"""Occlusion against Captum's FeatureAblation, "why A above B" (contrast), and modality shares (exact Shapley)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from captum.attr import FeatureAblation
from PIL import Image

from lychee import Item
from lychee.salience import occlusion
from lychee.salience.masking import PairMasker
from lychee.salience.occlusion import occlusion_many
from lychee.salience.shares import modality_shares_many
from tests.helpers import WordOverlapScorer
from tests.lychee.salience.test_faithfulness import DOC_WEIGHTS, LinearScorer
from tests.lychee.salience.test_salience import AdditiveScorer


# --- occlusion is Captum's FeatureAblation over the same units --------------------------------------------------------
@pytest.mark.parametrize("scorer_class", [AdditiveScorer, WordOverlapScorer])
def test_occlusion_equals_captum_feature_ablation(scorer_class):
    scorer = scorer_class()
    image = Image.new("RGB", (40, 40), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    query = "red running shoes"
    document = Item("red shoes, running", image) if scorer.capabilities.image else "red shoes, running"
    ours = occlusion(scorer, query, document, image_cells=4)

    masker = PairMasker(Item(query), Item.coerce(document), image_cells=4)
    instruction = scorer.resolve_instruction(None)

    def forward(masks: torch.Tensor) -> torch.Tensor:  # 1 = unit present, 0 = removed
        pairs = [masker.pair_without([i for i, m in enumerate(row) if m < 0.5]) for row in masks.tolist()]
        preds = scorer.predict_pairs(pairs, instruction, allow_empty=True)
        return torch.tensor([p.log_odds for p in preds], dtype=torch.float64)

    n = len(masker)
    inputs = torch.ones((1, n), dtype=torch.float64)
    captum = (
        FeatureAblation(forward)
        .attribute(inputs, baselines=torch.zeros_like(inputs), feature_mask=torch.arange(n).unsqueeze(0))[0]
        .tolist()
    )
    weights = [t.weight for t in ours.query_tokens + ours.document_tokens]
    if ours.document_image is not None:
        weights += ours.document_image.weights.ravel().tolist()
    assert len(weights) == n
    assert weights == pytest.approx(captum, abs=1e-9)


def test_occlusion_many_scores_every_document_in_one_call_and_reuses_the_base():
    scorer = WordOverlapScorer()
    docs = ["red shoes", "running shoes for sale", "blue teapot"]
    bases = [p.log_odds for p in scorer.predict("red running shoes", docs)]
    scorer.calls.clear()
    many = occlusion_many(scorer, "red running shoes", docs, base_log_odds=bases, parts={"document_text"})
    # 2 + 4 + 2 words, no base pair scored again
    assert scorer.calls == [8]
    for doc, e in zip(docs, many):
        alone = occlusion(scorer, "red running shoes", doc, parts={"document_text"})
        assert [(t.text, t.weight) for t in e.document_tokens] == [(t.text, t.weight) for t in alone.document_tokens]
        assert e.log_odds == alone.log_odds and e.query_tokens == []
    with pytest.raises(ValueError, match=re.escape("base_log_odds: got 1 values for 3 documents")):
        occlusion_many(scorer, "q", docs, base_log_odds=[0.0])


# --- why A above B ---------------------------------------------------------------------------------------------------
def test_contrastive_occlusion_weights_sum_to_the_gap_for_a_linear_scorer():
    scorer = LinearScorer()
    e = scorer.explain_pair("red running shoes", "Nike red running shoe", "blue teapot for road")
    lo_a = scorer.predict("red running shoes", ["Nike red running shoe"])[0].log_odds
    lo_b = scorer.predict("red running shoes", ["blue teapot for road"])[0].log_odds
    assert e.gap == pytest.approx(lo_a - lo_b) and e.gap == pytest.approx(0.4 + 2.0 + 1.0 + 1.5 - (-2.5 - 0.1 + 0.3))
    # the query's words move both titles alike: no effect on the gap; each title's words carry their own weight
    assert [t.weight for t in e.query_tokens] == pytest.approx([0.0, 0.0, 0.0])
    assert [(t.text, t.weight) for t in e.a_tokens] == [
        (w, pytest.approx(DOC_WEIGHTS[w.lower()])) for w in ["Nike", "red", "running", "shoe"]
    ]
    assert [t.weight for t in e.b_tokens] == pytest.approx([0.0, -2.5, -0.1, 0.3])
    assert e.gap_effects() == pytest.approx(e.gap)
    assert e.faithfulness.side == "gap" and e.faithfulness.n_units == 3 + 4 + 4


def test_contrast_scores_both_titles_variants_in_one_call():
    scorer = WordOverlapScorer()
    e = scorer.explain_pair("red running shoes", "red running shoes, light", "running socks", faithfulness=False)
    # base A, base B, 3 query words x 2 titles, 4 + 2 title words
    assert scorer.calls == [2 + 6 + 6] and e.n_evaluations == 14
    # each query word's effect on the gap, recomputed: the same query variant against both titles
    lo = {
        d: p.log_odds
        for d, p in zip(["a", "b"], scorer.predict("red running shoes", ["red running shoes, light", "running socks"]))
    }
    for token, removed in zip(e.query_tokens, ["running shoes", "red shoes", "red running"]):
        a, b = scorer.predict(removed, ["red running shoes, light", "running socks"])
        assert token.weight == pytest.approx((lo["a"] - lo["b"]) - (a.log_odds - b.log_odds))


def test_contrastive_shapley_sums_to_the_gap_on_any_scorer():
    scorer = WordOverlapScorer()
    e = scorer.explain_pair("red running shoes", "red shoes", "running socks", method="shapley", n_samples=6, seed=2)
    assert e.method == "shapley" and e.gap != 0
    assert e.gap_effects() == pytest.approx(e.gap, abs=1e-5)
    again = scorer.explain_pair(
        "red running shoes", "red shoes", "running socks", method="shapley", n_samples=6, seed=2
    )
    assert [t.weight for t in again.query_tokens] == [t.weight for t in e.query_tokens]


def test_contrast_refuses_a_method_the_model_does_not_offer():
    with pytest.raises(ValueError, match=re.escape("method must be 'occlusion' or 'shapley', got 'gradient'")):
        WordOverlapScorer().explain_pair("q", "a", "b", method="gradient")


# --- modality shares ---------------------------------------------------------------------------------------------------
def test_modality_shares_are_exact_shapley_values_and_efficient():
    scorer = AdditiveScorer()  # additive over parts: 0.25 x query words + document words + 4 x red share of the image
    image = Image.new("RGB", (40, 40), (255, 0, 0))
    m = scorer.modality_shares("red shoes", Item("red running shoes teapot", image))
    assert m.parts == ("query_text", "document_text", "document_image")
    assert m.values == pytest.approx((0.25 * 3.5, 2.0 + 0.5 + 1.5 - 3.0, 4.0))
    assert sum(m.values) == pytest.approx(m.full_log_odds - m.empty_log_odds)
    shares = m.shares()
    assert sum(abs(s) for s in shares.values()) == pytest.approx(1.0)
    assert shares["document_image"] == pytest.approx(4.0 / (0.875 + 1.0 + 4.0))
    assert m.n_evaluations == 2**3


def test_modality_shares_split_an_interaction_evenly():
    scorer = WordOverlapScorer()  # 4 x share of query words in the document - 2: needs both texts
    m = scorer.modality_shares("red shoes", "red shoes")
    empty = scorer.predict_pairs([("", "")], allow_empty=True)[0].log_odds
    q_only = scorer.predict_pairs([("red shoes", "")], allow_empty=True)[0].log_odds
    d_only = scorer.predict_pairs([("", "red shoes")], allow_empty=True)[0].log_odds
    full = 2.0
    phi_q = 0.5 * (q_only - empty) + 0.5 * (full - d_only)
    assert m.values == pytest.approx((phi_q, full - empty - phi_q))


def test_modality_shares_of_many_documents_share_one_call_and_the_base():
    scorer = WordOverlapScorer()
    docs = ["red shoes", "blue teapot", "running shoes"]
    bases = [p.log_odds for p in scorer.predict("red shoes", docs)]
    scorer.calls.clear()
    many = modality_shares_many(scorer, "red shoes", docs, base_log_odds=bases)
    # per document: query only, document only, nothing; "query only" and "nothing" are shared by all three
    assert scorer.calls == [2 + 3]
    for doc, m in zip(docs, many):
        assert m.values == pytest.approx(scorer.modality_shares("red shoes", doc).values)


def test_modality_shares_on_the_default_model(default_scorer):
    m = default_scorer.modality_shares("red running shoes", "Nike red running shoe")
    assert m.parts == ("query_text", "document_text")
    assert sum(m.values) == pytest.approx(m.full_log_odds - m.empty_log_odds, abs=1e-9)
    assert np.isfinite(m.values).all()
