"""Salience on the VLM scorer: generic occlusion, and gradient x input checked against finite differences.

The finite-difference reference runs its own float64 copy of the tiny model, built from the checkpoint with
transformers and qwen_vl_utils directly: scaling the input embeddings of a word's tokens by ``1 + eps`` changes the
log-odds at rate ``sum_j grad_j . x_j``, which is exactly that word's gradient x input attribution.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import lychee
from lychee import Item
from lychee.salience import grey_cell, grid_shape, remove_span, segment
from tests.helpers import noise_image

SUFFIX = "<|im_end|>\n<|im_start|>assistant\n"
PATCH = {"lychee": 14, "qwen3-vl-reranker": 16}
PIXELS = {"lychee": (4 * 28 * 28, 1280 * 28 * 28), "qwen3-vl-reranker": (4 * 32 * 32, 1800 * 32 * 32)}
MODEL_CLASS = {"lychee": "Qwen2_5_VLForConditionalGeneration", "qwen3-vl-reranker": "Qwen3VLForConditionalGeneration"}
SYSTEM = (
    "Judge whether the Document meets the requirements based on the Query and the Instruct provided. "
    'Note that the answer can only be "yes" or "no".'
)


Q_IMG = noise_image(80, 56, seed=11)
D_IMG = noise_image(60, 100, seed=12)


class FiniteDifferences:
    """log-odds of one pair under scaled input embeddings, on a float64 copy of the checkpoint."""

    def __init__(self, family: str, path) -> None:
        import transformers
        from transformers import AutoProcessor

        self.family = family
        lo, hi = PIXELS[family]
        self.processor = AutoProcessor.from_pretrained(
            str(path), padding_side="left", size={"shortest_edge": lo, "longest_edge": hi}
        )
        self.model = getattr(transformers, MODEL_CLASS[family]).from_pretrained(str(path), dtype=torch.float64).eval()
        tok = self.processor.tokenizer
        self.yes, self.no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")

    def messages(self, instruction, q_text, q_image, d_text, d_image):
        lo, hi = PIXELS[self.family]

        def side(prefix, text, image):
            parts = [{"type": "text", "text": prefix}]
            if image is not None:
                parts.append({"type": "image", "image": image, "min_pixels": lo, "max_pixels": hi})
            if text:
                parts.append({"type": "text", "text": text})
            return parts

        user = [{"type": "text", "text": "<Instruct>: " + instruction}]
        user += side("<Query>:", q_text, q_image) + side("\n<Document>:", d_text, d_image)
        return [{"role": "system", "content": [{"type": "text", "text": SYSTEM}]}, {"role": "user", "content": user}]

    def inputs(self, messages):
        from qwen_vl_utils import process_vision_info

        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        images, _ = process_vision_info(messages, image_patch_size=PATCH[self.family])
        return text, self.processor(text=[text], images=images, return_tensors="pt")

    def log_odds(self, inputs, positions, scale: float) -> float:
        def hook(_module, args, kwargs):
            x = kwargs["inputs_embeds"].clone()
            x[0, positions] = x[0, positions] * scale
            kwargs["inputs_embeds"] = x
            return args, kwargs

        handle = self.model.model.language_model.register_forward_pre_hook(hook, with_kwargs=True)
        try:
            with torch.no_grad():
                batch = dict(inputs)
                if "pixel_values" in batch:
                    batch["pixel_values"] = batch["pixel_values"].to(torch.float64)
                logits = self.model(**batch).logits[0, -1]
        finally:
            handle.remove()
        return float(logits[self.yes] - logits[self.no])

    def derivative(self, inputs, positions, eps: float = 2e-2) -> float:
        """d log_odds / d scale at scale 1: central differences with one Richardson step (error O(eps^4)).

        eps is not tiny on purpose: transformers computes the rotary tables in float32 even for a float64 model, so
        the log-odds carry ~1e-7 of noise that a small step would amplify.
        """

        def central(h: float) -> float:
            return (self.log_odds(inputs, positions, 1 + h) - self.log_odds(inputs, positions, 1 - h)) / (2 * h)

        return (4 * central(eps / 2) - central(eps)) / 3


@pytest.fixture(scope="module")
def fd(family, checkpoint) -> FiniteDifferences:
    return FiniteDifferences(family, checkpoint)


# --- occlusion (the generic lychee.salience path) -------------------------------------------------------------------
def test_occlusion_works_on_the_vlm(vlm_scorer):
    query = Item("red running shoes", Q_IMG, name="query")
    doc = Item("Nike red running shoe, lightweight", D_IMG, name="document")
    exp = vlm_scorer.explain(query, doc, image_cells=4)
    base = vlm_scorer.predict(query, [doc])[0]
    # the pair is scored in the same batch as its variants (shared-prefix path): float32 noise of ~1e-6
    assert exp.method == "occlusion" and exp.score == pytest.approx(base.score, abs=1e-5)
    spans, _ = segment(doc.text)
    assert [t.text for t in exp.document_tokens] == [doc.text[s:e] for s, e in spans]
    # a unit's weight is the log-odds lost when it is removed
    s, e = spans[1]
    without = vlm_scorer.predict(query, [doc.with_text(remove_span(doc.text, s, e))])[0]
    assert exp.document_tokens[1].weight == pytest.approx(base.log_odds - without.log_odds, abs=1e-4)
    rows, cols = grid_shape(Q_IMG, 4)
    assert exp.query_image.weights.shape == (rows, cols)
    greyed = vlm_scorer.predict(query.with_image(grey_cell(Q_IMG, rows, cols, 0, 1)), [doc])[0]
    assert exp.query_image.weights[0, 1] == pytest.approx(base.log_odds - greyed.log_odds, abs=1e-4)
    n_units = len(segment(query.text)[0]) + len(spans)
    assert exp.n_evaluations == 1 + n_units + rows * cols + exp.document_image.weights.size
    assert np.isfinite(exp.document_image.weights).all()


def test_occlusion_can_empty_a_side(vlm_scorer):
    exp = vlm_scorer.explain("shoes", "teapot")  # removing the only word leaves an empty side (NULL for Qwen3)
    assert len(exp.query_tokens) == 1 and len(exp.document_tokens) == 1
    assert all(np.isfinite(t.weight) for t in exp.query_tokens + exp.document_tokens)


# --- gradient x input -------------------------------------------------------------------------------------------------
def _expected_grid(family: str, image: Image.Image) -> tuple[int, int]:
    from qwen_vl_utils import smart_resize

    factor = PATCH[family] * 2
    lo, hi = PIXELS[family]
    h, w = smart_resize(image.height, image.width, factor=factor, min_pixels=lo, max_pixels=hi)
    return h // factor, w // factor


def test_gradient_shapes_and_score(vlm_scorer, family):
    query = Item("red running shoes", Q_IMG, name="query")
    doc = Item("Nike red running shoe, lightweight", D_IMG, name="document")
    exp = vlm_scorer.explain(query, doc, method="gradient")
    base = vlm_scorer.predict(query, [doc])[0]
    assert exp.method == "gradient" and exp.n_evaluations == 1
    assert exp.score == pytest.approx(base.score, abs=1e-5) and exp.log_odds == pytest.approx(base.log_odds, abs=1e-4)
    assert [t.text for t in exp.query_tokens] == ["red", "running", "shoes"]
    assert [t.text for t in exp.document_tokens] == ["Nike", "red", "running", "shoe,", "lightweight"]
    assert exp.query_image.weights.shape == _expected_grid(family, Q_IMG)
    assert exp.document_image.weights.shape == _expected_grid(family, D_IMG)
    assert (exp.query_image.rows, exp.query_image.cols) == exp.query_image.weights.shape
    assert exp.query_image.size == Q_IMG.size and exp.document_image.size == D_IMG.size
    weights = [t.weight for t in exp.query_tokens + exp.document_tokens]
    assert np.isfinite(weights).all() and np.isfinite(exp.query_image.weights).all()
    assert any(abs(w) > 0 for w in weights) and np.abs(exp.document_image.weights).max() > 0


def test_gradient_word_weights_match_finite_differences(vlm_scorer, fd, family):
    instruction = vlm_scorer.default_instruction
    q_text, d_text = "red running shoes", "Nike red running shoe, lightweight"
    exp = vlm_scorer.explain(q_text, d_text, method="gradient")
    text, inputs = fd.inputs(fd.messages(instruction, q_text, None, d_text, None))
    offsets = fd.processor.tokenizer(text, return_offsets_mapping=True)["offset_mapping"]
    assert len(offsets) == inputs["input_ids"].shape[1]
    d_start = len(text) - len(SUFFIX) - len(d_text)
    q_start = text.rindex("<Query>:" + q_text) + len("<Query>:")
    for tokens, start in ((exp.document_tokens, d_start), (exp.query_tokens, q_start)):
        for unit in tokens:
            lo, hi = start + unit.start, start + unit.end
            positions = [i for i, (s, e) in enumerate(offsets) if e > lo and s < hi]
            assert positions, unit
            assert unit.weight == pytest.approx(fd.derivative(inputs, positions), rel=5e-3, abs=3e-4), unit.text


def test_gradient_image_weights_match_finite_differences(vlm_scorer, fd):
    instruction = vlm_scorer.default_instruction
    exp = vlm_scorer.explain({"text": "red shoes", "image": Q_IMG}, {"image": D_IMG}, method="gradient")
    _, inputs = fd.inputs(fd.messages(instruction, "red shoes", Q_IMG, None, D_IMG))
    pads = (inputs["input_ids"][0] == fd.processor.image_token_id).nonzero().flatten().tolist()
    n_query = exp.query_image.weights.size
    assert len(pads) == n_query + exp.document_image.weights.size
    # the query image comes first in the prompt; its run sums to its cells, the document's run to the document's
    assert exp.query_image.weights.sum() == pytest.approx(fd.derivative(inputs, pads[:n_query]), rel=5e-3, abs=3e-4)
    assert exp.document_image.weights.sum() == pytest.approx(
        fd.derivative(inputs, pads[n_query:]), rel=5e-3, abs=3e-4
    )
    # and one cell: the first merged token of the document image
    assert exp.document_image.weights[0, 0] == pytest.approx(
        fd.derivative(inputs, pads[n_query : n_query + 1]), rel=5e-3, abs=3e-4
    )


def test_gradient_on_truncated_document_gives_zero_to_cut_words(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), max_length=128)
    doc = " ".join(f"w{i}" for i in range(300))
    with pytest.warns(UserWarning, match="the document text was cut"):
        exp = scorer.explain("red shoes", doc, method="gradient", max_units=None)
    assert len(exp.document_tokens) == 300
    assert exp.document_tokens[-1].weight == 0.0 and exp.document_tokens[-1].text == "w299"
    assert any(t.weight != 0.0 for t in exp.document_tokens[:10])


def test_gradient_groups_long_text(vlm_scorer):
    doc = " ".join(f"w{i}" for i in range(40))
    exp = vlm_scorer.explain("red shoes", doc, method="gradient", max_units=8)
    assert exp.grouped and len(exp.document_tokens) == 8
    assert exp.document_tokens[0].start == 0 and exp.document_tokens[-1].end == len(doc)


def test_gradient_accepts_the_occlusion_options_and_rejects_others(vlm_scorer):
    calls = []
    options = {"max_units": 8, "image_cells": 4, "progress": lambda *a: calls.append(a)}
    exp = vlm_scorer.explain("q", "d", method="gradient", faithfulness=False, **options)
    assert exp.method == "gradient" and calls == [(1, 1)]
    assert vlm_scorer.capabilities.explain_methods == ("occlusion", "shapley", "gradient", "ig")
    with pytest.raises(ValueError, match=re.escape("gradient explain: unknown options ['steps']")):
        vlm_scorer.explain("q", "d", method="gradient", steps=4)


def test_gradient_leaves_scoring_unchanged(vlm_scorer):
    before = vlm_scorer.score("red shoes", ["Nike shoe", {"image": D_IMG}])
    vlm_scorer.explain("red shoes", "Nike shoe", method="gradient")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        after = vlm_scorer.score("red shoes", ["Nike shoe", {"image": D_IMG}])
    assert after == before
    assert all(p.grad is None for p in vlm_scorer.model.parameters())


# --- integrated gradients, Shapley, contrast and modality shares on the VLM -------------------------------------------
def test_integrated_gradients_converge_and_report_their_delta(vlm_scorer):
    query = Item("red running shoes", Q_IMG, name="query")
    doc = Item("Nike red running shoe, lightweight", D_IMG, name="document")
    coarse = vlm_scorer.explain(query, doc, method="ig", steps=2, faithfulness=False)
    fine = vlm_scorer.explain(query, doc, method="ig", steps=48, faithfulness=False)
    again = vlm_scorer.explain(query, doc, method="ig", steps=48, faithfulness=False)
    base = vlm_scorer.predict(query, [doc])[0]
    assert fine.method == "ig" and fine.steps == 48 and fine.n_evaluations == 50
    assert fine.log_odds == pytest.approx(base.log_odds, abs=1e-4)
    assert abs(fine.convergence_delta) < 1e-3 < abs(coarse.convergence_delta)
    assert [t.weight for t in again.document_tokens] == [t.weight for t in fine.document_tokens]
    assert fine.query_image.weights.shape == (*_expected_grid(vlm_scorer.family, Q_IMG),)
    assert all(np.isfinite(t.weight) for t in fine.query_tokens + fine.document_tokens)
    with pytest.raises(ValueError, match=re.escape("steps: got 1; expected an integer of at least 2")):
        vlm_scorer.explain(query, doc, method="ig", steps=1)


def test_shapley_on_the_vlm_is_seeded_and_efficient(vlm_scorer):
    from lychee.salience.masking import PairMasker

    query, doc = Item("red shoes", name="query"), Item("Nike shoe", D_IMG, name="document")
    a = vlm_scorer.explain(query, doc, method="shapley", n_samples=3, seed=4, image_cells=4)
    b = vlm_scorer.explain(query, doc, method="shapley", n_samples=3, seed=4, image_cells=4)
    weights = [t.weight for t in a.query_tokens + a.document_tokens] + a.document_image.weights.ravel().tolist()
    assert weights == [t.weight for t in b.query_tokens + b.document_tokens] + b.document_image.weights.ravel().tolist()
    masker = PairMasker(query, doc, image_cells=4)
    nothing = vlm_scorer.predict_pairs([masker.pair_without(range(len(masker)))], allow_empty=True)[0]
    assert sum(weights) == pytest.approx(a.log_odds - nothing.log_odds, abs=1e-4)
    assert a.faithfulness.side == "document" and a.faithfulness.n_units == 2


def test_gradient_contrast_takes_the_difference_on_the_query(vlm_scorer):
    e = vlm_scorer.explain_pair("red shoes", "Nike red shoe", "blue teapot", method="gradient", faithfulness=False)
    e_a = vlm_scorer.explain("red shoes", "Nike red shoe", method="gradient", faithfulness=False)
    e_b = vlm_scorer.explain("red shoes", "blue teapot", method="gradient", faithfulness=False)
    assert e.gap == pytest.approx(e_a.log_odds - e_b.log_odds, abs=1e-5)
    assert [t.weight for t in e.query_tokens] == pytest.approx(
        [a.weight - b.weight for a, b in zip(e_a.query_tokens, e_b.query_tokens)], abs=1e-5
    )
    assert [t.weight for t in e.b_tokens] == pytest.approx([t.weight for t in e_b.document_tokens], abs=1e-5)


def test_modality_shares_on_the_vlm(vlm_scorer):
    query = Item("red running shoes", Q_IMG, name="query")
    doc = Item("Nike red running shoe", D_IMG, name="document")
    m = vlm_scorer.modality_shares(query, doc)
    assert m.parts == ("query_text", "query_image", "document_text", "document_image")
    assert sum(m.values) == pytest.approx(m.full_log_odds - m.empty_log_odds, abs=1e-4)
    assert m.full_log_odds == pytest.approx(vlm_scorer.predict(query, [doc])[0].log_odds, abs=1e-4)
    assert m.n_evaluations <= 16
