"""Truncation measures each distinct prompt once per call and cuts a text in a few measurements — not one full
render and tokenization per binary-search step per pair — and still keeps exactly the prefix a binary search keeps."""

from __future__ import annotations

import random
import warnings

import pytest

import lychee
from lychee import Item


@pytest.fixture
def short_scorer(checkpoint):
    return lychee.load_scorer(str(checkpoint), max_length=128)


def binary_search_cut(encoder, item: Item, measure) -> str | None:
    """The cut the encoder made before: the longest token prefix that fits, by binary search."""
    enc = encoder.processor.tokenizer(item.text, add_special_tokens=False, return_offsets_mapping=True)
    ends = [e for _, e in enc["offset_mapping"]]
    lo, hi, best = 1, len(ends) - 1, 0
    while lo <= hi:
        mid = (lo + hi) // 2
        if measure(item.text[: ends[mid - 1]]) <= encoder.max_length:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return item.text[: ends[best - 1]] if best else None


def test_the_cut_is_the_binary_searchs(short_scorer):
    encoder, rng = short_scorer.encoder, random.Random(0)
    words = ["red", "shoe", "running", "漂亮", "连衣裙", "x", "waterproof,", "42", "!", "lightweight"]
    query = Item("red running shoes", name="query")
    for trial in range(12):
        doc = Item(" ".join(rng.choice(words) for _ in range(rng.randint(60, 400))), name="document 1")

        def measure(text: str) -> int:
            return encoder.measure_pair(query, doc.with_text(text), "Instr.", 0)[0]

        assert encoder.cut_text(doc, measure).text == binary_search_cut(encoder, doc, measure), trial


def test_a_long_query_over_many_pairs_is_cut_once(short_scorer, monkeypatch):
    encoder = short_scorer.encoder
    rendered: list[int] = []
    render = encoder.render_pair
    monkeypatch.setattr(encoder, "render_pair", lambda q, d, i: rendered.append(1) or render(q, d, i))
    query = Item(" ".join(["apple"] * 300), name="query")
    pairs = [(query, Item(" ".join([f"word{i}"] * 200), name=f"document {i + 1}")) for i in range(50)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoded = encoder.encode_pairs(pairs, "Instr.")
    assert len({enc.query.text for enc in encoded}) == 1 and all(not enc.document.has_text for enc in encoded)
    # per pair: the whole pair, then a few for its document cut; the query cut is found once for all 50.
    # A binary search per pair took about 2 * log2(300 tokens) + 3 renders per pair (over 900 for 50 pairs).
    assert len(rendered) <= 50 * 5 + 20, len(rendered)
