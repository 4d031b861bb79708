from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lychee import Capabilities
from lychee.items import Item
from lychee.results import Prediction, sigmoid
from lychee.salience import grey_cell, grid_shape, occlusion, remove_span, segment
from lychee.scorers.base import BaseScorer

WORD_WEIGHTS = {"red": 2.0, "shoes": 1.5, "teapot": -3.0, "running": 0.5}


class AdditiveScorer(BaseScorer):
    """log-odds = sum of per-word weights of the document text + 4 * fraction of pure-red pixels in the doc image."""

    def __init__(self):
        super().__init__(name="additive", family="test", capabilities=Capabilities(image=True))
        self.calls = 0

    def _predict_pairs(self, pairs, instruction, *, progress=None):
        self.calls += 1
        out = []
        for q, d in pairs:
            z = sum(WORD_WEIGHTS.get(w, 0.0) for w in (d.text or "").split())
            z += 0.25 * sum(WORD_WEIGHTS.get(w, 0.0) for w in (q.text or "").split())
            if d.image is not None:
                arr = np.asarray(d.image)
                z += 4.0 * float(np.mean(np.all(arr == (255, 0, 0), axis=-1)))
            out.append(Prediction(score=sigmoid(z), log_odds=z))
        return out


def test_segment_words_cjk_and_grouping():
    spans, grouped = segment("red  running shoes")
    assert [("red  running shoes")[s:e] for s, e in spans] == ["red", "running", "shoes"] and not grouped
    spans, _ = segment("红色跑鞋 Nike")
    assert ["红色跑鞋 Nike"[s:e] for s, e in spans] == ["红", "色", "跑", "鞋", "Nike"]
    text = " ".join(f"w{i}" for i in range(10))
    spans, grouped = segment(text, max_units=3)
    assert grouped and len(spans) == 3
    assert " ".join(text[s:e] for s, e in spans) == text  # groups cover every word, in order


def test_remove_span_keeps_single_spaces():
    assert remove_span("red running shoes", 4, 11) == "red shoes"
    assert remove_span("red running shoes", 0, 3) == " running shoes"
    assert remove_span("红色跑鞋", 1, 2) == "红跑鞋"


def test_occlusion_recovers_additive_word_weights_exactly():
    scorer = AdditiveScorer()
    exp = occlusion(scorer, "red shoes", "red running shoes teapot")
    assert [t.text for t in exp.document_tokens] == ["red", "running", "shoes", "teapot"]
    assert [t.weight for t in exp.document_tokens] == pytest.approx([2.0, 0.5, 1.5, -3.0])
    assert [t.weight for t in exp.query_tokens] == pytest.approx([0.5, 0.375])
    assert exp.log_odds == pytest.approx(0.25 * 3.5 + 1.0) and exp.score == pytest.approx(sigmoid(exp.log_odds))
    assert exp.n_evaluations == 1 + 2 + 4
    assert scorer.calls == 1  # the original pair and every variant in one batched call
    assert exp.max_abs_weight() == pytest.approx(3.0)


def test_occlusion_image_grid_finds_the_red_cell():
    img = Image.new("RGB", (40, 40), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))  # top-left quarter is red
    exp = occlusion(AdditiveScorer(), "q", Item(text=None, image=img), image_cells=4)
    grid = exp.document_image
    assert (grid.rows, grid.cols) == (2, 2)
    assert grid.weights[0, 0] == pytest.approx(4.0 * 0.25)
    assert grid.weights[0, 1] == grid.weights[1, 0] == grid.weights[1, 1] == 0.0
    assert exp.query_image is None and exp.document_tokens == []


def test_occlusion_of_some_parts_only_scores_those():
    img = Image.new("RGB", (40, 40), (255, 0, 0))
    document = Item(text="red running shoes", image=img)
    full = occlusion(AdditiveScorer(), "red shoes", document, image_cells=4)
    words = occlusion(AdditiveScorer(), "red shoes", document, image_cells=4, parts={"document_text"})
    assert [(t.text, t.weight) for t in words.document_tokens] == [(t.text, t.weight) for t in full.document_tokens]
    assert words.query_tokens == [] and words.document_image is None and words.log_odds == full.log_odds
    assert words.n_evaluations == 1 + 3 and full.n_evaluations == 1 + 2 + 3 + 4
    for bad in ({"document_words"}, "document_text"):
        with pytest.raises(ValueError, match="parts: got .*; expected a collection of query_text, document_text"):
            occlusion(AdditiveScorer(), "red shoes", document, parts=bad)


def test_grid_shape_follows_aspect_ratio():
    assert grid_shape(Image.new("RGB", (400, 100)), 16) == (2, 8)
    assert grid_shape(Image.new("RGB", (100, 100)), 16) == (4, 4)
    assert grid_shape(Image.new("RGB", (2000, 3)), 16) == (1, 16)
    assert grid_shape(Image.new("RGB", (500, 300)), 12) == (3, 4)
    assert grid_shape(Image.new("RGB", (4, 4)), 64) == (4, 4)  # an image smaller than the grid: the most it holds


@pytest.mark.parametrize("cells", range(4, 65, 4))
@pytest.mark.parametrize("size", [(96, 64), (64, 96), (500, 300), (100, 100), (1200, 200), (37, 91)])
def test_the_grid_has_exactly_the_cells_asked_for(size, cells):
    # the slider's count is what the heatmap draws (issue 22, item 10: it said 16 and drew 3 x 5)
    rows, cols = grid_shape(Image.new("RGB", size), cells)
    assert rows * cols == cells
    out = grey_cell(Image.new("RGB", (4, 4), (0, 0, 0)), 2, 2, 1, 1)
    assert out.getpixel((3, 3)) == (128, 128, 128) and out.getpixel((0, 0)) == (0, 0, 0)


def test_occlusion_on_the_default_model(default_scorer):
    exp = default_scorer.explain("red running shoes", "Nike red running shoe")
    assert exp.score == pytest.approx(default_scorer.score("red running shoes", ["Nike red running shoe"])[0])
    assert [t.text for t in exp.query_tokens] == ["red", "running", "shoes"]
    assert all(np.isfinite(t.weight) for t in exp.query_tokens + exp.document_tokens)
    # "shoe" carries the product type: removing it must lower relevance
    shoe = next(t for t in exp.document_tokens if t.text == "shoe")
    assert shoe.weight > 0


def test_single_word_query_can_be_occluded(default_scorer):
    exp = default_scorer.explain("teapot", "blue ceramic teapot")
    assert len(exp.query_tokens) == 1 and np.isfinite(exp.query_tokens[0].weight)
