"""Shared-prefix KV reuse (lychee.scorers.qwen_vl.prefix + QwenVLScorer): the prefix path must score like the plain path.

The plain path (every pair's whole prompt) is checked against an independent run of the published recipe in
test_qwen_vl.py; here each case is scored both ways on the same float32 tiny checkpoint (Qwen2.5-VL and Qwen3-VL, the
latter with deepstack visual features injected at decoder layer 0) and must agree within 1e-4 in log-odds, with
``Prediction.path`` saying which path ran. Random weights: the documents' scores differ by far more than the tolerance
(checked), so a mix-up of rows, positions or image features could not pass.
"""

from __future__ import annotations

import json
import logging
import re
import threading

import numpy as np
import pytest
import torch
from PIL import Image

import lychee
from lychee import Item
from lychee.scorers.qwen_vl import prefix
from lychee.scorers.qwen_vl.prefix import (
    BOUNDARY_SLACK,
    common_prefix_length,
    expand_image_pads,
    shared_length,
    shared_prefix_cache,
)
from tests.helpers import noise_image

TOL = 1e-4


Q_IMG = noise_image(80, 56, seed=21)
MIXED_DOCS = [
    "Nike red running shoe, lightweight and breathable.",
    {"image": noise_image(50, 120, seed=22)},
    {"text": "a red shoe on a white background", "image": noise_image(64, 64, seed=23)},
    "(new) blue ceramic teapot",  # starts with punctuation: the BPE pre-token ">:(" spans the prefix boundary
    "bread",
    {"image": noise_image(120, 40, seed=24)},
    "2024 model, size 42",
    "\nstarts with a newline",
]
QUERIES = {
    "text": Item("red running shoes", name="query"),
    "image": Item(image=Q_IMG, name="query"),
    "image+text": Item("shoes like this one", Q_IMG, name="query"),
}


@pytest.fixture(scope="module")
def scorer(checkpoint):
    """A private scorer (batch 3, so batches mix lengths and need padding) whose path flag the tests toggle."""
    return lychee.load_scorer(str(checkpoint), device="cpu", batch_size=3)


def both_paths(scorer, fn):
    """``fn()`` on the plain path, then on the prefix path (the flag is restored afterwards)."""
    old = scorer.use_prefix_cache
    try:
        scorer.use_prefix_cache = False
        plain = fn()
        scorer.use_prefix_cache = True
        prefix = fn()
    finally:
        scorer.use_prefix_cache = old
    return plain, prefix


def assert_same(plain, prefix, *, paths=None):
    assert len(plain) == len(prefix)
    np.testing.assert_allclose([p.log_odds for p in prefix], [p.log_odds for p in plain], atol=TOL, rtol=0)
    np.testing.assert_allclose([p.score for p in prefix], [p.score for p in plain], atol=TOL, rtol=0)
    assert [p.n_tokens for p in prefix] == [p.n_tokens for p in plain]
    assert [p.truncated for p in prefix] == [p.truncated for p in plain]
    assert all(p.path == "plain" for p in plain)
    if paths is not None:
        assert [p.path for p in prefix] == paths


# --- token bookkeeping (pure functions) ------------------------------------------------------------------------------
def test_expand_image_pads():
    assert expand_image_pads([1, 9, 2, 9, 3], 9, [3, 2]) == [1, 9, 9, 9, 2, 9, 9, 3]
    assert expand_image_pads([1, 2], 9, []) == [1, 2]
    msg = "the prompt has 2 image placeholders but 1 images were given; expected one <|image_pad|> per image."
    with pytest.raises(ValueError, match=re.escape(msg)):
        expand_image_pads([9, 1, 9], 9, [4])
    with pytest.raises(ValueError, match="the prompt has 1 image placeholders but 2 images"):
        expand_image_pads([9, 1], 9, [4, 4])


def test_common_prefix_length():
    assert common_prefix_length([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix_length([1, 2], [1, 2, 3]) == 2
    assert common_prefix_length([], [1]) == 0
    assert common_prefix_length([7], [1]) == 0


def test_shared_length_takes_the_shortest_boundary_and_drops_early_leavers():
    prefix = list(range(20))
    rows = [
        prefix + [50, 51],  # shares all 20
        prefix[:19] + [60, 61, 62],  # BPE merged the last prefix token with the document: shares 19
        prefix[:5] + [70] * 20,  # leaves 15 tokens early (e.g. its query text was cut): plain
        prefix[:20],  # nothing after the prefix (never happens for a real prompt): plain
    ]
    assert shared_length(prefix, rows, image_pad_id=99) == (19, [0, 1])
    # Exactly `slack` tokens before the end still shares; one more does not.
    edge = prefix[: 20 - BOUNDARY_SLACK] + [80]
    assert shared_length(prefix, [edge], image_pad_id=99) == (20 - BOUNDARY_SLACK, [0])
    assert shared_length(prefix, [prefix[: 19 - BOUNDARY_SLACK] + [80]], image_pad_id=99) == (0, [])


def test_shared_length_never_splits_the_query_image():
    prefix = [1, 2, 9, 9, 9, 3]  # image pads (9) at 2..4: a shared prefix must cover index 4
    assert shared_length(prefix, [[1, 2, 9, 9, 9, 4, 5]], image_pad_id=9, slack=8) == (5, [0])
    assert shared_length(prefix, [[1, 2, 9, 9, 7, 7]], image_pad_id=9, slack=8) == (0, [])


def test_shared_prefix_cache_is_read_only():
    torch.manual_seed(0)
    kv = [(torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4)) for _ in range(3)]
    before = [(k.clone(), v.clone()) for k, v in kv]
    cache = shared_prefix_cache(kv)
    new_k, new_v = torch.randn(3, 2, 4, 4), torch.randn(3, 2, 4, 4)
    for _ in range(2):  # the same cache serves two batches: nothing accumulates
        keys, values = cache.update(new_k, new_v, 1)
        assert keys.shape == values.shape == (3, 2, 9, 4)
        assert torch.equal(keys[:, :, :5], kv[1][0].expand(3, -1, -1, -1))
        assert torch.equal(keys[:, :, 5:], new_k) and torch.equal(values[:, :, 5:], new_v)
        assert cache.get_seq_length(1) == 5 and cache.get_mask_sizes(4, 1) == (9, 0)
    assert all(torch.equal(k, k0) and torch.equal(v, v0) for (k, v), (k0, v0) in zip(kv, before))


def test_flash_attention_unpadding_reads_holes_as_intended():
    """flash_attention_2 (no GPU here) gets the 2-D mask with the hole between prefix and suffix; transformers'
    ``_upad_input`` must then give each row the keys prefix + its real suffix and the queries its real suffix, so that
    flash-attn's bottom-right causal alignment lets suffix token j see prefix + suffix[:j+1]."""
    from transformers.modeling_flash_attention_utils import _unpad_input, _upad_input

    length, width = 4, 3
    suffix_lengths = [1, 3]
    mask = torch.zeros(2, length + width, dtype=torch.long)
    mask[:, :length] = 1
    for b, n in enumerate(suffix_lengths):
        mask[b, length + width - n :] = 1
    # Each key/query carries its own (row, column) so the gathered order can be read back.
    pos = torch.arange(length + width, dtype=torch.float32)
    keys = torch.stack([pos + 100 * b for b in range(2)])[:, :, None, None]  # (B, L+S, heads=1, dim=1)
    queries = keys[:, length:]
    q, k, _, _, (cu_q, cu_k), (max_q, max_k) = _upad_input(queries, keys, keys.clone(), mask, width, _unpad_input)
    assert cu_q.tolist() == [0, 1, 4] and cu_k.tolist() == [0, length + 1, 2 * length + 4]
    assert (max_q, max_k) == (3, length + 3)
    row0 = list(range(length)) + [6]
    row1 = [100 + i for i in list(range(length)) + [4, 5, 6]]
    assert k.flatten().tolist() == row0 + row1
    assert q.flatten().tolist() == [6, 104, 105, 106]


# --- both paths agree ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(QUERIES))
def test_prefix_path_equals_plain_path(scorer, kind):
    query = QUERIES[kind]
    plain, prefix = both_paths(scorer, lambda: scorer.predict(query, MIXED_DOCS))
    assert_same(plain, prefix, paths=["prefix"] * len(MIXED_DOCS))
    assert np.ptp([p.log_odds for p in plain]) > 100 * TOL  # documents differ: a mix-up would show


def test_prefix_path_equals_plain_path_with_eager_attention(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=4, model_kwargs={"attn_implementation": "eager"})
    assert scorer.info.attention == "eager"
    plain, prefix = both_paths(scorer, lambda: scorer.predict(QUERIES["image+text"], MIXED_DOCS))
    assert_same(plain, prefix, paths=["prefix"] * len(MIXED_DOCS))


def test_prefix_path_with_truncated_documents(checkpoint, family):
    scorer = lychee.load_scorer(str(checkpoint), max_length=128, batch_size=2)
    long_doc = " ".join(f"word{i % 10}" for i in range(600))
    docs = [long_doc, "short title", long_doc[:900], {"text": long_doc, "image": noise_image(40, 40, seed=25)}]
    with pytest.warns(UserWarning, match="more than max_length=128"):
        plain, prefix = both_paths(scorer, lambda: scorer.predict(QUERIES["text"], docs))
    assert [p.truncated for p in prefix] == [True, False, True, True]
    assert_same(plain, prefix, paths=["prefix"] * len(docs))


def test_pairs_whose_query_was_cut_go_plain(checkpoint):
    """A document whose image leaves no room cuts the query text: that pair no longer shares the prefix."""
    scorer = lychee.load_scorer(str(checkpoint), max_length=160, batch_size=4)
    query = Item(" ".join(["apple"] * 24), name="query")
    docs = ["short title", "another title", {"text": "x", "image": noise_image(200, 200, seed=26)}]
    with pytest.warns(UserWarning, match="the query text was cut"):
        plain, prefix = both_paths(scorer, lambda: scorer.predict(query, docs))
    assert_same(plain, prefix, paths=["prefix", "prefix", "plain"])


def test_empty_document_side(scorer):
    """Occlusion can empty a document (Qwen3 then renders NULL, Lychee nothing); the suffix is then only template."""
    instruction = scorer.default_instruction
    q = Item("red shoes", name="query")
    pairs = [(q, Item("", name="d1")), (q, Item("Nike shoe", name="d2")), (q, Item(image=Q_IMG, name="d3"))]
    plain, prefix = both_paths(scorer, lambda: scorer._predict_pairs(pairs, instruction))
    assert_same(plain, prefix, paths=["prefix"] * 3)


def test_groups_by_query_content_and_leaves_singletons_plain(scorer):
    same_pixels = Image.fromarray(np.asarray(Q_IMG).copy())  # another object, same content: same group
    pairs = [
        ({"text": "shoes", "image": Q_IMG}, "Nike red running shoe"),
        ("teapot", "blue ceramic teapot"),
        ({"text": "shoes", "image": same_pixels}, {"image": noise_image(50, 50, seed=27)}),
        ("teapot", "a kettle"),
        ("bread", "flour, water, salt"),  # the only pair of its query: plain
        ({"text": "shoes", "image": noise_image(80, 56, seed=28)}, "Nike"),  # other pixels: its own group of one
        ("teapot", {"image": noise_image(30, 90, seed=29)}),
    ]
    plain, prefix = both_paths(scorer, lambda: scorer.predict_pairs(pairs))
    assert_same(plain, prefix, paths=["prefix", "prefix", "prefix", "prefix", "plain", "plain", "prefix"])
    one_by_one = [scorer.predict(q, [d])[0] for q, d in pairs]
    np.testing.assert_allclose([p.log_odds for p in prefix], [p.log_odds for p in one_by_one], atol=TOL, rtol=0)


def test_single_document_uses_plain_path(scorer):
    assert scorer.use_prefix_cache
    assert [p.path for p in scorer.predict(QUERIES["image"], ["one title"])] == ["plain"]


def test_default_scorer_takes_the_prefix_path_and_logs_it(vlm_scorer, caplog):
    assert vlm_scorer.use_prefix_cache is True
    with caplog.at_level(logging.INFO, logger="lychee.scorers.qwen_vl.scorer"):
        preds = vlm_scorer.predict(QUERIES["image+text"], MIXED_DOCS[:4])
    assert [p.path for p in preds] == ["prefix"] * 4
    assert re.search(r"scored 4 pairs: 4 on the shared-prefix path \(prefix lengths \[\d+\]\), 0 plain", caplog.text)


def test_embedding_scorer_predictions_have_no_path():
    preds = lychee.load_scorer("default").predict("red shoes", ["Nike shoe", "teapot"])
    assert [p.path for p in preds] == [None, None]


def _add_boundary_merge(checkpoint_dir) -> None:
    """Teach the tokenizer the merge ``">:" + "(" -> ">:("`` (reusing the id of its last learned merge), so that a
    document starting with "(" changes the last token of the rendered prefix, as real BPE vocabularies can."""
    path = checkpoint_dir / "tokenizer.json"
    tok = json.loads(path.read_text(encoding="utf-8"))
    model = tok["model"]
    merges = model["merges"]
    last = merges.pop()
    a, b = last if isinstance(last, list) else last.split(" ", 1)
    token_id = model["vocab"].pop(a + b)
    assert ">:" in model["vocab"] and "(" in model["vocab"]
    model["vocab"][">:("] = token_id
    merges.append([">:", "("] if isinstance(merges[0], list) else ">: (")
    path.write_text(json.dumps(tok), encoding="utf-8")


def test_bpe_merge_across_the_prefix_boundary(checkpoint_copy, caplog):
    _add_boundary_merge(checkpoint_copy)
    scorer = lychee.load_scorer(str(checkpoint_copy), batch_size=3)
    tok = scorer.processor.tokenizer
    assert ">:(" in tok.convert_ids_to_tokens(tok("\n<Document>:(new)")["input_ids"])  # the merge really happens
    query = QUERIES["image+text"]
    with caplog.at_level(logging.INFO, logger="lychee.scorers.qwen_vl.scorer"):
        plain_words, words = both_paths(scorer, lambda: scorer.predict(query, ["teapot", "Nike shoe", "bread"]))
        plain_paren, paren = both_paths(scorer, lambda: scorer.predict(query, ["teapot", "(new) teapot", "bread"]))
    assert_same(plain_words, words, paths=["prefix"] * 3)
    assert_same(plain_paren, paren, paths=["prefix"] * 3)
    lengths = [int(n) for n in re.findall(r"prefix lengths \[(\d+)\]", caplog.text)]
    assert len(lengths) == 2 and lengths[1] == lengths[0] - 1  # the group with "(" shares one token less


# --- robustness ----------------------------------------------------------------------------------------------------
def test_prefix_oom_falls_back_to_plain(checkpoint, caplog, monkeypatch):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=4)
    expected = [p.log_odds for p in both_paths(scorer, lambda: scorer.predict(QUERIES["image"], MIXED_DOCS))[0]]

    def oom(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(prefix, "prefix_state", oom)
    with caplog.at_level(logging.INFO, logger="lychee.scorers.qwen_vl.scorer"):
        preds = scorer.predict(QUERIES["image"], MIXED_DOCS)
    assert [p.path for p in preds] == ["plain"] * len(MIXED_DOCS)
    np.testing.assert_allclose([p.log_odds for p in preds], expected, atol=TOL, rtol=0)
    assert "CUDA out of memory computing a" in caplog.text and "out of memory on the prefix" in caplog.text


def test_prefix_errors_other_than_oom_propagate(checkpoint, monkeypatch):
    scorer = lychee.load_scorer(str(checkpoint))

    def broken(*args, **kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(prefix, "prefix_state", broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        scorer.predict("q", ["a", "b"])


def test_unsupported_attention_falls_back_to_plain(checkpoint, monkeypatch, caplog):
    scorer = lychee.load_scorer(str(checkpoint))
    monkeypatch.setattr(scorer.model.config, "_attn_implementation", "flex_attention")
    assert prefix.prefix_unsupported(scorer.model) == "attention 'flex_attention' is not checked for cached prefixes: plain path"
    monkeypatch.setattr(scorer.model.config, "_attn_implementation", "flash_attention_2")
    import transformers.modeling_flash_attention_utils as fa

    monkeypatch.setattr(fa, "flash_attn_supports_top_left_mask", lambda: True)
    assert prefix.prefix_unsupported(scorer.model) == "flash-attn with a top-left causal mask: plain path"
    monkeypatch.setattr(fa, "flash_attn_supports_top_left_mask", lambda: False)
    assert prefix.prefix_unsupported(scorer.model) is None
    monkeypatch.undo()
    monkeypatch.setattr(prefix, "prefix_unsupported", lambda model: "sliding-window layers: plain path")
    with caplog.at_level(logging.INFO, logger="lychee.scorers.qwen_vl.scorer"):
        preds = scorer.predict("red shoes", ["a", "b", "c"])
    assert [p.path for p in preds] == ["plain"] * 3
    assert "0 on the shared-prefix path" in caplog.text and "(sliding-window layers: plain path)" in caplog.text


def test_progress_and_oom_halving_on_the_prefix_path(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=4)
    real_forward, sizes, calls = scorer.forward, [], []

    def forward(inputs):
        sizes.append(inputs["input_ids"].shape[0])
        if inputs["input_ids"].shape[0] > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        return real_forward(inputs)

    scorer.forward = forward
    preds = scorer.predict(QUERIES["image"], MIXED_DOCS[:5], progress=lambda d, t: calls.append((d, t)))
    assert [p.path for p in preds] == ["prefix"] * 5
    assert sizes == [4, 2, 2, 1]  # 4 fail, halve to 2: 2 + 2, then the last one
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert scorer.stats.oom_retries == 1


def test_prefix_path_leaves_no_state_and_is_thread_safe(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=2)
    params = {k: v.clone() for k, v in scorer.model.state_dict().items()}
    queries = [QUERIES["image+text"], QUERIES["text"], QUERIES["image"]]
    expected = [[p.log_odds for p in scorer.predict(q, MIXED_DOCS[:5])] for q in queries]
    results: dict[int, list[float]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(2):
                results[i] = [p.log_odds for p in scorer.predict(queries[i], MIXED_DOCS[:5])]
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(queries))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i in range(len(queries)):
        np.testing.assert_allclose(results[i], expected[i], atol=TOL, rtol=0)
    assert scorer.model.model.rope_deltas is None
    assert all(torch.equal(v, params[k]) for k, v in scorer.model.state_dict().items())


@pytest.mark.parametrize("use_prefix_cache", [True, False])
def test_placeholder_tokens_in_text_are_rejected_on_both_paths(scorer, use_prefix_cache):
    old = scorer.use_prefix_cache
    scorer.use_prefix_cache = use_prefix_cache
    try:
        with pytest.raises(ValueError, match=re.escape("query text contains '<|image_pad|>', the model's placeholder")):
            scorer.score("<|image_pad|> shoes", ["a", "b"])
        with pytest.raises(ValueError, match=re.escape("document 2 text contains '<|video_pad|>'")):
            scorer.score("shoes", ["a", "b <|video_pad|>"])
    finally:
        scorer.use_prefix_cache = old
