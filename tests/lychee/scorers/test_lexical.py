"""``load_scorer("bm25")``: the lexical baseline as a scorer, on the same tokens and index as eval's bm25 run."""

from __future__ import annotations

import math
import re

import pytest

import lychee
from eval.engine.baselines import bm25_run
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.scorers.lexical import BM25_CENTER, BM25Index, BM25Scorer, tokenize


@pytest.fixture(scope="module")
def bm25():
    return lychee.load_scorer("bm25")


def test_it_is_registered_and_declares_what_it_is(bm25):
    assert isinstance(bm25, BM25Scorer)
    assert "lexical" in lychee.scorers.SCORERS
    caps = bm25.capabilities
    assert (caps.text, caps.image, caps.video) == (True, False, False)
    assert caps.uses_instruction is False
    assert caps.score_is_probability is False
    assert caps.languages == ()  # lexical in any script: never the "does not read this language" warning
    assert bm25.info.family == "lexical"
    assert "not a probability" in bm25.info.notes[0]
    assert bm25.info.score_formula.startswith(f"sigmoid(BM25 - {BM25_CENTER:g})")


def test_scores_follow_the_formula_over_the_batchs_own_titles(bm25):
    # Lucene BM25 (no k1 + 1 numerator): idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part = tf / (tf + k1 (1 - b +
    # b dl / avgdl)). Query tokens red, shoe; titles of 3 and 2 tokens (avgdl 2.5); each query word in title 1 only.
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    tf = 1 / (1 + 1.5 * (1 - 0.75 + 0.75 * 3 / 2.5))
    expected = 2 * idf * tf
    preds = bm25.predict("red shoes", ["red running shoe", "blue teapot"])
    assert preds[0].log_odds == pytest.approx(expected - BM25_CENTER, rel=1e-6)
    assert preds[1].log_odds == pytest.approx(0.0 - BM25_CENTER)
    for p in preds:
        assert p.score == pytest.approx(1 / (1 + math.exp(-p.log_odds)))


def test_chinese_titles_are_matched_by_character_bigrams(bm25):
    assert tokenize("无线降噪耳机") == ["无线", "线降", "降噪", "噪耳", "耳机"]
    ranked = bm25.rank("无线降噪耳机 通勤", ["有线儿童耳机 卡通", "无线蓝牙降噪耳机 头戴式", "通勤双肩包"])
    assert ranked[0].document.text == "无线蓝牙降噪耳机 头戴式"


def test_the_instruction_is_ignored(bm25):
    docs = ["red running shoe", "blue teapot", "running socks"]
    assert bm25.score("red shoes", docs, "Judge colour only.") == bm25.score("red shoes", docs)


def test_pairs_of_several_queries_are_scored_per_query(bm25):
    docs_a = ["red running shoe", "blue teapot"]
    docs_b = ["green tea", "teapot, blue, ceramic", "tea cup"]
    pairs = [("red shoes", d) for d in docs_a] + [("blue teapot", d) for d in docs_b]
    together = [p.log_odds for p in bm25.predict_pairs(pairs)]
    apart = [p.log_odds for p in bm25.predict("red shoes", docs_a) + bm25.predict("blue teapot", docs_b)]
    assert together == apart


def test_a_query_without_text_and_titles_without_a_shared_word_score_zero(bm25):
    assert [p.log_odds for p in bm25.predict("teapot", ["red shoe", "running socks"])] == [-BM25_CENTER] * 2
    assert bm25.predict("the", ["the teapot"])[0].log_odds == -BM25_CENTER  # only a stop word: no token


def test_images_are_refused_naming_the_document(bm25):
    from PIL import Image

    with pytest.raises(ValueError, match=re.escape("document 2 has an image, but the model 'bm25' reads text only")):
        bm25.score("red shoes", ["red shoe", {"text": "shoe", "image": Image.new("RGB", (8, 8))}])


def test_options_that_do_not_apply_are_refused():
    with pytest.raises(ValueError, match=re.escape("model 'bm25' is a lexical ranking computed on the CPU")):
        lychee.load_scorer("bm25", dtype="float16")
    assert isinstance(lychee.load_scorer("bm25", device="cpu"), BM25Scorer)


def test_occlusion_weights_are_bm25_points_lost(bm25):
    e = bm25.explain("red running shoes", "Nike red running shoe")
    full = bm25.predict("red running shoes", ["Nike red running shoe"])[0].log_odds
    without_red = bm25.predict("running shoes", ["Nike red running shoe"])[0].log_odds
    red = next(t for t in e.query_tokens if t.text == "red")
    assert red.weight == pytest.approx(full - without_red)


def test_a_batch_row_is_explained_on_its_own_pair_not_the_batch_index(bm25):
    # BM25's IDF comes from a call's titles (capabilities.batch_dependent): occlusion scores each variant alone, and
    # the batch's own score of the row (another IDF) is not mixed with them.
    from lychee.salience.occlusion import occlusion_many

    titles = ["Nike red running shoe", "blue teapot", "red teapot", "running socks"]
    batch = [p.log_odds for p in bm25.predict("red running shoes", titles)]
    (e,) = occlusion_many(bm25, "red running shoes", titles[:1], base_log_odds=batch[:1])
    alone = bm25.predict("red running shoes", titles[:1])[0].log_odds
    assert batch[0] != pytest.approx(alone)  # the batch's IDF differs, so this checks something
    assert e.log_odds == pytest.approx(alone)
    without_red = bm25.predict("running shoes", titles[:1])[0].log_odds
    assert next(t for t in e.query_tokens if t.text == "red").weight == pytest.approx(alone - without_red)


def test_eval_bm25_baseline_uses_the_same_index():
    # On one query's titles, the scorer's batch index is BM25Index over those titles.
    labelled = load_labelled_set(shipped_set_path("ecommerce.jsonl"))
    q = labelled.queries[0]
    texts = [c.text for c in q.candidates]
    by_scorer = [p.log_odds + BM25_CENTER for p in lychee.load_scorer("bm25").predict(q.text, texts)]
    by_index = BM25Index(texts).scores(q.text)
    assert by_scorer == pytest.approx(by_index, abs=0)
    # And the run over the whole set is BM25Index over every candidate text of the set.
    run = bm25_run(labelled)
    index = BM25Index([c.text for query in labelled.queries for c in query.candidates])
    assert run[q.qid] == {c.docid: s for c, s in zip(q.candidates, index.scores(q.text, texts))}
