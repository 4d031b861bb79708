from __future__ import annotations

import math
import re

import numpy as np
import pytest
from PIL import Image

from lychee import Item
from lychee.results import sigmoid
from lychee.scorers.embedding import EMBEDDING_SCALE, EMBEDDING_SHIFT, EmbeddingCache, cosine_to_log_odds

PRODUCTS = {
    "red running shoes": (
        ["Nike red running shoe", "Adidas Ultraboost running sneakers in red"],
        ["blue ceramic teapot", "stainless steel chef knife", "wool winter scarf"],
    ),
    "wireless noise cancelling headphones": (
        ["Sony WH-1000XM5 wireless noise-cancelling headphones", "Bose QuietComfort Bluetooth headphones with ANC"],
        ["garden hose 30 m", "children's picture book about dinosaurs", "cast iron frying pan"],
    ),
    "espresso machine": (
        ["De'Longhi espresso coffee maker with milk frother", "Breville Barista Express espresso machine"],
        ["yoga mat non-slip", "USB-C charging cable 2 m", "men's leather wallet"],
    ),
}


def test_issue_example(default_scorer):
    scores = default_scorer.score("red running shoes", ["Nike red running shoe", "blue ceramic teapot"])
    assert len(scores) == 2 and all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > scores[1]


@pytest.mark.parametrize("query", list(PRODUCTS))
def test_relevant_titles_outrank_irrelevant_ones(default_scorer, query):
    relevant, irrelevant = PRODUCTS[query]
    ranked = default_scorer.rank(query, irrelevant + relevant)
    top = {r.document.text for r in ranked[: len(relevant)]}
    assert top == set(relevant)
    assert min(r.score for r in ranked[: len(relevant)]) > max(r.score for r in ranked[len(relevant) :])


def test_score_is_the_documented_mapping_of_cosine(default_scorer):
    query, docs = "espresso machine", ["Breville Barista Express espresso machine", "yoga mat non-slip"]
    emb = default_scorer.model.encode([query] + docs, convert_to_numpy=True)  # independent encode, no cache
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    preds = default_scorer.predict(query, docs)
    for pred, vec in zip(preds, emb[1:]):
        cos = float(emb[0] @ vec)
        z = EMBEDDING_SCALE * (cos - EMBEDDING_SHIFT)
        assert pred.log_odds == pytest.approx(z, abs=1e-4)
        assert pred.score == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-6)
    assert cosine_to_log_odds(EMBEDDING_SHIFT) == 0.0 and sigmoid(0.0) == 0.5


def test_order_invariance_and_rank_sorted(default_scorer):
    query, docs = "red running shoes", PRODUCTS["red running shoes"][0] + PRODUCTS["red running shoes"][1]
    scores = default_scorer.score(query, docs)
    perm = [3, 0, 4, 1, 2]
    permuted = default_scorer.score(query, [docs[i] for i in perm])
    assert permuted == pytest.approx([scores[i] for i in perm], abs=1e-6)
    ranked = default_scorer.rank(query, docs)
    assert [r.score for r in ranked] == sorted(scores, reverse=True)
    assert sorted(r.index for r in ranked) == list(range(len(docs)))
    assert all(r.document.text == docs[r.index] for r in ranked)
    assert [r.index for r in default_scorer.rank(query, docs, top_k=2)] == [r.index for r in ranked[:2]]


def test_empty_documents_give_empty_list(default_scorer):
    assert default_scorer.score("anything", []) == []
    assert default_scorer.rank("anything", []) == []


def test_no_texts_embed_to_an_empty_matrix_of_the_models_width(default_scorer):
    # all-MiniLM-L6-v2 embeds into 384 dimensions; the width comes from the model, not a constant
    assert default_scorer.embed([]).shape == (0, default_scorer.model.get_embedding_dimension()) == (0, 384)


def test_cache_encodes_each_distinct_document_once(default_scorer, monkeypatch):
    default_scorer.cache.clear()
    seen: list[str] = []
    real = default_scorer.model.encode

    def spy(texts, **kw):
        seen.extend(texts)
        return real(texts, **kw)

    monkeypatch.setattr(default_scorer.model, "encode", spy)
    docs = ["alpha phone case", "beta laptop stand", "alpha phone case"]
    first = default_scorer.score("phone accessories", docs)
    second = default_scorer.score("laptop accessories", docs)
    assert sorted(seen) == sorted(["phone accessories", "alpha phone case", "beta laptop stand", "laptop accessories"])
    assert first[0] == first[2] and second[0] == second[2]


def test_cache_is_bounded_in_bytes_and_keeps_no_text():
    from lychee.scorers.embedding import ENTRY_OVERHEAD_BYTES

    vec = np.zeros(384, dtype=np.float32)  # 1536 bytes
    cache = EmbeddingCache(max_bytes=2 * (vec.nbytes + ENTRY_OVERHEAD_BYTES))
    texts = ["x" * 1_000_000 + str(i) for i in range(5)]  # long texts cost their vector, not their length
    for text in texts:
        cache.put(text, vec)
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes
    assert cache.get(texts[0]) is None and cache.get(texts[4]) is vec
    assert all(isinstance(key, bytes) and len(key) == 16 for key in cache._data)  # digests, not the texts
    cache.put(texts[4], vec)  # a second put of the same text replaces it
    assert len(cache) == 2 and cache.bytes == 2 * (vec.nbytes + ENTRY_OVERHEAD_BYTES)
    with pytest.raises(ValueError, match="max_bytes must be >= 0, got -1"):
        EmbeddingCache(-1)


def test_instruction_is_validated_but_ignored(default_scorer):
    docs = ["Nike red running shoe", "blue ceramic teapot"]
    assert default_scorer.score("red shoes", docs, instruction="Find products.") == default_scorer.score(
        "red shoes", docs
    )
    with pytest.raises(ValueError, match="instruction is empty"):
        default_scorer.score("red shoes", docs, instruction="   ")
    assert default_scorer.capabilities.uses_instruction is False
    assert default_scorer.capabilities.languages == ("en",)


def test_very_long_text_is_scored_and_flagged(default_scorer):
    long_doc = "running shoes " * 400
    preds = default_scorer.predict("running shoes", [long_doc, "running shoes"])
    assert preds[0].truncated and not preds[1].truncated
    assert 0.0 <= preds[0].score <= 1.0
    # n_tokens: query and document as encoded, each cut at max_length ("[CLS] running shoes [SEP]" is 4 tokens)
    assert preds[1].n_tokens == 4 + 4
    assert preds[0].n_tokens == 4 + default_scorer.max_length
    ranked = default_scorer.rank("running shoes", [long_doc, "running shoes"])
    assert [r.n_tokens for r in ranked] == [4 + 4, 4 + default_scorer.max_length]


def test_bad_inputs_have_clear_messages(default_scorer):
    with pytest.raises(ValueError, match=re.escape("query is empty: got no text, no image and no video.")):
        default_scorer.score("  ", ["x"])
    with pytest.raises(ValueError, match=re.escape("document 2 is empty: got no text, no image and no video.")):
        default_scorer.score("q", ["x", {"text": ""}])
    with pytest.raises(ValueError, match="document 1 has an image, but the model 'all-MiniLM-L6-v2' reads text only"):
        default_scorer.score("q", [Item(text="x", image=Image.new("RGB", (4, 4)))])
    with pytest.raises(ValueError, match="query has an image, but the model"):
        default_scorer.score({"image": Image.new("RGB", (4, 4))}, ["x"])
    with pytest.raises(TypeError, match="documents: got a single str"):
        default_scorer.score("q", "just one string")
    with pytest.raises(ValueError, match=re.escape("top_k must be a positive integer or None, got 0.")):
        default_scorer.rank("q", ["x"], top_k=0)


def test_process_accepts_qwen3_vl_reranker_inputs(default_scorer):
    inputs = {
        "instruction": "Retrieve products.",
        "query": {"text": "red running shoes"},
        "documents": [{"text": "Nike red running shoe"}, {"text": "blue ceramic teapot"}],
        "fps": 1.0,
    }
    assert default_scorer.process(inputs) == default_scorer.score(
        "red running shoes", ["Nike red running shoe", "blue ceramic teapot"]
    )
    with pytest.raises(ValueError, match=re.escape("process() inputs: missing 'documents'")):
        default_scorer.process({"query": {"text": "q"}})
    with pytest.raises(ValueError, match=re.escape("process() inputs: unknown keys ['docs']")):
        default_scorer.process({"query": {"text": "q"}, "documents": [], "docs": []})


def test_info_reports_the_model(default_scorer):
    info = default_scorer.info
    assert info.name == "all-MiniLM-L6-v2" and info.device == "cpu" and info.dtype == "float32"
    assert info.parameters == sum(p.numel() for p in default_scorer.model.parameters())
    assert info.weights_bytes == sum(p.numel() * 4 for p in default_scorer.model.parameters()) + sum(
        b.numel() * b.element_size() for b in default_scorer.model.buffers()
    )
    assert info.attention == default_scorer.model[0].auto_model.config._attn_implementation
